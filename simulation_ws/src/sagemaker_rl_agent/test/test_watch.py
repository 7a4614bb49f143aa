"""Watching: the training graph after each iteration, plot_training.py and analyze.py on
a real 3-iteration training store (local and S3), against deepracer-utils, and bad input."""
import dataclasses
import importlib.util
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from markov.store import LocalModelStore, layout
from markov.watch.plots import CSV_KEY, PLOT_KEY
from markov.workers.progress import Progress
from markov.workers.settings import evaluation_settings, training_settings
from markov.workers.training import TrainingWorker

ROOT = Path(__file__).resolve().parents[4]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", autouse=True)
def _no_autograph_leftovers():
    """Remove the __autograph_generated_file*.py that TensorFlow leaves in the temp folder."""
    import glob
    import os
    import tempfile

    pattern = os.path.join(tempfile.gettempdir(), "__autograph_generated_file*.py")
    before = set(glob.glob(pattern))
    yield
    for path in set(glob.glob(pattern)) - before:
        Path(path).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def store3(tmp_path_factory):
    """A store after a 3-iteration training (2 episodes each) and one 1-trial evaluation."""
    from markov.workers.evaluation import EvaluationWorker

    tmp_path = tmp_path_factory.mktemp("watch")
    hyperparameters = tmp_path / "hyperparameters.json"
    hyperparameters.write_text(json.dumps({"num_episodes_between_training": 2, "num_epochs": 1,
                                           "term_cond_max_episodes": 6}))
    settings = dataclasses.replace(training_settings({
        "WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": str(tmp_path / "store"),
        "HYPERPARAMETERS_FILE": str(hyperparameters), "TRAINING_SEED": "3"}),
        eval_episodes=2, progress_bar=False)
    summary = TrainingWorker(settings, progress=Progress("training", stream=io.StringIO())).run()
    assert summary.iterations == 3
    evaluation = evaluation_settings({"WORLD_NAME": "easy_track", "NUMBER_OF_TRIALS": "1",
                                      "EVALUATION_MAX_RESETS": "1", "EVALUATION_SEED": "1",
                                      "EVALUATION_VIDEO": "true",
                                      "LOCAL_MODEL_STORE": str(tmp_path / "store")})
    EvaluationWorker(evaluation, progress=Progress("evaluation", stream=io.StringIO())).run()
    return settings.store.make_store()


def _copy(store, tmp_path, keep=lambda key: True) -> LocalModelStore:
    copy = LocalModelStore(tmp_path / "copy", "model-a")
    for key in store.list():
        if keep(key):
            copy.put_bytes(store.get_bytes(key), key)
    return copy


def _report_counts(path):
    text = Path(path).read_text()
    match = re.search(r'id="counts" data-episodes="(\d+)" data-steps="(\d+)"', text)
    return int(match.group(1)), int(match.group(2))


