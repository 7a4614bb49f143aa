"""Rollout buffer and the PPO update: diagnostics, step counts, no retracing, and learning a bandit."""
import math

import numpy as np
import pytest

from markov.ppo.adam import FusedAdam
from markov.ppo.advantages import gae
from markov.ppo.buffer import RolloutBuffer
from markov.ppo.config import PPOConfig
from markov.ppo.policy import PPOPolicy
from markov.ppo.trainer import PPOTrainer

SHALLOW = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
DIAGNOSTICS = {"policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac", "explained_variance",
               "samples_per_s"}


def bandit_buffer(policy, rng):
    """Black images reward action 0, white images action 1; every step is a whole episode."""
    obs = np.zeros((32, 120, 160, 1), np.uint8)
    obs[16:] = 255
    target = (np.arange(32) >= 16).astype(np.int64)
    actions, log_probs, values = policy.act(obs, rng=rng)
    rewards = (actions == target).astype(np.float32)
    return RolloutBuffer.from_arrays(obs, actions, log_probs, values, rewards, np.ones(32)), target


def test_buffer_stacks_steps_and_computes_gae():
    buffer = RolloutBuffer()
    for t in range(5):
        buffer.add(np.full((120, 160, 1), t, np.uint8), t % 3, -1.0, 0.5 * t, 1.0, t == 2)
    assert len(buffer) == 5
    buffer.finish(last_value=4.0, gamma=0.9, lam=0.8)
    assert buffer.obs.shape == (5, 120, 160, 1) and buffer.obs.dtype == np.uint8
    assert buffer.actions.dtype == np.int64 and list(buffer.actions) == [0, 1, 2, 0, 1]
    adv, ret = gae(np.ones(5), 0.5 * np.arange(5), [0, 0, 1, 0, 0], 4.0, 0.9, 0.8)
    np.testing.assert_array_equal(buffer.advantages, adv)
    np.testing.assert_array_equal(buffer.returns, ret)
    with pytest.raises(RuntimeError, match="after finish"):
        buffer.add(buffer.obs[0], 0, 0.0, 0.0, 0.0, False)
    with pytest.raises(ValueError, match="no steps"):
        RolloutBuffer().finish()


def test_buffer_keeps_continuous_actions_as_float_pairs():
    obs = np.zeros((3, 120, 160, 1), np.uint8)
    buffer = RolloutBuffer.from_arrays(obs, np.ones((3, 2)), np.zeros(3), np.zeros(3), np.ones(3), [0, 0, 1])
    assert buffer.actions.shape == (3, 2) and buffer.actions.dtype == np.float32


def test_buffer_fills_missing_values_from_value_fn():
    obs = np.zeros((4, 120, 160, 1), np.uint8)
    buffer = RolloutBuffer()
    for t in range(4):
        buffer.add(obs[t], 0, -0.5, None, 1.0, t == 3)
    with pytest.raises(ValueError, match="value_fn"):
        RolloutBuffer.from_arrays(obs, [0] * 4, [0.0] * 4, [None] * 4, [1.0] * 4, [0, 0, 0, 1])
    buffer.finish(gamma=1.0, lam=1.0, value_fn=lambda images: np.full(len(images), 0.5))
    np.testing.assert_array_equal(buffer.values, [0.5] * 4)
    np.testing.assert_array_equal(buffer.returns, [4.0, 3.0, 2.0, 1.0])


def test_update_learns_a_two_armed_visual_bandit():
    policy = PPOPolicy(SHALLOW, n_actions=2, seed=0)
    trainer = PPOTrainer(policy, PPOConfig(batch_size=16, num_epochs=4, lr=1e-3), seed=0)
    buffer, target = bandit_buffer(policy, np.random.default_rng(0))
    before = policy.action_output(buffer.obs).numpy()[np.arange(32), target].mean()
    stats = trainer.update(buffer)
    after = policy.action_output(buffer.obs).numpy()[np.arange(32), target].mean()
    assert before == pytest.approx(0.5, abs=0.02) and after > 0.65
    assert DIAGNOSTICS <= set(stats) and all(math.isfinite(stats[k]) for k in DIAGNOSTICS)
    assert stats["approx_kl"] > 0 and 0 <= stats["clipfrac"] <= 1 and stats["samples_per_s"] > 0
    # 4 epochs x 2 minibatches of 16
    assert int(trainer.optimizer.iterations) == 8 and stats["num_minibatches"] == 8


def test_update_with_a_partial_last_minibatch_traces_once_and_counts_steps():
    policy = PPOPolicy(SHALLOW, continuous=True, seed=1)
    trainer = PPOTrainer(policy, PPOConfig(batch_size=4, num_epochs=2), seed=0)
    obs = np.random.default_rng(0).integers(0, 256, (6, 120, 160, 1), dtype=np.uint8)
    actions, log_probs, values = policy.act(obs)
    buffer = RolloutBuffer.from_arrays(obs, actions, log_probs, values, np.arange(6.0), [0, 0, 1, 0, 0, 1])
    log_std_before = policy.log_std.numpy().copy()
    stats = trainer.update(buffer)
    assert int(trainer.optimizer.iterations) == 4  # 2 epochs x (4 + 2)
    assert trainer._step.experimental_get_tracing_count() == 1
    assert not np.array_equal(policy.log_std.numpy(), log_std_before)
    assert stats["entropy"] == pytest.approx(2 * (0.5 + 0.5 * math.log(2 * math.pi)), abs=0.01)


def test_update_refuses_an_unfinished_buffer():
    policy = PPOPolicy(SHALLOW, n_actions=2, seed=0)
    with pytest.raises(ValueError, match="finish"):
        PPOTrainer(policy).update(RolloutBuffer())


def test_fused_adam_first_step_by_hand_and_agrees_with_keras_adam():
    import keras
    import tensorflow as tf
    init = np.array([0.5, -1.0, 2.0], np.float32)
    fused_var, keras_var = tf.Variable(init), keras.Variable(init)
    fused, reference = FusedAdam(0.01, epsilon=1e-5), keras.optimizers.Adam(0.01, epsilon=1e-5)
    fused.build([fused_var]), reference.build([keras_var])
    grads = [np.array([1.0, -2.0, 0.0], np.float32), np.array([0.5, 0.5, 3.0], np.float32)]
    fused.apply_gradients([(tf.constant(grads[0]), fused_var)])
    # step 1: m = 0.1 g, v = 0.001 g^2, lr_t = 0.01 sqrt(0.001) / 0.1; var -= lr_t m / (sqrt(v) + 1e-5)
    lr_t = 0.01 * math.sqrt(0.001) / 0.1
    expected = init - lr_t * 0.1 * grads[0] / (np.sqrt(0.001) * np.abs(grads[0]) + 1e-5)
    np.testing.assert_allclose(fused_var.numpy(), expected, rtol=1e-6)
    reference.apply_gradients([(tf.constant(grads[0]), keras_var)])
    fused.apply_gradients([(tf.constant(grads[1]), fused_var)])
    reference.apply_gradients([(tf.constant(grads[1]), keras_var)])
    np.testing.assert_allclose(fused_var.numpy(), keras_var.numpy(), rtol=1e-6)
    assert int(fused.iterations) == 2
