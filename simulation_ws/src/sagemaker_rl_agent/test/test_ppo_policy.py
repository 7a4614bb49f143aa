"""Networks and the PPOPolicy: shapes, seeding, sampling statistics, act vs evaluate."""
import math

import numpy as np
import pytest

from markov.ppo.networks import NETWORK_NAMES, UnknownNetworkError, make_network
from markov.ppo.policy import PPOPolicy, sample_categorical, sample_gaussian

SHALLOW = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"


def images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 120, 160, 1), dtype=np.uint8)


@pytest.fixture(scope="module")
def discrete():
    return PPOPolicy(SHALLOW, n_actions=3, seed=7)


@pytest.fixture(scope="module")
def continuous():
    return PPOPolicy(SHALLOW, continuous=True, seed=7)


def test_make_network_rejects_unknown_names_listing_the_accepted_ones():
    with pytest.raises(UnknownNetworkError) as err:
        make_network("DEEP_CONVOLUTIONAL_NETWORK_HUGE")
    assert isinstance(err.value, ValueError)
    assert all(name in str(err.value) for name in NETWORK_NAMES)


def test_shallow_network_is_the_contract_architecture():
    tower = make_network(SHALLOW, seed=0)
    convs = [(l.filters, l.kernel_size, l.strides) for l in tower.layers if hasattr(l, "filters")]
    assert convs == [(32, (8, 8), (4, 4)), (64, (4, 4), (2, 2)), (64, (3, 3), (1, 1))]
    assert math.isclose(float(tower.layers[0].scale), 1 / 255)
    assert tower.layers[-1].units == 512 and tower.layers[-1].activation.__name__ == "relu"


@pytest.mark.parametrize("name, n_convs", [("DEEP_CONVOLUTIONAL_NETWORK", 5),
                                           ("DEEP_CONVOLUTIONAL_NETWORK_DEEP", 7)])
def test_deeper_networks_build_and_give_features(name, n_convs):
    tower = make_network(name, seed=0)
    assert sum(hasattr(l, "filters") for l in tower.layers) == n_convs
    assert tuple(tower(images(1).astype(np.float32)).shape) == (1, 512)


def test_policy_and_value_towers_share_no_weights(discrete):
    policy_ids = {id(v) for v in discrete.policy_net.weights}
    assert not policy_ids & {id(v) for v in discrete.value_net.weights}
    first_policy_kernel = discrete.policy_net.trainable_variables[0].numpy()
    assert not np.allclose(first_policy_kernel, discrete.value_net.trainable_variables[0].numpy())


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="either n_actions"):
        PPOPolicy(SHALLOW, n_actions=3, continuous=True)
    with pytest.raises(ValueError, match="n_actions"):
        PPOPolicy(SHALLOW, n_actions=0)
    with pytest.raises(UnknownNetworkError):
        PPOPolicy("RESNET", n_actions=3)


