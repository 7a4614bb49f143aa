"""Smoke trainings of two tiny iterations: store layout (local and S3), model.pb, bad files, S3 errors."""
import dataclasses
import io
import json
import re
import shutil
import socket
import tarfile
import time

import numpy as np
import pytest

from markov.config import ConfigError
from markov.reward import RewardFunctionError
from markov.sim_trace import CSV_HEADER
from markov.store import LocalModelStore, StoreError, layout
from markov.workers.checkpoints import UnsentCheckpointError
from markov.workers.progress import Progress, StopRequest
from markov.workers.settings import training_settings
from markov.workers.training import TrainingWorker

TINY = {"num_episodes_between_training": 2, "num_epochs": 1, "term_cond_max_episodes": 4}
# every key of a fresh model after two iterations (checkpoints 0 and 1); N = any step count
EXPECTED_KEYS = [
    "ip/hyperparameters.json", "metrics/TrainingMetrics.json", "model.tar.gz",
    "model/.coach_checkpoint", "model/0_Step-N.ckpt.data-00000-of-00001", "model/0_Step-N.ckpt.index",
    "model/1_Step-N.ckpt.data-00000-of-00001", "model/1_Step-N.ckpt.index",
    "model/deepracer_checkpoints.json", "model/model_0.pb", "model/model_1.pb",
    "model/model_metadata.json", "plots/training.csv", "plots/training.png", "reward_function.py",
    "training-simtrace/0-iteration.csv", "training-simtrace/1-iteration.csv"]


def tiny_settings(tmp_path, **environ):
    tmp_path.mkdir(parents=True, exist_ok=True)
    hyperparameters = tmp_path / "hyperparameters.json"
    hyperparameters.write_text(json.dumps(TINY))
    base = {"WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": str(tmp_path / "store"),
            "HYPERPARAMETERS_FILE": str(hyperparameters), "TRAINING_SEED": "3",
            # the store and the loop, not the world: the fast flat world unless a test asks
            "CAMERA_CALIBRATION": "pinhole", "RANDOMIZATION_FILE": "none"}
    settings = training_settings({**base, **environ})
    return dataclasses.replace(settings, eval_episodes=2, progress_bar=False)


def train(settings, stop=None):
    stream = io.StringIO()
    summary = TrainingWorker(settings, stop=stop,
                             progress=Progress("training", stream=stream)).run()
    return summary, stream.getvalue()


def trace_episodes(store, iteration):
    """The episode numbers of a training sim trace, in order of first appearance."""
    lines = store.get_bytes(layout.training_simtrace_key(iteration)).decode().splitlines()
    return list(dict.fromkeys(int(line.split(",")[0]) for line in lines[1:]))


def normalized(keys):
    return sorted(re.sub(r"_Step-\d+\.ckpt", "_Step-N.ckpt", key) for key in keys)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("trained")
    settings = tiny_settings(tmp_path, CAMERA_CALIBRATION="", RANDOMIZATION_FILE="")  # the defaults
    summary, output = train(settings)
    return settings, settings.store.make_store(), summary, output


def test_smoke_training_writes_the_drfc_layout(trained):
    settings, store, summary, output = trained
    assert (settings.camera_calibration, settings.randomization_file) == ("deepracer_wide_angle", "standard")
    assert normalized(store.list()) == EXPECTED_KEYS
    assert (summary.iterations, summary.episodes) == (2, 4)
    assert "term_cond_max_episodes (4) reached" in summary.stop_reason
    assert len(re.findall(r"^\[training\] iteration +\d+ \| episodes", output, re.M)) == 2
    assert output.count("[training] configuration:") == 1
    assert store.read_pointer() == summary.last_checkpoint == store.complete_checkpoints()[-1]
    index = store.read_checkpoints_json()
    assert index.best.name == summary.best_checkpoint and index.last.name == summary.last_checkpoint
    assert store.get_bytes(layout.REWARD_FUNCTION_KEY) == open(settings.reward_file, "rb").read()
    assert json.loads(store.get_bytes(layout.HYPERPARAMETERS_KEY)) == TINY


def test_metrics_and_sim_traces(trained):
    _, store, summary, _ = trained
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))
    assert metrics["version"] == 2.0 and metrics["best_model_metric"] == "progress"
    phases = [(m["phase"], m["episode"], m["trial"]) for m in metrics["metrics"]]
    assert phases == [("training", 1, 1), ("training", 2, 2), ("evaluation", 2, 1),
                      ("evaluation", 2, 2), ("training", 3, 1), ("training", 4, 2),
                      ("evaluation", 4, 1), ("evaluation", 4, 2)]
    steps = 0
    for iteration in (0, 1):
        lines = store.get_bytes(layout.training_simtrace_key(iteration)).decode().splitlines()
        assert lines[0] == CSV_HEADER
        steps += len(lines) - 1
    # sim trace episode = metrics episode - 1; the evaluation episodes take no number
    assert [trace_episodes(store, 0), trace_episodes(store, 1)] == [[0, 1], [2, 3]]
    assert summary.steps == steps
    assert summary.last_checkpoint == f"1_Step-{steps}.ckpt"


