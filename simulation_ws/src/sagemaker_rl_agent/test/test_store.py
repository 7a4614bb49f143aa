"""Model store behaviour, the same on a local directory and on S3 (moto's real server)."""
import json
import logging
import os

import numpy as np
import pytest
from botocore.exceptions import EndpointConnectionError

from markov.store import (CheckpointRecord, CheckpointsJsonError, IncompleteCheckpointError,
                          LocalModelStore, NotFoundError, S3ModelStore, StoreError, layout)

PREFIX = "DeepRacer-Test"


def make_checkpoint(local_dir, index, steps, shards=1, frozen=True):
    """Write fake files of checkpoint ``index`` (the store only moves bytes); return its name."""
    name = f"{index}_Step-{steps}.ckpt"
    rng = np.random.default_rng(index)
    os.makedirs(local_dir, exist_ok=True)
    for shard in range(shards):
        path = os.path.join(local_dir, f"{name}.data-{shard:05d}-of-{shards:05d}")
        with open(path, "wb") as f:
            f.write(rng.bytes(32 * 1024))
    with open(os.path.join(local_dir, f"{name}.index"), "wb") as f:
        f.write(rng.bytes(300))
    if frozen:
        with open(os.path.join(local_dir, f"model_{index}.pb"), "wb") as f:
            f.write(rng.bytes(2000))
    return name


def make_s3_store(bucket, endpoint):
    return S3ModelStore(bucket, PREFIX, region="us-east-1", endpoint_url=endpoint)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalModelStore(tmp_path / "store", PREFIX)
    bucket = request.getfixturevalue("s3_bucket")
    return make_s3_store(bucket, request.getfixturevalue("s3_server"))


def fail_writes(store, monkeypatch, filename):
    """Make every write of ``filename`` fail the way a crash or a dead link would."""
    if isinstance(store, S3ModelStore):
        def refuse(request, **_):
            if request.url.split("?")[0].endswith("/" + filename):
                raise EndpointConnectionError(endpoint_url=request.url)
        store.client.meta.events.register("before-send.s3.PutObject", refuse)
    else:
        real_replace = os.replace

        def replace(src, dst):
            if os.path.basename(dst) == filename:
                raise OSError(28, "No space left on device")
            real_replace(src, dst)
        monkeypatch.setattr("markov.store.local.os.replace", replace)


def test_primitives_round_trip(store, tmp_path):
    store.put_bytes(b"hello", "a/b.txt")
    (tmp_path / "src.bin").write_bytes(b"\x00\x01" * 1000)
    store.put_file(tmp_path / "src.bin", "a/c.bin")
    store.put_bytes(b"x", "ab.txt")
    assert store.get_bytes("a/b.txt") == b"hello"
    store.get_file("a/c.bin", tmp_path / "out" / "c.bin")
    assert (tmp_path / "out" / "c.bin").read_bytes() == b"\x00\x01" * 1000
    assert store.exists("a/b.txt") and not store.exists("a/zzz")
    assert store.list() == ["a/b.txt", "a/c.bin", "ab.txt"]
    assert store.list("a/") == ["a/b.txt", "a/c.bin"]
    assert store.list("a") == ["a/b.txt", "a/c.bin", "ab.txt"]
    store.delete("a/b.txt")
    store.delete("a/b.txt")  # deleting twice is fine
    assert store.list("a/") == ["a/c.bin"]
    with pytest.raises(NotFoundError, match="a/b.txt"):
        store.get_bytes("a/b.txt")
    with pytest.raises(NotFoundError, match="a/missing"):
        store.get_file("a/missing", tmp_path / "never")
    assert not (tmp_path / "never").exists()


def run_training_sequence(store, work):
    """One model's life: user files, 6 checkpoints, json, prune, metrics, traces, evaluation."""
    store.put_bytes(b'{"action_space": []}', layout.MODEL_METADATA_KEY)
    store.put_bytes(b'{"batch_size": 64}', layout.HYPERPARAMETERS_KEY)
    store.put_bytes(b"def reward_function(params):\n    return 1.0\n", layout.REWARD_FUNCTION_KEY)
    best = None
    for index in range(6):
        name = make_checkpoint(work, index, 100 * (index + 1))
        store.save_checkpoint(work, name)
        record = CheckpointRecord(name, 10.0 * index if index != 1 else 99.0, 1.7e9 + index)
        best = record if best is None or record.avg_eval_metric > best.avg_eval_metric else best
        store.write_checkpoints_json(best, record)
    store.prune_checkpoints(keep_last=4, keep=[best.name])
    store.put_bytes(b'{"metrics": []}', layout.TRAINING_METRICS_KEY)
    for iteration in range(2):
        store.put_bytes(b"episode,steps\n", layout.training_simtrace_key(iteration))
    stamp = "20240102030405"
    store.put_bytes(b"episode,steps\n", layout.evaluation_simtrace_key(stamp))
    store.put_bytes(b'{"metrics": []}', layout.evaluation_metrics_key(stamp))


