"""Golden episode endings through DeepRacerRacetrackEnv on real routes and a frozen backend."""
import math

import numpy as np
import pytest

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from markov.backends import Frame
from markov.envs import DeepRacerRacetrackEnv, LapProgress
from markov.envs.pure_pursuit import PurePursuit
from markov.rules import IMMOBILIZED_STEPS, REVERSED_STEPS

STRAIGHT, HARD_LEFT = 2, 4  # shipped actions: (0 deg, 1 m/s), (30 deg, 1 m/s)


class FrozenBackend:
    """A car that never moves: every frame at the reset pose, all four wheels on the road."""

    def __init__(self):
        self.pose, self.time, self.commands = (0.0, 0.0, 0.0), 0.0, []

    def reset(self, x, y, yaw, seed=None):
        self.pose = (x, y, yaw)
        return self._frame()

    def step(self, steering_angle, speed):
        self.commands.append((steering_angle, speed))
        self.time += 1.0 / 15.0
        return self._frame()

    def close(self):
        pass

    def _frame(self):
        x, y, yaw = self.pose
        return Frame(image=np.zeros((120, 160, 3), np.uint8), x=x, y=y, yaw=yaw, speed=0.0,
                     steering=0.0, wheels_on_track=(True,) * 4, sim_time=self.time)


def run_episode(env, policy, limit=3000, **reset_kwargs):
    """Step until the episode ends; return (reset info, list of step infos)."""
    _, first = env.reset(**reset_kwargs)
    infos, info = [], first
    for _ in range(limit):
        _, _, terminated, truncated, info = env.step(policy(info["reward_params"]))
        infos.append(info)
        if terminated or truncated:
            break
    return first, infos


def pure_pursuit(env, speed=1.0):
    return PurePursuit(env.model_metadata.action_space, env.car.geometry.wheelbase, 0.5, speed)


def test_off_track_only_when_all_four_wheels_are_out():
    env = DeepRacerRacetrackEnv("reinvent_base")
    half = env.track.width / 2.0
    _, infos = run_episode(env, lambda p: STRAIGHT, seed=0,
                           options={"start_s": 2.0, "lateral": half - 0.2,
                                    "yaw_offset": math.radians(60.0)})
    statuses = [i["episode_status"] for i in infos]
    assert statuses[-1] == "off_track" and set(statuses[:-1]) == {"in_progress"}
    params = [i["reward_params"] for i in infos]
    assert params[-1]["is_offtrack"] and not params[-1]["all_wheels_on_track"]
    assert not any(p["is_offtrack"] for p in params[:-1])
    partly_out = [p for p in params[:-1] if not p["all_wheels_on_track"]]
    assert len(partly_out) >= 3  # front wheels out, rear ones still on: the episode goes on
    # the road edge itself, independent of the env: every wheel out at the end
    wheels = env.backend.simulator.wheel_positions()
    assert not env.tracks[False].on_road(wheels[:, 0], wheels[:, 1]).any()


def test_immobilized_after_exactly_15_still_steps():
    backend = FrozenBackend()
    env = DeepRacerRacetrackEnv("reinvent_base", backend=backend)
    _, infos = run_episode(env, lambda p: STRAIGHT, seed=0)
    assert len(infos) == IMMOBILIZED_STEPS == 15
    assert [i["episode_status"] for i in infos] == ["in_progress"] * 14 + ["immobilized"]
    assert backend.commands[0] == (0.0, 1.0)
    env.close()
    assert backend.commands  # a backend object passed in is used, not closed or replaced


@pytest.mark.parametrize("start_s", [0.0, 4.0], ids=["over_the_start_line", "mid_straight"])
def test_reversed_after_15_steps_of_decreasing_progress(start_s):
    env = DeepRacerRacetrackEnv("reinvent_base")
    _, infos = run_episode(env, lambda p: STRAIGHT, seed=0,
                           options={"start_s": start_s, "yaw_offset": math.pi})
    assert len(infos) == REVERSED_STEPS == 15
    assert [i["episode_status"] for i in infos] == ["in_progress"] * 14 + ["reversed"]
    # driving backwards is not the reverse direction: is_reversed is the direction flag
    assert not any(i["reward_params"]["is_reversed"] for i in infos)
    assert all(i["progress"] == 0.0 for i in infos)  # shown progress never goes below 0


@pytest.mark.parametrize("world, reverse, start", [
    ("reinvent_base", False, 0.0), ("reinvent_base", False, 0.6), ("reinvent_base", True, 0.0),
    ("Straight_track", False, 0.0)])