def test_car_package_is_the_best_checkpoint(trained):
    _, store, summary, _ = trained
    best = int(summary.best_checkpoint.split("_")[0])
    with tarfile.open(fileobj=io.BytesIO(store.get_bytes("model.tar.gz"))) as tar:
        assert tar.extractfile("agent/model.pb").read() == store.get_bytes(f"model/model_{best}.pb")
        assert tar.extractfile("model_metadata.json").read() == store.get_bytes(
            layout.MODEL_METADATA_KEY)


def test_frozen_model_matches_the_keras_policy_on_simulator_images(trained, tmp_path):
    from markov.envs import DeepRacerRacetrackEnv
    from markov.export import load_frozen
    from markov.ppo import PPOPolicy
    from markov.ppo.checkpoint import restore_checkpoint

    _, store, summary, _ = trained
    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=7)
    restore_checkpoint(store.download_checkpoint(summary.last_checkpoint, tmp_path), policy)
    n = summary.last_checkpoint.split("_")[0]
    store.get_file(f"model/model_{n}.pb", tmp_path / "model.pb")
    frozen = load_frozen(tmp_path / "model.pb")  # tf.compat.v1 import_graph_def
    env = DeepRacerRacetrackEnv("easy_track")
    images = [env.reset(options={"start_s": s})[0] for s in (0.0, 5.0, 11.0, 19.0)]
    env.close()
    for image in images:
        expected = policy.action_output(image[None].astype(np.float32)).numpy()
        got = frozen(image)
        assert got.shape == (1, 7)
        assert np.max(np.abs(got - expected)) <= 1e-5
    frozen.close()


def test_the_same_key_layout_in_s3(tmp_path, s3_server, s3_bucket):
    settings = tiny_settings(tmp_path, MODEL_S3_BUCKET=s3_bucket, S3_ENDPOINT_URL=s3_server,
                             MODEL_S3_PREFIX="smoke/model")
    summary, _ = train(settings)
    store = settings.store.make_store()
    assert type(store).__name__ == "S3ModelStore"
    assert normalized(store.list()) == EXPECTED_KEYS
    assert store.read_pointer() == summary.last_checkpoint
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("name, content, error, where", [
    ("reward_function.py", "def reward_function(params)\n    return 1.0\n",
     RewardFunctionError, r"reward_function\.py:1: syntax error"),
    ("reward_function.py", "def reward_function(params):\n    return 'fast'\n",
     RewardFunctionError, r"reward_function\.py:2: reward_function returned 'fast'"),
    ("model_metadata.json", '{"action_space": [{"steering_angle": 0, "speed": 1}], "sensors": []}',
     ConfigError, r"model_metadata\.json: unknown key 'sensors'"),
    ("hyperparameters.json", '{"lr": -0.1}', ConfigError, r"hyperparameters\.json: lr"),
    ("hyperparameters.json", '{"lr": 0.1,}', ConfigError, r"hyperparameters\.json:1:\d+: malformed"),
])
def test_a_bad_user_file_stops_before_the_first_episode(tmp_path, name, content, error, where):
    path = tmp_path / name
    path.write_text(content)
    variable = {"reward_function.py": "REWARD_FILE", "model_metadata.json": "MODEL_METADATA_FILE",
                "hyperparameters.json": "HYPERPARAMETERS_FILE"}[name]
    settings = tiny_settings(tmp_path / "run", **{variable: str(path)})
    start = time.monotonic()
    with pytest.raises(error, match=where):
        train(settings)
    assert time.monotonic() - start < 10
    assert not (tmp_path / "run" / "store").exists()  # nothing written, no episode played


def test_metadata_of_another_model_is_refused_on_resume(trained, tmp_path):
    settings, _, _, _ = trained
    metadata = tmp_path / "model_metadata.json"
    metadata.write_text(json.dumps({"action_space": [{"steering_angle": 0, "speed": 1}]}))
    other = dataclasses.replace(settings, model_metadata_file=str(metadata))
    with pytest.raises(ValueError, match=r"model_metadata\.json: .* does not fit the model at"):
        train(other)


