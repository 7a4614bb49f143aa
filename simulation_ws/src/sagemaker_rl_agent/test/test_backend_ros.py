"""RosBackend against a real simulator_node (own master on a free port) and the in-process Simulator.

The same pose, scene seed and commands must give the same observation, state
and elapsed simulated time through ROS as through the library called directly.
The node runs with domain randomization on, so an image only matches when the
seed reached it. Needs simulation_ws built and sourced (deepracer_msgs,
simulator_node).
"""
import os

import numpy as np
import pytest

rospy = pytest.importorskip("rospy")
pytest.importorskip("deepracer_msgs", reason="build and source simulation_ws (deepracer_msgs)")

from deepracer_simulation.car_model import load_car_model  # noqa: E402
from deepracer_simulation.routes import load_route  # noqa: E402
from deepracer_simulation.track import Track  # noqa: E402
from deepracer_msgs.srv import SetCarPose, SetCarPoseRequest  # noqa: E402
from deepracer_simulator import RandomizationSpec, Simulator  # noqa: E402
from markov.backends import make_backend  # noqa: E402
from markov.backends.inprocess import InProcessBackend  # noqa: E402
from markov_ros.backend import (RosBackend, RosBackendError, WorldMismatchError,  # noqa: E402
                                frame_image, image_to_rgb)
from markov_ros.local_simulator import LocalSimulator  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

WORLD = "reinvent_base"
STATE_FIELDS = ("x", "y", "yaw", "speed", "steering")
RANDOMIZED = RandomizationSpec(enabled=True)  # what the node's ~randomize true uses


@pytest.fixture(scope="module")
def track():
    return Track(load_route(WORLD), name=WORLD)


@pytest.fixture(scope="module")
def car():
    return load_car_model()


@pytest.fixture(scope="module")
def backend(track, car):
    """A RosBackend on a private master + simulator_node (rospy joins one master per process)."""
    saved = os.environ.get("ROS_MASTER_URI")
    with LocalSimulator({"world_name": WORLD, "randomize": "true", "seed": 11}) as sim:
        os.environ["ROS_MASTER_URI"] = sim.master_uri
        try:
            ros = make_backend("ros", track, car, timeout=30.0)
            yield ros
            ros.close()
        finally:
            if saved is None:
                os.environ.pop("ROS_MASTER_URI", None)
            else:
                os.environ["ROS_MASTER_URI"] = saved


@pytest.fixture
def sim(track, car):
    return Simulator(track, car, randomization=RANDOMIZED)


def assert_same(frame, sim, image, since=(0.0, 0.0)):
    """Same state and image; elapsed sim_time since (ros, in-process) start times the same."""
    state = sim.state
    for field in STATE_FIELDS:
        assert getattr(frame, field) == pytest.approx(getattr(state, field), abs=1e-6), field
    assert frame.wheels_on_track == tuple(sim.wheels_on_track().tolist())
    assert frame.sim_time - since[0] == pytest.approx(state.sim_time - since[1], abs=1e-9)
    assert frame.image.shape == (120, 160, 3) and frame.image.dtype == np.uint8
    assert int(np.abs(frame.image.astype(int) - image).max()) == 0


@pytest.mark.parametrize("s, lateral, turn, seed", [(0.0, 0.0, 0.0, 0), (5.0, 0.2, 0.3, 1),
                                                    (11.0, -0.3, -0.5, 2), (16.5, 0.0, 3.0, 2 ** 40)])
def test_same_pose_same_observation(backend, sim, track, s, lateral, turn, seed):
    x, y, yaw = track.pose_at(s, lateral=lateral)
    before = backend.step(0.0, 0.0).sim_time
    frame = backend.reset(x, y, yaw + turn, seed=seed)
    sim.reset(x, y, yaw + turn, seed=seed)
    assert_same(frame, sim, sim.render(160, 120), since=(before, 0.0))  # reset takes no time
    assert (frame.speed, frame.steering) == (0.0, 0.0)
    again = backend.reset(x, y, yaw + turn, seed=seed)
    assert np.array_equal(again.image, frame.image) and again.sim_time == frame.sim_time


def test_same_commands_same_frames(backend, sim, track):
    rng = np.random.default_rng(3)
    start = track.pose_at(2.0)
    first = backend.reset(*start, seed=7)
    sim.reset(*start, seed=7)
    sim.render(160, 120)  # the reset frame draws its noise offset, as the node's does
    for steering, speed in zip(rng.uniform(-0.5, 0.5, 45), rng.uniform(0.5, 3.0, 45)):
        frame = backend.step(float(steering), float(speed))
        # AckermannDrive carries float32: the node receives the rounded command
        sim.set_drive(float(np.float32(steering)), float(np.float32(speed)))
        sim.step_frame()
        assert_same(frame, sim, sim.render(160, 120), since=(first.sim_time, 0.0))
    assert frame.speed > 0.5
    assert frame.sim_time - first.sim_time == pytest.approx(3.0, abs=1e-9)


