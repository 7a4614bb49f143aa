"""The replay buffer: the last `capacity` transitions (s, a, r, s', done), sampled uniformly (numpy only)."""
import numpy as np


class ReplayBuffer:
    """A ring buffer of transitions; the oldest is overwritten once `capacity` are stored.

    Images are uint8, stored twice (s and s'): 2 x 19.2 kB per 160x120 transition, so
    50,000 transitions take 1.9 GB when full (numpy allocates pages as they are written).
    """

    def __init__(self, capacity, obs_shape, action_dim=2, seed=None):
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"ReplayBuffer: capacity must be an integer >= 1, got {capacity!r}")
        self.capacity = capacity
        self.obs = np.zeros((capacity, *obs_shape), np.uint8)
        self.next_obs = np.zeros((capacity, *obs_shape), np.uint8)
        self.actions = np.zeros((capacity, action_dim), np.float32)
        self.rewards = np.zeros(capacity, np.float32)
        self.dones = np.zeros(capacity, np.float32)
        self.size, self.next_slot = 0, 0
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.size

    def add(self, obs, actions, rewards, next_obs, dones):
        """Append a batch of transitions (arrays with one row each, in time order)."""
        count = len(rewards)
        for first in range(0, count, self.capacity):  # more rows than capacity: the last ones stay
            rows = slice(first, min(count, first + self.capacity))
            n = rows.stop - rows.start
            slots = (self.next_slot + np.arange(n)) % self.capacity
            self.obs[slots] = obs[rows]
            self.next_obs[slots] = next_obs[rows]
            self.actions[slots] = actions[rows]
            self.rewards[slots] = rewards[rows]
            self.dones[slots] = dones[rows]
            self.next_slot = int((self.next_slot + n) % self.capacity)
            self.size = min(self.capacity, self.size + n)

    def add_episodes(self, obs, actions, rewards, dones):
        """Append the steps of whole episodes stored back to back (a Rollout's lists).

        The next observation of step t is the observation of step t + 1 unless the episode
        ended at t (then it is never used: done masks the bootstrap).
        """
        obs = np.stack(obs).astype(np.uint8, copy=False)
        dones = np.asarray(dones, np.float32)
        next_obs = np.concatenate([obs[1:], obs[-1:]])
        if len(dones) and not dones[-1]:
            raise ValueError("ReplayBuffer.add_episodes: the last step must end an episode")
        self.add(obs, np.asarray(actions, np.float32).reshape(len(obs), -1),
                 np.asarray(rewards, np.float32), next_obs, dones)

    def sample(self, batch_size):
        """A dict of arrays for `batch_size` transitions drawn uniformly with replacement."""
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty")
        rows = self.rng.integers(0, self.size, batch_size)
        return {"obs": self.obs[rows], "actions": self.actions[rows], "rewards": self.rewards[rows],
                "next_obs": self.next_obs[rows], "dones": self.dones[rows]}
