"""Local store crash safety and the store factory."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import markov.store
from markov.store import (DEFAULT_PREFIX, LocalModelStore, S3ModelStore, StoreKeyError, layout,
                          make_store_from_env)

SRC_DIR = Path(markov.store.__file__).resolve().parents[2]


def test_sigkill_mid_write_leaves_old_file_and_no_partial_one(tmp_path):
    store = LocalModelStore(tmp_path / "store", "m")
    key = "model/1_Step-10.ckpt.data-00000-of-00001"
    store.put_bytes(b"OLD", key)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from markov.store import LocalModelStore;"
            "LocalModelStore(sys.argv[2], 'm').put_file(sys.argv[3], sys.argv[4])")
    child = subprocess.Popen([sys.executable, "-c", code, str(SRC_DIR), str(tmp_path / "store"),
                              str(fifo), key])
    model_dir = tmp_path / "store" / "m" / "model"
    with open(fifo, "wb") as writer:  # opens once the child reads the fifo
        writer.write(b"N" * 1_500_000)  # more than one 1 MiB copy chunk
        writer.flush()
        deadline = time.monotonic() + 20
        while not any(p.name.startswith(layout.TEMP_MARKER) and p.stat().st_size > 0
                      for p in model_dir.iterdir()):
            assert child.poll() is None, "child exited before writing"
            assert time.monotonic() < deadline, "child never started writing"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    assert store.get_bytes(key) == b"OLD"
    assert store.list() == [key]
    assert any(p.name.startswith(layout.TEMP_MARKER) for p in model_dir.iterdir())


def test_local_write_error_is_a_store_error_and_leaves_no_temp(tmp_path, monkeypatch):
    store = LocalModelStore(tmp_path / "store", "m")
    store.put_bytes(b"v1", "model/a.json")

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr("markov.store.local.os.fsync", failing_fsync)
    with pytest.raises(markov.store.StoreError, match=r"model/a.json.*Input/output error"):
        store.put_bytes(b"v2", "model/a.json")
    monkeypatch.undo()
    assert store.get_bytes("model/a.json") == b"v1"
    assert os.listdir(tmp_path / "store" / "m" / "model") == ["a.json"]


def test_keys_cannot_escape_the_store(tmp_path):
    store = LocalModelStore(tmp_path / "store", "m")
    for bad in ("../x", "/etc/passwd", "model//a"):
        with pytest.raises(StoreKeyError, match="invalid segment|relative"):
            store.put_bytes(b"x", bad)
    assert not (tmp_path / "x").exists()


def test_factory_defaults_to_local_models_dir(tmp_path):
    store = make_store_from_env({}, tmp_path)
    assert isinstance(store, LocalModelStore)
    assert DEFAULT_PREFIX == "rl-deepracer-sagemaker"
    store.put_bytes(b"{}", layout.MODEL_METADATA_KEY)
    assert (tmp_path / "models" / DEFAULT_PREFIX / "model" / "model_metadata.json").is_file()
    other = make_store_from_env({"LOCAL_MODEL_STORE": str(tmp_path / "elsewhere"),
                                 "MODEL_S3_PREFIX": "/my-model/", "MODEL_S3_BUCKET": ""}, tmp_path)
    assert other.describe(layout.POINTER_KEY) == \
        str(tmp_path / "elsewhere" / "my-model" / "model" / ".coach_checkpoint")


def test_factory_builds_s3_store_that_works(tmp_path, s3_bucket, s3_server):
    env = {"MODEL_S3_BUCKET": s3_bucket, "MODEL_S3_PREFIX": "run-1",
           "ROS_AWS_REGION": "eu-west-1", "S3_ENDPOINT_URL": s3_server}
    store = make_store_from_env(env, tmp_path)
    assert isinstance(store, S3ModelStore)
    assert (store.region, store.endpoint_url) == ("eu-west-1", s3_server)
    store.put_bytes(b"def reward_function(params):\n    return 1.0\n", layout.REWARD_FUNCTION_KEY)
    assert store.list() == ["reward_function.py"]
    assert store.describe("reward_function.py") == f"s3://{s3_bucket}/run-1/reward_function.py"
    default = make_store_from_env({"MODEL_S3_BUCKET": s3_bucket}, tmp_path)
    assert (default.region, default.prefix) == ("us-east-1", DEFAULT_PREFIX)
    assert default.endpoint_url == "https://s3.amazonaws.com"
