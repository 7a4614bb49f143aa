"""The env's race types: gymnasium.make kwargs, object reward params, crashes, sensors."""
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import markov  # noqa: F401 (registers the id)
from markov.envs.race import RaceSetupError

ACTIONS = [{"steering_angle": a, "speed": 1.0} for a in (-20, 0, 20)]
OBJECT_KEYS = ("closest_objects", "objects_location", "objects_left_of_center", "object_in_camera",
               "objects_speed", "objects_heading", "objects_distance_from_center",
               "objects_distance")


def _meta(*sensors):
    return {"action_space": ACTIONS, "sensor": list(sensors)}


def avoid_objects_reward(params):
    """A reward in the style of the console's object-avoidance example (written here)."""
    reward = 1e-3
    if params["all_wheels_on_track"] and params["distance_from_center"] < 0.5 * params["track_width"]:
        reward = 1.0
    _, next_index = params["closest_objects"]
    objects = params["objects_location"]
    x, y = params["x"], params["y"]
    same_lane = params["objects_left_of_center"][next_index] == params["is_left_of_center"]
    gap = np.hypot(objects[next_index][0] - x, objects[next_index][1] - y)
    if same_lane and gap < 0.8:
        reward *= 0.2 if params["object_in_camera"] else 0.5
    return float(reward) if not params["is_crashed"] else 1e-3


def test_object_avoidance_with_stereo_cameras():
    env = gymnasium.make("DeepRacerRacetrack-v0", model_metadata=_meta("STEREO_CAMERAS"),
                         reward_function=avoid_objects_reward, race_type="OBJECT_AVOIDANCE",
                         number_of_obstacles=3, randomize_obstacle_locations=False)
    obs, info = env.reset(seed=0)
    assert env.observation_space.shape == (120, 160, 2) and obs.shape == (120, 160, 2)
    params = info["reward_params"]
    assert all(len(params[k]) == 3 for k in OBJECT_KEYS
               if k not in ("closest_objects", "object_in_camera"))
    assert params["objects_speed"] == [0.0, 0.0, 0.0]
    # Start 1 m before the first box, in its lane, and drive straight into it.
    unwrapped = env.unwrapped
    box = unwrapped._race.objects[0]
    p = unwrapped.track.project(box.x, box.y)
    lateral = p.distance_from_center * (1 if p.is_left_of_center else -1)
    obs, info = env.reset(options={"start_s": p.s - 1.2, "lateral": lateral})
    assert info["reward_params"]["closest_objects"][1] == 0
    assert info["reward_params"]["object_in_camera"] is True
    left, right = obs[..., 0], obs[..., 1]
    assert (left != right).any()  # the box seen from 6 cm apart
    for _ in range(60):
        obs, reward, terminated, truncated, info = env.step(1)
        if terminated:
            break
    assert info["episode_status"] == "crashed" and info["reward_params"]["is_crashed"] is True
    assert reward == pytest.approx(1e-3)
    env.close()


def test_head_to_head_bot_cars_and_lidar_dict_observation():
    env = gymnasium.make("DeepRacerRacetrack-v0", model_metadata=_meta("FRONT_FACING_CAMERA", "LIDAR"),
                         reward_function=avoid_objects_reward, race_type="HEAD_TO_HEAD_RACING",
                         number_of_bot_cars=2, bot_car_speed=0.5, is_lane_change=True)
    obs, info = env.reset(seed=1)
    assert set(obs) == {"FRONT_FACING_CAMERA", "LIDAR"}
    assert obs["FRONT_FACING_CAMERA"].shape == (120, 160, 1) and obs["LIDAR"].shape == (64,)
    assert env.observation_space.contains(obs)
    params = info["reward_params"]
    assert params["objects_speed"] == [0.5, 0.5]
    d0 = params["objects_distance"]
    for _ in range(15):
        obs, reward, terminated, truncated, info = env.step(1)
    moved = [(b - a) % env.unwrapped.track.length for a, b in zip(d0, info["reward_params"]["objects_distance"])]
    assert moved == pytest.approx([0.5, 0.5], abs=0.05)  # 1 s at 0.5 m/s
    env.close()


