"""Rollout workers on Ray: a 2-node cluster on 127.0.0.1 (Ray's own test cluster utility)
trains with a worker on each node; a worker killed mid-iteration is replaced; a cluster
that goes away mid-iteration stops the training with a clear error after saving."""
import contextlib
import dataclasses
import io
import json
import os
import signal

import pytest

from markov.store import layout
from markov.workers.progress import Progress, StopRequest
from markov.workers.settings import training_settings
from markov.workers.training import TrainingWorker

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

TINY = {"num_episodes_between_training": 4, "num_epochs": 1, "term_cond_max_episodes": 8}


@contextlib.contextmanager
def _two_nodes():
    """Two Ray nodes on 127.0.0.1, one CPU each (one worker per node).

    Ray rewrites a 127.0.0.1 address to the machine's own IP unless it is told that
    this is a one-machine cluster (what its Windows/macOS default does)."""
    from ray._private import ray_constants

    saved = ray_constants.ENABLE_RAY_CLUSTER, os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    ray_constants.ENABLE_RAY_CLUSTER = False
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    try:
        yield cluster
    finally:
        cluster.shutdown()
        ray_constants.ENABLE_RAY_CLUSTER = saved[0]
        if saved[1] is None:
            os.environ.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
        else:
            os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = saved[1]


@pytest.fixture(scope="module")
def cluster():
    """A two-node cluster shared by the tests of this module."""
    with _two_nodes() as cluster:
        yield cluster


def _settings(tmp_path, address):
    hyperparameters = tmp_path / "hyperparameters.json"
    hyperparameters.write_text(json.dumps(TINY))
    settings = training_settings({
        "WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": str(tmp_path / "store"),
        "HYPERPARAMETERS_FILE": str(hyperparameters), "TRAINING_SEED": "5",
        "ROLLOUT_WORKERS": "2", "ENVS_PER_WORKER": "2", "RAY_ADDRESS": address})
    return dataclasses.replace(settings, eval_episodes=1, progress_bar=False,
                               stop_after_full_laps=0)


def _trace_rows(store, iteration):
    lines = store.get_bytes(layout.training_simtrace_key(iteration)).decode().splitlines()
    return [tuple(int(v) for v in line.split(",")[:2]) for line in lines[1:]]  # (episode, step)


def _check_traces(store, iterations, per_iteration):
    for n in range(iterations):
        rows = _trace_rows(store, n)
        assert len(rows) == len(set(rows))  # no step twice
        episodes = sorted({episode for episode, _ in rows})
        assert episodes == list(range(n * per_iteration, (n + 1) * per_iteration))


@pytest.mark.slow
def test_two_node_cluster_trains_with_a_worker_on_each_node(cluster, tmp_path):
    settings = _settings(tmp_path, cluster.address)
    stream = io.StringIO()
    worker = TrainingWorker(settings, progress=Progress("training", stream=stream))
    summary = worker.run()
    assert summary.iterations == 2 and summary.episodes == 8, stream.getvalue()
    assert len(set(worker.pool.nodes)) == 2  # episodes came from both nodes
    store = settings.store.make_store()
    _check_traces(store, 2, 4)
    assert store.latest_checkpoint() is not None
    assert "Ray actors x 2 envs on the Ray cluster" in stream.getvalue()
    # The seed fixes the episodes whatever the workers and envs: one env in the training
    # process plays the same ones (positions, actions, rewards; only the clocks differ).
    alone = dataclasses.replace(settings, rollout_workers=1, envs_per_worker=1,
                                ray_address="", store=dataclasses.replace(
                                    settings.store, local_root=str(tmp_path / "alone")))
    TrainingWorker(alone, progress=Progress("training", stream=io.StringIO())).run()
    other = alone.store.make_store()
    for n in range(2):
        assert _steps(store, n) == _steps(other, n)
    assert _episodes(store) == _episodes(other)


def _steps(store, iteration):
    """The iteration's sim trace rows without tstamp and the wall clock."""
    lines = store.get_bytes(layout.training_simtrace_key(iteration)).decode().splitlines()[1:]
    return [[v for k, v in enumerate(line.split(",")[:-1]) if k != 14] for line in lines]


def _episodes(store):
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    return [(m["phase"], m["episode"], m["trial"], m["reward_score"], m["completion_percentage"],
             m["episode_status"]) for m in metrics]


