"""Ctrl-C of a real `roslaunch local_training.launch` mid-iteration: the worker trains on the
episodes finished so far and saves them as a complete checkpoint before roslaunch escalates
to SIGTERM/SIGKILL. Needs the workspace built and sourced (roslaunch finds the packages)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from markov.sim_trace import parse_sim_trace
from markov.store import LocalModelStore, layout

rospkg = pytest.importorskip("rospkg")
PREFIX = "rl-deepracer-sagemaker"
SIGINT_TIMEOUT_S = "60"  # as scripts/local_training.sh passes to roslaunch


def _installed():
    try:
        rospkg.RosPack().get_path("deepracer_simulation")
        rospkg.RosPack().get_path("sagemaker_rl_agent")
    except rospkg.ResourceNotFound:
        return False
    return shutil.which("roslaunch") is not None


pytestmark = pytest.mark.skipif(not _installed(),
                                reason="build and source simulation_ws (roslaunch packages)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigint_of_roslaunch_saves_the_iteration_in_progress(tmp_path):
    store = LocalModelStore(tmp_path / "store", PREFIX)
    # An iteration that cannot finish before the signal: the checkpoint can only hold
    # the episodes played up to the signal.
    (tmp_path / "hp.json").write_text(json.dumps(
        {"num_episodes_between_training": 100000, "num_epochs": 1}))
    env = dict(os.environ, WORLD_NAME="easy_track", LOCAL_MODEL_STORE=str(tmp_path / "store"),
               HYPERPARAMETERS_FILE=str(tmp_path / "hp.json"), TRAINING_SEED="5",
               PROGRESS_BAR="false", ROS_HOME=str(tmp_path / "ros"), ROS_LOG_DIR=str(tmp_path / "log"),
               TF_CPP_MIN_LOG_LEVEL="2",
               # the flat world: its episodes end within the seconds this test waits (the
               # standard world's first reset bakes scenes and compiles its renderer first)
               RANDOMIZATION_FILE="none", CAMERA_CALIBRATION="pinhole")
    env.pop("MODEL_S3_BUCKET", None)
    env.pop("ROS_MASTER_URI", None)
    log = open(tmp_path / "roslaunch.log", "w+")
    launch = subprocess.Popen(
        ["roslaunch", "-p", str(_free_port()), "--sigint-timeout", SIGINT_TIMEOUT_S,
         "deepracer_simulation", "local_training.launch", "backend:=inprocess"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def text():
        log.flush()
        log.seek(0)
        return log.read()
    try:
        deadline = time.monotonic() + 240
        while "[training] new model at" not in text():
            assert launch.poll() is None, text()
            assert time.monotonic() < deadline, text()
            time.sleep(0.2)
        time.sleep(8.0)  # random-policy episodes on easy_track end within a few seconds each
        assert not store.exists(layout.POINTER_KEY)  # nothing saved before the signal
        launch.send_signal(signal.SIGINT)
        launch.wait(int(SIGINT_TIMEOUT_S) + 60)
        out = text()
    finally:
        if launch.poll() is None:
            os.killpg(launch.pid, signal.SIGKILL)
            launch.wait(30)
        log.close()

    assert "SIGINT: stopping after saving the current state" in out, out
    assert "escalating to SIGTERM" not in out and "escalating to SIGKILL" not in out, out
    match = re.search(r"saved (0_Step-(\d+)\.ckpt) after (\d+) of 100000 episodes", out)
    assert match, out
    name, steps, episodes = match.group(1), int(match.group(2)), int(match.group(3))
    assert episodes >= 1
    assert store.complete_checkpoints() == [name] and store.read_pointer() == name
    # The checkpoint holds exactly the finished episodes: metrics and sim trace agree with it.
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    assert [m["episode"] for m in metrics if m.get("phase") == "training"] == \
        list(range(1, episodes + 1))
    rows = [parse_sim_trace(line) for line in
            store.get_bytes(layout.training_simtrace_key(0)).decode().splitlines()[1:]]
    assert len(rows) == steps
    assert sorted({row["episode"] for row in rows}) == list(range(episodes))
    assert store.exists("model.tar.gz")
