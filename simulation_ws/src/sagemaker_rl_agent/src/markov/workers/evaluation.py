"""The evaluation worker: `NUMBER_OF_TRIALS` greedy laps from the start line with a stored model.

As in a DeepRacer evaluation, a car that leaves the track (or is immobilized, or
turns round) is put back on the centre line where it left, facing the driving
direction, and the trial goes on; each reset adds `off_track_penalty_s` to the
lap time. A trial ends when the lap is complete, after `max_resets` resets (its
status is then that of the last incident) or at the env's step limit (time_up).
Results: `evaluation-<stamp>/evaluation-simtrace/0-iteration.csv` (episode = trial
- 1; steps and progress count from the start of the trial) and
`metrics/EvaluationMetrics-<stamp>.json` in the model store, stamp = UTC
YYYYMMDDhhmmss. Run it with `python -m markov.workers.evaluation`.
"""
import datetime as dt
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from markov import laptime
from markov.envs.defaults import REWARD_FUNCTION, shipped_config
from markov.metrics import EvaluationMetrics, now_ms
from markov.laptime import RaceSummary
from markov.rules import CRASHED, IMMOBILIZED, IN_PROGRESS, LAP_COMPLETE, OFF_TRACK, REVERSED
from markov.sensors import network_observation_type
from markov.sim_trace import SimTraceWriter
from markov.store import NotFoundError, layout
from markov.workers import camera, checkpoints
from markov.workers.cli import run_worker
from markov.workers.progress import Progress, StopRequest
from markov.workers.rollout import episode_step_limit, greedy
from markov.workers.settings import EvaluationSettings, evaluation_settings, randomization_spec
from markov.workers.userfiles import UserFilesError, stored_metadata


@dataclass(frozen=True)
class TrialResult:
    """One evaluation lap."""

    trial: int  # 1-based
    progress: float  # completion, % of the lap
    lap_time: Optional[float]  # simulated s including penalties when complete, else None
    elapsed: float  # simulated s driven including penalties
    status: str  # lap_complete, or the incident / time_up that ended the trial
    off_track_count: int  # times the car left the track (each a reset, or the end)
    resets: int  # times the car was put back on the track
    overtakes: int = 0  # bot cars passed (HEAD_TO_HEAD_RACING)
    crash_count: int = 0  # crashes into objects (each a reset with PENALTY_SECONDS, or the end)


@dataclass(frozen=True)
class EvaluationSummary:
    """What an evaluation run did and where it wrote."""

    checkpoint: str  # the checkpoint evaluated
    stamp: str  # YYYYMMDDhhmmss of the run
    trials: Tuple[TrialResult, ...]
    simtrace_key: str  # store key of the sim trace CSV
    metrics_key: str  # store key of the metrics JSON
    race: Optional[RaceSummary] = None  # lap times against the track's limit


class TrialTrace:
    """Hands the env's sim-trace lines to a SimTraceWriter in trial terms.

    episode = trial - 1; steps and progress continue across resets; the step that
    completes the lap (which the env sees as in progress) is logged as lap_complete.
    """

    def __init__(self, writer: SimTraceWriter):
        self.writer = writer
        self.episode, self.steps_before, self.progress_before = 0, 0, 0.0
        self.on_step = None  # called with each step's values (e.g. a VideoRecorder's on_step)

    def log(self, episode, steps, x, y, yaw, steer, throttle, action, reward, done, on_track,
            progress, closest_waypoint, track_len, tstamp, status, *rest, **kwargs):
        total = self.progress_before + progress
        if status == IN_PROGRESS and total >= 100.0:
            total, status, done = 100.0, LAP_COMPLETE, True
        if self.on_step is not None:
            self.on_step(x, y, steer, throttle, action, reward, min(total, 100.0), tstamp, status)
        return self.writer.log(self.episode, self.steps_before + steps, x, y, yaw, steer,
                               throttle, action, reward, done, on_track, min(total, 100.0),
                               closest_waypoint, track_len, tstamp, status, *rest, **kwargs)