class KillAWorker(StopRequest):
    """Never stops; on its first poll inside an iteration, kill -9's rollout worker 0."""

    def __init__(self):
        super().__init__()
        self.worker, self.killed = None, None

    def __call__(self):
        pool = getattr(self.worker, "pool", None)
        if self.killed is None and pool is not None and getattr(self.worker, "n", None) == 0 \
                and self._in_collect():
            self.killed = pool.pids()[0]
            os.kill(self.killed, signal.SIGKILL)
        return super().__call__()

    @staticmethod
    def _in_collect():
        import inspect
        return any(frame.function == "collect" for frame in inspect.stack()[1:4])


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_episodes_played_again(cluster, tmp_path):
    settings = _settings(tmp_path, cluster.address)
    stop, stream = KillAWorker(), io.StringIO()
    worker = TrainingWorker(settings, stop=stop, progress=Progress("training", stream=stream))
    stop.worker = worker
    summary = worker.run()
    output = stream.getvalue()
    assert stop.killed is not None
    assert "rollout worker 0 died; replaced by a new one, which plays its 2 episode(s) again" \
        in output
    assert summary.iterations == 2 and summary.episodes == 8, output
    store = settings.store.make_store()
    _check_traces(store, 2, 4)
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    assert [m["episode"] for m in metrics if m["phase"] == "training"] == list(range(1, 9))
    assert store.latest_checkpoint().startswith("1_Step-")


class ClusterGoesAway(StopRequest):
    """Never stops; on its first poll inside iteration 1's collect, kills every process of
    every node of the cluster (as if the machines went down)."""

    def __init__(self, cluster):
        super().__init__()
        self.cluster, self.worker, self.killed = cluster, None, False

    def __call__(self):
        if not self.killed and getattr(self.worker, "n", None) == 1 and KillAWorker._in_collect():
            for node in list(self.cluster.worker_nodes) + [self.cluster.head_node]:
                node.kill_all_processes(check_alive=False, allow_graceful=False)
            self.killed = True
        return super().__call__()


@pytest.mark.slow
def test_a_cluster_that_goes_away_stops_training_with_a_clear_error_after_saving(tmp_path):
    with _two_nodes() as doomed:
        _train_until_the_cluster_goes_away(doomed, tmp_path)


def _train_until_the_cluster_goes_away(doomed, tmp_path):
    settings = _settings(tmp_path, doomed.address)
    stop, stream = ClusterGoesAway(doomed), io.StringIO()
    worker = TrainingWorker(settings, stop=stop, progress=Progress("training", stream=stream))
    stop.worker = worker
    with pytest.raises(ConnectionError) as caught:  # an OSError: the CLI reports it in one line
        worker.run()
    output = stream.getvalue()
    assert stop.killed, output
    message = str(caught.value)
    assert f"RAY_ADDRESS={doomed.address}" in message and "went away" in message, message
    store = settings.store.make_store()
    latest = store.latest_checkpoint()
    assert message.endswith(f"training stopped, the last checkpoint saved: {latest}")
    assert latest.startswith(("0_Step-", "1_Step-")), latest
    assert "stopping: stopped (the Ray cluster of the rollout workers went away)" in output
    # The saved state is complete and consistent: every saved iteration's sim trace, and
    # the metrics count exactly the episodes of those traces.
    saved = int(latest.split("_")[0]) + 1
    episodes = set()
    for n in range(saved):
        rows = _trace_rows(store, n)
        assert len(rows) == len(set(rows))
        episodes |= {episode for episode, _ in rows}
    assert episodes == set(range(len(episodes))) and len(episodes) >= 4
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    assert [m["episode"] for m in metrics if m["phase"] == "training"] == \
        list(range(1, len(episodes) + 1))


def _run(tmp_path, workers, max_episodes):
    """One training run on the store under tmp_path with `workers` rollout workers (a private
    Ray instance when more than one), 1 env each, until `max_episodes` episodes in all."""
    settings = _settings(tmp_path, "")
    (tmp_path / "hyperparameters.json").write_text(
        json.dumps({**TINY, "term_cond_max_episodes": max_episodes}))
    settings = dataclasses.replace(settings, rollout_workers=workers, envs_per_worker=1)
    stream = io.StringIO()
    summary = TrainingWorker(settings, progress=Progress("training", stream=stream)).run()
    return settings.store.make_store(), summary, stream.getvalue()


@pytest.mark.slow
def test_a_training_resumes_with_another_worker_count(tmp_path):
    # 1 worker -> 4 -> 1: checkpoints, episodes and sim traces continue where they stopped.
    steps = []
    for n, workers in enumerate((1, 4, 1)):
        store, summary, output = _run(tmp_path, workers, 4 * (n + 1))
        assert summary.iterations == 1 and summary.episodes == 4 * (n + 1), output
        assert (f"resuming from {n - 1}_Step-" in output) == (n > 0), output
        assert ("Ray actors x 1 envs" in output) == (workers > 1), output
        latest = store.latest_checkpoint()
        assert latest.startswith(f"{n}_Step-"), latest
        steps.append(int(latest.split("Step-")[1].split(".")[0]))
    _check_traces(store, 3, 4)
    rows = [len(_trace_rows(store, n)) for n in range(3)]
    assert steps == [rows[0], rows[0] + rows[1], sum(rows)]  # steps count on across runs
    metrics = json.loads(store.get_bytes(layout.TRAINING_METRICS_KEY))["metrics"]
    assert [m["episode"] for m in metrics if m["phase"] == "training"] == list(range(1, 13))
