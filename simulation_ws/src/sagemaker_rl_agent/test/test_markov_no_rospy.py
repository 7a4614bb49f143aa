"""The `markov` library never imports the ROS client; only `markov_ros` does.

Each check runs in a fresh Python process (this one may already hold rospy):
`import markov`, then every `markov.*` module found by pkgutil, one at a time,
noting the first import after which a ROS client module is in `sys.modules`.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROS_CLIENT = ("rospy", "rosgraph", "roslib")  # top-level packages the library must not load
SOURCES = sorted(str(src) for src in Path(__file__).resolve().parents[2].glob("*/src"))

PROBE = textwrap.dedent("""
    import importlib, json, pkgutil, sys

    ROS_CLIENT = tuple(sys.argv[1].split(","))

    def loaded():
        return sorted(m for m in sys.modules if m.split(".")[0] in ROS_CLIENT)

    def probe(name, report):
        try:
            importlib.import_module(name)
        except Exception as err:  # reported, and the test fails on it
            report["errors"][name] = f"{type(err).__name__}: {err}"
            return
        report["imported"].append(name)
        if loaded() and report["first"] is None:
            report["first"] = {"module": name, "loaded": loaded()}

    report = {"imported": [], "errors": {}, "first": None}
    probe("markov", report)
    import markov
    # walk_packages imports a package only after yielding it, so it is probed first
    for info in pkgutil.walk_packages(markov.__path__, "markov.", onerror=lambda name: None):
        probe(info.name, report)
    for name in sys.argv[2:]:  # extra modules (the control)
        probe(name, report)
    print(json.dumps(report))
""")


def run_probe(*extra):
    """The probe's report: modules imported, import errors, the first that loaded the ROS client."""
    path = os.pathsep.join(SOURCES + [os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(ROS_CLIENT), *extra], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_markov_module_imports_the_ros_client():
    report = run_probe()
    assert report["errors"] == {}
    assert report["first"] is None, f"{report['first']['module']} loads {report['first']['loaded']}"
    imported = set(report["imported"])
    assert {"markov", "markov.backends.base", "markov.backends.inprocess",
            "markov.envs.deepracer_env", "markov.ppo.trainer", "markov.workers.training"} <= imported
    assert not any(name.startswith("markov_ros") for name in imported)


def test_the_probe_sees_the_ros_client_when_it_is_imported():
    pytest.importorskip("rospy")
    pytest.importorskip("deepracer_msgs", reason="build and source simulation_ws (deepracer_msgs)")
    report = run_probe("markov_ros.backend")
    assert report["first"]["module"] == "markov_ros.backend"
    assert "rospy" in report["first"]["loaded"]


def test_the_ros_backend_is_registered_from_markov_ros():
    from markov.backends import BACKENDS

    assert BACKENDS["ros"] == "markov_ros.backend:RosBackend"
    pytest.importorskip("rospy")
    pytest.importorskip("deepracer_msgs", reason="build and source simulation_ws (deepracer_msgs)")
    from markov_ros.backend import RosBackend

    module, factory = BACKENDS["ros"].split(":")
    assert getattr(sys.modules[module], factory) is RosBackend
