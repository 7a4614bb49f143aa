"""The evaluation worker: trials with resets (scripted drivers) and a run on a stored model."""
import dataclasses
import io
import json
import re

import numpy as np
import pytest

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from markov.backends import Frame
from markov.envs import DeepRacerRacetrackEnv
from markov.envs.pure_pursuit import PurePursuit
from markov.sim_trace import SimTraceWriter, parse_sim_trace
from markov.store import LocalModelStore, layout
from markov.workers import checkpoints
from markov.workers.evaluation import EvaluationWorker, TrialTrace, run_trial
from markov.workers.progress import Progress
from markov.workers.settings import evaluation_settings

TRIAL_SETTINGS = evaluation_settings({"WORLD_NAME": "easy_track"})  # penalty 5 s, 10 resets


class Recorded:
    """The env as run_trial uses it, keeping the last reward params for a scripted driver;
    `trace` is the TrialTrace the env logs to."""

    def __init__(self, env):
        self.env, self.car, self.params, self.went_off = env, env.car, None, False
        self.writer = SimTraceWriter()
        self.trace = env.sim_trace = TrialTrace(self.writer)

    @property
    def track(self):
        return self.env.track

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.params = info["reward_params"]
        return obs, info

    def step(self, action):
        result = self.env.step(action)
        self.params = result[4]["reward_params"]
        self.went_off = self.went_off or self.params["is_offtrack"]
        return result


@pytest.fixture(scope="module")
def env():
    env = DeepRacerRacetrackEnv("easy_track", start_positions=[0.0])
    yield env
    env.close()


def driver(recorded, leave_after=None):
    """Pure pursuit; with `leave_after`, straight on from that step until the car is off track."""
    pursuit = PurePursuit(recorded.env.model_metadata.action_space, recorded.car.geometry.wheelbase)
    steps = {"n": 0}

    def choose(_obs):
        steps["n"] += 1
        if leave_after is not None and not recorded.went_off and steps["n"] > leave_after:
            return 2, None  # straight on: off the road at the next bend
        return pursuit(recorded.params), None
    return choose


def test_a_clean_lap(env):
    recorded = Recorded(env)
    result, resets, _ = run_trial(recorded, driver(recorded), recorded.trace, 1, TRIAL_SETTINGS)
    assert (result.status, result.progress, result.resets, result.off_track_count) == (
        "lap_complete", 100.0, 0, 0)
    rows = [parse_sim_trace(line) for line in recorded.writer.lines]
    assert result.lap_time == pytest.approx(len(rows) / 15.0)
    assert rows[-1]["episode_status"] == "lap_complete" and rows[-1]["done"]
    assert {r["episode"] for r in rows} == {0}


def test_an_off_track_is_reset_where_it_left_and_penalized(env):
    recorded = Recorded(env)
    result, resets, _ = run_trial(recorded, driver(recorded, leave_after=60), recorded.trace,
                                  2, TRIAL_SETTINGS)
    assert resets == ["off_track"]
    assert (result.status, result.progress, result.resets, result.off_track_count) == (
        "lap_complete", 100.0, 1, 1)
    rows = [parse_sim_trace(line) for line in recorded.writer.lines]
    assert [r["steps"] for r in rows] == list(range(1, len(rows) + 1))  # one numbering per trial
    assert {r["episode"] for r in rows} == {1}
    off = next(i for i, r in enumerate(rows) if r["episode_status"] == "off_track")
    assert 10.0 < rows[off]["progress"] < 50.0
    assert rows[off + 1]["progress"] == pytest.approx(rows[off]["progress"], abs=1.0)  # same place
    assert result.lap_time == pytest.approx(len(rows) / 15.0 + 5.0)  # driving + the penalty


def test_max_resets_ends_the_trial(env):
    recorded = Recorded(env)
    settings = dataclasses.replace(TRIAL_SETTINGS, max_resets=2)
    result, resets, _ = run_trial(recorded, lambda _obs: (2, None), recorded.trace,
                                  1, settings)  # straight on: off the track at every bend
    assert resets == ["off_track", "off_track"]
    assert (result.status, result.resets, result.off_track_count, result.lap_time) == (
        "off_track", 2, 3, None)
    assert 0.0 < result.progress < 100.0


