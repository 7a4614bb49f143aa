"""The training and evaluation launch files resolve (roslaunch --dump-params / --nodes on the
source tree): the simulator in lockstep, the worker, its params and the environment fallbacks."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

SRC = Path(__file__).resolve().parents[2]
LAUNCH = SRC / "deepracer_simulation" / "launch"
SCRIPTS = Path(__file__).resolve().parents[4] / "scripts"
VENV_BIN = Path(__file__).resolve().parents[4] / ".venv" / "bin"

pytestmark = pytest.mark.skipif(shutil.which("roslaunch") is None, reason="roslaunch not installed")


def roslaunch(option, name, *args, **environ):
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
           "ROS_PACKAGE_PATH": f"{SRC}:/usr/share", "ROS_HOME": "/tmp/deepracer_launch_test",
           **environ}
    done = subprocess.run(["roslaunch", option, str(LAUNCH / name), *args], env=env,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def params(name, *args, **environ):
    code, text = roslaunch("--dump-params", name, *args, **environ)
    assert code == 0, text
    return yaml.safe_load(text)


def test_local_training_runs_the_simulator_in_lockstep_and_the_worker():
    code, nodes = roslaunch("--nodes", "local_training.launch")
    assert code == 0, nodes
    assert set(nodes.split()) == {"/deepracer_simulator", "/servo_commands",
                                  "/robot_state_publisher", "/training_worker"}
    dumped = params("local_training.launch", "max_training_minutes:=30",
                    WORLD_NAME="easy_track", REWARD_FILE="/data/reward.py")
    assert dumped["/deepracer_simulator/mode"] == "lockstep"
    assert dumped["/deepracer_simulator/world_name"] == "easy_track"
    assert dumped["/training_worker/world_name"] == "easy_track"
    assert dumped["/training_worker/reward_file"] == "/data/reward.py"
    assert dumped["/training_worker/max_training_minutes"] == "30"
    assert dumped["/training_worker/backend"] == "ros"
    assert dumped["/training_worker/hyperparameters_file"] == ""  # unset: the worker's default


def test_evaluation_launch():
    code, nodes = roslaunch("--nodes", "evaluation.launch")
    assert code == 0, nodes
    assert "/evaluation_worker" in nodes.split() and "/deepracer_simulator" in nodes.split()
    dumped = params("evaluation.launch", "checkpoint:=last", NUMBER_OF_TRIALS="5",
                    MODEL_S3_PREFIX="my-model")
    assert dumped["/evaluation_worker/number_of_trials"] == "5"
    assert dumped["/evaluation_worker/checkpoint"] == "last"
    assert dumped["/evaluation_worker/model_s3_prefix"] == "my-model"


def test_distributed_training_needs_a_bucket():
    code, text = roslaunch("--nodes", "distributed_training.launch")
    assert code != 0 and "MODEL_S3_BUCKET" in text
    dumped = params("distributed_training.launch", MODEL_S3_BUCKET="models-bucket")
    assert dumped["/training_worker/model_s3_bucket"] == "models-bucket"
    assert dumped["/deepracer_simulator/mode"] == "lockstep"


def script_arguments(script, *args):
    """(exit code, launch arguments, exported variables, stderr) of `launch_arguments` in a
    sourced scripts/<script> (no setup, no roslaunch)."""
    text = (SCRIPTS / script).read_text()  # sourcing a script without the guard would launch
    assert "launch_arguments()" in text and "then return 0; fi" in text
    names = ("WORLD_NAME", "LOCAL_MODEL_STORE", "NUMBER_OF_TRIALS")
    shown = " ".join(f'"${{{name}-}}"' for name in names)
    code = (f'source "$1" && shift && launch_arguments "$@" || exit; '
            f'printf "%s\\n" "${{LAUNCH_ARGS[@]}}"; printf "=%s\\n" {shown}')
    done = subprocess.run(["bash", "-c", code, "bash", str(SCRIPTS / script), *args], text=True,
                          capture_output=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")})
    lines = done.stdout.splitlines()
    exported = dict(zip(names, (line[1:] for line in lines[-len(names):])))
    return done.returncode, lines[:-len(names)], exported, done.stderr


def test_scripts_take_upper_case_variables_as_the_environment():
    code, args, exported, _ = script_arguments(
        "local_training.sh", "WORLD_NAME:=easy_track", "TRAINING_BACKEND:=inprocess",
        "max_training_minutes:=30", "LOCAL_MODEL_STORE:=runs/a b")
    assert code == 0
    assert args == ["backend:=inprocess", "max_training_minutes:=30"]
    assert exported == {"WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": "runs/a b",
                        "NUMBER_OF_TRIALS": ""}
    dumped = params("local_training.launch", *args, WORLD_NAME=exported["WORLD_NAME"])
    assert dumped["/training_worker/world_name"] == "easy_track"
    assert dumped["/deepracer_simulator/world_name"] == "easy_track"
    assert dumped["/training_worker/backend"] == "inprocess"
    code, args, exported, _ = script_arguments("evaluation.sh", "NUMBER_OF_TRIALS:=5",
                                               "EVALUATION_BACKEND:=inprocess", "checkpoint:=last")
    assert (code, args) == (0, ["backend:=inprocess", "checkpoint:=last"])
    assert exported["NUMBER_OF_TRIALS"] == "5"


@pytest.mark.parametrize("script, arg", [("local_training.sh", "WORLD:=easy_track"),
                                         ("local_training.sh", "NUMBER_OF_TRIALS:=5"),
                                         ("evaluation.sh", "MAX_TRAINING_MINUTES:=3")])
def test_scripts_refuse_an_unknown_upper_case_variable(script, arg):
    code, _, _, stderr = script_arguments(script, arg)
    assert code == 2
    assert f"{script}: unknown configuration variable in '{arg}'" in stderr
    assert "WORLD_NAME" in stderr and "world_name:=easy_track" in stderr
