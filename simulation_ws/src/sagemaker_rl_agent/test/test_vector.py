"""Vectorized training envs (markov.workers.vector): the same episodes as one by one, in order."""
import numpy as np
import pytest

from markov.envs import DeepRacerRacetrackEnv
from markov.sim_trace import SimTraceWriter, parse_sim_trace
from markov.workers.rollout import (Explorer, RowDraws, Rollout, evaluation_seeds, play_episode,
                                    play_evaluation)
from markov.workers.settings import SettingsError, training_settings
from markov.workers.vector import (EnvStepper, VectorCollector, action_rng, episode_seed,
                                   step_threads)

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


def _collect(n_envs, count, seed=7, kind="categorical", first_episode=10, threads=1, **kwargs):
    policy, trace = RandomPolicy(), SimTraceWriter()
    explorer = Explorer(policy, kind, e_greedy_value=0.3, epsilon_steps=0, seed=seed)
    collector = VectorCollector(_envs(n_envs), explorer, trace, threads=threads)
    try:
        rollout, results = collector.collect(count, first_episode=first_episode, seed=seed,
                                             **kwargs)
    finally:
        collector.close()
    return rollout, results, trace.lines, policy


def test_one_env_plays_what_play_episode_plays():
    rollout, results, rows, _ = _collect(1, 3)
    env = _envs(1)[0]
    explorer, expected, trace = Explorer(RandomPolicy()), Rollout(), SimTraceWriter()
    env.sim_trace = trace
    played = []
    for episode in range(10, 13):  # each episode seeded from the training seed and its number
        explorer.rng = action_rng(7, episode)
        played.append(play_episode(env, explorer, {"episode": episode}, expected,
                                   seed=episode_seed(7, episode)))
    assert [(r.episode, r.reward, r.steps, r.status) for r in results] == \
           [(r.episode, r.reward, r.steps, r.status) for r in played]
    assert rollout.actions == expected.actions and rollout.rewards == expected.rewards
    assert rollout.dones == expected.dones and rollout.log_probs == expected.log_probs
    strip = [row.rsplit(",", 1)[0] for row in rows]  # without the wall clock
    assert strip == [row.rsplit(",", 1)[0] for row in trace.lines]


def _without_clock(rows):
    """Rows without the wall clock and the tstamp (each env's simulated clock runs on over
    the episodes it plays)."""
    return [",".join(field for k, field in enumerate(row.split(",")[:-1]) if k != 14)
            for row in rows]


@pytest.mark.parametrize("kind", ["categorical", "e-greedy"])
def test_a_seed_gives_the_same_episodes_whatever_the_number_of_envs(kind):
    # Episode n draws from generators seeded by the seed and n alone, so which env plays it
    # does not matter: 1, 3 and 4 envs give the same steps, results and sim trace rows.
    runs = [_collect(n, 9, kind=kind) for n in (1, 3, 4)]
    one = runs[0]
    for rollout, results, rows, _ in runs[1:]:
        assert [(r.episode, r.reward, r.steps, r.status) for r in results] == \
               [(r.episode, r.reward, r.steps, r.status) for r in one[1]]
        assert rollout.actions == one[0].actions and rollout.rewards == one[0].rewards
        assert _without_clock(rows) == _without_clock(one[2])
    # and the first episode numbered 12 is the same as the third of a run from 10
    rollout, results, _, _ = _collect(2, 2, kind=kind, first_episode=12)
    assert [(r.episode, r.reward, r.steps) for r in results] == \
           [(r.episode, r.reward, r.steps) for r in one[1][2:4]]


def test_envs_stepped_in_threads_play_the_same_episodes():
    rollout, results, rows, _ = _collect(4, 9, threads=2)
    single = _collect(4, 9, threads=1)
    assert [(r.episode, r.reward, r.steps, r.status) for r in results] == \
           [(r.episode, r.reward, r.steps, r.status) for r in single[1]]
    assert rollout.actions == single[0].actions and rollout.rewards == single[0].rewards
    assert all(np.array_equal(a, b) for a, b in zip(rollout.obs, single[0].obs))
    assert _without_clock(rows) == _without_clock(single[2])