def test_training_writes_the_graph_after_each_iteration(store3):
    png, csv = store3.get_bytes(PLOT_KEY), store3.get_bytes(CSV_KEY).decode().splitlines()
    assert png.startswith(PNG_MAGIC)
    import matplotlib.image
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert image.shape[:2] == (650, 900) and image[..., :3].std() > 0.05  # drawn, not blank
    assert csv[0].startswith("iteration,training_episodes,mean_reward,mean_progress")
    metrics = json.loads(store3.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    training = [m for m in metrics if m["phase"] == "training"]
    assert len(csv) == 1 + 3
    for n, line in enumerate(csv[1:]):
        cells = line.split(",")
        episodes = training[2 * n:2 * n + 2]
        assert cells[:2] == [str(n), "2"]
        assert float(cells[2]) == pytest.approx(np.mean([e["reward_score"] for e in episodes]))
        assert float(cells[3]) == pytest.approx(np.mean([e["completion_percentage"]
                                                         for e in episodes]))


def test_analyze_counts_equal_deepracer_utils(store3, tmp_path):
    from deepracer.logs import DeepRacerLog

    out = tmp_path / "report.html"
    assert _script("analyze").main([str(store3.base), "-o", str(out)]) == 0
    log = DeepRacerLog(model_folder=str(store3.base))
    log.load_training_trace()
    df = log.dataframe()
    assert _report_counts(out) == (df["unique_episode"].nunique(), len(df))
    assert _report_counts(out) == (6, sum(len(store3.get_bytes(k).decode().splitlines()) - 1
                                          for k in store3.list("training-simtrace/")))
    evaluation = DeepRacerLog(model_folder=str(store3.base))
    evaluation.load_evaluation_trace()
    text = out.read_text()
    assert re.search(r"<td>evaluation runs</td><td>1</td>", text)
    trial_steps = re.search(r"<h3>evaluation-\d{14}</h3><table>.*?<tr><td>1</td><td>(\d+)</td>",
                            text).group(1)
    assert int(trial_steps) == len(evaluation.dataframe())
    images = re.findall(r'src="data:image/png;base64,', text)
    assert len(images) == 4  # graph, two heat maps, the evaluation trace
    assert "on easy_track" in text and "src=\"http" not in text


def test_evaluation_video_has_15_frames_per_simulated_second(store3, tmp_path):
    import subprocess

    [video] = [k for k in store3.list("evaluation-") if k.endswith(".mp4")]
    assert re.fullmatch(r"evaluation-\d{14}/videos/trial-1\.mp4", video)
    path = tmp_path / "trial-1.mp4"
    store3.get_file(video, path)
    probe = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,nb_read_frames,avg_frame_rate,duration", "-of", "json",
         str(path)], check=True, capture_output=True, text=True).stdout)["streams"][0]
    trace_key = video.split("/")[0] + "/evaluation-simtrace/0-iteration.csv"
    rows = store3.get_bytes(trace_key).decode().splitlines()[1:]
    simulated = float(rows[-1].split(",")[14]) - float(rows[0].split(",")[14]) + 1 / 15
    assert (probe["codec_name"], probe["width"], probe["height"]) == ("h264", 640, 480)
    assert probe["avg_frame_rate"] == "15/1"
    assert int(probe["nb_read_frames"]) == round(simulated * 15) == len(rows)
    assert float(probe["duration"]) == pytest.approx(simulated, abs=1 / 15)
    frame = subprocess.run(["ffmpeg", "-v", "error", "-ss", "1", "-i", str(path), "-frames:v", "1",
                            "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], check=True,
                           capture_output=True).stdout
    image = np.frombuffer(frame, np.uint8).reshape(480, 640, 3)
    inset = image[480 - 178:472, 640 - 178:632].astype(int)
    assert (np.abs(inset - 40).max(axis=2) > 150).sum() > 100  # the track lines of the inset map
    assert image[:, :, :].std() > 20  # a camera view, not a blank frame


def test_plot_training_from_s3_writes_into_the_bucket(store3, s3_server, s3_bucket, monkeypatch,
                                                      capsys):
    from markov.store import S3ModelStore

    s3 = S3ModelStore(s3_bucket, "runs/model-a", endpoint_url=s3_server)
    for key in store3.list():
        if key.startswith(("metrics/", "training-simtrace/")):
            s3.put_bytes(store3.get_bytes(key), key)
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_server)
    assert _script("plot_training").main([f"s3://{s3_bucket}/runs/model-a"]) == 0
    assert s3.get_bytes(PLOT_KEY).startswith(PNG_MAGIC)
    assert s3.get_bytes(CSV_KEY) == store3.get_bytes(CSV_KEY)
    assert f"s3://{s3_bucket}/runs/model-a/plots/training.png" in capsys.readouterr().out


def test_missing_s3_prefix_is_named_and_nothing_written(s3_server, s3_bucket, monkeypatch, capsys,
                                                        tmp_path):
    from markov.store import S3ModelStore

    monkeypatch.setenv("S3_ENDPOINT_URL", s3_server)
    where = f"s3://{s3_bucket}/no/such/prefix"
    assert _script("plot_training").main([where]) == 1
    assert f"{where} holds no objects" in capsys.readouterr().err
    assert _script("analyze").main([where, "-o", str(tmp_path / "r.html")]) == 1
    assert f"{where} holds no objects" in capsys.readouterr().err
    assert S3ModelStore(s3_bucket, "", endpoint_url=s3_server).list() == []
    assert not (tmp_path / "r.html").exists()


