"""Playing episodes with a PPO policy: exploring ones for training, greedy ones for evaluation.

Each step calls the policy tower alone on the images of the envs playing (a
traced tf.function); the value tower and the log-probabilities of the actions
taken run afterwards in batches over the whole rollout, which halves the
per-step cost. `Rollout.to_buffer` returns the finished RolloutBuffer.
"""
import math
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from markov.metrics import now_ms
from markov.rules import LAP_COMPLETE

EXPLORATION_TYPES = ("categorical", "e-greedy")
_BATCH = 256  # images per batched value / log-prob pass
FRAME_RATE_HZ = 15.0  # env steps per simulated second
MIN_EPISODE_STEPS = 300  # the step limit is never shorter than this (20 simulated s)


def episode_step_limit(track_length: float, action_space) -> int:
    """Env steps for one lap at half the slowest speed of the action space; longer episodes
    are truncated (time_up). Without a limit a policy that circles on the road, which
    no termination rule catches, would never end an episode."""
    slowest = (action_space.speed_range[0] if action_space.is_continuous
               else min(speed for _, speed in action_space.actions))
    return max(MIN_EPISODE_STEPS, int(math.ceil(FRAME_RATE_HZ * track_length / (0.5 * slowest))))


@dataclass(frozen=True)
class EpisodeResult:
    """One finished episode."""

    episode: int  # the env's episode number
    reward: float  # total reward
    progress: float  # % of the lap reached (0-100)
    steps: int  # env steps taken
    status: str  # episode_status of the last step (sim-trace name)
    lap_time: Optional[float]  # simulated s when the lap was completed, else None
    start_ms: int  # wall clock at reset, ms since the epoch
    end_ms: int  # wall clock at the end, ms since the epoch

    @property
    def lap_complete(self) -> bool:
        return self.status == LAP_COMPLETE


class Explorer:
    """Chooses actions while training: "categorical" samples the policy; "e-greedy" takes a
    uniformly random action with probability epsilon, else the most likely one.

    Epsilon decays linearly from 1 to `e_greedy_value` over `epsilon_steps` env steps
    (counted from `steps_done`), then stays at `e_greedy_value`.
    """

    def __init__(self, policy, exploration_type="categorical", e_greedy_value=0.05,
                 epsilon_steps=10000, steps_done=0, seed=None):
        if exploration_type not in EXPLORATION_TYPES:
            raise ValueError(f"exploration_type {exploration_type!r} is not one of "
                             f"{EXPLORATION_TYPES}")
        self.policy, self.kind = policy, exploration_type
        self.e_greedy_value, self.epsilon_steps = e_greedy_value, epsilon_steps
        self.steps_done = steps_done
        self.rng = np.random.default_rng(seed)

    @property
    def epsilon(self) -> float:
        if self.epsilon_steps <= 0:
            return self.e_greedy_value
        fraction = min(1.0, self.steps_done / self.epsilon_steps)
        return 1.0 + (self.e_greedy_value - 1.0) * fraction

    def __call__(self, obs):
        """(action, log-prob or None) for one observation (120, 160, 1) uint8."""
        self.steps_done += 1
        if self.kind == "categorical":
            actions, log_probs, _ = self.policy.act(obs[None], rng=self.rng, with_value=False)
            return actions[0], float(log_probs[0])
        if self.rng.random() < self.epsilon:
            if self.policy.continuous:
                return self.rng.uniform(-1.0, 1.0, 2).astype(np.float32), None
            return int(self.rng.integers(self.policy.n_actions)), None
        actions, _, _ = self.policy.act(obs[None], greedy=True, with_value=False)
        return actions[0], None


    def choose_batch(self, obs_batch, rngs=None):
        """(actions, log-probs or None) for a batch of observations (B, 120, 160, 1) uint8:
        one policy call for the batch. `rngs`: one numpy Generator per row, which makes that
        row's draws (an episode's own); None: the explorer's, row by row, the same draws as
        B single calls."""
        count = len(obs_batch)
        if rngs is not None and len(rngs) != count:
            raise ValueError(f"choose_batch: {len(rngs)} generators for {count} observations")
        if self.kind == "categorical":
            self.steps_done += count
            rng = self.rng if rngs is None else RowDraws(rngs)
            actions, log_probs, _ = self.policy.act(obs_batch, rng=rng, with_value=False)
            return list(actions), [float(p) for p in log_probs]
        greedy_rows, actions = [], [None] * count
        for row in range(count):
            self.steps_done += 1
            rng = self.rng if rngs is None else rngs[row]
            if rng.random() < self.epsilon:
                actions[row] = (rng.uniform(-1.0, 1.0, 2).astype(np.float32)
                                if self.policy.continuous else int(rng.integers(self.policy.n_actions)))
            else:
                greedy_rows.append(row)
        if greedy_rows:
            chosen, _, _ = self.policy.act(obs_batch[greedy_rows], greedy=True, with_value=False)
            for row, action in zip(greedy_rows, chosen):
                actions[row] = action
        return actions, [None] * count


