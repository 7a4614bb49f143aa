"""`colcon bundle` end to end on simulation_ws: build, rebuild, unpack elsewhere, evaluate from there.

Slow (writes and unpacks ~1.7 GB). The unpacked bundle runs under `env -i` and, where
`unshare` may mount (root), with an empty tmpfs over the repository, so nothing from the
source tree or its venv can be used. Needs the workspace built (scripts/setup.sh).
"""
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[4]
WORKSPACE = REPO / "simulation_ws"
METADATA = {"action_space": [{"steering_angle": -15, "speed": 1.0},
                             {"steering_angle": 0, "speed": 1.0},
                             {"steering_angle": 15, "speed": 1.0}],
            "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
            "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}


def colcon_bundle(install, bundle):
    """Run `colcon bundle` in simulation_ws on `install`; (seconds, stdout)."""
    colcon = shutil.which("colcon")
    assert colcon, "colcon is not installed: run scripts/setup.sh"
    start = time.monotonic()
    done = subprocess.run([colcon, "--log-base", "/dev/null", "bundle", "--install-base",
                           str(install), "--bundle-base", str(bundle)],
                          cwd=WORKSPACE, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - start
    assert done.returncode == 0, f"colcon bundle failed (plugin installed? scripts/setup.sh):\n" \
                                 f"{done.stdout}\n{done.stderr}"
    return seconds, done.stdout


def can_hide_repo():
    """True if an empty tmpfs can be mounted over the repository in a private mount namespace."""
    probe = f"mount -t tmpfs none {REPO} && test ! -e {REPO}/README.md"
    try:
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", probe],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def run_isolated(script, home, env=(), timeout=300):
    """Run bash `script` with a clean environment (and the repository hidden when possible)."""
    command = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", f"TMPDIR={home}", *env, "bash",
               "-c", script]
    if can_hide_repo():
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs none "$0" && exec "$@"', str(REPO), *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=home)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_store(root):
    """A local model store `eval-run` holding an untrained policy's checkpoint and metadata."""
    from markov.ppo.policy import PPOPolicy
    from markov.store import LocalModelStore, layout
    from markov.workers.checkpoints import save_to_store
    store = LocalModelStore(root, "eval-run")
    store.put_bytes(json.dumps(METADATA).encode(), layout.MODEL_METADATA_KEY)
    with tempfile.TemporaryDirectory() as workdir:
        save_to_store(store, workdir, 0, 0, PPOPolicy(METADATA["neural_network"], n_actions=3, seed=0))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Bundle a copy of simulation_ws/install three times (fresh, unchanged, changed); unpack."""
    install = WORKSPACE / "install"
    assert (install / "local_setup.sh").is_file(), "simulation_ws is not built: run scripts/setup.sh"
    base = tmp_path_factory.mktemp("bundle")
    copy = base / "install"
    shutil.copytree(install, copy, symlinks=True)
    figures = {}
    figures["fresh_s"], figures["fresh_out"] = colcon_bundle(copy, base / "bundle")
    figures["unchanged_s"], figures["unchanged_out"] = colcon_bundle(copy, base / "bundle")
    marker = copy / "deepracer_simulation" / "share" / "deepracer_simulation" / "bundle_marker.txt"
    marker.write_text("changed after the first bundle\n")
    figures["changed_s"], figures["changed_out"] = colcon_bundle(copy, base / "bundle")
    output = base / "bundle" / "output.tar"
    figures["size"] = output.stat().st_size
    unpacked = base / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-xf", str(output), "-C", str(unpacked)], check=True, timeout=600)
    shutil.rmtree(copy)
    output.unlink()
    print(f"\nbundle: {figures['size'] / 1e9:.2f} GB; fresh build {figures['fresh_s']:.1f} s, "
          f"unchanged {figures['unchanged_s']:.1f} s "
          f"({100 * figures['unchanged_s'] / figures['fresh_s']:.0f} %), "
          f"workspace change {figures['changed_s']:.1f} s")
    yield unpacked, figures
    shutil.rmtree(base, ignore_errors=True)


def test_rebuilds_reuse_what_did_not_change(built):
    unpacked, figures = built
    assert "up to date" in figures["unchanged_out"]
    # nothing rewritten: a fraction of the fresh build (at least 2 s of slack, as a fresh
    # build that reuses cached files can itself take only a few seconds)
    assert figures["unchanged_s"] < max(0.2 * figures["fresh_s"], 2.0)
    assert "python    layer" in figures["changed_out"] and "(reused)" in figures["changed_out"]
    assert "workspace layer" in figures["changed_out"]
    marker = unpacked / "install/deepracer_simulation/share/deepracer_simulation/bundle_marker.txt"
    assert marker.read_text() == "changed after the first bundle\n"
    assert figures["size"] > 100e6  # TensorFlow is in it
    manifest = json.loads((unpacked / "bundle.json").read_text())
    names = {d["name"] for d in manifest["python_distributions"]}
    assert {"tensorflow-cpu", "boto3", "gymnasium", "numpy"} <= names
    assert not names & {"moto", "pytest"}


def test_python_comes_from_the_bundle(built, tmp_path):
    unpacked, _ = built
    script = (f"source {unpacked}/setup.bash && test ! -e {REPO}/README.md && echo HIDDEN; "
              "python3 -c 'import sys, markov, tensorflow, deepracer_simulation, deepracer_msgs, "
              "rospy; print(sys.prefix); print(markov.__file__); print(tensorflow.__file__); "
              "print(deepracer_simulation.__file__); print(rospy.__file__)'")
    done = run_isolated(script, tmp_path, ["TF_CPP_MIN_LOG_LEVEL=2"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    if can_hide_repo():
        assert lines[0] == "HIDDEN"
    paths = lines[-5:]
    assert paths[0] == f"{unpacked}/venv"
    assert all(p.startswith(f"{unpacked}/") for p in paths[1:4]), paths
    assert paths[4].startswith("/usr/lib/python3/dist-packages/rospy"), paths


def test_evaluation_runs_from_the_bundle(built, tmp_path):
    unpacked, _ = built
    launch = unpacked / "install/deepracer_simulation/share/deepracer_simulation/launch"
    assert (launch / "evaluation.launch").is_file()
    make_store(tmp_path / "models")
    port = free_port()
    script = (f"source {unpacked}/setup.bash && roslaunch -p {port} deepracer_simulation "
              "evaluation.launch world_name:=reInvent2019_track")
    env = [f"ROS_MASTER_URI=http://127.0.0.1:{port}", f"LOCAL_MODEL_STORE={tmp_path / 'models'}",
           "MODEL_S3_PREFIX=eval-run", "NUMBER_OF_TRIALS=1", "EVALUATION_MAX_RESETS=1",
           "TF_CPP_MIN_LOG_LEVEL=2",
           "CAMERA_CALIBRATION=pinhole"]  # the bundle is simulation_ws: no robot_ws lens library
    start = time.monotonic()
    done = run_isolated(script, tmp_path, env, timeout=600)
    print(f"\nevaluation from the bundle: {time.monotonic() - start:.1f} s", file=sys.stderr)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "evaluating 0_Step-0.ckpt" in done.stdout and "1 trial(s)" in done.stdout
    metrics = sorted((tmp_path / "models" / "eval-run" / "metrics").glob("EvaluationMetrics-*.json"))
    assert len(metrics) == 1
    entries = json.loads(metrics[0].read_text())["metrics"]
    assert [e["trial"] for e in entries] == [1]
    run = tmp_path / "models" / "eval-run"
    simtraces = list(run.glob("evaluation-*/evaluation-simtrace/0-iteration.csv"))
    assert len(simtraces) == 1 and len(simtraces[0].read_text().splitlines()) > 1