def test_pure_pursuit_completes_a_lap(world, reverse, start):
    env = DeepRacerRacetrackEnv(world, reverse=reverse, start_positions=[start])
    first, infos = run_episode(env, pure_pursuit(env), seed=0)
    statuses = [i["episode_status"] for i in infos]
    assert statuses[-1] == "lap_complete" and set(statuses[:-1]) == {"in_progress"}
    progress = [i["progress"] for i in infos]
    assert progress[-1] == 100.0 and max(progress[:-1]) < 100.0
    assert all(b >= a - 0.5 for a, b in zip(progress, progress[1:]))  # forward all the way
    length = env.track.length
    lap_time = infos[-1]["lap_time"]
    assert lap_time == pytest.approx(len(infos) / 15.0, abs=1e-6)
    assert 0.8 * length <= lap_time <= 1.3 * length  # about 1 m/s, corners cut a little
    assert all(i["lap_time"] is None for i in infos[:-1])
    assert first["start_s"] == pytest.approx((start * length + 0.14) % length, abs=0.05)
    assert all(i["reward_params"]["is_reversed"] == reverse for i in infos)


def test_reverse_drives_the_route_backwards():
    forward = DeepRacerRacetrackEnv("reinvent_base", round_robin_advance=0.0)
    backward = DeepRacerRacetrackEnv("reinvent_base", reverse=True, round_robin_advance=0.0)
    _, info_f = forward.reset(seed=0)
    _, info_b = backward.reset(seed=0)
    assert info_b["reward_params"]["waypoints"] == info_f["reward_params"]["waypoints"][::-1]
    assert info_b["is_reversed"] and not info_f["is_reversed"]
    turn = (info_b["reward_params"]["heading"] - info_f["reward_params"]["heading"]) % 360.0
    assert abs(turn - 180.0) < 10.0  # the same start line, facing the other way


def test_alternate_flips_the_direction_every_episode():
    env = DeepRacerRacetrackEnv("reinvent_base", reverse="alternate")
    flags = [env.reset(seed=0)[1]["is_reversed"]]
    flags += [env.reset()[1]["is_reversed"] for _ in range(3)]
    assert flags == [False, True, False, True]
    assert env.reset(seed=0)[1]["is_reversed"] is False  # a seed restarts the schedule
    _, infos = run_episode(env, lambda p: STRAIGHT)
    assert infos[0]["reward_params"]["is_reversed"] is True
    odd_first = DeepRacerRacetrackEnv("reinvent_base", reverse="alternate", episode_offset=1)
    assert odd_first.reset(seed=0)[1]["is_reversed"] is True  # odd episode numbers: reversed


def test_round_robin_starts_move_along_the_track():
    env = DeepRacerRacetrackEnv("reinvent_base", round_robin_advance=0.1, episode_offset=2)
    length = env.track.length
    infos = [env.reset(seed=0)[1]] + [env.reset()[1] for _ in range(2)]
    assert [i["episode"] for i in infos] == [2, 3, 4]
    starts = [i["start_s"] for i in infos]
    for k, s in enumerate(starts):  # episode e starts at (e * 0.1) of the lap, front point 0.14 on
        assert s == pytest.approx(((2 + k) * 0.1 * length + 0.14) % length, abs=0.05)
    obs = [env.reset(seed=0)[0]] + [env.reset()[0] for _ in range(2)]
    assert not np.array_equal(obs[0], obs[1]) and not np.array_equal(obs[1], obs[2])


def test_lap_progress_unwraps_at_the_start_line():
    track = Track(load_route("reinvent_base"), name="reinvent_base")
    lap = LapProgress()
    lap.reset(track, start_s=track.length - 1.0)
    length = track.length
    assert lap.update(track.length - 0.5) == pytest.approx(50.0 / length)
    assert lap.update(0.5) == pytest.approx(150.0 / length)  # over the line: keeps counting
    for s in np.arange(0.8, track.length - 1.0, 0.3):  # steps of a car, not jumps
        lap.update(s)
    assert lap.update(track.length - 1.0 - 1e-9) == pytest.approx(100.0, abs=1e-6)
    assert lap.update(track.length - 0.9) == pytest.approx(100.0 + 10.0 / length)
    lap.reset(track, start_s=0.0)
    assert lap.update(track.length - 0.2) == pytest.approx(-20.0 / length)  # backed over the line
