"""scripts/deploy_to_car.py: car packages from local and S3 stores, freezing, SSH commands, errors."""
import importlib.util
import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from markov.export import INPUT_SHAPE, freeze_policy, load_frozen
from markov.ppo.checkpoint import restore_checkpoint, save_checkpoint
from markov.ppo.policy import PPOPolicy
from markov.store import CheckpointRecord, LocalModelStore, layout

REPO = Path(__file__).resolve().parents[4]
SHALLOW = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
METADATA = {"action_space": [{"steering_angle": -30, "speed": 0.6},
                             {"steering_angle": 0, "speed": 1.2},
                             {"steering_angle": 30, "speed": 0.6}],
            "sensor": ["FRONT_FACING_CAMERA"], "neural_network": SHALLOW,
            "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}


def load_script():
    path = REPO / "scripts" / "deploy_to_car.py"
    spec = importlib.util.spec_from_file_location("deploy_to_car", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dtc = load_script()


def fill_store(store, workdir):
    """Checkpoint 2 with its model_2.pb (best), checkpoint 3 without a frozen graph (last)."""
    workdir = Path(workdir)
    for n, steps, with_pb in ((2, 100, True), (3, 200, False)):
        policy = PPOPolicy(SHALLOW, n_actions=3, seed=n)
        save_checkpoint(workdir, n, steps, policy)
        if with_pb:
            freeze_policy(policy, workdir / f"model_{n}.pb")
        store.save_checkpoint(workdir, f"{n}_Step-{steps}.ckpt")
    store.put_bytes(json.dumps(METADATA, indent=2).encode(), layout.MODEL_METADATA_KEY)
    store.write_checkpoints_json(CheckpointRecord("2_Step-100.ckpt", 87.5, 1700000000.0),
                                 CheckpointRecord("3_Step-200.ckpt", 40.0, 1700000100.0))


@pytest.fixture(scope="module")
def local_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    store = LocalModelStore(root, "my-run")
    fill_store(store, tmp_path_factory.mktemp("train"))
    return root, store


def car_reads(package):
    """What the car's model optimizer reads from model.tar.gz (robot_ws's own reader)."""
    sys.path.insert(0, str(REPO / "robot_ws" / "src" / "model_optimizer_pkg" / "src"))
    try:
        from model_optimizer.archive import extract_graph, read_metadata
    finally:
        sys.path.pop(0)
    return read_metadata(package), extract_graph(package, package.parent / "extracted")


def test_best_checkpoint_to_a_folder(local_store, tmp_path, capsys):
    root, store = local_store
    assert dtc.main(["--store-dir", str(root), "--prefix", "my-run", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "my-run"
    with tarfile.open(folder / "model.tar.gz") as archive:
        assert archive.getnames() == ["model_metadata.json", "agent/model.pb"]
    stored_pb = store.get_bytes("model/model_2.pb")
    assert (folder / "model.pb").read_bytes() == stored_pb
    assert json.loads((folder / "model_metadata.json").read_text()) == METADATA
    metadata, graph = car_reads(folder / "model.tar.gz")
    assert graph.read_bytes() == stored_pb and len(metadata.action_space.actions) == 3
    out = capsys.readouterr().out
    assert "checkpoint 2_Step-100.ckpt (best (avg_eval_metric 87.5))" in out
    assert "model/model_2.pb" in out and str(folder) in out
    assert " 0: steering  -30.0 deg, speed 0.60 m/s" in out
    assert " 1: steering    0.0 deg, speed 1.20 m/s" in out


def test_checkpoint_without_graph_is_frozen(local_store, tmp_path, capsys):
    root, store = local_store
    assert dtc.main(["--store-dir", str(root), "--prefix", "my-run", "--checkpoint", "last",
                     "--name", "car-3", "--out", str(tmp_path)]) == 0
    assert "frozen from" in capsys.readouterr().out
    policy = PPOPolicy(SHALLOW, n_actions=3, seed=99)
    prefix = store.download_checkpoint("3_Step-200.ckpt", tmp_path / "ckpt")
    restore_checkpoint(prefix, policy)
    image = np.random.default_rng(1).integers(0, 256, INPUT_SHAPE).astype(np.float32)
    with load_frozen(tmp_path / "car-3" / "model.pb") as frozen:
        np.testing.assert_allclose(frozen(image), policy.action_output(image).numpy(), atol=1e-6)


def test_s3_store(local_store, s3_server, s3_bucket, tmp_path, capsys):
    from markov.store import S3ModelStore
    root, local = local_store
    s3 = S3ModelStore(s3_bucket, "cars/run1", endpoint_url=s3_server)
    for key in local.list():
        s3.put_bytes(local.get_bytes(key), key)
    assert dtc.main(["--bucket", s3_bucket, "--prefix", "cars/run1", "--endpoint-url", s3_server,
                     "--checkpoint", "2_Step-100.ckpt", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "run1" / "model.pb").read_bytes() == local.get_bytes("model/model_2.pb")
    assert f"s3://{s3_bucket}/cars/run1/model/model_2.pb" in capsys.readouterr().out


@pytest.fixture
def fake_ssh(tmp_path, monkeypatch):
    """`ssh` and `scp` on PATH that log their arguments (one JSON list per line) and succeed."""
    bin_dir, log = tmp_path / "bin", tmp_path / "ssh.log"
    bin_dir.mkdir()
    for tool in ("ssh", "scp"):
        script = bin_dir / tool
        line = f"json.dumps(['{tool}'] + sys.argv[1:]) + '\\n'"
        script.write_text(f"#!{sys.executable}\nimport json, sys\nopen({str(log)!r}, 'a').write({line})\n")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return log


def logged(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_copy_to_car_commands(local_store, fake_ssh, capsys):
    root, _ = local_store
    assert dtc.main(["--store-dir", str(root), "--prefix", "my-run", "--car", "192.168.1.20",
                     "--port", "2222", "--identity", "/keys/car", "--name", "fast"]) == 0
    commands = logged(fake_ssh)
    art = "/opt/aws/deepracer/artifacts"
    assert commands[0] == ["ssh", "-p", "2222", "-i", "/keys/car", "deepracer@192.168.1.20",
                           f"rm -rf {art}/.fast.partial && mkdir -p {art}/.fast.partial"]
    assert commands[1][:6] == ["scp", "-q", "-P", "2222", "-i", "/keys/car"]
    assert [Path(p).name for p in commands[1][6:9]] == ["model.tar.gz", "model.pb",
                                                        "model_metadata.json"]
    assert commands[1][9] == f"deepracer@192.168.1.20:{art}/.fast.partial/"
    assert commands[2] == ["ssh", "-p", "2222", "-i", "/keys/car", "deepracer@192.168.1.20",
                           f"rm -rf {art}/fast && mv {art}/.fast.partial {art}/fast"]
    assert len(commands) == 3
    out = capsys.readouterr().out
    assert f"deepracer@192.168.1.20:{art}/fast/" in out
    assert f"roslaunch deepracer_bringup car.launch model_path:={art}/fast/model.tar.gz" in out


def test_copy_to_car_with_sudo(tmp_path):
    car = dtc.CarTarget("car.local", user="pi", sudo=True)
    commands = dtc.car_commands(tmp_path, "m1", car)
    assert commands[1][-1] == "pi@car.local:/tmp/.deepracer-model-m1/"
    assert commands[2][:4] == ["ssh", "-t", "-p", "22"]
    assert commands[2][-1].startswith("sudo sh -c 'mkdir -p /opt/aws/deepracer/artifacts && ")
    assert "mv /opt/aws/deepracer/artifacts/m1.partial /opt/aws/deepracer/artifacts/m1" \
        in commands[2][-1]


def test_failed_copy_names_the_command(local_store, tmp_path, monkeypatch, capsys):
    root, _ = local_store
    (tmp_path / "ssh").write_text("#!/bin/sh\nexit 255\n")
    (tmp_path / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert dtc.main(["--store-dir", str(root), "--prefix", "my-run", "--car", "nowhere"]) == 1
    err = capsys.readouterr().err
    assert "`ssh -p 22 deepracer@nowhere" in err and "exit status 255" in err


@pytest.mark.parametrize("args, message", [
    (["--checkpoint", "9_Step-1.ckpt"], "neither model/model_9.pb nor a complete checkpoint"),
    (["--checkpoint", "latest-please"], "--checkpoint 'latest-please': use best, last"),
    (["--name", "bad name"], "model name 'bad name'"),
    (["--prefix", "empty-run"], "no checkpoint in the store"),
])
def test_bad_input_is_reported(local_store, tmp_path, capsys, args, message):
    root, _ = local_store
    argv = ["--store-dir", str(root), "--prefix", "my-run", "--out", str(tmp_path)] + args
    assert dtc.main(argv) == 1
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_metadata_that_does_not_fit_the_graph(local_store, tmp_path, capsys):
    root, store = local_store
    bad = LocalModelStore(root, "bad-run")
    for key in store.list():
        bad.put_bytes(store.get_bytes(key), key)
    bad.put_bytes(json.dumps({**METADATA, "action_space": METADATA["action_space"][:2]}).encode(),
                  layout.MODEL_METADATA_KEY)
    assert dtc.main(["--store-dir", str(root), "--prefix", "bad-run", "--out", str(tmp_path)]) == 1
    assert "outputs 3 values but model_metadata.json describes 2 actions" in capsys.readouterr().err


@pytest.mark.parametrize("car, message", [
    (dtc.CarTarget("car", artifacts_dir="/opt/my models"), "--artifacts-dir '/opt/my models'"),
    (dtc.CarTarget("car", artifacts_dir="relative/dir"), "use an absolute path"),
    (dtc.CarTarget("-oProxyCommand=x"), "not a host name"),
])
def test_bad_car_targets_are_refused(tmp_path, car, message):
    with pytest.raises(dtc.DeployError, match=message):
        dtc.car_commands(tmp_path, "m1", car)
