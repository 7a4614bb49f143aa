"""SAC's pure functions, replay buffer and update against values computed by hand (numpy)."""
import json
import math

import numpy as np
import pytest
import tensorflow as tf

from markov.config import ConfigError as MetadataError, load_model_metadata
from markov.ppo.config import ConfigError
from markov.sac.buffer import ReplayBuffer
from markov.sac.config import SACConfig
from markov.sac.losses import (actor_loss, alpha_loss, critic_loss, polyak_update, soft_target,
                               squashed_sample)

TINY_OBS = (36, 36, 1)  # SHALLOW tower: 36 -> 8 -> 3 -> 1 pixels, then dense 512


def test_squashed_sample_and_its_log_density_by_hand():
    mean, log_std, noise = np.array([[0.5, -1.0]]), np.array([[0.0, math.log(0.5)]]), np.array([[1.0, 2.0]])
    a, log_prob = squashed_sample(tf.constant(mean, tf.float32), tf.constant(log_std, tf.float32),
                                  tf.constant(noise, tf.float32))
    u = np.array([0.5 + 1.0 * 1.0, -1.0 + 0.5 * 2.0])  # mean + std * noise = [1.5, 0.0]
    gaussian = sum(-0.5 * z * z - s - 0.5 * math.log(2 * math.pi) for z, s in zip([1.0, 2.0], log_std[0]))
    expected = gaussian - sum(math.log(1 - math.tanh(x) ** 2 + 1e-6) for x in u)
    np.testing.assert_allclose(a.numpy()[0], np.tanh(u), rtol=1e-6)
    assert log_prob.numpy()[0] == pytest.approx(expected, rel=1e-5)


def test_soft_target_bootstraps_min_q_minus_alpha_log_pi_except_at_episode_end():
    # y0 = 1 + 0.9 * (min(2, 3) - 0.5 * -1) = 1 + 0.9 * 2.5 = 3.25;  y1 (done) = -1
    y = soft_target(tf.constant([1.0, -1.0]), tf.constant([0.0, 1.0]), tf.constant([2.0, 5.0]),
                    tf.constant([3.0, 4.0]), tf.constant([-1.0, 7.0]), 0.5, 0.9)
    np.testing.assert_allclose(y.numpy(), [3.25, -1.0], rtol=1e-6)


def test_critic_loss_sums_both_critics():
    q1, q2, y = tf.constant([1.0, 0.0]), tf.constant([3.0, 0.5]), tf.constant([2.0, 0.0])
    # mse: Q1 errors 1, 0 -> mean 0.5 e^2 = 0.25; Q2 errors -1, -0.5 -> (0.5 + 0.125) / 2 = 0.3125
    assert float(critic_loss(q1, q2, y, "mean squared error")) == pytest.approx(0.5625)
    # huber (delta 1): errors 1, 0 -> 0.25; errors -1, -0.5 -> (0.5 + 0.125) / 2; and |e| = 3 -> 2.5
    assert float(critic_loss(q1, q2, y, "huber")) == pytest.approx(0.5625)
    assert float(critic_loss(tf.constant([5.0]), tf.constant([2.0]), tf.constant([2.0]), "huber")) == \
        pytest.approx(2.5)


def test_critic_loss_does_not_move_the_target():
    q, y = tf.Variable([1.0]), tf.Variable([3.0])
    with tf.GradientTape() as tape:
        loss = critic_loss(q, q, y, "mean squared error")
    grad_q, grad_y = tape.gradient(loss, [q, y])
    assert grad_y is None and grad_q.numpy()[0] == pytest.approx(2 * (1.0 - 3.0))  # 2 critics


def test_actor_loss_by_hand():
    # mean(0.2 * [-1, 2] - min([1, 4], [3, 2])) = mean([-0.2 - 1, 0.4 - 2]) = -1.4
    loss = actor_loss(tf.constant([-1.0, 2.0]), tf.constant([1.0, 4.0]), tf.constant([3.0, 2.0]), 0.2)
    assert float(loss) == pytest.approx(-1.4)


def test_alpha_loss_by_hand_and_its_gradient_raises_alpha_when_entropy_is_low():
    log_alpha = tf.Variable(math.log(0.2))
    log_probs = tf.constant([1.0, 3.0])  # mean entropy -2
    # at the target entropy -2: -mean(log_alpha * ([1, 3] - 2)) = -log_alpha * 0
    assert float(alpha_loss(log_alpha, log_probs, -2.0)) == pytest.approx(0.0, abs=1e-7)
    with tf.GradientTape() as tape:
        loss = alpha_loss(log_alpha, log_probs, 1.0)  # -mean(log(0.2) * [2, 4]) = -3 log 0.2
    assert float(loss) == pytest.approx(-3.0 * math.log(0.2), rel=1e-6)
    grad = tape.gradient(loss, log_alpha)
    assert float(grad) == pytest.approx(-3.0)  # gradient descent raises log_alpha


