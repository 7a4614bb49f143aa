"""The Simulator as a whole: golden trajectories, camera views, commands, determinism."""
import math
import time

import cv2
import numpy as np
import pytest

from deepracer_simulation.ackermann import joint_commands
from deepracer_simulator import (CommandWarning, RandomizationSpec, SimConfig, Simulator, SimulatorError,
                                 TrackColours, VehicleResponse)
from deepracer_simulator.camera import vertical_fov


@pytest.fixture
def sim(reinvent, car):
    return Simulator(reinvent, car, seed=0)


def _fit_circle(points):
    """Least-squares circle (centre, radius) through (N, 2) points."""
    x, y = points[:, 0], points[:, 1]
    a = np.column_stack([2 * x, 2 * y, np.ones_like(x)])
    (cx, cy, c), *_ = np.linalg.lstsq(a, x ** 2 + y ** 2, rcond=None)
    return (cx, cy), math.sqrt(c + cx ** 2 + cy ** 2)


def _drive_circle(sim, steering, speed, settle_s, record_frames):
    sim.set_drive(steering, speed)
    for _ in range(round(settle_s * 15)):
        sim.step_frame()
    states = [sim.step_frame() for _ in range(record_frames)]
    return np.array([(s.x, s.y) for s in states]), states[-1]


def test_low_speed_circle_has_the_kinematic_radius(sim, car):
    points, state = _drive_circle(sim, 0.3, 0.3, settle_s=4.0, record_frames=200)
    _, radius = _fit_circle(points)
    assert radius == pytest.approx(car.geometry.wheelbase / math.tan(0.3), rel=0.01)
    assert state.slip_angle == pytest.approx(0.0, abs=1e-9)


def test_full_steering_at_high_speed_skids_wide(sim, car):
    limit = car.geometry.max_steering_angle
    points, state = _drive_circle(sim, limit, 3.0, settle_s=3.0, record_frames=45)
    _, radius = _fit_circle(points)
    kinematic = car.geometry.wheelbase / math.tan(limit)
    grip = VehicleResponse().friction_coefficient * VehicleResponse().gravity
    assert radius > 3 * kinematic
    assert radius == pytest.approx(state.speed ** 2 / grip, rel=0.01)
    assert state.slip_angle > 0.2


def test_speed_follows_its_time_constant(reinvent, car):
    config = SimConfig(vehicle=VehicleResponse(speed_time_constant=0.2))  # = 3 frames at 15 Hz
    sim = Simulator(reinvent, car, config=config)
    sim.set_drive(0.0, 2.0)
    speeds = [sim.step_frame().speed for _ in range(3)]
    assert speeds[-1] == pytest.approx(2.0 * (1 - math.exp(-1)), rel=1e-4)
    assert speeds[0] == pytest.approx(2.0 * (1 - math.exp(-1 / 3)), rel=1e-4)


def test_time_advances_one_camera_period_per_frame(sim):
    for _ in range(30):
        sim.step_frame()
    assert sim.sim_time == pytest.approx(2.0, abs=1e-12)
    sim.reset(*sim.track.pose_at(1.0))
    assert sim.state.sim_time == pytest.approx(2.0, abs=1e-12)  # time never runs backwards
    assert (sim.state.speed, sim.state.steering, sim.drive) == (0.0, 0.0, (0.0, 0.0))


def _colour_mask(image, colour):
    return np.all(image == np.array(colour, dtype=np.uint8), axis=-1)


def test_start_view_shows_the_road_ahead_and_the_horizon(sim, car):
    colours = TrackColours()
    image = sim.render()
    assert image.shape == (120, 160, 3) and image.dtype == np.uint8
    yellow_rows, yellow_cols = np.nonzero(_colour_mask(image, colours.centre_line))
    assert yellow_rows.size > 100 and yellow_rows.mean() > 60  # in the lower half
    assert abs(yellow_cols.mean() - 80) < 12  # in the middle
    road = _colour_mask(image, colours.road)
    assert road[-20:].mean() > 0.5  # the bottom rows are mostly road
    vfov = vertical_fov(car.camera.hfov, 160, 120)
    expected_horizon = 60 - 60 * math.tan(car.camera.pitch) / math.tan(vfov / 2)
    background = _colour_mask(image, colours.background).all(axis=1)
    first_scene_row = int(np.argmin(background))
    assert background[:first_scene_row].all() and not background[first_scene_row:].any()
    assert abs(first_scene_row - expected_horizon) <= 2


def test_far_off_track_sees_no_road_nearby(sim):
    x, y, heading = sim.track.pose_at(0.0, lateral=-5.0)  # 5 m right of the start: outside the loop
    sim.reset(x, y, heading - math.pi / 2)  # facing away from the track
    image = sim.render()
    colours = TrackColours()
    near = image[-50:]
    for colour in (colours.road, colours.border_line, colours.centre_line):
        assert not _colour_mask(near, colour).any()
    assert _colour_mask(near, colours.ground).all()
    assert not sim.wheels_on_track().any()


def test_wheels_on_track_at_the_start(sim):
    flags = sim.wheels_on_track()
    assert flags.shape == (4,) and flags.dtype == bool and flags.all()


