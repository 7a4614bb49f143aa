"""PPO hyperparameters as one frozen dataclass (names as in hyperparameters.json)."""
import math
from dataclasses import dataclass, fields
from typing import Any, Mapping

LOSS_TYPES = ("huber", "mean squared error")
# field: (lowest, highest, lowest excluded)
_RANGES = {"lr": (0.0, math.inf, True), "beta_entropy": (0.0, math.inf, False),
           "discount_factor": (0.0, 1.0, False), "clip_epsilon": (0.0, 1.0, True),
           "gae_lambda": (0.0, 1.0, False), "adam_epsilon": (0.0, math.inf, True)}


class ConfigError(ValueError):
    """A PPO hyperparameter has the wrong type or is out of range; the message names the field."""


@dataclass(frozen=True)
class PPOConfig:
    """Hyperparameters of one clipped-PPO update."""

    batch_size: int = 64  # samples per minibatch
    num_epochs: int = 10  # passes over the rollout buffer per update
    lr: float = 0.0003  # Adam learning rate
    beta_entropy: float = 0.01  # weight of the entropy bonus in the policy loss
    discount_factor: float = 0.999  # gamma, per env step (1/15 s)
    loss_type: str = "huber"  # value loss: "huber" (delta 1) or "mean squared error"
    clip_epsilon: float = 0.2  # PPO ratio clip range: [1 - eps, 1 + eps]
    gae_lambda: float = 0.95  # GAE lambda
    adam_epsilon: float = 1e-5  # Adam epsilon
    normalize_advantages: bool = True  # advantages scaled to zero mean, unit std per update

    def __post_init__(self):
        for name in ("batch_size", "num_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"PPO hyperparameter {name!r} must be an integer >= 1, got {value!r}")
        for name, (low, high, low_open) in _RANGES.items():
            value = getattr(self, name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (number and (value > low if low_open else value >= low) and value <= high):
                span = f"{'(' if low_open else '['}{low}, {high}]"
                raise ConfigError(f"PPO hyperparameter {name!r} must be a number in {span}, got {value!r}")
        if self.loss_type not in LOSS_TYPES:
            raise ConfigError(f"PPO hyperparameter 'loss_type' must be one of {LOSS_TYPES}, "
                              f"got {self.loss_type!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "PPOConfig":
        """Build from a hyperparameters mapping, taking the fields it names and ignoring the rest."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