class RowDraws:
    """Stands in for a numpy Generator in a batched policy call: the draws of row r (the first
    axis) come from `generators[r]`. A batch of one draws exactly what its generator would."""

    def __init__(self, generators):
        self.generators = list(generators)

    def _rows(self, method, size, **kwargs):
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        if not shape or shape[0] != len(self.generators):
            raise ValueError(f"RowDraws: {len(self.generators)} rows, asked for shape {shape}")
        row_shape = shape[1:] or None
        return np.asarray([getattr(g, method)(size=row_shape, **kwargs) for g in self.generators])

    def random(self, size):
        return self._rows("random", size)

    def standard_normal(self, size, dtype=np.float64):
        return self._rows("standard_normal", size, dtype=dtype)


def greedy(policy):
    """An action chooser taking the most likely action (the Gaussian means when continuous)."""
    def choose(obs):
        actions, _, _ = policy.act(obs[None], greedy=True, with_value=False)
        return actions[0], None
    return choose


@dataclass
class Rollout:
    """The steps of several training episodes, in order."""

    obs: List[np.ndarray] = field(default_factory=list)
    actions: list = field(default_factory=list)
    log_probs: list = field(default_factory=list)  # None where still to be computed
    rewards: List[float] = field(default_factory=list)
    dones: List[bool] = field(default_factory=list)

    def __len__(self):
        return len(self.rewards)

    def to_buffer(self, policy, gamma, lam):
        """A finished RolloutBuffer: the values and the log-probs of the actions taken,
        computed in batches of `_BATCH` over the whole rollout.

        The log-probs recorded while playing are not used: they came from policy calls
        batched by how many envs were playing, and their last bits differ between batch
        sizes, which Adam's normalised steps turn into visibly different weights. Computed
        here, in episode order, they are the same for any ENVS_PER_WORKER and worker count,
        and so is the update. Every episode in it has ended; one cut at the step limit
        (time_up) counts as ended too (no bootstrap from V of its last state).
        """
        from markov.ppo.buffer import RolloutBuffer

        obs = np.stack(self.obs)
        actions = np.asarray(self.actions)
        log_probs, values = _log_probs_and_values(policy, obs, actions)
        return RolloutBuffer.from_arrays(obs, actions, log_probs, values, self.rewards,
                                         self.dones, last_value=0.0, gamma=gamma, lam=lam)


def _log_probs_and_values(policy, obs, actions):
    """(log-probs of `actions`, V(s)) over `obs`, `_BATCH` images at a time."""
    log_parts, value_parts = [], []
    for i in range(0, len(obs), _BATCH):
        log_probs, _, values = policy.evaluate(obs[i:i + _BATCH], actions[i:i + _BATCH])
        log_parts.append(log_probs.numpy())
        value_parts.append(values.numpy())
    return np.concatenate(log_parts), np.concatenate(value_parts)


