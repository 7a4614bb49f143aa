"""Clipped PPO in TensorFlow 2: networks, policy, losses, rollout buffer, trainer, checkpoints.

Importing this package is cheap; TensorFlow loads with the first submodule that
needs it (`networks`, `policy`, `losses`, `adam`, `trainer`, `checkpoint`);
`config`, `advantages` and `buffer` need only numpy.
"""
import importlib

_EXPORTS = {
    "PPOConfig": "config",
    "ConfigError": "config",
    "RolloutBuffer": "buffer",
    "gae": "advantages",
    "make_network": "networks",
    "NETWORK_NAMES": "networks",
    "PPOPolicy": "policy",
    "PPOTrainer": "trainer",
    "save_checkpoint": "checkpoint",
    "restore_checkpoint": "checkpoint",
    "latest_checkpoint": "checkpoint",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