def test_grey_image_is_the_luma_of_the_colour_image(sim):
    sim.set_drive(0.2, 1.0)
    for _ in range(10):
        sim.step_frame()
    expected = cv2.cvtColor(sim.render(), cv2.COLOR_RGB2GRAY)
    assert np.array_equal(sim.render_gray(), expected)


def test_noisy_grey_image_matches_the_published_path(reinvent, car):
    spec = RandomizationSpec(enabled=True, noise_sigma=(4.0, 4.0))
    a, b = (Simulator(reinvent, car, randomization=spec, seed=3) for _ in range(2))
    assert np.array_equal(a.render_gray(), cv2.cvtColor(b.render(), cv2.COLOR_RGB2GRAY))


def _run(sim, frames=20):
    images, states = [], []
    for i in range(frames):
        sim.set_drive(0.3 * math.sin(i / 3), 1.0 + 0.5 * math.cos(i / 5))
        states.append(sim.step_frame())
        images.append(sim.render())
    return states, np.stack(images)


def test_same_seed_same_trajectory_and_images(reinvent, car):
    spec = RandomizationSpec(enabled=True)
    states_a, images_a = _run(Simulator(reinvent, car, randomization=spec, seed=7))
    states_b, images_b = _run(Simulator(reinvent, car, randomization=spec, seed=7))
    _, images_c = _run(Simulator(reinvent, car, randomization=spec, seed=8))
    assert states_a == states_b
    assert np.array_equal(images_a, images_b)
    assert not np.array_equal(images_a, images_c)


def test_reset_seed_redraws_the_same_scene(reinvent, car):
    sim = Simulator(reinvent, car, randomization=RandomizationSpec(enabled=True), seed=1)
    pose = reinvent.pose_at(2.0)
    sim.reset(*pose, seed=42)
    first = (sim.variation, sim.render())
    sim.reset(*pose)
    assert sim.variation != first[0]
    sim.reset(*pose, seed=42)
    assert sim.variation == first[0] and np.array_equal(sim.render(), first[1])


def test_nan_command_warns_and_leaves_the_state_alone(reinvent, car):
    sim, twin = Simulator(reinvent, car), Simulator(reinvent, car)
    for s in (sim, twin):
        s.set_drive(0.1, 1.0)
        s.step_frame()
    before = sim.state
    with pytest.warns(CommandWarning, match="non-finite"):
        assert sim.set_drive(float("nan"), 1.0) is False
    with pytest.warns(CommandWarning, match="non-finite"):
        assert sim.set_drive(0.1, float("inf")) is False
    assert sim.state == before and sim.drive == (0.1, 1.0)
    for _ in range(5):
        assert sim.step_frame() == twin.step_frame()


def test_out_of_range_command_is_clipped_with_a_warning(sim, car):
    with pytest.warns(CommandWarning, match="clipped"):
        sim.set_drive(1.0, -9.0)
    assert sim.drive == (car.geometry.max_steering_angle, -SimConfig().max_speed)


def test_joint_commands_drive_like_the_bicycle_command(sim, car):
    sim.set_joint_commands(joint_commands(0.25, 1.5, car.geometry))
    assert sim.drive == pytest.approx((0.25, 1.5))
    with pytest.warns(CommandWarning, match="joint commands ignored"):
        assert sim.set_joint_commands(joint_commands(0.1, 1.0, car.geometry).__class__(
            float("nan"), 0.0, 1.0, 1.0, 1.0, 1.0)) is False
    assert sim.drive == pytest.approx((0.25, 1.5))


def test_bad_pose_and_settings_are_rejected(sim, reinvent, car):
    with pytest.raises(SimulatorError, match="finite"):
        sim.reset(float("nan"), 0.0, 0.0)
    with pytest.raises(SimulatorError, match="SimConfig.substeps"):
        SimConfig(substeps=0)
    with pytest.raises(SimulatorError, match="SimConfig.integration"):
        SimConfig(integration="verlet")
    with pytest.raises(SimulatorError, match="out must be"):
        sim.render(out=np.empty((120, 160), np.uint8))


def test_no_wall_clock_is_read(sim, monkeypatch):
    def forbidden(*args):
        raise AssertionError("the simulator read the wall clock or slept")
    for name in ("time", "monotonic", "perf_counter", "sleep"):
        monkeypatch.setattr(time, name, forbidden)
    sim.set_drive(0.2, 1.0)
    for _ in range(5):
        sim.step_frame()
        sim.render()
        sim.render_gray()
        sim.wheels_on_track()
    sim.reset(*sim.track.pose_at(3.0))



def test_float32_rounded_limit_is_clipped_without_warning(sim, car):
    """A steering command at the limit that went through float32 (as on ROS) is not a warning."""
    import warnings

    limit = car.geometry.max_steering_angle
    rounded = float(np.float32(limit))
    assert rounded > limit  # the case that used to warn on every step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sim.set_drive(rounded, 1.0)
    with pytest.warns(CommandWarning, match="clipped"):
        sim.set_drive(limit * 1.01, 1.0)