class EvaluationWorker:
    """One evaluation run; `run()` returns an EvaluationSummary. Library code: no ROS, no exits."""

    def __init__(self, settings: EvaluationSettings, stop: Optional[StopRequest] = None,
                 progress: Optional[Progress] = None):
        self.settings = settings
        self.stop = stop or StopRequest()
        self.progress = progress or Progress("evaluation", bar=False)

    def run(self) -> EvaluationSummary:
        settings = self.settings
        self.progress.configuration(settings.summary())
        store = settings.store.make_store()
        name = checkpoints.choose_checkpoint(store, settings.checkpoint)
        metadata = stored_metadata(store)
        if metadata is None:
            raise UserFilesError(f"{store.describe(layout.MODEL_METADATA_KEY)} does not exist; "
                                 f"is {store.describe()} a trained model?")
        stamp = layout.evaluation_stamp(dt.datetime.now(dt.timezone.utc))
        with tempfile.TemporaryDirectory(prefix="deepracer-evaluation-") as workdir:
            workdir = Path(workdir)
            policy = self._policy(store, name, metadata, workdir)
            self.progress.line(f"evaluating {name} of {store.describe()} on {settings.world_name}: "
                               f"{settings.number_of_trials} trial(s)")
            writer = SimTraceWriter()
            trials = self._trials(store, metadata, policy, TrialTrace(writer), workdir)
            metrics = EvaluationMetrics(workdir / "metrics.json")
            for trial in trials:
                self._record(metrics, trial)
            summary = _race_summary([t for t, _, _ in trials], settings.world_name)
            metrics.race = summary.to_dict()
            metrics_key = layout.evaluation_metrics_key(stamp)
            simtrace_key = layout.evaluation_simtrace_key(stamp)
            store.put_file(metrics.write(), metrics_key)
            store.put_file(writer.flush_iteration(workdir / "0-iteration.csv"), simtrace_key)
            for video in getattr(self, "videos", []):  # EVALUATION_VIDEO
                store.put_file(video, f"evaluation-{stamp}/videos/{video.name}")
                self.progress.line(f"video: {store.describe(f'evaluation-{stamp}/videos/{video.name}')}")
        self._print_summary(trials, store, metrics_key, simtrace_key)
        self.progress.line(f"race: {summary.line()}")
        return EvaluationSummary(name, stamp, tuple(t for t, _, _ in trials), simtrace_key,
                                 metrics_key, summary)

    def _policy(self, store, name, metadata, workdir):
        from markov.policies import make_policy  # PPO or SAC, as the metadata says

        policy = make_policy(metadata)
        checkpoints.restore_from_store(store, name, workdir, policy)
        return policy

    def _reward_file(self, store, workdir) -> Path:
        """The reward function the model was trained with (the shipped one if the store has none)."""
        path = workdir / "reward_function.py"
        try:
            store.get_file(layout.REWARD_FUNCTION_KEY, path)
        except NotFoundError:
            return shipped_config(REWARD_FUNCTION)
        return path

    def _trials(self, store, metadata, policy, trace, workdir):
        from markov.envs import DeepRacerRacetrackEnv

        settings = self.settings
        length = Track(load_route(settings.world_name), name=settings.world_name).length
        env = DeepRacerRacetrackEnv(settings.world_name,
                                    reward_function=self._reward_file(store, workdir),
                                    model_metadata=metadata, backend=settings.backend,
                                    sim_trace=trace, start_positions=[0.0],
                                    domain_randomization=randomization_spec(settings),
                                    backend_options=camera.backend_options(
                                        settings.backend, settings.camera_calibration),
                                    max_steps=episode_step_limit(length, metadata.action_space),
                                    observation_type=network_observation_type(metadata.sensor),
                                    **settings.race.env_kwargs())
        trials, choose = [], greedy(policy)
        recorder, self.videos = None, []
        if settings.video:
            from markov.watch.video import VideoRecorder
            recorder = VideoRecorder(env, workdir / "videos")
            trace.on_step = recorder.on_step
        try:
            for number in range(1, settings.number_of_trials + 1):
                if self.stop():
                    break
                if recorder is not None:
                    recorder.start(number)
                trial = run_trial(env, choose, trace, number, settings, self.stop)
                if recorder is not None:
                    recorder.finish()
                if trial is None:
                    break
                trials.append(trial)
                self.progress.line(_trial_line(trial[0], settings.number_of_trials))
        finally:
            env.close()
            if recorder is not None:
                recorder.close()
                self.videos = recorder.written
        return trials

    def _record(self, metrics, trial):
        result, resets, (start_ms, end_ms) = trial
        for status in resets:
            metrics.count_reset(status)
        entry = metrics.add_trial(progress=result.progress, status=result.status,
                                  start_time_ms=start_ms, end_time_ms=end_ms,
                                  lap_time_s=result.lap_time)
        if self.settings.race.race_type == "HEAD_TO_HEAD_RACING":
            entry["overtake_count"] = result.overtakes  # written with the entry

    def _print_summary(self, trials, store, metrics_key, simtrace_key):
        results = [t for t, _, _ in trials]
        laps = sum(r.status == LAP_COMPLETE for r in results)
        mean = sum(r.progress for r in results) / len(results) if results else 0.0
        self.progress.line(f"{laps}/{len(results)} laps complete, mean completion {mean:.1f}%")
        self.progress.line(f"metrics: {store.describe(metrics_key)}")
        self.progress.line(f"sim trace: {store.describe(simtrace_key)}")


