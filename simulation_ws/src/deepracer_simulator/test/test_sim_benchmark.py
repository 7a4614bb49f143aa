"""scripts/benchmark.py sim: runs, prints the agreed JSON lines, restores the CPU affinity."""
import importlib.util
import json
import os
from pathlib import Path

import pytest

SCRIPT = next((p / "scripts" / "benchmark.py" for p in Path(__file__).resolve().parents
               if (p / "scripts" / "benchmark.py").is_file()), None)


@pytest.fixture(scope="module")
def benchmark():
    if SCRIPT is None:
        pytest.skip("scripts/benchmark.py is not above this test (installed copy)")
    spec = importlib.util.spec_from_file_location("benchmark_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sim_suite_prints_json_lines(benchmark, capsys):
    affinity = os.sched_getaffinity(0)
    # The ROS lockstep benchmark starts its own master and node; it has a test of its own.
    assert benchmark.main(["sim", "--frames", "40", "--repeats", "1",
                           "--only", "sim_inprocess_steps_per_s"]) == 0
    assert os.sched_getaffinity(0) == affinity
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    names = [line["benchmark"] for line in lines]
    assert names[0] == "sim_inprocess_steps_per_s" and lines[0]["unit"] == "steps/s"
    assert {"sim_inprocess_physics_us_per_step", "sim_inprocess_render_us_per_step",
            "sim_inprocess_wheels_us_per_step"} <= set(names)
    assert all(set(line) == {"benchmark", "value", "unit"} and line["value"] > 0 for line in lines)


def test_bad_options_are_rejected(benchmark):
    with pytest.raises(SystemExit):
        benchmark.parse_args(["sim", "--frames", "0"])
    with pytest.raises(SystemExit):
        benchmark.parse_args(["nosuchsuite"])
