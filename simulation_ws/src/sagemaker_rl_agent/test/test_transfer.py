"""The transfer check (markov.workers.transfer): held-out seeds disjoint from training's,
per-condition completion of a stored model, clear errors, and `benchmark.py transfer`."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from markov.envs import DeepRacerRacetrackEnv
from markov.envs.deepracer_env import _SEED_RANGE, EnvArgumentError
from markov.workers import transfer

METADATA = {"action_space": [{"steering_angle": -15, "speed": 1.0},
                             {"steering_angle": 0, "speed": 1.0},
                             {"steering_angle": 15, "speed": 1.0}],
            "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK",
            "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}


class SeedSpy:
    """Wraps a backend and records the scene seed of every reset."""

    def __init__(self, backend):
        self.backend, self.seeds = backend, []

    def reset(self, x, y, yaw, seed=None):
        self.seeds.append(seed)
        return self.backend.reset(x, y, yaw, seed=seed)

    def __getattr__(self, name):
        return getattr(self.backend, name)


def test_heldout_seeds_are_disjoint_from_every_training_seed():
    seeds = transfer.heldout_seeds(50)
    assert len(set(seeds)) == 50 and min(seeds) >= _SEED_RANGE
    # a training env draws its scene seeds in [0, 2**31) (the same for any enabled spec; a flat
    # one here, as the realistic world's bakes would only cost time)
    from deepracer_simulator.randomization_file import ranges_from_dict, to_spec
    env = DeepRacerRacetrackEnv(domain_randomization=to_spec(ranges_from_dict(
        {"light_level": [0.8, 1.2], "latency_prob": [0.0, 0.3]}, "test.json")))
    spy = env.backend = SeedSpy(env.backend)
    for k in range(40):
        env.reset(seed=k if k % 10 == 0 else None)
    assert all(0 <= s < _SEED_RANGE for s in spy.seeds) and len(set(spy.seeds)) == 40
    assert not set(spy.seeds) & set(seeds)
    # the reset option hands a held-out seed to the backend, deterministically
    obs_a, _ = env.reset(options={"scene_seed": seeds[3], "start_s": 1.0})
    obs_b, _ = env.reset(options={"scene_seed": seeds[3], "start_s": 1.0})
    assert spy.seeds[-2:] == [seeds[3], seeds[3]]
    np.testing.assert_array_equal(obs_a, obs_b)
    with pytest.raises(EnvArgumentError, match="'scene_seed' must be an integer >= 0"):
        env.reset(options={"scene_seed": -1})
    env.close()


@pytest.fixture(scope="module")
def untrained_store(tmp_path_factory):
    """A local store holding an untrained policy's checkpoint 0 and its metadata."""
    from markov.ppo.policy import PPOPolicy
    from markov.store import LocalModelStore, layout
    from markov.workers.checkpoints import save_to_store
    root = tmp_path_factory.mktemp("transfer_models")
    store = LocalModelStore(root, "untrained")
    store.put_bytes(json.dumps(METADATA).encode(), layout.MODEL_METADATA_KEY)
    with tempfile.TemporaryDirectory() as workdir:
        save_to_store(store, workdir, 0, 0, PPOPolicy(METADATA["neural_network"], n_actions=3, seed=0))
    return store


def test_report_per_condition_and_track(untrained_store):
    lines = []
    report = transfer.run_transfer(untrained_store, tracks=("Oval_track", "Bowtie_track"),
                                   conditions=("nominal", "heldout"), trials=2,
                                   camera_calibration="pinhole", log=lines.append)
    assert [(r.condition, r.track) for r in report.results] == [
        ("nominal", "Oval_track"), ("nominal", "Bowtie_track"),
        ("heldout", "Oval_track"), ("heldout", "Bowtie_track")]
    nominal, heldout = report.results[0], report.results[2]
    assert len(nominal.trials) == 1 and nominal.trials[0].seed is None  # every nominal lap is the same
    assert [t.seed for t in heldout.trials] == list(transfer.heldout_seeds(2))
    for r in report.results:
        assert all(0.0 <= t.progress <= 100.0 for t in r.trials)
    figures = {name: value for name, value, unit in report.figures()}
    means = [r.completion_pct for r in report.results]
    assert figures["transfer_completion_pct"] == pytest.approx(sum(means) / 4)
    assert figures["transfer_heldout_completion_pct"] == pytest.approx((means[2] + means[3]) / 2)
    assert figures["transfer_nominal_Bowtie_track_completion_pct"] == means[1]
    assert len(lines) == 5 and "heldout" in lines[-1]
    # deterministic: the same model, seeds and tracks give the same figures
    again = transfer.run_transfer(untrained_store, tracks=("Oval_track",), conditions=("heldout",),
                                  trials=2, camera_calibration="pinhole")
    assert again.results[0] == report.results[2]


def test_bad_arguments_name_what_is_wrong(untrained_store, tmp_path):
    with pytest.raises(transfer.TransferError, match="condition 'cloudy' is not one of nominal"):
        transfer.run_transfer(untrained_store, conditions=("cloudy",))
    with pytest.raises(transfer.TransferError, match="track 'Nowhere_track': unknown WORLD_NAME"):
        transfer.run_transfer(untrained_store, tracks=("Nowhere_track",))
    from markov.store import LocalModelStore
    from markov.workers.userfiles import UserFilesError
    with pytest.raises(UserFilesError, match="model_metadata.json does not exist"):
        transfer.run_transfer(LocalModelStore(tmp_path, "empty"), camera_calibration="pinhole")


def test_benchmark_transfer_prints_json_lines(untrained_store):
    root = next((p for p in Path(__file__).resolve().parents if (p / "scripts" / "benchmark.py").is_file()),
                None)
    if root is None:
        pytest.skip("scripts/ is not above this test (installed copy)")
    folder = Path(untrained_store.describe())
    done = subprocess.run([sys.executable, str(root / "scripts" / "benchmark.py"), "transfer",
                           "--model", str(folder), "--trials", "1", "--tracks", "Oval_track",
                           "--conditions", "nominal,standard", "--camera", "pinhole"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    names = [r["benchmark"] for r in rows]
    assert names == ["transfer_completion_pct", "transfer_laps_complete_pct",
                     "transfer_nominal_completion_pct", "transfer_standard_completion_pct",
                     "transfer_nominal_Oval_track_completion_pct",
                     "transfer_standard_Oval_track_completion_pct"]
    assert all(r["unit"] == "%" and 0.0 <= r["value"] <= 100.0 for r in rows)
