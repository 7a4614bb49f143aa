"""Training episodes on several in-process envs stepped together (ENVS_PER_WORKER).

`VectorCollector(envs, explorer, trace)` plays `count` exploring episodes over
its envs: every step one batched policy call chooses the actions of all the
envs still playing (`Explorer.choose_batch`), then each env steps (their
simulators advance in parallel threads: `EnvStepper`). Episodes stay
DeepRacer episodes: each has its own number (given at reset, so its start
position follows the env's start schedule), its own reward function call and
rules, and its own sim trace rows. Episode numbers `first_episode ..
first_episode + count - 1` go to the envs in the order they become free.

With a training seed, episode n is seeded from the seed and n alone
(`episode_seed`, `action_rng`): its env's randomness (scene, randomization,
obstacles) and the explorer's draws for its steps. So an episode is the same
whichever env or worker plays it: the seed fixes the episodes whatever
ENVS_PER_WORKER and ROLLOUT_WORKERS are (up to float rounding, which differs
between batch sizes in the last bit and can, rarely, tip a sampled action).

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


def episode_seed(seed: Optional[int], episode: int) -> Optional[int]:
    """The env seed of training episode `episode` (its number) for a training seed (None: None)."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed), int(episode)]).generate_state(1)[0])


def action_rng(seed: int, episode: int) -> np.random.Generator:
    """The generator of the explorer's draws in training episode `episode` for a training seed."""
    return np.random.default_rng([int(seed), int(episode), 1])


def step_threads(envs: int) -> int:
    """Threads that step `envs` envs: one per core this process may use, at most one per env."""
    from markov.workers.settings import free_cores
    return max(1, min(int(envs), free_cores()))


class EnvStepper:
    """Steps several envs at once: their backends (simulator and renderer, compiled code that
    releases the GIL) advance in `threads` parallel threads, then the rest of each step (rules,
    reward function, sim trace) runs in the order given. With one thread, or one env, it is
    `env.step` one after the other. The results are the same either way."""

    def __init__(self, threads: int = 1):
        self.threads = max(1, int(threads))
        self._executor = None
        if self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="env-step")

    def step(self, envs, actions) -> list:
        """[env.step(action) for each pair], the backends advanced in parallel."""
        if self._executor is None or len(envs) < 2:
            return [env.step(action) for env, action in zip(envs, actions)]
        advanced = list(self._executor.map(lambda env, action: env.advance(action), envs, actions))
        return [env.finish_step(one) for env, one in zip(envs, advanced)]

    def close(self):
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


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
    rng: Optional[np.random.Generator]  # the explorer's draws (None: the explorer's own)
    reward: float = 0.0
    rollout: Rollout = field(default_factory=Rollout)


class VectorCollector:
    """Plays training episodes on `envs` in lockstep with one batched policy call per step.

    - `envs`: DeepRacerRacetrackEnv objects, each with its own `sim_trace` writer (or None).
    - `explorer`: an `Explorer` (its `choose_batch` picks the actions).
    - `trace`: the SimTraceWriter that receives every finished episode's rows, in
      episode order (None: rows are dropped).
    - `threads`: threads that advance the envs' simulators together (`EnvStepper`); the
      episodes are the same with any number.
    """

    def __init__(self, envs, explorer, trace=None, threads=1):
        if not envs:
            raise ValueError("VectorCollector: give at least one env")
        self.envs, self.explorer, self.trace = list(envs), explorer, trace
        self.stepper = EnvStepper(threads)

    def collect(self, count: int, first_episode: int, seed: Optional[int] = None,
                should_stop: Optional[Callable[[], bool]] = None,
                may_start: Optional[Callable[[], bool]] = None,
                on_episode: Optional[Callable[[EpisodeResult], None]] = None):
        """Play up to `count` episodes numbered from `first_episode`; return (Rollout, results).

        `seed`: the training seed; episode n's env reset and action draws are seeded from
        it and n (`episode_seed`, `action_rng`). None: the envs and the explorer go on
        with their own generators.
        `may_start()` is asked before each new episode (false: start no more; the
        running ones finish). `should_stop()` is polled every step: when it turns true
        the unfinished episodes are dropped, and so are finished ones numbered after the
        first unfinished one; the rest is returned.
        `on_episode(result)` is called as each episode ends (in the order they end).
        """
        playing: Dict[int, _Playing] = {}
        done: Dict[int, tuple] = {}  # episode -> (result, its Rollout, its trace rows)
        next_episode = first_episode
        stopped = False

        def start(i):
            nonlocal next_episode
            if next_episode >= first_episode + count or (may_start is not None and not may_start()):
                return
            start_ms = now_ms()
            obs, _ = self.envs[i].reset(seed=episode_seed(seed, next_episode),
                                        options={"episode": next_episode})
            rng = None if seed is None else action_rng(seed, next_episode)
            playing[i] = _Playing(next_episode, start_ms, obs, rng)
            next_episode += 1

        for i in range(len(self.envs)):
            self._take_rows(i)  # rows of an abandoned episode from an earlier call
            start(i)
        while playing:
            if should_stop is not None and should_stop():
                stopped = True
                break
            order = sorted(playing)
            rngs = None if seed is None else [playing[i].rng for i in order]
            actions, log_probs = self.explorer.choose_batch(
                np.stack([playing[i].obs for i in order]), rngs)
            stepped = self.stepper.step([self.envs[i] for i in order], actions)
            for i, action, log_prob, outcome in zip(order, actions, log_probs, stepped):
                state = playing[i]
                obs, reward, terminated, truncated, info = outcome
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
        self.stepper.close()
        for env in self.envs:
            env.close()
