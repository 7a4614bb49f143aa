"""The training worker as a process (`python -m markov.workers.training`): SIGKILL and resume,
Ctrl-C, and exit codes for bad files."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from markov.store import LocalModelStore, layout

SRC_DIRS = sorted(str(p) for p in Path(__file__).resolve().parents[2].glob("*/src"))
PREFIX = "rl-deepracer-sagemaker"
_started = []  # (process, log) of the workers the running test started


@pytest.fixture(autouse=True)
def _kill_leftover_workers():
    """After each test (passed or not), kill the workers still running and close their logs."""
    yield
    while _started:
        process, log = _started.pop()
        if process.poll() is None:
            process.kill()
            process.wait(30)
        log.close()


def worker(tmp_path, hyperparameters, **extra):
    """Start the training worker on easy_track into tmp_path/store; stdout+stderr to a file."""
    (tmp_path / "hp.json").write_text(json.dumps(hyperparameters))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(SRC_DIRS), WORLD_NAME="easy_track",
               LOCAL_MODEL_STORE=str(tmp_path / "store"), HYPERPARAMETERS_FILE=str(tmp_path / "hp.json"),
               TRAINING_SEED="5", TF_CPP_MIN_LOG_LEVEL="2", PROGRESS_BAR="false",
               CAMERA_CALIBRATION="pinhole", RANDOMIZATION_FILE="none")  # the fast flat world
    env.update(extra)
    env.pop("MODEL_S3_BUCKET", None)
    log = open(tmp_path / f"worker-{time.monotonic_ns()}.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "markov.workers.training"], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    _started.append((process, log))
    return process, log


def output(log):
    log.flush()
    log.seek(0)
    return log.read()


def wait_for(predicate, process, log, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, f"worker exited early:\n{output(log)}"
        assert time.monotonic() < deadline, f"timed out:\n{output(log)}"
        time.sleep(0.05)


def assert_consistent(store):
    """The pointer and deepracer_checkpoints.json name checkpoints whose files are all there."""
    complete = store.complete_checkpoints()
    assert store.read_pointer() in complete
    index = store.read_checkpoints_json()
    if index is not None:  # best is None when no checkpoint was evaluated yet
        assert {r.name for r in (index.best, index.last) if r is not None} <= set(complete)
    return complete


def test_sigkill_mid_iteration_then_resume(tmp_path):
    store = LocalModelStore(tmp_path / "store", PREFIX)
    hyperparameters = {"num_episodes_between_training": 2, "num_epochs": 1, "term_cond_max_episodes": 6}
    process, log = worker(tmp_path, hyperparameters)
    wait_for(lambda: store.exists(layout.POINTER_KEY), process, log)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert_consistent(store)
    killed_at = store.read_pointer()

    process, log = worker(tmp_path, hyperparameters)
    assert process.wait(180) == 0, output(log)
    text = output(log)
    assert f"resuming from {killed_at}" in text
    complete = assert_consistent(store)
    assert complete[-1].startswith("2_Step-")  # three iterations of two episodes in all
    assert "term_cond_max_episodes (6) reached" in text
    assert store.exists("model.tar.gz")


def test_sigint_stops_cleanly_after_saving(tmp_path):
    store = LocalModelStore(tmp_path / "store", PREFIX)
    hyperparameters = {"num_episodes_between_training": 2, "num_epochs": 1}
    process, log = worker(tmp_path, hyperparameters)
    wait_for(lambda: store.exists(layout.POINTER_KEY), process, log)
    process.send_signal(signal.SIGINT)
    assert process.wait(120) == 0, output(log)
    text = output(log)
    assert "SIGINT: stopping after saving the current state" in text
    assert "stopping: stopped (SIGINT)" in text
    assert_consistent(store)
    assert store.exists("model.tar.gz") and store.exists(layout.TRAINING_METRICS_KEY)


@pytest.mark.parametrize("variable, name, content, message", [
    ("HYPERPARAMETERS_FILE", "hp_bad.json", '{"num_epochs": 0}', "num_epochs: 0 is out of range"),
    ("MODEL_METADATA_FILE", "md.json", '{"action_space": "fast"}', "action_space: a discrete"),
    ("REWARD_FILE", "reward.py", "def reward_function(params):\n    return params['speeed']\n",
     "reward.py:2: reward_function raised KeyError"),
])
def test_bad_file_exits_non_zero_naming_the_file(tmp_path, variable, name, content, message):
    (tmp_path / name).write_text(content)
    process, log = worker(tmp_path, {"num_episodes_between_training": 2},
                          **{variable: str(tmp_path / name)})
    assert process.wait(60) == 1
    text = output(log)
    assert f"[training] error: {tmp_path / name}" in text and message in text
    assert "iteration" not in text and not (tmp_path / "store").exists()