def test_sector_lidar_env_passes_check_env():
    env = gymnasium.make("DeepRacerRacetrack-v0", model_metadata=_meta("STEREO_CAMERAS", "SECTOR_LIDAR"),
                         race_type="OBJECT_AVOIDANCE", number_of_obstacles=2,
                         randomize_obstacle_locations=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped)
    assert [str(w.message) for w in caught] == []
    env.close()


def test_time_trial_keeps_empty_object_params():
    env = gymnasium.make("DeepRacerRacetrack-v0")
    _, info = env.reset(seed=0)
    assert env.unwrapped._race is None
    assert info["reward_params"]["objects_location"] == [] and info["reward_params"]["closest_objects"] == [0, 0]
    env.close()


@pytest.mark.parametrize("kwargs, message", [
    ({"race_type": "DRAG"}, "race_type must be one of"),
    ({"race_type": "OBJECT_AVOIDANCE", "number_of_obstacles": -2}, "number_of_obstacles"),
    ({"race_type": "OBJECT_AVOIDANCE", "race_options": {"boxes": 1}}, "race_options: unknown key 'boxes'"),
    ({"model_metadata": _meta("STEREO_CAMERAS"), "observation_type": "rgb"}, "observation_type 'rgb'"),
])
def test_bad_race_arguments_are_named(kwargs, message):
    with pytest.raises(RaceSetupError, match=message):
        gymnasium.make("DeepRacerRacetrack-v0", **kwargs)


STEER = [{"steering_angle": a, "speed": 1.0} for a in range(-30, 31, 5)]


def _follow_lane(track, params, lateral, lookahead=0.6):
    """Index of the STEER action pointing the car at its lane 0.6 m ahead (pure pursuit)."""
    import math

    x, y, _ = track.pose_at((params["projection_distance"] + lookahead) % track.length, lateral)
    bearing = math.degrees(math.atan2(y - params["y"], x - params["x"])) - params["heading"]
    bearing = (bearing + 180.0) % 360.0 - 180.0
    return int(np.argmin([abs(a["steering_angle"] - bearing) for a in STEER]))


@pytest.mark.parametrize("min_distance, overtakes", [(2.0, 1), (0.2, 0)])
def test_overtakes_count_only_bot_cars_that_were_clearly_ahead(min_distance, overtakes):
    # One bot car at 0.2 m/s on the inner lane; the car follows the outer lane at 1 m/s.
    # Started 2 m behind it (DeepRacer's placement) the car passes it: one overtake.
    # A bot car 0.2 m past the start line is beside the car from the start, never
    # clearly ahead: driving off is not an overtake.
    env = gymnasium.make("DeepRacerRacetrack-v0", model_metadata={"action_space": STEER},
                         race_type="HEAD_TO_HEAD_RACING", number_of_bot_cars=1, bot_car_speed=0.2,
                         race_options={"min_distance_between_bot_cars": min_distance},
                         start_positions=[0.0])
    env.reset(seed=0)
    track, lanes = env.unwrapped.track, env.unwrapped._race.race.objects.lanes
    outer = lanes.lateral(0.0, inner=False)
    _, info = env.reset(seed=0, options={"start_s": 0.0, "lateral": outer})
    gaps = []
    for _ in range(75):  # 5 s
        p = info["reward_params"]
        action = _follow_lane(track, p, lanes.lateral(p["projection_distance"], inner=False))
        _, _, terminated, truncated, info = env.step(action)
        p = info["reward_params"]
        gaps.append(p["objects_distance"][0] - p["projection_distance"])
        assert not (terminated or truncated), info["episode_status"]
    assert gaps[-1] < -0.5  # the car ends clearly ahead in both cases
    assert max(gaps) >= 0.5 if overtakes else max(gaps) < 0.5
    assert info["overtakes"] == overtakes
    env.close()