def test_polyak_update_of_a_tiny_network_by_hand():
    online = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    target = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    before = [w.copy() for w in target.get_weights()]
    polyak_update(target.trainable_variables, online.trainable_variables, 0.1)
    for new, old, live in zip(target.get_weights(), before, online.get_weights()):
        np.testing.assert_allclose(new, 0.9 * old + 0.1 * live, rtol=1e-6)


def test_replay_buffer_links_next_observations_within_episodes_and_wraps():
    buffer = ReplayBuffer(4, (1, 1, 1), seed=0)
    obs = [np.full((1, 1, 1), k, np.uint8) for k in range(5)]  # episodes: steps 0-2, 3-4
    buffer.add_episodes(obs, [[k, -k] for k in range(5)], [10, 11, 12, 13, 14], [0, 0, 1, 0, 1])
    assert len(buffer) == 4 and buffer.next_slot == 1  # 5 rows in 4 slots: row 0 overwritten
    rows = {int(r): (int(o), int(n), float(d)) for r, o, n, d in zip(
        buffer.rewards, buffer.obs.ravel(), buffer.next_obs.ravel(), buffer.dones)}
    assert rows[11] == (1, 2, 0.0) and rows[13] == (3, 4, 0.0)
    assert rows[12][2] == 1.0 and rows[14][2] == 1.0 and 10 not in rows
    batch = buffer.sample(16)
    assert batch["obs"].shape == (16, 1, 1, 1) and batch["actions"].shape == (16, 2)
    assert set(batch["rewards"]) <= {11.0, 12.0, 13.0, 14.0}
    with pytest.raises(ValueError, match="last step must end an episode"):
        buffer.add_episodes(obs[:2], [[0, 0], [0, 0]], [0, 0], [0, 0])


def test_sac_config_rejects_bad_values_naming_the_field():
    with pytest.raises(ConfigError, match="'sac_alpha'"):
        SACConfig(sac_alpha=0.0)
    with pytest.raises(ConfigError, match="'replay_buffer_size'"):
        SACConfig(replay_buffer_size=0)
    with pytest.raises(ConfigError, match="larger than 'replay_buffer_size'"):
        SACConfig(batch_size=128, replay_buffer_size=100)
    config = SACConfig.from_mapping({"batch_size": 32, "lr": 0.001, "sac_alpha": 0.5,
                                     "num_epochs": 10, "replay_buffer_size": 1000})
    assert (config.batch_size, config.lr, config.sac_alpha, config.replay_buffer_size) == \
        (32, 0.001, 0.5, 1000)


def _metadata(tmp_path, kind="continuous"):
    space = ({"steering_angle": {"low": -30, "high": 30}, "speed": {"low": 0.5, "high": 2}}
             if kind == "continuous" else [{"steering_angle": 0, "speed": 1}])
    path = tmp_path / "model_metadata.json"
    path.write_text(json.dumps({"action_space": space, "action_space_type": kind,
                                "training_algorithm": "sac", "sensor": ["FRONT_FACING_CAMERA"],
                                "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"}))
    return path


def test_metadata_accepts_sac_with_continuous_actions_and_refuses_it_with_discrete(tmp_path):
    assert load_model_metadata(_metadata(tmp_path)).training_algorithm == "sac"
    path = _metadata(tmp_path, "discrete")
    with pytest.raises(MetadataError, match=r"training_algorithm: 'sac' needs a continuous") as info:
        load_model_metadata(path)
    assert str(info.value).startswith(str(path))


@pytest.fixture(scope="module")
def tiny_sac():
    from markov.sac.policy import SACPolicy
    from markov.sac.trainer import SACTrainer

    policy = SACPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", seed=1, obs_shape=TINY_OBS)
    return policy, SACTrainer(policy, SACConfig(batch_size=4, replay_buffer_size=32, tau=0.25,
                                                discount_factor=0.9, loss_type="mean squared error"),
                              seed=1)


