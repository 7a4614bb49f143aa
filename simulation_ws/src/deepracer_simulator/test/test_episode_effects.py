"""randomization.json's actuator gains and JPEG quality, applied by the simulator per
episode, deterministic per seed; nominal when absent."""
import math

import cv2
import numpy as np
import pytest

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
    image = jpeg.render(160, 120)  # the emulated round trip (deepracer_simulator.jpeg)
    assert not np.array_equal(image, clean)
    assert np.abs(image.astype(int) - expected).mean() < 0.6
    rms = [np.sqrt(((a.astype(float) - clean) ** 2).mean()) for a in (image, expected)]
    assert rms[0] == pytest.approx(rms[1], rel=0.03)
    assert np.array_equal(jpeg.render_gray(), cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


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


def moved_car(car, **camera):
    import dataclasses
    return dataclasses.replace(car, camera=dataclasses.replace(car.camera, **camera))


def test_mount_and_focal_jitter_render_as_a_car_with_that_camera(reinvent, car):
    pose = reinvent.pose_at(4.0)
    jittered = sim_with(reinvent, car, {"mount_pitch_deg": [6.0, 6.0], "mount_height_m": [0.01, 0.01],
                                        "focal_scale": [1.25, 1.25]})
    hfov = 2.0 * math.atan(math.tan(car.camera.hfov / 2.0) / 1.25)
    reference = Simulator(reinvent, moved_car(car, pitch=car.camera.pitch + math.radians(6.0),
                                              z=car.camera.z + 0.01, hfov=hfov), seed=0)
    plain = Simulator(reinvent, car, seed=0)
    for sim in (jittered, reference, plain):
        sim.reset(*pose)
    assert np.array_equal(jittered.render(160, 120), reference.render(160, 120))
    assert not np.array_equal(jittered.render(160, 120), plain.render(160, 120))
    light_only = sim_with(reinvent, car, {"light_level": [0.8, 0.9]})
    assert light_only._camera is light_only._nominal_camera  # no camera keys: no rebuild


def test_lens_intrinsics_jitter_is_deterministic_per_seed(reinvent, car):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "robot_ws/src/camera_pkg/src"))
    from deepracer_camera.lens import default_camera
    spec = to_spec(ranges_from_dict({"principal_jitter_px": [4.0, 6.0], "distortion_jitter": [0.01, 0.02],
                                     "focal_scale": [0.97, 1.03]}, "test.json"))

    def frame(seed):
        sim = Simulator(reinvent, car, randomization=spec, seed=seed, lens=default_camera())
        sim.reset(*reinvent.pose_at(4.0), seed=seed)
        return sim.render(160, 120), sim._camera.lens

    (a, lens_a), (b, lens_b), (c, lens_c) = frame(1), frame(1), frame(2)
    assert np.array_equal(a, b) and lens_a == lens_b
    assert lens_a != lens_c and not np.array_equal(a, c)
    nominal = default_camera()
    assert abs(lens_a.cx - nominal.cx) <= 6.0 and abs(lens_a.cy - nominal.cy) <= 6.0
    assert all(abs(d - n) <= 0.02 for d, n in zip(lens_a.dist, nominal.dist))
    assert 0.97 * nominal.fx <= lens_a.fx <= 1.03 * nominal.fx


def test_time_constant_and_grip_act_as_a_car_with_that_response(reinvent, car):
    import dataclasses
    from deepracer_simulator.dynamics import VehicleResponse
    from deepracer_simulator.simulator import SimConfig
    pose = reinvent.pose_at(1.0)
    varied = sim_with(reinvent, car, {"speed_time_constant_scale": [2.0, 2.0], "grip": [0.5, 0.5]})
    nominal = VehicleResponse()
    response = dataclasses.replace(nominal, speed_time_constant=nominal.speed_time_constant * 2.0,
                                   friction_coefficient=nominal.friction_coefficient * 0.5)
    reference = Simulator(reinvent, car, SimConfig(vehicle=response), seed=0)
    plain = Simulator(reinvent, car, seed=0)
    for sim in (varied, reference, plain):
        sim.reset(*pose)
    a, b, c = (drive(sim, 0.4, 3.0, frames=20) for sim in (varied, reference, plain))
    assert a == b and a.speed < c.speed  # slower speed response
    # both slide in this turn: the yaw rate saturates at mu * g / v, with half the mu
    assert a.yaw_rate == pytest.approx(0.4 * 9.81 / a.speed, rel=1e-6)
    assert c.yaw_rate == pytest.approx(0.8 * 9.81 / c.speed, rel=1e-6)