def test_an_unreachable_s3_endpoint_fails_clearly_and_soon(tmp_path, s3_credentials):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    settings = tiny_settings(tmp_path, MODEL_S3_BUCKET="bucket",
                             S3_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    start = time.monotonic()
    with pytest.raises(StoreError, match=rf"cannot reach endpoint http://127\.0\.0\.1:{port}"):
        train(settings)
    assert time.monotonic() - start < 20


def test_resume_continues_numbering(trained, tmp_path):
    settings, store, summary, _ = trained
    shutil.copytree(store.root_dir, tmp_path / "copy")  # leave the shared model as it is
    copy = dataclasses.replace(settings.store, local_root=str(tmp_path / "copy"))
    (tmp_path / "hp.json").write_text(json.dumps(dict(TINY, term_cond_max_episodes=6)))
    resumed, output = train(dataclasses.replace(settings, store=copy,
                                                hyperparameters_file=str(tmp_path / "hp.json")))
    assert f"resuming from {summary.last_checkpoint}" in output
    assert (resumed.iterations, resumed.episodes) == (1, 6)
    assert resumed.last_checkpoint.startswith("2_Step-") and resumed.steps > summary.steps
    store = copy.make_store()
    assert store.exists("training-simtrace/2-iteration.csv")
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    assert [m["episode"] for m in metrics if m["phase"] == "training"] == [1, 2, 3, 4, 5, 6]
    assert trace_episodes(store, 2) == [4, 5]


def test_pretrained_prefix_seeds_a_new_model(trained, tmp_path):
    settings, store, summary, _ = trained
    new = dataclasses.replace(settings.store, prefix="second-model")
    (tmp_path / "hp.json").write_text(json.dumps(dict(TINY, term_cond_max_episodes=2)))
    seeded, output = train(dataclasses.replace(
        settings, store=new, pretrained_prefix=store.prefix,
        hyperparameters_file=str(tmp_path / "hp.json")))
    assert f"pretrained model: {summary.best_checkpoint} at {store.describe()}" in output
    assert seeded.last_checkpoint.startswith("0_Step-")  # a new model: numbering from 0
    assert new.make_store().read_pointer() == seeded.last_checkpoint


def test_continuous_actions_with_e_greedy_exploration(tmp_path):
    metadata = tmp_path / "model_metadata.json"
    metadata.write_text(json.dumps({
        "action_space": {"steering_angle": {"low": -30, "high": 30}, "speed": {"low": 0.8, "high": 1.5}},
        "action_space_type": "continuous"}))
    hyperparameters = tmp_path / "hp.json"
    hyperparameters.write_text(json.dumps(dict(TINY, term_cond_max_episodes=2,
                                               exploration_type="e-greedy", epsilon_steps=50)))
    settings = dataclasses.replace(tiny_settings(tmp_path, MODEL_METADATA_FILE=str(metadata)),
                                   hyperparameters_file=str(hyperparameters))
    summary, output = train(settings)
    assert summary.iterations == 1 and summary.last_checkpoint.startswith("0_Step-")
    assert "2 continuous action(s)" in output
    trace = settings.store.make_store().get_bytes(layout.training_simtrace_key(0)).decode()
    assert {line.split(",")[7] for line in trace.splitlines()[1:]} == {"-1"}  # continuous


class StopAfterSave(StopRequest):
    """Asks to stop as soon as the store holds a checkpoint pointer (after the first save)."""

    def __init__(self, store):
        super().__init__()
        self.store = store

    def __call__(self):
        if not super().__call__() and self.store.exists(layout.POINTER_KEY):
            self.set("test")
        return super().__call__()


def test_a_stop_before_the_evaluation_records_the_last_checkpoint_only(tmp_path):
    settings = tiny_settings(tmp_path)
    summary, output = train(settings, stop=StopAfterSave(settings.store.make_store()))
    assert summary.stop_reason == "stopped (test)" and summary.iterations == 1
    index = settings.store.make_store().read_checkpoints_json()
    assert index.best is None and index.last.name == summary.last_checkpoint
    assert summary.best_checkpoint is None
    assert f"car package of {summary.last_checkpoint} (not evaluated)" in output


def test_a_failed_upload_keeps_the_checkpoint_and_the_next_run_sends_it(tmp_path, monkeypatch):
    settings = tiny_settings(tmp_path, MODEL_S3_PREFIX="outage")
    settings = dataclasses.replace(settings, hyperparameters_file=str(tmp_path / "hp.json"))
    (tmp_path / "hp.json").write_text(json.dumps(dict(TINY, term_cond_max_episodes=2)))
    put_file = LocalModelStore.put_file

    def outage(store, path, key):
        if key.startswith("model/0_Step-"):
            raise StoreError("S3 put failed: cannot reach endpoint (test)")
        put_file(store, path, key)
    monkeypatch.setattr(LocalModelStore, "put_file", outage)
    unsent = tmp_path / "store" / ".unsent" / "local" / "outage"
    with pytest.raises(UnsentCheckpointError, match=rf"kept, .* in {re.escape(str(unsent))}"):
        train(settings)
    monkeypatch.undo()
    kept = sorted(str(p.relative_to(unsent)) for p in unsent.rglob("*") if p.is_file())
    assert normalized(kept) == ["metrics/TrainingMetrics.json", "model/.coach_checkpoint",
                                "model/0_Step-N.ckpt.data-00000-of-00001",
                                "model/0_Step-N.ckpt.index", "model/model_0.pb",
                                "training-simtrace/0-iteration.csv"]
    store = settings.store.make_store()
    assert store.latest_checkpoint() is None

    summary, output = train(settings)  # uploads it, resumes from it: nothing left to play
    name = store.latest_checkpoint()
    assert name.startswith("0_Step-")
    assert f"uploaded {name}, kept from an earlier failed upload" in output
    assert f"resuming from {name}" in output and summary.episodes == 2
    assert not unsent.exists() and store.exists(layout.training_simtrace_key(0))
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    assert [m["episode"] for m in metrics if m["phase"] == "training"] == [1, 2]
