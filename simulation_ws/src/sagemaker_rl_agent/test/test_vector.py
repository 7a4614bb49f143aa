"""Vectorized training envs (markov.workers.vector): the same episodes as one by one, in order."""
import numpy as np
import pytest

from markov.envs import DeepRacerRacetrackEnv
from markov.sim_trace import SimTraceWriter, parse_sim_trace
from markov.workers.rollout import Explorer, Rollout, play_episode
from markov.workers.settings import SettingsError, training_settings
from markov.workers.vector import VectorCollector, env_seed

WORLD = "easy_track"


class RandomPolicy:
    """The PPOPolicy.act interface without TensorFlow: actions drawn from `rng`, one per row,
    biased by the image so that what an env saw matters; records the batch sizes."""

    continuous, n_actions = False, 7

    def __init__(self):
        self.batches = []

    def act(self, obs_batch, greedy=False, rng=None, with_value=True):
        self.batches.append(len(obs_batch))
        bias = (obs_batch.reshape(len(obs_batch), -1)[:, ::97].mean(axis=1) > 100).astype(int)
        if greedy:
            return np.full(len(obs_batch), 2) + bias, np.zeros(len(obs_batch), np.float32), None
        draws = rng.random(len(obs_batch))
        actions = np.minimum((draws * 5).astype(int) + bias, 6)
        return actions, np.log(0.2 + draws).astype(np.float32), None


def _envs(count):
    return [DeepRacerRacetrackEnv(WORLD, sim_trace=SimTraceWriter(), max_steps=120)
            for _ in range(count)]


def _collect(n_envs, count, seed=7, kind="categorical", **kwargs):
    policy, trace = RandomPolicy(), SimTraceWriter()
    collector = VectorCollector(_envs(n_envs), Explorer(policy, kind, seed=seed), trace)
    try:
        rollout, results = collector.collect(count, first_episode=10, seed=seed, **kwargs)
    finally:
        collector.close()
    return rollout, results, trace.lines, policy


def test_one_env_plays_what_play_episode_plays():
    rollout, results, rows, _ = _collect(1, 3)
    env = _envs(1)[0]
    explorer, expected, trace = Explorer(RandomPolicy(), seed=7), Rollout(), SimTraceWriter()
    env.sim_trace = trace
    played = [play_episode(env, explorer, {"episode": 10 + k}, expected, seed=7 if k == 0 else None)
              for k in range(3)]
    assert [(r.episode, r.reward, r.steps, r.status) for r in results] == \
           [(r.episode, r.reward, r.steps, r.status) for r in played]
    assert rollout.actions == expected.actions and rollout.rewards == expected.rewards
    assert rollout.dones == expected.dones and rollout.log_probs == expected.log_probs
    strip = [row.rsplit(",", 1)[0] for row in rows]  # without the wall clock
    assert strip == [row.rsplit(",", 1)[0] for row in trace.lines]


def test_episodes_of_many_envs_come_back_in_order_with_their_own_rows():
    rollout, results, rows, policy = _collect(3, 7)
    assert [r.episode for r in results] == list(range(10, 17))
    assert max(policy.batches) == 3  # one policy call for the three envs
    assert len(rollout) == sum(r.steps for r in results) == len(rows)
    ends = np.flatnonzero(rollout.dones) + 1
    assert list(np.diff(np.concatenate([[0], ends]))) == [r.steps for r in results]
    parsed = [parse_sim_trace(row) for row in rows]
    at = 0
    for result in results:  # each episode's rows together, steps 1..n, its own start
        mine = parsed[at:at + result.steps]
        assert [p["episode"] for p in mine] == [result.episode] * result.steps
        assert [p["steps"] for p in mine] == list(range(1, result.steps + 1))
        assert mine[-1]["done"] and not any(p["done"] for p in mine[:-1])
        at += result.steps
    starts = {(round(p["X"], 2), round(p["Y"], 2)) for p in parsed if p["steps"] == 1}
    assert len(starts) == 7  # round-robin start positions by episode number


