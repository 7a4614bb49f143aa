"""Parts of the training worker without TensorFlow: exploration, limits, best/last, car package."""
import io
import tarfile

import numpy as np
import pytest

from markov.config import ActionSpace
from markov.sim_trace import SimTraceWriter, parse_sim_trace
from markov.store import LocalModelStore, layout
from markov.workers import checkpoints
from markov.workers.evaluation import TrialTrace
from markov.workers.progress import IterationReport, Progress, StopRequest
from markov.workers.rollout import Explorer, episode_step_limit, evaluation_starts


class FakePolicy:
    """The PPOPolicy.act interface: always action 2 with log-prob -0.5 (greedy or not)."""

    continuous, n_actions = False, 7

    def __init__(self):
        self.calls = []

    def act(self, obs_batch, greedy=False, rng=None, with_value=True):
        self.calls.append((obs_batch.shape, greedy, with_value))
        return np.array([2]), np.array([-0.5], np.float32), None


def test_categorical_exploration_samples_the_policy_without_the_value_tower():
    policy = FakePolicy()
    action, log_prob = Explorer(policy)(np.zeros((120, 160, 1), np.uint8))
    assert (action, log_prob) == (2, -0.5)
    assert policy.calls == [((1, 120, 160, 1), False, False)]


def test_e_greedy_epsilon_decays_linearly_from_one():
    explorer = Explorer(FakePolicy(), "e-greedy", e_greedy_value=0.1, epsilon_steps=100, seed=0)
    assert explorer.epsilon == 1.0
    explorer.steps_done = 50
    assert explorer.epsilon == pytest.approx(0.55)
    explorer.steps_done = 1000
    assert explorer.epsilon == pytest.approx(0.1)
    explorer.steps_done = 0
    obs = np.zeros((120, 160, 1), np.uint8)
    actions = [explorer(obs) for _ in range(200)]
    assert all(log_prob is None for _, log_prob in actions)  # computed later, in batches
    first, last = [a for a, _ in actions[:30]], [a for a, _ in actions[-30:]]
    assert len(set(first)) > 3  # epsilon near 1: random actions
    assert last.count(2) >= 25  # epsilon 0.1: mostly the greedy action


def test_episode_step_limit_is_a_lap_at_half_the_slowest_speed():
    discrete = ActionSpace("discrete", actions=((0.0, 1.0), (30.0, 0.5), (0.0, 2.0)))
    assert episode_step_limit(20.0, discrete) == 1200  # 15 Hz * 20 m / 0.25 m/s
    continuous = ActionSpace("continuous", speed_range=(2.0, 3.0))
    assert episode_step_limit(27.0, continuous) == 405
    assert episode_step_limit(1.0, continuous) == 300  # the floor


def test_evaluation_starts_spread_round_the_track():
    assert evaluation_starts(20.0, 5) == [0.0, 4.0, 8.0, 12.0, 16.0]


def _fake_checkpoint(store, n, steps):
    name = f"{n}_Step-{steps}.ckpt"
    store.put_bytes(b"data", f"model/{name}.data-00000-of-00001")
    store.put_bytes(b"index", f"model/{name}.index")
    store.put_bytes(f"pb {n}".encode(), f"model/model_{n}.pb")
    store.put_bytes(layout.format_pointer(name).encode(), layout.POINTER_KEY)
    return name


def test_best_tracker_keeps_the_best_and_prunes_the_rest(tmp_path):
    store = LocalModelStore(tmp_path, "m")
    tracker = checkpoints.BestTracker(store)
    metrics = [10.0, 80.0, 30.0, 40.0, 20.0, 50.0, 80.0, 60.0]
    became_best = []
    for n, metric in enumerate(metrics):
        name = _fake_checkpoint(store, n, 100 * (n + 1))
        became_best.append(tracker.record(name, metric))
        tracker.prune(keep_last=4)
    assert became_best == [True, True, False, False, False, False, True, False]
    index = store.read_checkpoints_json()
    assert (index.best.name, index.best.avg_eval_metric) == ("6_Step-700.ckpt", 80.0)
    assert index.last.name == "7_Step-800.ckpt"
    assert store.complete_checkpoints() == [f"{n}_Step-{100 * (n + 1)}.ckpt" for n in (4, 5, 6, 7)]
    assert not store.exists("model/model_1.pb") and store.exists("model/model_6.pb")
    assert checkpoints.BestTracker(store).best == index.best  # read back on resume


def test_a_checkpoint_not_evaluated_is_the_last_but_never_the_best(tmp_path):
    store = LocalModelStore(tmp_path, "m")
    tracker = checkpoints.BestTracker(store)
    first, second = _fake_checkpoint(store, 0, 10), _fake_checkpoint(store, 1, 20)
    assert tracker.record(first, None) is False  # stopped before its evaluation
    index = store.read_checkpoints_json()
    assert index.best is None and index.last.name == first
    tracker.record(second, 0.0)  # an evaluated 0 % still becomes the best
    assert tracker.record(_fake_checkpoint(store, 2, 30), None) is False
    index = store.read_checkpoints_json()
    assert (index.best.name, index.last.name) == (second, "2_Step-30.ckpt")


