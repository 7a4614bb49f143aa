"""The transfer check: does a trained model survive appearance and tracks it never saw?

A model is driven greedily, one lap from the start line per trial, under each
*condition* (a randomization preset: `nominal` = none, `standard` = the training
default, `heldout` = wider than `strong` in appearance) on each *track* of a set
it was not trained on (`nominal` drives one lap: without randomization every lap
from the start line is the same). No reset after an incident: a trial's completion is the
lap progress when it ended (off track, immobilized, reversed, time up) or 100.

Held-out appearance seeds: an env draws its training scene seeds from
[0, 2**31) (`deepracer_env._SEED_RANGE`); the transfer check uses seeds from
`HELDOUT_SEED_BASE` = 2**40 on, so no training episode can have drawn one of
them (`heldout_seeds`). The seed of trial k of a condition is the same on every
track and in every run: two models are compared on the same draws.

`run_transfer(store, ...)` -> `TransferReport` (per condition and track: each
trial's completion; means). `scripts/benchmark.py transfer --model PATH_OR_STORE`
prints it as JSON lines (scripts/benchmarks/transfer.py).
"""
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

# Official tracks of varied shape, none of them reinvent_base (the default training track):
# an oval, a bow tie (turns both ways), the Canada training track (mixed corners) and the
# 2019 re:Invent track (long, wider).
DEFAULT_TRACKS = ("Oval_track", "Bowtie_track", "Canada_Training", "reInvent2019_track")
# condition name -> RANDOMIZATION_FILE preset
CONDITIONS = {"nominal": "none", "standard": "standard", "heldout": "heldout"}
HELDOUT_SEED_BASE = 2 ** 40  # held-out scene seeds start here; training's are < 2**31


class TransferError(ValueError):
    """A transfer-check argument is invalid (names it)."""


def heldout_seeds(count: int) -> Tuple[int, ...]:
    """The first `count` held-out scene seeds (disjoint from any training seed by construction)."""
    from markov.envs.deepracer_env import _SEED_RANGE
    if HELDOUT_SEED_BASE < _SEED_RANGE:  # pragma: no cover - a guard for future edits
        raise AssertionError("held-out seeds overlap the training seed range")
    return tuple(HELDOUT_SEED_BASE + k for k in range(int(count)))


@dataclass(frozen=True)
class TrialOutcome:
    """One lap attempt."""

    progress: float  # % of the lap when the trial ended (100 for a complete lap)
    status: str  # lap_complete, off_track, immobilized, reversed, time_up ...
    seed: Optional[int]  # the scene seed (None for the nominal condition)


@dataclass(frozen=True)
class TransferResult:
    """The trials of one condition on one track."""

    condition: str
    track: str
    trials: Tuple[TrialOutcome, ...]

    @property
    def completion_pct(self) -> float:
        return sum(t.progress for t in self.trials) / len(self.trials)

    @property
    def laps_complete_pct(self) -> float:
        return 100.0 * sum(t.status == "lap_complete" for t in self.trials) / len(self.trials)


@dataclass(frozen=True)
class TransferReport:
    """Every condition on every track."""

    checkpoint: str
    camera_calibration: str
    results: Tuple[TransferResult, ...]

    @property
    def completion_pct(self) -> float:
        """Mean completion over conditions and tracks (each pair weighs the same)."""
        return sum(r.completion_pct for r in self.results) / len(self.results)

    @property
    def laps_complete_pct(self) -> float:
        return sum(r.laps_complete_pct for r in self.results) / len(self.results)

    def condition_pct(self, condition: str) -> float:
        rows = [r.completion_pct for r in self.results if r.condition == condition]
        return sum(rows) / len(rows)

    def figures(self):
        """(name, value, unit) rows: the overall mean, one per condition, one per pair."""
        yield "transfer_completion_pct", self.completion_pct, "%"
        yield "transfer_laps_complete_pct", self.laps_complete_pct, "%"
        for condition in dict.fromkeys(r.condition for r in self.results):
            yield f"transfer_{condition}_completion_pct", self.condition_pct(condition), "%"
        for r in self.results:
            yield f"transfer_{r.condition}_{r.track}_completion_pct", r.completion_pct, "%"


def check_conditions(names: Sequence[str]) -> Tuple[str, ...]:
    unknown = [n for n in names if n not in CONDITIONS]
    if unknown or not names:
        raise TransferError(f"condition {unknown[0] if unknown else '(none)'!r} is not one of "
                            f"{', '.join(CONDITIONS)}")
    return tuple(names)