def play_episode(env, choose, reset_options=None, rollout=None, should_stop=None, seed=None):
    """Play one episode with `choose(obs) -> (action, log_prob)`; return an EpisodeResult.

    `seed` (for the first episode of a run) seeds the env. Steps go into `rollout`
    when given. `should_stop()` is polled every step: when it turns true the episode
    is abandoned and None is returned (the rollout keeps the steps taken; discard it).
    """
    start_ms = now_ms()
    obs, info = env.reset(seed=seed, options=reset_options)
    total, done = 0.0, False
    while not done:
        if should_stop is not None and should_stop():
            return None
        action, log_prob = choose(obs)
        next_obs, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        total += reward
        if rollout is not None:
            rollout.obs.append(obs)
            rollout.actions.append(action)
            rollout.log_probs.append(log_prob)
            rollout.rewards.append(reward)
            rollout.dones.append(done)
        obs = next_obs
    return EpisodeResult(episode=info["episode"], reward=total, progress=info["progress"],
                         steps=info["steps"], status=info["episode_status"],
                         lap_time=info["lap_time"], start_ms=start_ms, end_ms=now_ms())


def evaluation_starts(track_length: float, count: int) -> List[float]:
    """Start arc lengths (m) spread evenly round the track, the first at the start line."""
    return [k * track_length / count for k in range(count)]


def evaluation_seeds(seed: Optional[int], iteration: int, count: int) -> Optional[List[int]]:
    """The env seeds of the `count` greedy evaluation episodes after iteration `iteration`
    for a training seed (None: unseeded; the envs go on with their own generators)."""
    if seed is None:
        return None
    state = np.random.SeedSequence([int(seed), int(iteration), 2]).generate_state(count)
    return [int(value) for value in state]


def play_evaluation(envs, policy, count, seeds=None, should_stop=None, on_episode=None,
                    stepper=None):
    """`count` greedy episodes from starts spread round the track, no sim trace.

    `envs`: an env or a list of them; the episodes are played in lockstep on up to `count`
    of them, with one batched greedy policy call per step. Trial j starts at
    `evaluation_starts(...)[j]` as episode number j, its env reset with `seeds[j]` when
    given. Returns the finished EpisodeResults in trial order (when `should_stop()` turned
    true: those before the first unfinished trial). `on_episode(result)` is called as
    each trial ends. `stepper`: a markov.workers.vector.EnvStepper that advances the envs
    in parallel threads (None: one after the other).
    """
    envs = list(envs) if isinstance(envs, (list, tuple)) else [envs]
    envs = envs[:max(1, count)]
    starts = evaluation_starts(envs[0].tracks[False].length, count)
    saved_traces = [env.sim_trace for env in envs]
    playing, done, next_trial = {}, {}, 0  # env index -> [trial, obs, reward, start_ms]

    def start(i):
        nonlocal next_trial
        if next_trial >= count:
            return
        start_ms = now_ms()
        obs, _ = envs[i].reset(seed=None if seeds is None else seeds[next_trial],
                               options={"start_s": starts[next_trial], "episode": next_trial})
        playing[i] = [next_trial, obs, 0.0, start_ms]
        next_trial += 1
    try:
        for env in envs:
            env.sim_trace = None
        for i in range(len(envs)):
            start(i)
        while playing:
            if should_stop is not None and should_stop():
                break
            order = sorted(playing)
            actions, _, _ = policy.act(np.stack([playing[i][1] for i in order]), greedy=True,
                                       with_value=False)
            stepped = (stepper.step([envs[i] for i in order], actions) if stepper is not None
                       else [envs[i].step(action) for i, action in zip(order, actions)])
            for i, outcome in zip(order, stepped):
                state = playing[i]
                state[1], reward, terminated, truncated, info = outcome
                state[2] += reward
                if terminated or truncated:
                    result = EpisodeResult(
                        episode=info["episode"], reward=state[2], progress=info["progress"],
                        steps=info["steps"], status=info["episode_status"],
                        lap_time=info["lap_time"], start_ms=state[3], end_ms=now_ms())
                    done[state[0]] = result
                    del playing[i]
                    if on_episode is not None:
                        on_episode(result)
                    start(i)
    finally:
        for env, trace in zip(envs, saved_traces):
            env.sim_trace = trace
    results = []
    while len(results) in done:
        results.append(done[len(results)])
    return results