def test_same_seed_same_episodes_and_other_seed_other_ones():
    first, again, other = _collect(3, 5, seed=3), _collect(3, 5, seed=3), _collect(3, 5, seed=4)
    assert first[0].actions == again[0].actions and first[0].rewards == again[0].rewards
    assert [r.reward for r in first[1]] == [r.reward for r in again[1]]
    assert first[0].actions != other[0].actions


def test_e_greedy_batches_draw_as_single_calls():
    obs = np.random.default_rng(0).integers(0, 255, (5, 120, 160, 1), dtype=np.uint8)
    single = Explorer(RandomPolicy(), "e-greedy", e_greedy_value=0.3, epsilon_steps=4, seed=1)
    batched = Explorer(RandomPolicy(), "e-greedy", e_greedy_value=0.3, epsilon_steps=4, seed=1)
    for _ in range(4):
        expected = [single(o) for o in obs]
        actions, log_probs = batched.choose_batch(obs)
        assert [int(a) for a in actions] == [int(a) for a, _ in expected]
        assert log_probs == [None] * 5
    assert batched.steps_done == single.steps_done == 20


def test_no_new_episode_once_may_start_is_false_and_stop_drops_unfinished():
    started = []

    def may_start():
        started.append(1)
        return len(started) <= 4
    rollout, results, rows, _ = _collect(3, 10, may_start=may_start)
    assert [r.episode for r in results] == [10, 11, 12, 13]
    assert len(rows) == len(rollout) == sum(r.steps for r in results)

    polls = []
    rollout, results, rows, _ = _collect(2, 10, should_stop=lambda: polls.append(1) or len(polls) > 30)
    assert len(rollout) == len(rows) == sum(r.steps for r in results)
    assert all(rollout.dones[-1:])  # only finished episodes


def test_env_seeds_keep_env_zero_and_differ_by_global_index():
    assert env_seed(None, 3) is None and env_seed(5, 0) == 5
    assert len({env_seed(5, i) for i in range(8)}) == 8 and env_seed(5, 2) == env_seed(5, 2)


def test_envs_per_worker_setting():
    assert training_settings({}).envs_per_worker >= 1
    assert training_settings({"ENVS_PER_WORKER": "3"}).envs_per_worker == 3
    for bad in ("0", "two", "1.5"):
        with pytest.raises(SettingsError, match="ENVS_PER_WORKER"):
            training_settings({"ENVS_PER_WORKER": bad})


def test_the_training_worker_imports_neither_ray_nor_tensorflow_at_import():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, markov, markov.workers.training, markov.workers.vector; "
            "print(sorted(m for m in ('ray', 'tensorflow') if m in sys.modules))")
    src = str(Path(__file__).resolve().parents[1] / "src")
    paths = [src] + [p for p in sys.path if p]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": ":".join(paths), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("stop_after_polls", [25, 45, 70, 95])
def test_a_stop_keeps_finished_episodes_numbered_without_gaps(stop_after_polls):
    # Envs finish at different times: a later episode may end before an earlier one. After a
    # stop only the unbroken run from the first episode is kept (a resumed run numbers on).
    polls = []
    rollout, results, rows, _ = _collect(
        4, 40, should_stop=lambda: polls.append(1) or len(polls) > stop_after_polls)
    episodes = [r.episode for r in results]
    assert episodes == list(range(10, 10 + len(episodes)))
    assert len(rollout) == len(rows) == sum(r.steps for r in results)
    assert sorted({parse_sim_trace(row)["episode"] for row in rows}) == episodes


def test_the_ros_backend_plays_one_env_and_refuses_more():
    assert training_settings({"TRAINING_BACKEND": "ros"}).envs_per_worker == 1
    assert training_settings({"TRAINING_BACKEND": "inprocess"}).envs_per_worker == 8
    with pytest.raises(SettingsError, match="ENVS_PER_WORKER: 4 envs need the in-process backend"):
        training_settings({"TRAINING_BACKEND": "ros", "ENVS_PER_WORKER": "4"})