def test_realistic_world_envs_stepped_in_threads_see_the_same_frames():
    # The training default: the realistic world with the standard randomization through the
    # car's lens (scene, light, noise, blur, JPEG per episode). Frames made in two threads at
    # once must be the frames made one after the other (no work buffer shared between envs).
    from markov.workers.userfiles import check_user_files
    from markov.workers.vector import make_training_envs

    settings = training_settings({"WORLD_NAME": WORLD})
    assert settings.randomization_file == "standard"
    user = check_user_files(settings)
    runs = []
    for threads in (2, 1):
        explorer = Explorer(RandomPolicy(), seed=4)
        collector = VectorCollector(make_training_envs(settings, user, 3), explorer, threads=threads)
        try:
            runs.append(collector.collect(5, 0, seed=4))
        finally:
            collector.close()
    (threaded, results), (serial, expected) = runs
    assert [(r.reward, r.steps) for r in results] == [(r.reward, r.steps) for r in expected]
    assert len(threaded) == len(serial) > 20
    assert all(np.array_equal(a, b) for a, b in zip(threaded.obs, serial.obs))


def test_the_stepper_advances_backends_in_threads_then_finishes_in_order():
    import threading

    envs = _envs(3)
    seen = []
    for env in envs:
        env.reset(seed=1)
        backend_step = env.backend.step

        def step(steering, speed, backend_step=backend_step):
            seen.append(threading.current_thread().name)
            return backend_step(steering, speed)
        env.backend.step = step
    stepper = EnvStepper(2)
    try:
        out = stepper.step(envs, [1, 2, 3])
    finally:
        stepper.close()
    assert all(name.startswith("env-step") for name in seen) and len(seen) == 3
    twins = _envs(3)
    for env, action, got in zip(twins, [1, 2, 3], out):
        env.reset(seed=1)
        obs, reward, terminated, truncated, info = env.step(action)
        assert np.array_equal(obs, got[0]) and reward == got[1] and info["steps"] == 1
    assert 1 <= step_threads(8) <= 8 and step_threads(1) == 1


def test_row_draws_give_each_row_its_own_generator():
    draws = RowDraws([np.random.default_rng(1), np.random.default_rng(2)])
    assert np.array_equal(draws.random(2), [np.random.default_rng(1).random(),
                                            np.random.default_rng(2).random()])
    normal = RowDraws([np.random.default_rng(3)]).standard_normal((1, 2), dtype=np.float32)
    assert np.array_equal(normal, np.random.default_rng(3).standard_normal(2, dtype=np.float32)[None])
    assert RowDraws([np.random.default_rng(4)]).random((1, 1)).item() == \
        np.random.default_rng(4).random((1, 1)).item()
    with pytest.raises(ValueError, match="2 rows"):
        draws.random(3)


def test_the_evaluation_in_lockstep_plays_what_one_env_plays():
    policy, seeds = RandomPolicy(), evaluation_seeds(5, 3, 5)
    alone = play_evaluation(_envs(1)[0], policy, 5, seeds=seeds)
    envs, stepper = _envs(3), EnvStepper(2)
    try:
        together = play_evaluation(envs, policy, 5, seeds=seeds, stepper=stepper)
    finally:
        stepper.close()
    assert max(policy.batches) == 3
    assert [(r.episode, r.reward, r.steps, r.status, r.progress) for r in together] == \
           [(r.episode, r.reward, r.steps, r.status, r.progress) for r in alone]
    assert [r.episode for r in alone] == [0, 1, 2, 3, 4]
    assert all(env.sim_trace is not None and not env.sim_trace.lines for env in envs)
    assert evaluation_seeds(None, 3, 5) is None and evaluation_seeds(5, 4, 5) != seeds
    polls = []
    stopped = play_evaluation(_envs(3), policy, 5, seeds=seeds,
                              should_stop=lambda: polls.append(1) or len(polls) > 3)
    assert stopped == []  # no trial finished in 3 steps


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


def test_episode_seeds_depend_on_the_seed_and_the_episode_only():
    assert episode_seed(None, 3) is None and episode_seed(5, 2) == episode_seed(5, 2)
    assert len({episode_seed(5, i) for i in range(50)} | {episode_seed(6, 0)}) == 51
    assert action_rng(5, 2).random() == action_rng(5, 2).random() != action_rng(5, 3).random()


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