CRASH_RESET_BEHIND = 1.0  # m: after a crash the car restarts this far behind (DeepRacer's)


def run_trial(env, choose, trace, number, settings, should_stop=lambda: False):
    """Drive trial `number` from the start line, resetting after incidents.

    The credited progress is the sum of the segments' progress (each from where it
    started, 0 when it ends behind its start), so it never exceeds the road driven.

    Returns (TrialResult, the statuses that caused resets, (start, end) wall-clock ms),
    or None when `should_stop()` turned true. `settings` gives off_track_penalty_s,
    max_resets and seed (used for trial 1).
    """
    front = env.car.geometry.front_point_offset
    race = getattr(settings, "race", None)
    racing = race is not None and race.race_type != "TIME_TRIAL"
    reset_statuses = (OFF_TRACK, IMMOBILIZED, REVERSED) + ((CRASHED,) if racing else ())
    overtakes, crashes = 0, 0
    trace.episode, trace.steps_before, trace.progress_before = number - 1, 0, 0.0
    start_ms, elapsed, resets, incidents, options = now_ms(), 0.0, [], 0, {"start_s": 0.0}
    seed = settings.seed if number == 1 else None
    while True:
        segment = _drive(env, choose, options, 100.0 - trace.progress_before, should_stop, seed)
        if segment is None:
            return None
        seed = None
        status, progress, seconds, steps, front_s = segment[:5]
        overtakes += segment[5]
        crashes += status == CRASHED
        elapsed += seconds
        trace.progress_before = min(100.0, trace.progress_before + progress)
        trace.steps_before += steps
        incidents += status == OFF_TRACK
        if status not in reset_statuses or len(resets) >= settings.max_resets:
            break
        resets.append(status)  # put back where the front point left the road, facing forward
        if status == CRASHED:  # DeepRacer puts the car 1 m behind the object it hit, penalized
            elapsed += race.penalty_seconds
            back = min(CRASH_RESET_BEHIND, trace.progress_before / 100.0 * env.track.length)
            trace.progress_before -= 100.0 * back / env.track.length  # not credited twice
            options = {"start_s": (front_s - front - back) % env.track.length}
            continue
        elapsed += settings.off_track_penalty_s
        if progress > 0.0:  # else it ended at or behind where it started: start there again,
            #                 so road backed over is not credited twice
            options = {"start_s": (front_s - front) % env.track.length}
    complete = status == LAP_COMPLETE
    result = TrialResult(trial=number, progress=100.0 if complete else trace.progress_before,
                         lap_time=elapsed if complete else None, elapsed=elapsed, status=status,
                         off_track_count=incidents, resets=len(resets), overtakes=overtakes,
                         crash_count=crashes)
    return result, resets, (start_ms, now_ms())


def _drive(env, choose, options, target, should_stop, seed):
    """One env episode until it ends or its progress reaches `target` %.

    Returns (status, progress %, simulated s, steps, front point's arc length m) or
    None when `should_stop()` turned true.
    """
    obs, info = env.reset(seed=seed, options=options)
    status, done = IN_PROGRESS, False
    while not done:
        if should_stop():
            return None
        obs, _, terminated, truncated, info = env.step(choose(obs)[0])
        status, done = info["episode_status"], terminated or truncated
        if info["progress"] >= target and status in (IN_PROGRESS, LAP_COMPLETE):
            status, done = LAP_COMPLETE, True
    return (status, info["progress"], info["elapsed_time"], info["steps"],
            info["reward_params"]["projection_distance"], info.get("overtakes", 0))


def _race_summary(results, world_name) -> RaceSummary:
    """Lap times of the trials against the track's minimum-time lap."""
    return laptime.summarize([r.lap_time for r in results], laptime.lap_limit_s(world_name),
                          sum(r.off_track_count for r in results), sum(r.resets for r in results))


def _trial_line(r: TrialResult, total: int) -> str:
    lap = f"lap time {r.lap_time:6.2f} s" if r.lap_time is not None else f"ended {r.status}"
    penalty = f", {r.resets} reset(s)" if r.resets else ""
    race = (f" | crashes {r.crash_count} | overtakes {r.overtakes}"
            if r.crash_count or r.overtakes else "")
    return (f"trial {r.trial}/{total}: completion {r.progress:5.1f}% | {lap} | "
            f"off track {r.off_track_count}{penalty}{race}")


def main(environ=None, params=None, extra_errors=()) -> int:
    """Evaluate with settings from the environment (and launch `params`); return the exit code."""
    return run_worker("evaluation", evaluation_settings, EvaluationWorker, environ, params, extra_errors)


if __name__ == "__main__":
    sys.exit(main())