def test_motion_blur_smears_the_frame_down_by_speed_times_the_drawn_rate(reinvent, car):
    from deepracer_simulator.episode_effects import blur_kernel
    pose = reinvent.pose_at(5.0)
    blurred = sim_with(reinvent, car, {"motion_blur_px_per_mps": [2.0, 2.0]})
    nominal = Simulator(reinvent, car, seed=0)
    for sim in (blurred, nominal):
        sim.reset(*pose)
    # at rest: no blur
    assert np.array_equal(blurred.render(160, 120), nominal.render(160, 120))
    for sim in (blurred, nominal):
        drive(sim, 0.0, 1.5, frames=20)
    speed = blurred.state.speed
    assert speed == nominal.state.speed and speed > 1.0
    length = 2.0 * speed
    kernel = blur_kernel(length)
    assert len(kernel) == int(length) + 2 and kernel.sum() == pytest.approx(1.0)
    clean = nominal.render(160, 120)
    # by hand: each pixel averages itself and the rows above it, the last row weighted by the fraction
    weights = np.ones(int(length) + 2)
    weights[-1] = length - int(length)
    padded = np.concatenate([np.repeat(clean[:1], len(weights), axis=0), clean]).astype(np.float64)
    expected = sum(w * padded[len(weights) - k:len(weights) - k + 120]
                   for k, w in enumerate(weights)) / weights.sum()
    image = blurred.render(160, 120)
    assert np.abs(image.astype(np.float64) - expected).max() <= 0.5 + 1e-3  # rounding only
    assert not np.array_equal(image, clean)
    assert np.array_equal(blurred.render_gray(), cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))


def test_latency_shows_the_pose_one_frame_late(reinvent, car):
    pose = reinvent.pose_at(3.0)
    late = sim_with(reinvent, car, {"latency_prob": [1.0, 1.0]})
    nominal = Simulator(reinvent, car, seed=0)
    late.reset(*pose)
    nominal.reset(*pose)
    assert late.effects.latency_frames == 1 and nominal.effects.latency_frames == 0
    frames_late, frames_now = [], []
    for sim, frames in ((late, frames_late), (nominal, frames_now)):
        sim.set_drive(0.2, 2.0)
        frames.append(sim.render(160, 120))
        for _ in range(5):
            sim.step_frame()
            frames.append(sim.render(160, 120))
    assert late.state == nominal.state  # the car itself is not late
    assert np.array_equal(frames_late[0], frames_now[0])  # at reset: the reset pose
    for k in range(1, 6):
        assert np.array_equal(frames_late[k], frames_now[k - 1])
    assert not np.array_equal(frames_late[5], frames_now[5])
    never = sim_with(reinvent, car, {"latency_prob": [0.0, 0.0], "light_level": [0.9, 1.1]})
    assert never.effects.latency_frames == 0


@pytest.mark.parametrize("key,low,high", [("motion_blur_px_per_mps", 0.0, 1.0), ("latency_prob", 0.0, 0.6)])
def test_blur_and_latency_draws_respect_their_ranges_and_seed(reinvent, car, key, low, high):
    spec = to_spec(ranges_from_dict({key: [low, high]}, "test.json"))

    def draw(seed):
        sim = Simulator(reinvent, car, randomization=spec, seed=seed)
        return getattr(sim.effects, key), sim.effects.latency_frames

    draws = [draw(seed) for seed in range(200)]
    assert draws == [draw(seed) for seed in range(200)]  # deterministic per seed
    values = [v for v, _ in draws]
    assert low <= min(values) and max(values) <= high
    assert min(values) < low + 0.05 * (high - low) and max(values) > high - 0.05 * (high - low)
    # sampled extremes: the range's ends give exactly those values
    for end in (low, high):
        pinned = Simulator(reinvent, car, randomization=to_spec(ranges_from_dict({key: [end, end]}, "t.json")),
                           seed=1)
        assert getattr(pinned.effects, key) == end
    if key == "latency_prob":
        late = sum(frames for _, frames in draws)
        # P(late) = mean of U(0, 0.6) = 0.3: 60 of 200 expected
        assert 30 < late < 90


@pytest.mark.parametrize("length", [0.05, 0.7, 1.0, 2.35, 5.9])
def test_motion_blur_of_a_strided_frame_matches_the_contiguous_one(length):
    """The compiled smear (C-contiguous frames) and the cv2.filter2D fallback (strided ones)
    agree: the row itself and the whole rows above weigh 1, the farthest the fraction."""
    from deepracer_simulator.episode_effects import EpisodeEffects
    rng = np.random.default_rng(4)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    effects = EpisodeEffects(None)
    effects.motion_blur_px_per_mps = length
    contiguous = effects.blur(frame.copy(), 1.0)
    wide = np.zeros((120, 320, 3), np.uint8)
    wide[:, ::2] = frame
    strided = effects.blur(wide[:, ::2], 1.0)
    assert np.abs(contiguous.astype(int) - strided.astype(int)).max() <= 1
    weights = np.ones(int(length) + 2)
    weights[-1] = length - int(length)
    padded = np.concatenate([np.repeat(frame[:1], len(weights), axis=0), frame]).astype(np.float64)
    expected = sum(w * padded[len(weights) - k:len(weights) - k + 120]
                   for k, w in enumerate(weights)) / weights.sum()
    assert np.abs(contiguous - expected).max() <= 0.5 + 1e-3