def test_store_without_metrics_or_traces_names_them(store3, tmp_path, capsys):
    bare = _copy(store3, tmp_path, lambda key: key.startswith("model/"))
    assert _script("plot_training").main([str(bare.base)]) == 0
    err = capsys.readouterr().err
    assert f"{bare.describe(layout.TRAINING_METRICS_KEY)} is missing" in err
    assert f"{bare.describe('training-simtrace/')} has no <iteration>-iteration.csv" in err
    assert bare.get_bytes(PLOT_KEY).startswith(PNG_MAGIC)  # the empty graph is still drawn
    out = tmp_path / "r.html"
    assert _script("analyze").main([str(bare.base), "-o", str(out)]) == 0
    text = out.read_text()
    assert "TrainingMetrics.json is missing" in text and _report_counts(out) == (0, 0)


def test_metrics_only_store_still_draws_the_graph(store3, tmp_path, capsys):
    only = _copy(store3, tmp_path, lambda key: key == layout.TRAINING_METRICS_KEY)
    out = tmp_path / "r.html"
    assert _script("analyze").main([str(only.base), "-o", str(out)]) == 0
    assert "has no <iteration>-iteration.csv" in capsys.readouterr().err
    assert "alt=\"training graph\"" in out.read_text()


def test_half_written_trace_line_is_named_and_the_rest_read(store3, tmp_path, capsys):
    copy = _copy(store3, tmp_path)
    key = layout.training_simtrace_key(2)
    text = copy.get_bytes(key).decode()
    lines = text.splitlines()
    copy.put_bytes((text[:len(text) - len(lines[-1]) // 2 - 1]).encode(), key)  # cut mid-line
    out = tmp_path / "r.html"
    assert _script("analyze").main([str(copy.base), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{copy.describe(key)}: line {len(lines)}: half-written last line skipped" in err
    full = sum(len(store3.get_bytes(k).decode().splitlines()) - 1
               for k in store3.list("training-simtrace/"))
    assert _report_counts(out)[1] == full - 1
    assert "half-written last line" in out.read_text()


def test_broken_metrics_json_is_named(store3, tmp_path, capsys):
    copy = _copy(store3, tmp_path)
    raw = copy.get_bytes(layout.TRAINING_METRICS_KEY)
    copy.put_bytes(raw[:len(raw) // 2], layout.TRAINING_METRICS_KEY)
    assert _script("plot_training").main([str(copy.base)]) == 0
    err = capsys.readouterr().err
    assert f"{copy.describe(layout.TRAINING_METRICS_KEY)}: not valid JSON" in err
    assert copy.get_bytes(PLOT_KEY).startswith(PNG_MAGIC)


def test_a_folder_that_is_no_model_is_an_error(tmp_path, capsys):
    assert _script("analyze").main([str(tmp_path), "-o", str(tmp_path / "r.html")]) == 1
    assert f"{tmp_path}: not a model folder" in capsys.readouterr().err


def test_graph_data_groups_iterations_and_takes_the_best_complete_lap():
    from markov.watch.plots import training_csv
    from markov.watch.store_data import group_iterations

    def entry(phase, reward, progress, ms):
        return {"phase": phase, "reward_score": reward, "completion_percentage": progress,
                "elapsed_time_in_milliseconds": ms, "episode_status": "Lap complete"}

    entries = [entry("training", 10, 20, 1000), entry("training", 30, 40, 1000),
               entry("evaluation", 0, 100, 12500), entry("evaluation", 0, 100, 11250),
               entry("evaluation", 0, 50, 9000),
               entry("training", 5, 10, 1000), entry("evaluation", 0, 60, 8000)]
    assert training_csv(group_iterations(entries)).splitlines() == [
        "iteration,training_episodes,mean_reward,mean_progress,eval_episodes,eval_completion,"
        "best_lap_time_s",
        "0,2,20.0000,30.0000,3,83.3333,11.2500",
        "1,1,5.0000,10.0000,1,60.0000,"]
