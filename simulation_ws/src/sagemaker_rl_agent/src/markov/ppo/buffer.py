"""Rollout buffer: the steps of several episodes, then their advantages and returns (numpy only)."""
import numpy as np

from markov.ppo.advantages import gae


class RolloutBuffer:
    """Steps appended in order; `finish()` computes GAE over them, then the arrays are read-only.

    Arrays after `finish()`: `obs` uint8 (N, H, W, C), `actions` int64 (N,) or float32 (N, 2),
    `log_probs`, `values`, `rewards`, `dones`, `advantages`, `returns` float32 (N,).
    """

    def __init__(self):
        self._steps = {k: [] for k in ("obs", "actions", "log_probs", "values", "rewards", "dones")}
        self.advantages = self.returns = None

    def __len__(self):
        return len(self.obs) if self._steps is None else len(self._steps["obs"])

    def add(self, obs, action, log_prob, value, reward, done):
        """Append one step: the observation acted on, the action taken, its log-prob and value."""
        if self._steps is None:
            raise RuntimeError("RolloutBuffer.add after finish(): start a new buffer")
        for key, item in zip(self._steps, (obs, action, log_prob, value, reward, done)):
            self._steps[key].append(item)

    def finish(self, last_value=0.0, gamma=0.999, lam=0.95, value_fn=None):
        """Stack the steps and compute advantages and returns; `last_value` bootstraps an unfinished end.

        Steps added with `value=None` get their values from `value_fn(obs)` (e.g.
        `policy.predict_values`), computed here in batches.
        """
        if len(self) == 0:
            raise ValueError("RolloutBuffer.finish: the buffer holds no steps")
        self.obs = np.stack(self._steps["obs"]).astype(np.uint8, copy=False)
        actions = np.asarray(self._steps["actions"])
        self.actions = actions.astype(np.float32 if actions.ndim == 2 else np.int64)
        if any(v is None for v in self._steps["values"]):
            if value_fn is None:
                raise ValueError("RolloutBuffer.finish: steps were added with value=None; pass value_fn")
            self._steps["values"] = value_fn(self.obs)
        for key in ("log_probs", "values", "rewards"):
            setattr(self, key, np.asarray(self._steps[key], dtype=np.float32).reshape(-1))
        self.dones = np.asarray(self._steps["dones"], dtype=np.float32).reshape(-1)
        self.advantages, self.returns = gae(self.rewards, self.values, self.dones, last_value, gamma, lam)
        self._steps = None
        return self

    @classmethod
    def from_arrays(cls, obs, actions, log_probs, values, rewards, dones, last_value=0.0,
                    gamma=0.999, lam=0.95):
        """A finished buffer from whole arrays (one row per step)."""
        buffer = cls()
        for row in zip(obs, actions, log_probs, values, rewards, dones):
            buffer.add(*row)
        return buffer.finish(last_value, gamma, lam)