def test_one_update_on_a_tiny_network_matches_the_losses_computed_by_hand(tiny_sac):
    policy, trainer = tiny_sac
    rng = np.random.default_rng(0)
    obs = rng.integers(0, 256, (4, *TINY_OBS), dtype=np.uint8)
    next_obs = rng.integers(0, 256, (4, *TINY_OBS), dtype=np.uint8)
    actions = rng.uniform(-1, 1, (4, 2)).astype(np.float32)
    rewards, dones = np.array([1.0, -0.5, 0.25, 2.0], np.float32), np.array([0, 0, 1, 0], np.float32)
    next_noise, noise = rng.standard_normal((2, 4, 2)).astype(np.float32)
    alpha = trainer.alpha

    def by_hand(image, noise_rows):  # the actor's squashed sample, from its raw head outputs
        head = policy.policy_net(image.astype(np.float32)).numpy().astype(np.float64)
        mean, log_std = head[:, :2], np.clip(head[:, 2:], -20, 2)
        u = mean + np.exp(log_std) * noise_rows
        a = np.tanh(u)
        log_p = (np.sum(-0.5 * noise_rows ** 2 - log_std - 0.5 * math.log(2 * math.pi), axis=1)
                 - np.sum(np.log(1 - a ** 2 + 1e-6), axis=1))
        return a.astype(np.float32), log_p

    next_a, next_log_p = by_hand(next_obs, next_noise)
    q_next = trainer.target_critic([tf.constant(next_obs, tf.float32), tf.constant(next_a)]).numpy()
    y = rewards + 0.9 * (1 - dones) * (np.minimum(q_next[:, 0], q_next[:, 1]) - alpha * next_log_p)
    q = policy.critic_net([tf.constant(obs, tf.float32), tf.constant(actions)]).numpy()
    expected_critic = np.mean(0.5 * (y - q[:, 0]) ** 2) + np.mean(0.5 * (y - q[:, 1]) ** 2)
    new_a, log_p = by_hand(obs, noise)
    q_new = policy.critic_net([tf.constant(obs, tf.float32), tf.constant(new_a)]).numpy()
    expected_actor = np.mean(alpha * log_p - np.minimum(q_new[:, 0], q_new[:, 1]))
    expected_alpha = -np.mean(math.log(alpha) * (log_p - 2.0))
    target_before = [w.copy() for w in trainer.target_critic.get_weights()]

    stats = trainer.train_step(obs, actions, rewards, next_obs, dones, next_noise, noise).numpy()

    np.testing.assert_allclose(stats[:3], [expected_critic, expected_actor, expected_alpha],
                               rtol=2e-4, atol=1e-5)
    assert stats[3] == pytest.approx(alpha)
    assert trainer.alpha != pytest.approx(alpha, abs=1e-9)  # the temperature was updated
    critic_after = policy.critic_net.get_weights()
    for new, old, live in zip(trainer.target_critic.get_weights(), target_before, critic_after):
        np.testing.assert_allclose(new, 0.75 * old + 0.25 * live, rtol=1e-5, atol=1e-7)


def test_checkpoint_round_trip_and_frozen_graph_outputs_the_greedy_action(tiny_sac, tmp_path):
    from markov.export import freeze_policy, load_frozen
    from markov.ppo.checkpoint import restore_checkpoint, save_checkpoint
    from markov.sac.policy import SACPolicy
    from markov.sac.trainer import SACTrainer

    policy, trainer = tiny_sac
    prefix = save_checkpoint(tmp_path, 3, 120, policy, trainer.optimizer)
    copy = SACPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", seed=7, obs_shape=TINY_OBS)
    copy_trainer = SACTrainer(copy, trainer.config, seed=7)
    restore_checkpoint(prefix, copy, copy_trainer.optimizer)
    for a, b in zip(policy.critic_net.get_weights() + trainer.target_critic.get_weights(),
                    copy.critic_net.get_weights() + copy_trainer.target_critic.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert copy_trainer.alpha == trainer.alpha
    evaluation_only = SACPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", seed=8, obs_shape=TINY_OBS)
    restore_checkpoint(prefix, evaluation_only)  # without the trainer's state
    image = np.random.default_rng(2).integers(0, 256, (1, *TINY_OBS), dtype=np.uint8)
    greedy, _, _ = evaluation_only.act(image, greedy=True)
    np.testing.assert_allclose(greedy, policy.act(image, greedy=True)[0], rtol=1e-6)
    assert np.all(np.abs(greedy) <= 1.0)
    sampled, log_probs, values = policy.act(np.repeat(image, 3, 0), rng=np.random.default_rng(0))
    assert values is None and sampled.shape == (3, 2) and np.all(np.abs(sampled) <= 1.0)
    assert not np.allclose(sampled[0], sampled[1]) and np.all(np.isfinite(log_probs))


def test_frozen_sac_actor_is_the_car_contract(tmp_path):
    from markov.export import INPUT_NAME, OUTPUT_NAME, freeze_policy, load_frozen, read_graph_def
    from markov.sac.policy import SACPolicy

    policy = SACPolicy("DEEP_CONVOLUTIONAL_NETWORK", seed=0)
    pb = freeze_policy(policy, tmp_path / "model.pb")
    names = {node.name for node in read_graph_def(pb).node}
    assert {INPUT_NAME, OUTPUT_NAME} <= names and not any("critic" in n for n in names)
    image = np.random.default_rng(1).integers(0, 256, (1, 120, 160, 1), dtype=np.uint8)
    with load_frozen(pb) as frozen:
        np.testing.assert_allclose(frozen(image), policy.act(image, greedy=True)[0], atol=1e-6)
