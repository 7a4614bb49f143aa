"""Soft Actor-Critic in TensorFlow 2 (`training_algorithm: sac`, continuous actions only).

Read next to markov.ppo: `config` (hyperparameters), `buffer` (replay buffer),
`losses` (pure loss and target-update functions), `policy` (the actor, the twin
critic), `trainer` (one update per sampled minibatch). The actor's model.pb is the
PPO contract: same input and output nodes, the output tanh(mean) in [-1, 1] per
(steering, speed), which the env and the car's navigation scale onto the
model_metadata.json ranges. Importing this package is cheap; TensorFlow loads with
`losses`, `policy` and `trainer`; `config` and `buffer` need only numpy.
"""
import importlib

_EXPORTS = {
    "SACConfig": "config",
    "ReplayBuffer": "buffer",
    "SACPolicy": "policy",
    "SACTrainer": "trainer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