def test_same_seed_same_weights_and_actions(discrete):
    twin = PPOPolicy(SHALLOW, n_actions=3, seed=7)
    for a, b in zip(discrete.trainable_variables, twin.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    obs = images(4)
    out_a = discrete.act(obs, rng=np.random.default_rng(3))
    out_b = twin.act(obs, rng=np.random.default_rng(3))
    for a, b in zip(out_a, out_b):
        np.testing.assert_array_equal(a, b)
    kernels = [make_network(SHALLOW, seed=s).trainable_variables[0].numpy() for s in (8, 8, 9)]
    assert np.array_equal(kernels[0], kernels[1]) and not np.array_equal(kernels[0], kernels[2])


def test_act_shapes_and_agreement_with_evaluate(discrete):
    obs = images(5)
    actions, log_probs, values = discrete.act(obs)
    assert actions.shape == log_probs.shape == values.shape == (5,) and actions.dtype == np.int64
    assert set(actions) <= {0, 1, 2}
    eval_log_probs, entropies, eval_values = (t.numpy() for t in discrete.evaluate(obs, actions))
    np.testing.assert_allclose(eval_log_probs, log_probs, atol=1e-5)
    np.testing.assert_allclose(eval_values, values, atol=1e-5)
    np.testing.assert_allclose(discrete.predict_values(obs, batch_size=2), values, atol=1e-5)
    assert discrete.act(obs[:1], with_value=False)[2] is None
    assert np.all(entropies <= math.log(3) + 1e-6)


def test_act_traces_once_for_any_batch_size(discrete):
    for n in (1, 2, 1, 3):
        discrete.act(images(n))
    assert discrete._act_graph.experimental_get_tracing_count() == 1


def test_act_rejects_wrong_image_shapes(discrete):
    with pytest.raises(ValueError, match=r"\(B, 120, 160, 1\)"):
        discrete.act(np.zeros((120, 160, 1), np.uint8))


def test_categorical_sampler_follows_the_probabilities():
    log_probs = np.log(np.tile([[0.2, 0.7, 0.1]], (20000, 1)))
    actions = sample_categorical(log_probs, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(actions, minlength=3) / 20000, [0.2, 0.7, 0.1], atol=0.01)
    # a zero-probability action is never drawn
    assert not np.any(sample_categorical(np.log([[0.5, 0.5, 1e-30]] * 5000), np.random.default_rng(1)) == 2)


def test_gaussian_sampler_mean_std_and_log_prob():
    means, log_std = np.tile([[0.5, -0.8]], (20000, 1)).astype(np.float32), np.log([0.3, 0.1])
    actions, log_probs = sample_gaussian(means, log_std, np.random.default_rng(0))
    np.testing.assert_allclose(actions.mean(0), [0.5, -0.8], atol=0.01)
    np.testing.assert_allclose(actions.std(0), [0.3, 0.1], rtol=0.03)
    z = (actions[0] - means[0]) / np.exp(log_std)
    expected = np.sum(-0.5 * z**2 - log_std - 0.5 * math.log(2 * math.pi))
    assert log_probs[0] == pytest.approx(expected, rel=1e-5)
    greedy, _ = sample_gaussian(means[:3], log_std, np.random.default_rng(0), greedy=True)
    np.testing.assert_array_equal(greedy, means[:3])


def test_discrete_act_samples_the_head_softmax_and_greedy_takes_the_mode(discrete):
    head = discrete.policy_net.get_layer("logits")
    saved = [w.numpy() for w in (head.kernel, head.bias)]
    head.kernel.assign(np.zeros(head.kernel.shape, np.float32))
    head.bias.assign(np.log([0.2, 0.7, 0.1]).astype(np.float32))
    obs = images(4)
    actions, log_probs, _ = discrete.act(obs, with_value=False)
    np.testing.assert_allclose(log_probs, np.log([0.2, 0.7, 0.1])[actions], atol=1e-5)
    assert np.all(discrete.act(obs, greedy=True)[0] == 1)
    np.testing.assert_allclose(discrete.action_output(obs).numpy(), [[0.2, 0.7, 0.1]] * 4, atol=1e-6)
    head.kernel.assign(saved[0]), head.bias.assign(saved[1])


def test_continuous_act_uses_the_squashed_means_and_learned_std(continuous):
    head = continuous.policy_net.get_layer("gaussian_head")
    head.dense.kernel.assign(np.zeros(head.dense.kernel.shape, np.float32))
    head.dense.bias.assign(np.array([0.5, -2.0], np.float32))
    continuous.log_std.assign(np.log([0.3, 0.1]).astype(np.float32))
    obs = images(6)
    actions, log_probs, values = continuous.act(obs, rng=np.random.default_rng(0))
    assert actions.shape == (6, 2) and log_probs.shape == values.shape == (6,)
    eval_log_probs = continuous.evaluate(obs, actions)[0].numpy()
    np.testing.assert_allclose(eval_log_probs, log_probs, atol=1e-4)
    greedy = continuous.act(obs[:2], greedy=True)[0]
    np.testing.assert_allclose(greedy, np.tanh([[0.5, -2.0]] * 2), atol=1e-6)