def test_resets_and_steps_keep_the_in_process_sim_time(backend, track, car):
    local = InProcessBackend(track, car, randomization=RANDOMIZED)
    times = {}
    for name, each in (("ros", backend), ("local", local)):
        times[name] = []
        for steps in (3, 0, 5, 1):
            times[name].append(each.reset(*track.pose_at(4.0), seed=steps).sim_time)
            times[name].extend(each.step(0.1, 1.0).sim_time for _ in range(steps))
    elapsed = {name: np.subtract(t, t[0]) for name, t in times.items()}
    assert elapsed["ros"] == pytest.approx(elapsed["local"], abs=1e-9)
    assert elapsed["local"][-1] == pytest.approx(9 / 15, abs=1e-12)
    assert times["ros"][3] == times["ros"][4] == times["ros"][5]  # resets do not move time


def test_seed_reseeds_the_scene_and_none_continues_the_stream(backend, sim, track):
    pose = track.pose_at(8.0)
    one, two = backend.reset(*pose, seed=1), backend.reset(*pose, seed=2)
    assert not np.array_equal(one.image, two.image)
    follow = backend.reset(*pose)  # no seed: the node draws on from seed 2's stream
    sim.reset(*pose, seed=2)
    sim.render(160, 120)
    sim.reset(*pose)
    assert_same(follow, sim, sim.render(160, 120), since=(follow.sim_time, sim.sim_time))
    assert not np.array_equal(follow.image, two.image)


@pytest.mark.parametrize("seed", [-1, 2 ** 63, 1.5, True, "3"])
def test_bad_seed_is_refused_before_sending(backend, track, seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        backend.reset(*track.pose_at(0.0), seed=seed)


def test_node_refuses_a_negative_seed(backend, track):
    set_pose = rospy.ServiceProxy(f"{backend.namespace}/set_car_pose", SetCarPose)
    x, y, yaw = track.pose_at(0.0)
    response = set_pose(SetCarPoseRequest(x=x, y=y, yaw=yaw, use_seed=True, seed=-5))
    assert (response.success, response.message) == (False, "seed must be >= 0, got -5")


def test_sim_time_advances_one_frame_per_step(backend, track):
    first = backend.reset(*track.pose_at(0.0))
    later = [backend.step(0.0, 1.0).sim_time for _ in range(15)]
    assert later[-1] - first.sim_time == pytest.approx(1.0, abs=1e-9)
    assert np.diff([first.sim_time] + later) == pytest.approx([1 / 15] * 15, abs=1e-12)


def test_bad_pose_is_refused(backend):
    with pytest.raises(ValueError, match="set_car_pose refused"):
        backend.reset(float("nan"), 0.0, 0.0)
    with pytest.raises(ValueError, match=r"refused pose \(nan, 0.0, 0.0\) with seed 4: .*finite"):
        backend.reset(float("nan"), 0.0, 0.0, seed=4)


def test_other_world_is_refused(backend, car):
    other = Track(load_route("easy_track"), name="easy_track")
    with pytest.raises(WorldMismatchError, match="easy_track"):
        RosBackend(other, car, timeout=5.0)


def test_missing_services_time_out(backend, track, car):
    with pytest.raises(RosBackendError, match="/nowhere/advance_frame not available"):
        RosBackend(track, car, namespace="/nowhere", timeout=0.5)


# ------------------------------------------------------------ image conversion (no master)
def image_msg(rgb, encoding="rgb8", pad=0):
    height, width, _ = rgb.shape
    pixels = rgb[:, :, ::-1] if encoding == "bgr8" else rgb
    rows = np.zeros((height, width * 3 + pad), np.uint8)
    rows[:, :width * 3] = pixels.reshape(height, -1)
    return Image(height=height, width=width, encoding=encoding, step=width * 3 + pad, data=rows.tobytes())


@pytest.mark.parametrize("encoding, pad", [("rgb8", 0), ("bgr8", 0), ("rgb8", 4)])
def test_image_to_rgb(encoding, pad):
    rgb = np.random.default_rng(0).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    out = image_to_rgb(image_msg(rgb, encoding, pad))
    assert np.array_equal(out, rgb)
    assert out.flags.writeable and out.flags.c_contiguous


def test_image_to_rgb_rejects_bad_images():
    rgb = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(RosBackendError, match="mono8"):
        image_to_rgb(Image(height=4, width=5, encoding="mono8", step=5, data=bytes(20)))
    short = image_msg(rgb)
    short.data = short.data[:-1]
    with pytest.raises(RosBackendError, match="does not match 5x4"):
        image_to_rgb(short)


def test_other_sizes_are_resized_for_the_frame():
    import cv2

    rgb = np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    expected = cv2.resize(rgb, (160, 120), interpolation=cv2.INTER_AREA)
    assert np.array_equal(frame_image(rgb), expected)
    small = rgb[:120, :160].copy()
    assert frame_image(small) is small
