"""DeepRacerRacetrackEnv: the gymnasium contract, spaces, seeding, arguments, sim traces."""
import math
import warnings

import cv2
import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import markov
from markov.envs import DeepRacerRacetrackEnv, EnvArgumentError
from markov.reward import RewardFunctionError
from markov.rules import IN_PROGRESS
from markov.sim_trace import SIM_TRACE_COLUMNS, SimTraceWriter, parse_sim_trace

CONTINUOUS = {"action_space": {"steering_angle": {"low": -20, "high": 30},
                               "speed": {"low": 0.5, "high": 2}},
              "action_space_type": "continuous"}


@pytest.fixture(scope="module")
def env():
    environment = DeepRacerRacetrackEnv("reinvent_base")
    yield environment
    environment.close()


def _check_quietly(env_id_kwargs):
    environment = gymnasium.make("DeepRacerRacetrack-v0", **env_id_kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(environment.unwrapped)
    environment.close()
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("kwargs", [{}, {"model_metadata": CONTINUOUS},
                                    {"observation_type": "rgb", "render_mode": "rgb_array"}],
                         ids=["discrete", "continuous", "rgb"])
def test_check_env_passes_without_warnings(kwargs):
    assert _check_quietly(kwargs) == []


def test_registration_survives_reimport():
    import importlib

    importlib.reload(markov)
    spec = gymnasium.spec("DeepRacerRacetrack-v0")
    assert spec.entry_point == "markov.envs.deepracer_env:DeepRacerRacetrackEnv"


def test_spaces_follow_the_metadata(env):
    assert env.action_space == gymnasium.spaces.Discrete(7)  # the shipped model_metadata.json
    assert env.observation_space.shape == (120, 160, 1)
    assert env.observation_space.dtype == np.uint8
    continuous = DeepRacerRacetrackEnv(model_metadata=CONTINUOUS)
    assert continuous.action_space == gymnasium.spaces.Box(-1, 1, (2,), np.float32)


def test_discrete_action_is_commanded_in_degrees_and_radians(env):
    calls = []
    step = env.backend.step
    env.backend.step = lambda steer, speed: calls.append((steer, speed)) or step(steer, speed)
    try:
        env.reset(seed=0)
        _, _, _, _, info = env.step(4)  # shipped action 4: 30 degrees, 1 m/s
    finally:
        del env.backend.step
    assert calls == [(pytest.approx(math.radians(30.0)), 1.0)]
    assert info["reward_params"]["steering_angle"] == 30.0
    assert info["reward_params"]["speed"] == 1.0


def test_continuous_action_maps_onto_the_ranges_and_clips():
    environment = DeepRacerRacetrackEnv(model_metadata=CONTINUOUS)
    environment.reset(seed=0)
    params = environment.step(np.array([1.0, -1.0], np.float32))[4]["reward_params"]
    assert (params["steering_angle"], params["speed"]) == (30.0, 0.5)
    params = environment.step(np.array([-1.0, 0.0], np.float32))[4]["reward_params"]
    assert (params["steering_angle"], params["speed"]) == (-20.0, 1.25)
    params = environment.step(np.array([5.0, 9.0], np.float32))[4]["reward_params"]
    assert (params["steering_angle"], params["speed"]) == (30.0, 2.0)


def test_grayscale_observation_is_the_luma_of_the_rgb_frame():
    environment = DeepRacerRacetrackEnv(render_mode="rgb_array")
    obs, _ = environment.reset(seed=3)
    rgb = environment.render()
    assert rgb.shape == (120, 160, 3) and rgb.dtype == np.uint8
    np.testing.assert_array_equal(obs[:, :, 0], cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    assert 0 < obs.mean() < 255 and obs.std() > 5  # a real image: road, lines and background


def test_same_seed_same_episode_other_seed_other_scene():
    def run(seed):
        environment = DeepRacerRacetrackEnv(domain_randomization=True)
        actions = np.random.default_rng(1).integers(0, 7, 50)
        obs, _ = environment.reset(seed=seed)
        observations, rewards = [obs], []
        for action in actions:
            obs, reward, terminated, truncated, _ = environment.step(int(action))
            observations.append(obs)
            rewards.append(reward)
            if terminated or truncated:
                break
        return np.stack(observations), rewards

    obs_a, rewards_a = run(11)
    obs_b, rewards_b = run(11)
    assert len(rewards_a) >= 10
    np.testing.assert_array_equal(obs_a, obs_b)
    assert rewards_a == rewards_b
    obs_c, _ = run(12)
    assert not np.array_equal(obs_a[0], obs_c[0])  # another light level, palette and noise


def test_bad_reward_file_stops_the_constructor_before_anything_runs(tmp_path, monkeypatch):
    bad = tmp_path / "reward_function.py"
    bad.write_text("def reward_function(params):\n    return float('nan')\n")

    class RecordingBackend:
        calls = []

        def __getattr__(self, name):
            self.calls.append(name)
            raise AssertionError(f"backend.{name} used before the reward function was checked")

    backend = RecordingBackend()
    with pytest.raises(RewardFunctionError, match=r"reward_function\.py:2: .*not a finite number"):
        DeepRacerRacetrackEnv(reward_function=str(bad), backend=backend)
    assert backend.calls == []
    monkeypatch.setattr("markov.envs.deepracer_env.make_backend",
                        lambda *a, **k: pytest.fail("backend built before the reward check"))
    with pytest.raises(RewardFunctionError):
        DeepRacerRacetrackEnv(reward_function=lambda params: "fast")


def test_reward_error_during_a_step_names_the_file(tmp_path):
    path = tmp_path / "reward_function.py"
    path.write_text("def reward_function(params):\n"
                    "    if params['steps'] == 3:  # not among the check's samples\n"
                    "        raise KeyError('speeed')\n"
                    "    return 1.0\n")
    environment = DeepRacerRacetrackEnv(reward_function=path)
    environment.reset(seed=0)
    environment.step(2)
    environment.step(2)
    with pytest.raises(RewardFunctionError, match=r"reward_function\.py:3: .*KeyError"):
        environment.step(2)


@pytest.mark.parametrize("kwargs, name", [
    ({"observation_type": "depth"}, "observation_type"), ({"reverse": "sometimes"}, "reverse"),
    ({"render_mode": "human"}, "render_mode"), ({"max_steps": 0}, "max_steps"),
    ({"round_robin_advance": 1.5}, "round_robin_advance"),
    ({"start_positions": [0.2, 1.0]}, "start_positions"),
    ({"episode_offset": -1}, "episode_offset"),
    ({"backend": "gazebo9"}, "gazebo9"),
    ({"backend": "ros", "domain_randomization": True}, "randomize")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DeepRacerRacetrackEnv(**kwargs)


def test_bad_world_and_metadata_are_named(tmp_path):
    with pytest.raises(ValueError, match="reinvent_bse"):
        DeepRacerRacetrackEnv("reinvent_bse")
    meta = tmp_path / "model_metadata.json"
    meta.write_text('{"action_space": [{"steering_angle": 0, "sped": 1}]}')
    with pytest.raises(ValueError, match=r"model_metadata\.json.*sped"):
        DeepRacerRacetrackEnv(model_metadata=meta)


def test_reset_options_are_checked(env):
    with pytest.raises(EnvArgumentError, match="'start'"):
        env.reset(options={"start": 1.0})
    _, info = env.reset(options={"pose": (0.0, 0.0, 0.0)})
    assert info["reward_params"]["x"] == pytest.approx(0.14)


def test_the_episode_option_numbers_an_episode_and_those_after_it():
    environment = DeepRacerRacetrackEnv("easy_track", round_robin_advance=0.25)
    length = environment.track.length
    numbers, starts = [], []
    for options in ({"episode": 6}, None, {"start_s": 1.0}, {"episode": 2}):
        _, info = environment.reset(options=options)
        numbers.append(info["episode"])
        starts.append(info["start_s"])
    assert numbers == [6, 7, 8, 2]
    # episode k starts at (k * 0.25) % 1 of the lap (front point 0.14 m ahead of the pose)
    for k, start in ((6, starts[0]), (7, starts[1]), (2, starts[3])):
        gap = (start - 0.14 - (k * 0.25 % 1.0) * length) % length
        assert min(gap, length - gap) < 0.02
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(EnvArgumentError, match="'episode' must be an integer >= 0"):
            environment.reset(options={"episode": bad})


def test_step_needs_a_reset():
    environment = DeepRacerRacetrackEnv()
    with pytest.raises(gymnasium.error.ResetNeeded):
        environment.step(0)
    environment.reset(seed=0, options={"start_s": 0.0, "lateral": 0.0, "yaw_offset": math.pi / 2})
    terminated = False
    for _ in range(200):
        terminated = environment.step(6)[2]
        if terminated:
            break
    assert terminated
    with pytest.raises(gymnasium.error.ResetNeeded):
        environment.step(0)


def test_truncation_only_at_max_steps():
    environment = DeepRacerRacetrackEnv(max_steps=5)
    environment.reset(seed=0)
    flags = [environment.step(2)[2:4] for _ in range(5)]
    assert flags == [(False, False)] * 4 + [(False, True)]


def test_sim_trace_logs_one_line_per_step(env):
    writer = SimTraceWriter()
    traced = DeepRacerRacetrackEnv(sim_trace=writer, episode_offset=4, round_robin_advance=0.0)
    _, info = traced.reset(seed=0)
    infos, rewards, done = [], [], False
    while not done:
        _, reward, terminated, truncated, info = traced.step(6)
        infos.append(info)
        rewards.append(reward)
        done = terminated or truncated
    rows = [parse_sim_trace(line) for line in writer.lines]
    assert len(rows) == len(infos) > 5
    assert len(writer.lines[0].split(",")) == len(SIM_TRACE_COLUMNS)
    for k, (row, info, reward) in enumerate(zip(rows, infos, rewards)):
        params = info["reward_params"]
        assert (row["episode"], row["steps"]) == (4, k + 1)
        assert row["X"] == pytest.approx(params["x"], abs=1e-4)
        assert row["Y"] == pytest.approx(params["y"], abs=1e-4)
        assert row["yaw"] == pytest.approx(params["heading"], abs=1e-4)
        assert (row["steer"], row["throttle"], row["action"]) == (0.0, 2.0, 6)
        assert row["reward"] == pytest.approx(reward, abs=1e-4)
        assert row["closest_waypoint"] == params["closest_waypoints"][1]
        assert row["progress"] == pytest.approx(info["progress"], abs=1e-4)
        assert row["track_len"] == pytest.approx(traced.track.length, abs=0.01)
        assert row["all_wheels_on_track"] == params["all_wheels_on_track"]
        assert row["episode_status"] == info["episode_status"]
        assert row["done"] == (k == len(rows) - 1)
    ticks = np.diff([row["tstamp"] for row in rows])
    np.testing.assert_allclose(ticks, 1.0 / 15.0, atol=2e-3)
    assert rows[-1]["episode_status"] != IN_PROGRESS


def test_reset_info_has_reward_params_without_calling_the_reward(env):
    calls = []
    reward_function = env.reward_function
    env.reward_function = lambda params: calls.append(params) or 1.0
    try:
        obs, info = env.reset(seed=5)
    finally:
        env.reward_function = reward_function
    assert calls == []
    assert obs in env.observation_space
    params = info["reward_params"]
    assert (params["steps"], params["progress"], params["is_offtrack"]) == (0, 0.0, False)
    assert info["episode_status"] == IN_PROGRESS and info["steps"] == 0