def test_local_and_s3_give_the_same_layout(tmp_path, s3_bucket, s3_server):
    local = LocalModelStore(tmp_path / "store", PREFIX)
    s3 = make_s3_store(s3_bucket, s3_server)
    run_training_sequence(local, tmp_path / "work-local")
    run_training_sequence(s3, tmp_path / "work-s3")
    ckpt = [f"model/{n}_Step-{100 * (n + 1)}.ckpt.{ext}" for n in (1, 2, 3, 4, 5)
            for ext in ("data-00000-of-00001", "index")]
    expected = sorted(ckpt + [f"model/model_{n}.pb" for n in (1, 2, 3, 4, 5)] + [
        "model/.coach_checkpoint", "model/deepracer_checkpoints.json", "model/model_metadata.json",
        "ip/hyperparameters.json", "reward_function.py", "metrics/TrainingMetrics.json",
        "training-simtrace/0-iteration.csv", "training-simtrace/1-iteration.csv",
        "evaluation-20240102030405/evaluation-simtrace/0-iteration.csv",
        "metrics/EvaluationMetrics-20240102030405.json"])
    assert local.list() == expected
    assert s3.list() == expected
    for key in expected:
        assert local.get_bytes(key) == s3.get_bytes(key), key
    assert local.get_bytes(layout.POINTER_KEY) == b"5_Step-600.ckpt"
    s3_keys = [o["Key"] for o in s3.client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert sorted(s3_keys) == [f"{PREFIX}/{k}" for k in expected]
    assert (tmp_path / "store" / PREFIX / "model" / ".coach_checkpoint").is_file()


def test_save_checkpoint_uploads_files_then_pointer(store, tmp_path):
    work = tmp_path / "work"
    name = make_checkpoint(work, 3, 1500, shards=2)
    (work / "hp.json").write_text('{"lr": 0.0003}')
    keys = store.save_checkpoint(work, name,
                                 extra_files={layout.HYPERPARAMETERS_KEY: work / "hp.json"})
    assert keys == ["model/3_Step-1500.ckpt.data-00000-of-00002",
                    "model/3_Step-1500.ckpt.data-00001-of-00002", "model/3_Step-1500.ckpt.index",
                    "model/model_3.pb", "ip/hyperparameters.json", "model/.coach_checkpoint"]
    assert store.latest_checkpoint() == name
    restored = store.download_checkpoint(name, tmp_path / "restore")
    assert restored == tmp_path / "restore" / name
    for suffix in (".index", ".data-00000-of-00002", ".data-00001-of-00002"):
        assert (tmp_path / "restore" / (name + suffix)).read_bytes() == \
            (work / (name + suffix)).read_bytes()


@pytest.mark.parametrize("failing", [".coach_checkpoint", "1_Step-200.ckpt.index", "model_1.pb"])
def test_failed_save_keeps_previous_pointer_on_complete_files(store, tmp_path, monkeypatch,
                                                              failing):
    work = tmp_path / "work"
    first = make_checkpoint(work, 0, 100)
    store.save_checkpoint(work, first)
    fail_writes(store, monkeypatch, failing)
    second = make_checkpoint(work, 1, 200)
    local_files = {p.name: p.read_bytes() for p in work.iterdir()}
    with pytest.raises(StoreError):
        store.save_checkpoint(work, second)
    assert store.read_pointer() == first
    assert store.latest_checkpoint() == first
    restored = store.download_checkpoint(first, tmp_path / "restore")
    assert restored.with_name(first + ".index").is_file()
    assert {p.name: p.read_bytes() for p in work.iterdir()} == local_files  # caller keeps them
    assert not [k for k in store.list() if layout.TEMP_MARKER in k]


def test_incomplete_local_checkpoint_is_refused_before_any_upload(store, tmp_path):
    work = tmp_path / "work"
    name = make_checkpoint(work, 2, 300)
    os.remove(work / f"{name}.data-00000-of-00001")
    with pytest.raises(IncompleteCheckpointError, match=r"2_Step-300.ckpt.*data-00000-of-00001"):
        store.save_checkpoint(work, name)
    assert store.list() == []


def test_latest_checkpoint_skips_a_pointer_to_missing_files(store, tmp_path, caplog):
    assert store.latest_checkpoint() is None
    work = tmp_path / "work"
    for index in range(3):
        store.save_checkpoint(work, make_checkpoint(work, index, 10 * (index + 1)))
    assert store.latest_checkpoint() == "2_Step-30.ckpt"
    store.delete("model/2_Step-30.ckpt.data-00000-of-00001")
    with caplog.at_level(logging.WARNING, logger="markov.store"):
        assert store.latest_checkpoint() == "1_Step-20.ckpt"
    assert "pointer names 2_Step-30.ckpt whose files are incomplete" in caplog.text
    store.put_bytes(b"not a checkpoint", layout.POINTER_KEY)
    assert store.latest_checkpoint() == "1_Step-20.ckpt"
    store.delete(layout.POINTER_KEY)
    assert store.latest_checkpoint() == "1_Step-20.ckpt"
    store.put_bytes(b'model_checkpoint_path: "0_Step-10.ckpt"\n', layout.POINTER_KEY)
    assert store.latest_checkpoint() == "0_Step-10.ckpt"
    with pytest.raises(NotFoundError, match="missing 2_Step-30.ckpt.data-00000-of-00001"):
        store.download_checkpoint("2_Step-30.ckpt", tmp_path / "restore")


def test_prune_keeps_last_four_best_pointer_and_upload_in_progress(store, tmp_path):
    work = tmp_path / "work"
    names = [make_checkpoint(work, i, 50 * (i + 1)) for i in range(9)]
    for name in names[:8]:
        store.save_checkpoint(work, name)
    store.put_file(work / f"{names[8]}.data-00000-of-00001",
                   f"model/{names[8]}.data-00000-of-00001")  # 8: upload in progress
    store.write_checkpoints_json(CheckpointRecord(names[1], 95.0, 1.0),
                                 CheckpointRecord(names[7], 40.0, 2.0))
    deleted = store.prune_checkpoints(keep_last=4, keep=[names[2]])
    assert sorted(store.checkpoint_files()) == sorted(
        [names[i] for i in (1, 2, 4, 5, 6, 7, 8)])
    assert sorted(deleted) == sorted(
        [f"model/{names[i]}{s}" for i in (0, 3) for s in (".index", ".data-00000-of-00001")]
        + ["model/model_0.pb", "model/model_3.pb"])
    assert deleted.index(f"model/{names[0]}.index") < \
        deleted.index(f"model/{names[0]}.data-00000-of-00001")
    assert store.exists("model/model_1.pb") and store.latest_checkpoint() == names[7]
    store.put_bytes(names[4].encode(), layout.POINTER_KEY)  # pointer target survives too
    store.prune_checkpoints(keep_last=1)
    assert sorted(store.checkpoint_files()) == sorted([names[i] for i in (1, 4, 7, 8)])
    with pytest.raises(ValueError, match="keep_last"):
        store.prune_checkpoints(keep_last=0)


def test_checkpoints_json_round_trip_and_errors(store):
    assert store.read_checkpoints_json() is None
    best = CheckpointRecord("3_Step-900.ckpt", 87.5, 1700000000.25)
    last = CheckpointRecord("5_Step-1500.ckpt", 61.0, 1700000100.5)
    store.write_checkpoints_json(best, last)
    doc = json.loads(store.get_bytes(layout.CHECKPOINTS_JSON_KEY))
    assert doc == {"best_checkpoint": {"name": "3_Step-900.ckpt", "avg_eval_metric": 87.5,
                                       "time_stamp": 1700000000.25},
                   "last_checkpoint": {"name": "5_Step-1500.ckpt", "avg_eval_metric": 61.0,
                                       "time_stamp": 1700000100.5}}
    index = store.read_checkpoints_json()
    assert (index.best, index.last) == (best, last)
    store.put_bytes(b'{"best_checkpoint": {"name": "x", "avg_eval_metric": 1, "time_stamp": 2}}',
                    layout.CHECKPOINTS_JSON_KEY)
    with pytest.raises(CheckpointsJsonError, match=r"deepracer_checkpoints.json.*best_checkpoint"):
        store.read_checkpoints_json()
    store.put_bytes(b'{"last_checkpoint": {"name": "1_Step-2.ckpt", "avg_eval_metric": "hi",'
                    b' "time_stamp": 2}}', layout.CHECKPOINTS_JSON_KEY)
    with pytest.raises(CheckpointsJsonError, match="avg_eval_metric"):
        store.read_checkpoints_json()
    store.put_bytes(b"{oops", layout.CHECKPOINTS_JSON_KEY)
    with pytest.raises(CheckpointsJsonError, match="not valid JSON"):
        store.read_checkpoints_json()
    with pytest.raises(ValueError, match="avg_eval_metric"):
        CheckpointRecord("1_Step-2.ckpt", float("nan"), 0.0)
