"""randomization.json's actuator gains and JPEG quality, applied by the simulator per
episode, deterministic per seed; nominal when absent."""
import math

import cv2
import numpy as np

from deepracer_simulator import Simulator
from deepracer_simulator.randomization_file import load_randomization, ranges_from_dict, to_spec


def sim_with(track, car, data, seed=0):
    return Simulator(track, car, randomization=to_spec(ranges_from_dict(data, "test.json")), seed=seed)


def drive(sim, steering, speed, frames=30):
    sim.set_drive(steering, speed)
    for _ in range(frames):
        state = sim.step_frame()
    return state


def test_actuator_gains_act_like_a_miscalibrated_car(reinvent, car):
    pose = reinvent.pose_at(2.0)
    gained = sim_with(reinvent, car, {"speed_gain": [0.5, 0.5], "steering_gain": [2.0, 2.0],
                                      "steering_offset_deg": [3.0, 3.0]})
    nominal = Simulator(reinvent, car, seed=0)
    gained.reset(*pose)
    nominal.reset(*pose)
    a = drive(gained, 0.05, 2.0)
    b = drive(nominal, 0.1 + math.radians(3.0), 1.0)
    assert gained.drive == (0.05, 2.0)  # the command stays what the agent sent
    assert (a.x, a.y, a.yaw, a.speed) == (b.x, b.y, b.yaw, b.speed)


def test_jpeg_quality_compresses_the_frame_as_the_car_stream(reinvent, car):
    pose = reinvent.pose_at(5.0)
    jpeg = sim_with(reinvent, car, {"jpeg_quality": [20, 20]})
    nominal = Simulator(reinvent, car, seed=0)
    jpeg.reset(*pose)
    nominal.reset(*pose)
    clean = nominal.render(160, 120)
    ok, data = cv2.imencode(".jpg", clean[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 20])
    expected = cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1]
    image = jpeg.render(160, 120)
    assert np.array_equal(image, expected) and not np.array_equal(image, clean)
    assert np.array_equal(jpeg.render_gray(), cv2.cvtColor(expected, cv2.COLOR_RGB2GRAY))


def test_draws_are_deterministic_per_seed_and_nominal_without_a_file(reinvent, car):
    def effects(seed):
        sim = Simulator(reinvent, car, randomization=to_spec(load_randomization("strong")), seed=seed)
        sim.reset(*reinvent.pose_at(0.0), seed=seed)
        e = sim.effects
        return (e.speed_gain, e.steering_gain, e.steering_offset, e.jpeg_quality)

    assert effects(4) == effects(4)
    assert effects(4) != effects(5)
    strong = load_randomization("strong")
    low, high = strong.speed_gain
    assert low <= effects(4)[0] <= high
    plain = Simulator(reinvent, car, seed=0)  # no file: the nominal car and camera
    assert (plain.effects.speed_gain, plain.effects.jpeg_quality) == (1.0, 100)
    old = Simulator(reinvent, car, randomization=to_spec(load_randomization("none")), seed=0)
    assert old.effects.speed_gain == 1.0 and not old.effects.compresses