class ScriptedBackend:
    """A car moved along the centre line by a script: after the i-th reset, step k moves it
    `plans[i](k)` = (metres along the road, negative backwards; on the road?); the last
    plan repeats."""

    def __init__(self, track, plans):
        self.track, self.plans, self.resets, self.time = track, plans, 0, 0.0

    def reset(self, x, y, yaw, seed=None):
        self.s, self.on_road, self.k = self.track.project(x, y).s, True, 0
        self.plan = self.plans[min(self.resets, len(self.plans) - 1)]
        self.resets += 1
        return self._frame()

    def step(self, steering_angle, speed):
        ds, self.on_road = self.plan(self.k)
        self.s, self.k = (self.s + ds) % self.track.length, self.k + 1
        self.time += 1.0 / 15.0
        return self._frame()

    def close(self):
        pass

    def _frame(self):
        x, y, yaw = self.track.pose_at(self.s)
        return Frame(image=np.zeros((120, 160, 3), np.uint8), x=x, y=y, yaw=yaw, speed=0.0,
                     steering=0.0, wheels_on_track=(self.on_road,) * 4, sim_time=self.time)


def test_road_backed_over_before_a_reset_is_not_credited_twice():
    track = Track(load_route("easy_track"), name="easy_track")
    backend = ScriptedBackend(track, [
        lambda k: (0.1, k < 30),  # 3 m forward, then off the road
        lambda k: (-0.05, True),  # put back there, it backs up 0.75 m: reversed
        lambda k: (0.1, True)])  # put back, it drives on to the finish
    env = DeepRacerRacetrackEnv("easy_track", backend=backend, start_positions=[0.0])
    writer = SimTraceWriter()
    env.sim_trace = trace = TrialTrace(writer)
    result, resets, _ = run_trial(env, lambda _obs: (2, None), trace, 1, TRIAL_SETTINGS)
    assert resets == ["off_track", "reversed"] and result.status == "lap_complete"
    # the lap is complete only where the car started it (the rear axle at s = 0), not
    # 0.75 m before, where it would be had the backed-over road been credited twice
    gap = min(backend.s, track.length - backend.s)
    assert gap <= 0.1 + 1e-6
    rows = [parse_sim_trace(line) for line in writer.lines]
    assert [r["progress"] for r in rows] == sorted(r["progress"] for r in rows)


def _stored_model(root):
    """A fresh policy saved as checkpoint 0 of a local store, with the shipped user files."""
    from markov.envs.defaults import shipped_config
    from markov.ppo import PPOPolicy

    store = LocalModelStore(root, "eval-model")
    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=7, seed=1)
    name = checkpoints.save_to_store(store, root / "work", 0, 100, policy)
    store.put_file(shipped_config("model_metadata.json"), layout.MODEL_METADATA_KEY)
    store.put_file(shipped_config("reward_function.py"), layout.REWARD_FUNCTION_KEY)
    checkpoints.BestTracker(store).record(name, 12.0)
    return store


def test_evaluation_run_writes_sim_trace_and_metrics(tmp_path):
    store = _stored_model(tmp_path)
    settings = evaluation_settings({"WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": str(tmp_path),
                                    "MODEL_S3_PREFIX": "eval-model", "NUMBER_OF_TRIALS": "2",
                                    "EVALUATION_MAX_RESETS": "1"})
    stream = io.StringIO()
    summary = EvaluationWorker(settings, progress=Progress("evaluation", stream=stream)).run()
    assert summary.checkpoint == "0_Step-100.ckpt" and len(summary.trials) == 2
    assert re.fullmatch(r"\d{14}", summary.stamp)
    assert summary.simtrace_key == f"evaluation-{summary.stamp}/evaluation-simtrace/0-iteration.csv"
    assert summary.metrics_key == f"metrics/EvaluationMetrics-{summary.stamp}.json"
    metrics = json.loads(store.get_bytes(summary.metrics_key))["metrics"]
    assert [m["trial"] for m in metrics] == [1, 2]
    for entry, trial in zip(metrics, summary.trials):
        assert entry["completion_percentage"] == int(trial.progress)
        assert entry["off_track_count"] == trial.off_track_count
        assert entry["reset_count"] >= trial.resets
    trace = store.get_bytes(summary.simtrace_key).decode().splitlines()
    assert {parse_sim_trace(line)["episode"] for line in trace[1:]} == {0, 1}
    text = stream.getvalue()
    assert len(re.findall(r"trial [12]/2: completion +\d+\.\d% \| .* \| off track \d", text)) == 2
    assert "laps complete, mean completion" in text
    race = json.loads(store.get_bytes(summary.metrics_key))["race"]
    assert race["trials"] == 2 and race["limit_s"] > 0
    assert race["off_track_count"] == sum(t.off_track_count for t in summary.trials)
    assert summary.race.complete_laps == sum(t.lap_time is not None for t in summary.trials)
    assert re.search(r"race: laps \d/2 \|.* off track \d+ \| resets \d+", text)
