"""Checkpoint names and a save/restore round trip of weights and Adam state."""
import copy

import numpy as np
import pytest

from markov.ppo.buffer import RolloutBuffer
from markov.ppo.checkpoint import (CheckpointError, checkpoint_name, latest_checkpoint,
                                   parse_checkpoint_name, restore_checkpoint, save_checkpoint)
from markov.ppo.config import PPOConfig
from markov.ppo.policy import PPOPolicy
from markov.ppo.trainer import PPOTrainer

SHALLOW = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
CONFIG = PPOConfig(batch_size=8, num_epochs=1)


def make_buffer(policy, seed):
    obs = np.random.default_rng(seed).integers(0, 256, (8, 120, 160, 1), dtype=np.uint8)
    actions, log_probs, values = policy.act(obs, rng=np.random.default_rng(seed))
    return RolloutBuffer.from_arrays(obs, actions, log_probs, values, np.linspace(-1, 1, 8),
                                     [0, 0, 0, 1, 0, 0, 0, 1])


def test_names_follow_the_model_store_layout(tmp_path):
    assert checkpoint_name(3, 1520) == "3_Step-1520.ckpt"
    assert parse_checkpoint_name(tmp_path / "12_Step-40.ckpt") == (12, 40)
    with pytest.raises(CheckpointError, match="model_3.pb"):
        parse_checkpoint_name("model_3.pb")
    assert latest_checkpoint(tmp_path) is None
    for name in ("2_Step-100.ckpt.index", "10_Step-900.ckpt.index", "9_Step-1000.ckpt.index", "x.ckpt.index"):
        (tmp_path / name).touch()
    assert latest_checkpoint(tmp_path) == tmp_path / "10_Step-900.ckpt"


def test_round_trip_restores_weights_and_optimizer_state(tmp_path):
    policy = PPOPolicy(SHALLOW, continuous=True, seed=1)
    trainer = PPOTrainer(policy, CONFIG, seed=0)
    trainer.update(make_buffer(policy, 0))
    prefix = save_checkpoint(tmp_path / "model", 0, 8, policy, trainer.optimizer)
    assert prefix == tmp_path / "model" / "0_Step-8.ckpt"
    assert sorted(p.name for p in prefix.parent.iterdir()) == ["0_Step-8.ckpt.data-00000-of-00001",
                                                             "0_Step-8.ckpt.index"]

    clone = PPOPolicy(SHALLOW, continuous=True, seed=2)
    clone_trainer = PPOTrainer(clone, CONFIG, seed=0)
    restore_checkpoint(latest_checkpoint(prefix.parent), clone, clone_trainer.optimizer)
    obs = make_buffer(policy, 5).obs
    for a, b in zip(policy.act(obs, greedy=True), clone.act(obs, greedy=True)):
        np.testing.assert_array_equal(a, b)
    assert int(clone_trainer.optimizer.iterations) == 1
    for a, b in zip(trainer.optimizer.variables, clone_trainer.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    # one more identical update on both keeps them together (the Adam moments came back too)
    buffer = make_buffer(policy, 9)
    clone_trainer.rng = copy.deepcopy(trainer.rng)
    trainer.update(buffer), clone_trainer.update(buffer)
    for a, b in zip(policy.trainable_variables, clone.trainable_variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-7)


def test_restore_without_optimizer_and_mismatches(tmp_path):
    policy = PPOPolicy(SHALLOW, n_actions=3, seed=1)
    prefix = save_checkpoint(tmp_path, 4, 10, policy, PPOTrainer(policy, CONFIG).optimizer)
    evaluator = PPOPolicy(SHALLOW, n_actions=3, seed=3)
    restore_checkpoint(prefix, evaluator)
    obs = make_buffer(policy, 1).obs
    np.testing.assert_array_equal(policy.action_output(obs).numpy(), evaluator.action_output(obs).numpy())
    with pytest.raises(CheckpointError, match="does not fit"):
        restore_checkpoint(prefix, PPOPolicy(SHALLOW, n_actions=5, seed=0))
    with pytest.raises(CheckpointError, match="7_Step-1.ckpt.index is missing"):
        restore_checkpoint(tmp_path / "7_Step-1.ckpt", evaluator)
