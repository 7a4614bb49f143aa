"""SAC hyperparameters as one frozen dataclass (names as in hyperparameters.json where DeepRacer has them).

DeepRacer's SAC reads `batch_size`, `lr`, `discount_factor`, `loss_type`, `sac_alpha`
and `num_episodes_between_training` from hyperparameters.json; `replay_buffer_size`
is this project's addition (DeepRacer keeps Coach's fixed experience replay). The
other fields are code defaults of the standard SAC recipe.
"""
import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

from markov.ppo.config import LOSS_TYPES, ConfigError

# field: (lowest, highest, lowest excluded)
_RANGES = {"lr": (0.0, math.inf, True), "discount_factor": (0.0, 1.0, False),
           "sac_alpha": (0.0, math.inf, True), "tau": (0.0, 1.0, True),
           "updates_per_step": (0.0, math.inf, True), "adam_epsilon": (0.0, math.inf, True)}
_INTEGERS = ("batch_size", "replay_buffer_size")


@dataclass(frozen=True)
class SACConfig:
    """Hyperparameters of the SAC updates."""

    batch_size: int = 64  # transitions per sampled minibatch
    lr: float = 0.0003  # Adam learning rate of the actor, the critic and the temperature
    discount_factor: float = 0.999  # gamma, per env step (1/15 s)
    loss_type: str = "huber"  # critic loss: "huber" (delta 1) or "mean squared error"
    sac_alpha: float = 0.2  # initial temperature alpha (weight of the policy's entropy)
    learn_alpha: bool = True  # tune alpha so the policy's entropy tends to target_entropy
    target_entropy: float = -2.0  # nats; -(action dimension), the usual choice
    replay_buffer_size: int = 50000  # transitions kept; the oldest are overwritten
    tau: float = 0.005  # Polyak rate of the target critic: target <- (1 - tau) target + tau online
    updates_per_step: float = 1.0  # minibatch updates per env step collected (the usual SAC ratio)
    adam_epsilon: float = 1e-5  # Adam epsilon (DeepRacer's)

    def __post_init__(self):
        for name in _INTEGERS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"SAC hyperparameter {name!r} must be an integer >= 1, got {value!r}")
        for name, (low, high, low_open) in _RANGES.items():
            value = getattr(self, name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (number and (value > low if low_open else value >= low) and value <= high):
                span = f"{'(' if low_open else '['}{low}, {high}]"
                raise ConfigError(f"SAC hyperparameter {name!r} must be a number in {span}, got {value!r}")
        if self.loss_type not in LOSS_TYPES:
            raise ConfigError(f"SAC hyperparameter 'loss_type' must be one of {LOSS_TYPES}, "
                              f"got {self.loss_type!r}")
        if self.batch_size > self.replay_buffer_size:
            raise ConfigError(f"SAC hyperparameter 'batch_size' ({self.batch_size}) is larger than "
                              f"'replay_buffer_size' ({self.replay_buffer_size})")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "SACConfig":
        """Build from a hyperparameters mapping, taking the fields it names and ignoring the rest."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