def _unsent(tmp_path, n, steps):
    """keep_unsent of fake checkpoint files of <n>_Step-<steps>.ckpt with a metrics file."""
    work = tmp_path / f"work{n}"
    work.mkdir(exist_ok=True)
    name = f"{n}_Step-{steps}.ckpt"
    for filename in (f"{name}.index", f"{name}.data-00000-of-00001", f"model_{n}.pb"):
        (work / filename).write_text(filename)
    (work / "metrics.json").write_text('{"metrics": []}')
    return checkpoints.keep_unsent(tmp_path / "unsent", work, name,
                                   {layout.TRAINING_METRICS_KEY: work / "metrics.json"})


def test_an_unsent_checkpoint_is_uploaded_once_and_never_over_a_newer_one(tmp_path):
    store = LocalModelStore(tmp_path / "store", "m")
    assert checkpoints.upload_unsent(store, tmp_path / "unsent") is None  # nothing kept
    unsent = _unsent(tmp_path, 1, 20)
    assert (unsent / layout.POINTER_KEY).read_text() == "1_Step-20.ckpt"
    _fake_checkpoint(store, 0, 10)
    assert checkpoints.upload_unsent(store, unsent) == "1_Step-20.ckpt"
    assert store.read_pointer() == "1_Step-20.ckpt" and not unsent.exists()
    assert store.get_bytes("model/model_1.pb") == b"model_1.pb"
    assert store.get_bytes(layout.TRAINING_METRICS_KEY) == b'{"metrics": []}'
    _unsent(tmp_path, 1, 20)  # the same again (its upload had gone through): only deleted
    assert checkpoints.upload_unsent(store, unsent) == "1_Step-20.ckpt" and not unsent.exists()
    _unsent(tmp_path, 0, 10)
    with pytest.raises(checkpoints.UnsentCheckpointError, match=r"holds checkpoint 0_Step-10"
                       r"\.ckpt, older than 1_Step-20\.ckpt .*delete that folder"):
        checkpoints.upload_unsent(store, unsent)
    assert (unsent / layout.POINTER_KEY).is_file() and store.read_pointer() == "1_Step-20.ckpt"


def test_choose_checkpoint_best_last_and_fallback(tmp_path):
    store = LocalModelStore(tmp_path, "m")
    with pytest.raises(checkpoints.NoCheckpointError, match="no complete checkpoint"):
        checkpoints.choose_checkpoint(store)
    first, second = _fake_checkpoint(store, 0, 10), _fake_checkpoint(store, 1, 20)
    assert checkpoints.choose_checkpoint(store, "best") == second  # no json: the newest
    tracker = checkpoints.BestTracker(store)
    tracker.record(first, 90.0)
    tracker.record(second, 10.0)
    assert checkpoints.choose_checkpoint(store, "best") == first
    assert checkpoints.choose_checkpoint(store, "last") == second


def test_car_package_holds_metadata_and_agent_model_pb(tmp_path):
    store = LocalModelStore(tmp_path, "m")
    name = _fake_checkpoint(store, 3, 300)
    store.put_bytes(b'{"action_space": []}', layout.MODEL_METADATA_KEY)
    assert checkpoints.export_car_package(store, name) == "model.tar.gz"
    with tarfile.open(tmp_path / "m" / "model.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["agent/model.pb", "model_metadata.json"]
        assert tar.extractfile("agent/model.pb").read() == b"pb 3"
        assert tar.extractfile("model_metadata.json").read() == b'{"action_space": []}'


def test_trial_trace_numbers_steps_and_progress_across_resets():
    writer = SimTraceWriter()
    trace = TrialTrace(writer)
    trace.episode, trace.steps_before, trace.progress_before = 2, 0, 0.0
    common = (1.0, 2.0, 90.0, 0.0, 1.0, 2, 1.0)
    trace.log(17, 1, *common, False, True, 40.0, 3, 20.0, 1.0, "in_progress")
    trace.log(17, 2, *common, True, False, 45.0, 3, 20.0, 1.1, "off_track")
    trace.steps_before, trace.progress_before = 2, 45.0
    trace.log(18, 1, *common, False, True, 56.0, 3, 20.0, 6.2, "in_progress")
    rows = [parse_sim_trace(line) for line in writer.lines]
    assert [(r["episode"], r["steps"], r["episode_status"], r["done"]) for r in rows] == [
        (2, 1, "in_progress", False), (2, 2, "off_track", True), (2, 3, "lap_complete", True)]
    assert [r["progress"] for r in rows] == [40.0, 45.0, 100.0]


def test_progress_lines_and_stop_request():
    stream = io.StringIO()
    progress = Progress("training", stream=stream, bar=True)
    progress.iteration(IterationReport(
        iteration=3, episodes=80, mean_reward=45.25, mean_progress=23.1, full_lap_pct=5.0,
        eval_progress=31.0, eval_laps="1/5", steps_per_s=523.4, update_s=14.2,
        samples_per_s=1234.0, checkpoint="3_Step-4000.ckpt", best=True))
    line = stream.getvalue()
    for part in ("iteration   3", "episodes    80", "reward    45.25", "progress  23.1%",
                 "full laps   5.0%", "eval  31.0% (1/5 laps)", "523.4 steps/s", "update  14.2 s",
                 "1234 samples/s", "3_Step-4000.ckpt (best)"):
        assert part in line
    bar = progress.episode_bar(3, "x")  # stderr is not a terminal under pytest: no bar
    bar.update()
    bar.close()
    stop = StopRequest()
    assert not stop()
    stop.set("SIGTERM")
    assert stop() and stop.reason == "SIGTERM"
