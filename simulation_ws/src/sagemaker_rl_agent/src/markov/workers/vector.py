"""Training episodes on several in-process envs stepped together (ENVS_PER_WORKER).

`VectorCollector(envs, explorer, trace)` plays `count` exploring episodes over
its envs: every step one batched policy call chooses the actions of all the
envs still playing (`Explorer.choose_batch`), then each env steps. Episodes stay
DeepRacer episodes: each has its own number (given at reset, so its start
position follows the env's start schedule), its own reward function call and
rules, and its own sim trace rows. Episode numbers `first_episode ..
first_episode + count - 1` go to the envs in the order they become free, which
is fixed by the lockstep, so a seed fixes every episode.

`collect` returns the same `(Rollout, [EpisodeResult])` that playing the
episodes one by one with `play_episode` gives: episodes in number order, each
one's steps contiguous in the Rollout and its trace rows contiguous in `trace`.
With one env it takes the same actions from the same random draws as
`play_episode` with the same explorer. No ray, no ROS; TensorFlow only through
the explorer's policy.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np

from markov.metrics import now_ms
from markov.workers.rollout import EpisodeResult, Rollout


def env_seed(seed: Optional[int], index: int) -> Optional[int]:
    """The reset seed of env `index` (its global index over every worker) for a training seed:
    env 0 gets the seed itself (one env behaves as before), the others independent streams."""
    if seed is None:
        return None
    if index == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def make_training_envs(settings, user, count, episode_offset=0):
    """`count` training envs for TrainingSettings and checked user files, each with its own
    sim trace writer."""
    from markov.envs import DeepRacerRacetrackEnv
    from markov.sim_trace import SimTraceWriter
    from markov.workers.rollout import episode_step_limit
    from markov.workers import camera
    from markov.workers.settings import randomization_spec
    from markov.sensors import network_observation_type

    metadata = user.model_metadata
    return [DeepRacerRacetrackEnv(
        settings.world_name, reward_function=user.reward_function, model_metadata=metadata,
        backend=settings.backend, sim_trace=SimTraceWriter(), episode_offset=episode_offset,
        domain_randomization=randomization_spec(settings),
        backend_options=camera.backend_options(settings.backend, settings.camera_calibration),
        max_steps=episode_step_limit(user.track_length, metadata.action_space),
        observation_type=network_observation_type(metadata.sensor),
        **settings.race.env_kwargs())
        for _ in range(count)]


@dataclass
class _Playing:
    """The episode an env is playing: its steps so far."""

    episode: int
    start_ms: int
    obs: np.ndarray
    reward: float = 0.0
    rollout: Rollout = field(default_factory=Rollout)


class VectorCollector:
    """Plays training episodes on `envs` in lockstep with one batched policy call per step.

    - `envs`: DeepRacerRacetrackEnv objects, each with its own `sim_trace` writer (or None).
    - `explorer`: an `Explorer` (its `choose_batch` picks the actions).
    - `trace`: the SimTraceWriter that receives every finished episode's rows, in
      episode order (None: rows are dropped).
    - `seed_offset`: global index of `envs[0]` (envs of other workers come before it).
    """

    def __init__(self, envs, explorer, trace=None, seed_offset=0):
        if not envs:
            raise ValueError("VectorCollector: give at least one env")
        self.envs, self.explorer, self.trace = list(envs), explorer, trace
        self.seed_offset = int(seed_offset)

    def collect(self, count: int, first_episode: int, seed: Optional[int] = None,
                should_stop: Optional[Callable[[], bool]] = None,
                may_start: Optional[Callable[[], bool]] = None,
                on_episode: Optional[Callable[[EpisodeResult], None]] = None):
        """Play up to `count` episodes numbered from `first_episode`; return (Rollout, results).

        `seed` seeds each env's first reset (env i: `env_seed(seed, seed_offset + i)`).
        `may_start()` is asked before each new episode (false: start no more; the
        running ones finish). `should_stop()` is polled every step: when it turns true
        the unfinished episodes are dropped, and so are finished ones numbered after the
        first unfinished one; the rest is returned.
        `on_episode(result)` is called as each episode ends (in the order they end).
        """
        playing: Dict[int, _Playing] = {}
        done: Dict[int, tuple] = {}  # episode -> (result, its Rollout, its trace rows)
        next_episode = first_episode
        seeds = [env_seed(seed, self.seed_offset + i) for i in range(len(self.envs))]
        stopped = False

        def start(i):
            nonlocal next_episode
            if next_episode >= first_episode + count or (may_start is not None and not may_start()):
                return
            start_ms = now_ms()
            obs, _ = self.envs[i].reset(seed=seeds[i], options={"episode": next_episode})
            seeds[i] = None
            playing[i] = _Playing(next_episode, start_ms, obs)
            next_episode += 1

        for i in range(len(self.envs)):
            self._take_rows(i)  # rows of an abandoned episode from an earlier call
            start(i)
        while playing:
            if should_stop is not None and should_stop():
                stopped = True
                break
            order = sorted(playing)
            actions, log_probs = self.explorer.choose_batch(np.stack([playing[i].obs for i in order]))
            for i, action, log_prob in zip(order, actions, log_probs):
                state = playing[i]
                obs, reward, terminated, truncated, info = self.envs[i].step(action)
                finished = terminated or truncated
                state.reward += reward
                steps = state.rollout
                steps.obs.append(state.obs)
                steps.actions.append(action)
                steps.log_probs.append(log_prob)
                steps.rewards.append(reward)
                steps.dones.append(finished)
                state.obs = obs
                if finished:
                    result = EpisodeResult(
                        episode=info["episode"], reward=state.reward, progress=info["progress"],
                        steps=info["steps"], status=info["episode_status"],
                        lap_time=info["lap_time"], start_ms=state.start_ms, end_ms=now_ms())
                    done[state.episode] = (result, steps, self._take_rows(i))
                    del playing[i]
                    if on_episode is not None:
                        on_episode(result)
                    start(i)
        if stopped:
            for i in playing:
                self._take_rows(i)
            # Keep the finished episodes up to the first abandoned one, so the saved episodes
            # stay numbered without gaps (the next iteration or run continues after them).
            kept = first_episode
            while kept in done:
                kept += 1
            done = {episode: v for episode, v in done.items() if episode < kept}
        return self._merge(done)

    def _take_rows(self, i) -> List[str]:
        """The trace rows env i logged since the last call, forgotten by its writer."""
        writer = self.envs[i].sim_trace
        return writer.take_lines() if writer is not None else []

    def _merge(self, done):
        rollout, results = Rollout(), []
        for episode in sorted(done):
            result, steps, rows = done[episode]
            results.append(result)
            rollout.obs += steps.obs
            rollout.actions += steps.actions
            rollout.log_probs += steps.log_probs
            rollout.rewards += steps.rewards
            rollout.dones += steps.dones
            if self.trace is not None:
                self.trace.extend(rows)
        return rollout, results

    def close(self):
        for env in self.envs:
            env.close()
