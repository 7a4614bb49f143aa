"""Race figures: lap-time summaries, the track's limit, BEST_MODEL_METRIC, metrics JSON fields."""
import json

import pytest

from markov import laptime
from markov.metrics import EvaluationMetrics, TrainingMetrics
from markov.store import LocalModelStore
from markov.workers import checkpoints
from markov.workers.settings import SettingsError, training_settings


def test_summary_of_complete_and_incomplete_laps():
    s = laptime.summarize([6.0, None, 8.0], limit_s=5.0, off_track_count=2, reset_count=1)
    assert (s.trials, s.complete_laps, s.best_lap_s, s.mean_lap_s) == (3, 2, 6.0, 7.0)
    assert s.ratio_to_limit == pytest.approx(1.4)
    assert s.line() == ("laps 2/3 | best 6.00 s | mean 7.00 s | 1.40x limit 5.00 s | "
                        "off track 2 | resets 1")
    none = laptime.summarize([None, None], limit_s=5.0)
    assert none.best_lap_s is None and none.ratio_to_limit is None
    assert none.line() == "laps 0/2 | off track 0 | resets 0"


def test_lap_limit_is_the_min_time_race_line():
    from deepracer_simulation.car_model import load_car_model
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track
    from deepracer_simulator import raceline
    limits = raceline.CarLimits.from_car(load_car_model())
    expected = raceline.race_lines(Track(load_route("easy_track"), "easy_track"), limits)
    assert laptime.lap_limit_s("easy_track") == pytest.approx(expected["min_time"].lap_time)
    assert laptime.lap_limit_s("Straight_track") is None  # open: no lap


def test_best_model_score_by_progress_or_lap_time():
    assert laptime.best_model_score("progress", [50.0, 100.0], [None, 7.0]) == 75.0
    assert laptime.best_model_score("lap_time", [50.0, 100.0], [None, 7.0]) is None
    assert laptime.best_model_score("lap_time", [100.0, 100.0], [6.0, 7.0]) == 6.5
    assert laptime.best_model_score("progress", [], []) is None
    with pytest.raises(ValueError, match="'speed'"):
        laptime.best_model_score("speed", [1.0], [None])


def test_best_tracker_by_lap_time_keeps_the_fastest(tmp_path):
    store = LocalModelStore(tmp_path, "m")
    tracker = checkpoints.BestTracker(store, lower_is_better=True)
    names = []
    for n, lap in enumerate([None, 9.0, 7.5, 8.0, 7.5]):
        name = f"{n}_Step-{10 * (n + 1)}.ckpt"
        for suffix in (".index", ".data-00000-of-00001"):
            store.put_bytes(b"x", f"model/{name}{suffix}")
        names.append(tracker.record(name, lap))
    assert names == [False, True, True, False, True]  # a newer equal lap replaces the best
    assert store.read_checkpoints_json().best.avg_eval_metric == 7.5


def test_best_model_metric_setting():
    assert training_settings({}).best_model_metric == "progress"
    assert training_settings({"BEST_MODEL_METRIC": "lap_time"}).best_model_metric == "lap_time"
    with pytest.raises(SettingsError, match="BEST_MODEL_METRIC"):
        training_settings({"BEST_MODEL_METRIC": "reward_speed"})


def test_metrics_json_carry_lap_times_and_the_race(tmp_path):
    evaluation = EvaluationMetrics(tmp_path / "e.json")
    evaluation.add_trial(progress=100.0, status="lap_complete", start_time_ms=1000,
                         end_time_ms=2000, lap_time_s=6.4321)
    evaluation.add_trial(progress=40.0, status="off_track", start_time_ms=2000, end_time_ms=3000)
    evaluation.race = laptime.summarize([6.4321, None], 5.0, 1, 0).to_dict()
    data = json.loads(evaluation.write().read_text())
    assert data["metrics"][0]["lap_time_in_milliseconds"] == 6432
    assert "lap_time_in_milliseconds" not in data["metrics"][1]
    assert data["metrics"][0]["elapsed_time_in_milliseconds"] == 1000  # the contract's fields stay
    assert data["race"]["best_lap_s"] == 6.4321 and data["race"]["complete_laps"] == 1
    training = TrainingMetrics(tmp_path / "t.json", best_model_metric="lap_time")
    training.add_episode(episode=1, trial=1, reward=3.0, progress=100.0, status="lap_complete",
                         start_time_ms=0, end_time_ms=10, phase="evaluation", lap_time_s=7.0)
    data = json.loads(training.write().read_text())
    assert data["best_model_metric"] == "lap_time"
    assert data["metrics"][0]["lap_time_in_milliseconds"] == 7000


def test_race_benchmark_racing_setup_is_valid(tmp_path):
    """The race suite registers, and its racing setup passes the training worker's checks."""
    import argparse
    import importlib.util
    import runpy
    from pathlib import Path

    from markov.workers.userfiles import check_user_files

    root = next((p for p in Path(__file__).resolve().parents
                 if (p / "scripts" / "benchmark.py").is_file()), None)
    if root is None:
        pytest.skip("scripts/ is not above this test (installed copy)")
    spec = importlib.util.spec_from_file_location("benchmark_script", root / "scripts" / "benchmark.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.load_suite_modules()  # every suite file, as benchmark.py does: the race suite is shared
    assert "race_best_lap_s" in bench.SUITES["race"].benchmarks
    parsed = bench.parse_args(["race", "--only", "race_best_lap_s", "--setup", "default"])
    assert parsed.setup == "default" and parsed.only == ["race_best_lap_s"]
    suite = runpy.run_path(str(root / "scripts" / "benchmarks" / "racing.py"),
                           init_globals={"bench": bench})
    args = argparse.Namespace(world="reinvent_base", minutes=60.0, seed=1, setup="racing", trials=3)
    settings = training_settings(suite["race_environ"](args, tmp_path))
    assert settings.best_model_metric == "lap_time" and settings.stop_after_full_laps == 0
    assert settings.randomization_file == "none"  # trained in the world it is timed in
    check_user_files(settings)
    default = training_settings(suite["race_environ"](
        argparse.Namespace(**{**vars(args), "setup": "default"}), tmp_path))
    assert default.best_model_metric == "progress"
    assert default.randomization_file == "standard"  # the shipped training default


def test_race_line_helpers_inside_a_reward_function_file(tmp_path):
    from pathlib import Path

    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track
    from markov.reward import load_reward_function
    from markov.reward_params import sample_reward_params

    track = Track(load_route("reinvent_base"), "reinvent_base")
    params = dict(sample_reward_params(track.waypoints, track.width)[0])
    line = laptime.race_line(params)
    assert line.lap_time < laptime.lap_limit_s("reinvent_base") * 1.2
    params.update(x=float(line.xy[10, 0]), y=float(line.xy[10, 1]), speed=float(line.speed[10]),
                  is_offtrack=False, all_wheels_on_track=True)
    assert laptime.race_line_target(params) == pytest.approx((0.0, line.speed[10]), abs=1e-9)
    root = next((p for p in Path(__file__).resolve().parents
                 if (p / "scripts" / "benchmarks").is_dir()), None)
    if root is None:
        pytest.skip("scripts/ is not above this test (installed copy)")
    reward = load_reward_function(root / "scripts/benchmarks/race_setup/reward_race_line.py")
    on_line = reward(dict(params))
    params.update(speed=0.5 * line.speed[10])
    assert on_line == pytest.approx(1.0, abs=1e-2) and reward(params) < on_line
