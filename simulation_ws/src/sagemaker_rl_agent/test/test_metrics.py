"""Training and evaluation metrics JSON files."""
import json
import os
import time

import pytest

from markov.metrics import (EvaluationMetrics, TrainingMetrics, atomic_write_text, now_ms,
                            status_label)

TRAINING_KEYS = ["reward_score", "metric_time", "start_time", "elapsed_time_in_milliseconds",
                 "episode", "trial", "phase", "completion_percentage", "episode_status"]
EVALUATION_KEYS = ["completion_percentage", "metric_time", "start_time",
                   "elapsed_time_in_milliseconds", "episode_status", "crash_count",
                   "immobilized_count", "off_track_count", "reversed_count", "reset_count", "trial"]


def test_training_metrics_golden_file(tmp_path):
    metrics = TrainingMetrics(tmp_path / "metrics" / "TrainingMetrics.json")
    metrics.add_episode(episode=1, trial=1, reward=12.6, progress=34.9, status="off_track",
                        start_time_ms=1700000000000, end_time_ms=1700000004321)
    metrics.add_episode(episode=2, trial=2, reward=250.2, progress=100.0, status="lap_complete",
                        start_time_ms=1700000005000, end_time_ms=1700000025000)
    metrics.add_episode(episode=2, trial=1, reward=80.0, progress=55.5, status="crashed",
                        start_time_ms=1700000030000, end_time_ms=1700000031000,
                        phase="evaluation")
    path = metrics.write()
    data = json.loads(path.read_text())
    assert list(data) == ["metrics", "version", "best_model_metric"]
    assert data["version"] == 2.0 and data["best_model_metric"] == "progress"
    assert all(list(entry) == TRAINING_KEYS for entry in data["metrics"])
    assert data["metrics"][0] == {
        "reward_score": 13, "metric_time": 1700000004321, "start_time": 1700000000000,
        "elapsed_time_in_milliseconds": 4321, "episode": 1, "trial": 1, "phase": "training",
        "completion_percentage": 34, "episode_status": "Off track"}
    assert data["metrics"][1]["episode_status"] == "Lap complete"
    assert data["metrics"][1]["completion_percentage"] == 100
    assert data["metrics"][2]["phase"] == "evaluation"
    assert data["metrics"][2]["episode_status"] == "Crashed"


def test_training_metrics_default_end_time_is_now(tmp_path):
    metrics = TrainingMetrics(tmp_path / "m.json", best_model_metric="reward")
    start = now_ms() - 1500
    entry = metrics.add_episode(episode=1, trial=1, reward=1.0, progress=1.0,
                                status="immobilized", start_time_ms=start)
    assert abs(entry["metric_time"] - time.time() * 1000) < 1000
    assert entry["elapsed_time_in_milliseconds"] >= 1500
    assert all(type(entry[k]) is int for k in ("metric_time", "start_time",
                                                 "elapsed_time_in_milliseconds"))
    assert metrics.to_dict()["best_model_metric"] == "reward"


def test_training_metrics_bad_input(tmp_path):
    with pytest.raises(ValueError, match="best_model_metric 'speed'"):
        TrainingMetrics(tmp_path / "m.json", best_model_metric="speed")
    metrics = TrainingMetrics(tmp_path / "m.json")
    with pytest.raises(ValueError, match="phase 'racing'"):
        metrics.add_episode(episode=1, trial=1, reward=0, progress=0, status="crashed",
                            start_time_ms=0, end_time_ms=1, phase="racing")
    with pytest.raises(ValueError, match="unknown episode status 'lost'"):
        metrics.add_episode(episode=1, trial=1, reward=0, progress=0, status="lost",
                            start_time_ms=0, end_time_ms=1)
    assert metrics.entries == []


def test_write_is_atomic_and_rewrites_everything(tmp_path):
    path = tmp_path / "TrainingMetrics.json"
    metrics = TrainingMetrics(path)
    for episode in range(1, 4):
        metrics.add_episode(episode=episode, trial=episode, reward=episode, progress=10 * episode,
                            status="off_track", start_time_ms=0, end_time_ms=100)
        metrics.write()
        assert len(json.loads(path.read_text())["metrics"]) == episode
    assert os.listdir(tmp_path) == ["TrainingMetrics.json"]
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "file.json"
    path.write_text("old")

    with pytest.raises(TypeError):
        atomic_write_text(path, 123)  # not text: fails inside the write
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["file.json"]


def test_evaluation_metrics_golden_file(tmp_path):
    metrics = EvaluationMetrics(tmp_path / "EvaluationMetrics-20240101120000.json")
    metrics.add_trial(progress=100.0, status="lap_complete", start_time_ms=1000, end_time_ms=21000)
    metrics.count_reset("off_track")
    metrics.count_reset("crashed")
    metrics.add_trial(progress=47.9, status="off_track", start_time_ms=22000, end_time_ms=30500)
    data = json.loads(metrics.write().read_text())
    assert list(data) == ["metrics"]
    assert all(list(entry) == EVALUATION_KEYS for entry in data["metrics"])
    assert data["metrics"][0] == {
        "completion_percentage": 100, "metric_time": 21000, "start_time": 1000,
        "elapsed_time_in_milliseconds": 20000, "episode_status": "Lap complete",
        "crash_count": 0, "immobilized_count": 0, "off_track_count": 0, "reversed_count": 0,
        "reset_count": 0, "trial": 1}
    second = data["metrics"][1]
    assert (second["off_track_count"], second["crash_count"], second["reset_count"]) == (2, 1, 3)
    assert second["episode_status"] == "Off track" and second["trial"] == 2
    assert second["completion_percentage"] == 47


def test_evaluation_counts_restart_per_trial(tmp_path):
    metrics = EvaluationMetrics(tmp_path / "e.json")
    metrics.add_trial(progress=3, status="reversed", start_time_ms=0, end_time_ms=5)
    entry = metrics.add_trial(progress=4, status="immobilized", start_time_ms=5, end_time_ms=9)
    assert (entry["reversed_count"], entry["immobilized_count"], entry["reset_count"]) == (0, 1, 1)
    with pytest.raises(ValueError, match="'lap_complete' is not a reset status"):
        metrics.count_reset("lap_complete")


def test_status_labels():
    assert [status_label(s) for s in ("in_progress", "lap_complete", "off_track", "crashed",
                                      "immobilized", "reversed")] == \
        ["In progress", "Lap complete", "Off track", "Crashed", "Immobilized", "Reversed"]