def check_tracks(names: Sequence[str]) -> Tuple[str, ...]:
    from deepracer_simulation.routes import load_route
    for name in names:
        try:
            load_route(name)
        except (OSError, ValueError) as err:
            raise TransferError(f"track {name!r}: {err}") from None
    if not names:
        raise TransferError("no track given")
    return tuple(names)


def run_transfer(store, tracks: Sequence[str] = DEFAULT_TRACKS,
                 conditions: Sequence[str] = tuple(CONDITIONS), trials: int = 3,
                 camera_calibration: str = "deepracer_wide_angle", checkpoint: str = "best",
                 log: Callable[[str], None] = lambda line: None) -> TransferReport:
    """Drive the store's `checkpoint` model `trials` laps per condition and track."""
    from markov.workers import camera, checkpoints
    from markov.workers.userfiles import UserFilesError, stored_metadata
    from markov.store import layout

    conditions, tracks = check_conditions(conditions), check_tracks(tracks)
    if int(trials) < 1:
        raise TransferError(f"trials must be >= 1, got {trials!r}")
    calibration = camera.check_calibration(camera_calibration)
    metadata = stored_metadata(store)
    if metadata is None:
        raise UserFilesError(f"{store.describe(layout.MODEL_METADATA_KEY)} does not exist; "
                             f"is {store.describe()} a trained model?")
    name = checkpoints.choose_checkpoint(store, checkpoint)
    results = []
    with tempfile.TemporaryDirectory(prefix="deepracer-transfer-") as workdir:
        policy = _policy(store, name, metadata, Path(workdir))
        options = camera.backend_options("inprocess", calibration)
        seeds = heldout_seeds(trials)
        log(f"transfer check of {name} ({store.describe()}), camera {calibration or 'pinhole'}: "
            f"{len(conditions)} condition(s) x {len(tracks)} track(s) x {trials} lap(s)")
        for condition in conditions:
            for track in tracks:
                outcomes = _drive_track(policy, metadata, track, CONDITIONS[condition], options,
                                        seeds)
                result = TransferResult(condition, track, tuple(outcomes))
                log(f"{condition:9s} {track:22s} completion {result.completion_pct:5.1f}% "
                    f"({' '.join(f'{t.progress:.0f}' for t in outcomes)})")
                results.append(result)
    return TransferReport(name, calibration, tuple(results))


def _policy(store, name, metadata, workdir):
    from markov.ppo import PPOPolicy
    from markov.sensors import camera_obs_shape
    from markov.workers import checkpoints

    continuous = metadata.action_space.is_continuous
    policy = PPOPolicy(metadata.neural_network, continuous=continuous,
                       n_actions=None if continuous else metadata.n_actions,
                       obs_shape=camera_obs_shape(metadata.sensor))
    checkpoints.restore_from_store(store, name, workdir, policy)
    return policy


def _drive_track(policy, metadata, track_name, preset, backend_options, seeds):
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track
    from deepracer_simulator.randomization_file import load_randomization, to_spec
    from markov.envs import DeepRacerRacetrackEnv
    from markov.rules import IN_PROGRESS
    from markov.workers.rollout import episode_step_limit, greedy

    spec = to_spec(load_randomization(preset))
    randomized = spec.enabled
    length = Track(load_route(track_name), name=track_name).length
    env = DeepRacerRacetrackEnv(track_name, model_metadata=metadata, start_positions=[0.0],
                                domain_randomization=spec if randomized else False,
                                backend_options=dict(backend_options),
                                max_steps=episode_step_limit(length, metadata.action_space))
    choose, outcomes = greedy(policy), []
    try:
        for seed in seeds if randomized else seeds[:1]:  # nominal: every lap is the same
            options = {"start_s": 0.0}
            if randomized:
                options["scene_seed"] = seed
            obs, info = env.reset(seed=0, options=options)
            status, done = IN_PROGRESS, False
            while not done:
                obs, _, terminated, truncated, info = env.step(choose(obs)[0])
                status, done = info["episode_status"], terminated or truncated
            progress = float(info["progress"])
            outcomes.append(TrialOutcome(progress=100.0 if status == "lap_complete" else progress,
                                         status=status, seed=seed if randomized else None))
    finally:
        env.close()
    return outcomes

