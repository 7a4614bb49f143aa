"""PPO's pure functions against values computed by hand, and the hyperparameter dataclass."""
import math

import numpy as np
import pytest

from markov.ppo.advantages import explained_variance, gae
from markov.ppo.config import ConfigError, PPOConfig
from markov.ppo.losses import (categorical_entropy, clipped_surrogate_loss, gaussian_entropy,
                               gaussian_log_prob, value_loss)


def test_gae_stops_at_episode_end_and_bootstraps_the_unfinished_tail():
    # gamma = lam = 0.5, so gamma * lam = 0.25
    # t=2 (not done): delta = 2 + 0.5 * last_value 2.0 - 0.25 = 2.75;          A2 = 2.75
    # t=1 (done):     delta = 0 + 0 - 1.0 = -1.0;  no carry over the boundary:  A1 = -1.0
    # t=0:            delta = 1 + 0.5 * 1.0 - 0.5 = 1.0;  A0 = 1.0 + 0.25 * -1.0 = 0.75
    adv, ret = gae([1, 0, 2], [0.5, 1.0, 0.25], [0, 1, 0], last_value=2.0, gamma=0.5, lam=0.5)
    np.testing.assert_allclose(adv, [0.75, -1.0, 2.75])
    np.testing.assert_allclose(ret, [0.75 + 0.5, -1.0 + 1.0, 2.75 + 0.25])
    assert adv.dtype == ret.dtype == np.float32


def test_gae_with_lambda_one_is_the_discounted_return_minus_value():
    # gamma = 0.9, lam = 1, episode ends at t=2: returns 1 + 0.9 * (2 + 0.9 * 3) = 5.23, 2 + 2.7 = 4.7, 3
    adv, ret = gae([1, 2, 3], [1.0, 1.0, 1.0], [0, 0, 1], last_value=100.0, gamma=0.9, lam=1.0)
    np.testing.assert_allclose(ret, [5.23, 4.7, 3.0], rtol=1e-6)
    np.testing.assert_allclose(adv, [4.23, 3.7, 2.0], rtol=1e-6)


def test_gae_with_lambda_zero_is_the_one_step_td_error():
    # delta_t = r_t + gamma V_{t+1} - V_t: 1 + 0.5*4 - 2 = 1; 0 + 0.5*10 - 4 = 1
    adv, _ = gae([1, 0], [2.0, 4.0], [0, 0], last_value=10.0, gamma=0.5, lam=0.0)
    np.testing.assert_allclose(adv, [1.0, 1.0])


def test_gae_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="one length"):
        gae([1, 2], [0.0], [0, 0], 0.0, 0.9, 0.9)


def test_clipped_surrogate_by_hand():
    ratios = np.array([1.5, 0.5, 1.0, 0.5])
    advantages = np.array([1.0, 1.0, -2.0, -1.0], np.float32)
    # min(r A, clip(r, 0.8, 1.2) A): min(1.5, 1.2)=1.2, min(0.5, 0.8)=0.5, -2, min(-0.5, -0.8)=-0.8
    # mean = (1.2 + 0.5 - 2 - 0.8) / 4 = -0.275, negated as a loss
    old = np.log(np.full(4, 0.25, np.float32))
    new = (old + np.log(ratios)).astype(np.float32)
    loss = clipped_surrogate_loss(new, old, advantages, clip_epsilon=0.2)
    assert float(loss) == pytest.approx(0.275, abs=1e-6)


def test_value_loss_huber_and_mse_by_hand():
    values, returns = np.zeros(3, np.float32), np.array([0.5, 2.0, -3.0], np.float32)
    # huber (delta 1): 0.5*0.25 = 0.125, 2 - 0.5 = 1.5, 3 - 0.5 = 2.5 -> mean 4.125 / 3
    assert float(value_loss(values, returns, "huber")) == pytest.approx(1.375)
    # mse (half squared error): 0.5 * (0.25 + 4 + 9) / 3
    assert float(value_loss(values, returns, "mean squared error")) == pytest.approx(6.625 / 3)
    with pytest.raises(ValueError, match="loss_type"):
        value_loss(values, returns, "l1")


def test_categorical_entropy_by_hand():
    with np.errstate(divide="ignore"):  # log 0 = -inf on purpose
        log_p = np.log(np.array([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75]], np.float32))
    expected = [math.log(2), 0.0, -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))]
    np.testing.assert_allclose(categorical_entropy(log_p).numpy(), expected, atol=1e-6)


def test_gaussian_entropy_and_log_prob_by_hand():
    log_std = np.array([0.0, math.log(2.0)], np.float32)
    # per dim: log_std + 0.5 + 0.5 ln(2 pi): (0.5 + 0.5 ln 2pi) + (ln 2 + 0.5 + 0.5 ln 2pi) = 1 + ln(4 pi)
    assert float(gaussian_entropy(log_std)) == pytest.approx(1 + math.log(4 * math.pi), rel=1e-6)
    # action (1, 0), mean (0, 0): z = (1, 0); -0.5 - 0 - 0.5 ln 2pi  +  0 - ln 2 - 0.5 ln 2pi
    log_p = gaussian_log_prob(np.array([[1.0, 0.0]], np.float32), np.zeros((1, 2), np.float32), log_std)
    assert float(log_p[0]) == pytest.approx(-0.5 - math.log(4 * math.pi), rel=1e-6)


def test_explained_variance():
    returns = np.array([1.0, 2.0, 3.0])
    assert explained_variance(returns, returns) == 1.0
    assert explained_variance(np.zeros(3), returns) == pytest.approx(0.0)
    # returns - values = (0, 0, 1): var 2/9; var(returns) = 2/3 -> 1 - 1/3
    assert explained_variance([1.0, 2.0, 2.0], returns) == pytest.approx(2 / 3)
    assert math.isnan(explained_variance([1.0, 2.0], [5.0, 5.0]))


def test_config_defaults_match_the_hyperparameters_contract():
    cfg = PPOConfig()
    assert (cfg.batch_size, cfg.num_epochs, cfg.lr, cfg.beta_entropy, cfg.discount_factor) == \
        (64, 10, 0.0003, 0.01, 0.999)
    assert (cfg.loss_type, cfg.clip_epsilon, cfg.gae_lambda, cfg.adam_epsilon) == ("huber", 0.2, 0.95, 1e-5)
    cfg = PPOConfig.from_mapping({"batch_size": 32, "loss_type": "mean squared error", "stack_size": 1})
    assert cfg.batch_size == 32 and cfg.loss_type == "mean squared error"


@pytest.mark.parametrize("field, value", [("batch_size", 0), ("num_epochs", 2.5), ("lr", 0.0),
                                          ("discount_factor", 1.5), ("loss_type", "l2"),
                                          ("clip_epsilon", float("nan")), ("batch_size", True)])
def test_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        PPOConfig(**{field: value})
