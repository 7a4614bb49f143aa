"""simulator_node's plain parts without a ROS master: settings and joint angles."""
import importlib.machinery
import importlib.util
import math
from pathlib import Path

import pytest

from deepracer_simulation.ackermann import joint_commands
from deepracer_simulator import SimState

pytest.importorskip("rospy")
pytest.importorskip("deepracer_msgs", reason="build and source simulation_ws (deepracer_msgs)")

NODE_PATH = Path(__file__).resolve().parents[1] / "nodes" / "simulator_node"


@pytest.fixture(scope="module")
def node():
    loader = importlib.machinery.SourceFileLoader("simulator_node_under_test", str(NODE_PATH))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def params(**values):
    return lambda name, default: values.get(name, default)


def state(x=0.0, y=0.0, yaw=0.0, speed=0.0, steering=0.0):
    return SimState(x=x, y=y, yaw=yaw, speed=speed, steering=steering, yaw_rate=0.0, slip_angle=0.0,
                    sim_time=0.0)


def test_defaults(node, monkeypatch):
    monkeypatch.delenv("WORLD_NAME", raising=False)
    settings = node.read_settings(params())
    assert settings == node.Settings(
        world_name="reinvent_base", urdf_path="", mode="lockstep", image_width=160, image_height=120,
        camera_topic="/camera/zed/rgb/image_rect_color", encoding="rgb8", randomize=False, seed=None,
        reverse=False)
    monkeypatch.setenv("WORLD_NAME", "easy_track")
    assert node.read_settings(params()).world_name == "easy_track"
    assert node.read_settings(params(world_name="hard_track")).world_name == "hard_track"


def test_launch_strings_are_converted(node):
    settings = node.read_settings(params(seed="7", randomize="true", reverse="False", encoding="bgr8",
                                         image_width=640, image_height=480, mode="realtime"))
    assert (settings.seed, settings.randomize, settings.reverse) == (7, True, False)
    assert (settings.image_width, settings.image_height, settings.mode) == (640, 480, "realtime")


@pytest.mark.parametrize("name, value", [
    ("mode", "fast"), ("encoding", "mono8"), ("image_width", 0), ("image_height", "120"),
    ("image_width", True), ("seed", "abc"), ("randomize", "yes"), ("world_name", ""),
])
def test_bad_parameter_is_named(node, name, value):
    with pytest.raises(node.SettingsError, match=f"~{name}"):
        node.read_settings(params(**{name: value}))


def test_unknown_track_names_it(node):
    settings = node.read_settings(params(world_name="no_such_track"))
    with pytest.raises(ValueError, match="no_such_track"):
        node.build_simulator(settings)


def test_wheels_turn_by_distance_over_radius(node, car):
    geometry = car.geometry
    joints = node.JointAngles(geometry, state())
    joints.advance(state(x=0.01, speed=1.0))
    joints.advance(state(x=0.025, speed=1.5))
    assert joints.wheel_angles == pytest.approx([0.025 / geometry.wheel_radius] * 4, abs=1e-12)
    assert joints.velocities() == pytest.approx([1.5 / geometry.wheel_radius] * 4 + [0.0, 0.0])
    joints.advance(state(x=0.015, speed=-1.0))  # reversing turns them back
    assert joints.wheel_angles == pytest.approx([0.015 / geometry.wheel_radius] * 4, abs=1e-12)
    joints.advance(state(x=0.015 + 4 * math.pi * geometry.wheel_radius, speed=1.0))  # two turns
    assert joints.wheel_angles == pytest.approx([0.015 / geometry.wheel_radius] * 4, abs=1e-9)


def test_turning_wheels_follow_ackermann(node, car):
    geometry = car.geometry
    radius = geometry.wheelbase / math.tan(0.3)  # the base's turning radius
    joints = node.JointAngles(geometry, state(steering=0.3))
    arc = 0.05  # rad of the circle, base travels radius * arc
    end = state(x=radius * math.sin(arc), y=radius * (1 - math.cos(arc)), yaw=arc, speed=1.0, steering=0.3)
    joints.advance(end)
    per_metre = joint_commands(0.3, 1.0, geometry)
    chord = 2 * radius * math.sin(arc / 2)  # what the base moved, straight line
    expected = [chord * getattr(per_metre, w) for w in node.WHEELS]
    assert joints.wheel_angles == pytest.approx(expected, rel=1e-12)
    assert joints.wheel_angles[1] > joints.wheel_angles[0]  # outer (right) wheel turns more
    hinges = joint_commands(0.3, 1.0, geometry)
    assert joints.positions()[4:] == pytest.approx([hinges.left_hinge, hinges.right_hinge])


# ----------------------------------------------------------------------------- sensors, race types

def test_sensor_and_race_parameters(node):
    settings = node.read_settings(params())
    assert settings.sensors == ("FRONT_FACING_CAMERA",) and not settings.racing
    settings = node.read_settings(params(sensors="STEREO_CAMERAS, LIDAR", race_type="object_avoidance",
                                         number_of_obstacles="3", lidar_topic="/rplidar_ros/scan"))
    assert settings.sensors == ("STEREO_CAMERAS", "LIDAR") and settings.racing
    assert (settings.race_type, settings.number_of_obstacles, settings.lidar_topic) == (
        "OBJECT_AVOIDANCE", 3, "/rplidar_ros/scan")


@pytest.mark.parametrize("values, message", [
    ({"sensors": "THERMAL_CAMERA"}, "~sensors: unknown sensor 'THERMAL_CAMERA'"),
    ({"sensors": "LIDAR"}, "~sensors must hold one camera sensor"),
    ({"sensors": "FRONT_FACING_CAMERA,STEREO_CAMERAS"}, "~sensors must hold one camera sensor"),
    ({"sensors": "STEREO_CAMERAS,LIDAR,SECTOR_LIDAR"}, "at most one LIDAR"),
    ({"number_of_obstacles": "two"}, "~number_of_obstacles"),
    ({"bot_car_speed": "fast"}, "~bot_car_speed"),
])
def test_bad_sensor_or_race_parameter_is_named(node, values, message):
    with pytest.raises(node.SettingsError, match=message):
        node.read_settings(params(**values))


def test_bad_race_type_is_named_when_the_race_is_built(node):
    settings = node.read_settings(params(race_type="DRAG_RACE", world_name="reinvent_base"))
    with pytest.raises(ValueError, match="race_type"):
        node.build_race(node.build_simulator(settings), settings)


def test_stereo_views_and_lidar_scan_messages(node):
    import numpy as np

    settings = node.read_settings(params(world_name="reinvent_base", sensors="STEREO_CAMERAS,LIDAR",
                                         race_type="OBJECT_AVOIDANCE", number_of_obstacles="3",
                                         encoding="bgr8", seed="0"))
    sim = node.build_simulator(settings)
    race = node.build_race(sim, settings)
    box = race.objects.objects[0]
    # The car 0.6 m past the first box, in its lane: the box is behind, in the LIDAR's view.
    s = sim.track.project(box.x, box.y).s
    p = sim.track.project(box.x, box.y)
    lateral = p.distance_from_center * (1 if p.is_left_of_center else -1)
    x, y, yaw = sim.track.pose_at(s + 0.6, lateral)
    sim.reset(x, y, yaw)
    parts = node.SensorImages(race, settings, "camera_link")
    stamp = node.rospy.Time(1, 0)
    left, right = parts.images(stamp, np.empty((120, 160, 3), np.uint8))
    views = race.camera_views(160, 120)
    for msg, k in ((left, 0), (right, 1)):
        assert (msg.width, msg.height, msg.encoding, msg.step) == (160, 120, "bgr8", 480)
        pixels = np.frombuffer(msg.data, np.uint8).reshape(120, 160, 3)
        assert (pixels == views[..., k:k + 1]).all()  # the grey view the network sees, 3 channels
    assert not np.array_equal(views[..., 0], views[..., 1])
    scan = parts.scan(stamp)
    angles = scan.angle_min + scan.angle_increment * np.arange(len(scan.ranges))
    assert angles == pytest.approx(race.lidar_spec.angles(), abs=1e-6)
    assert scan.angle_max == pytest.approx(angles[-1]) and scan.header.frame_id == "base_link"
    ranges = np.array(scan.ranges)
    assert np.allclose(ranges, race.lidar_scan(), equal_nan=False)
    back = int(np.argmin(np.abs(np.cos(race.lidar_spec.angles()) + 1.0)))  # the ray straight back
    assert 0.15 < ranges[back] < 0.6 and np.isinf(ranges).any()


def test_randomization_file_gives_the_realistic_world_of_the_library(node, car, monkeypatch):
    """~randomization_file (default $RANDOMIZATION_FILE): the node's simulator renders what the
    in-process Simulator renders for the same preset and seed (the realistic world for standard)."""
    import numpy as np
    from deepracer_simulator import Simulator
    from deepracer_simulator.randomization import RandomizationError
    from deepracer_simulator.randomization_file import load_randomization, to_spec

    monkeypatch.setenv("RANDOMIZATION_FILE", "standard")
    settings = node.read_settings(params(seed="3"))
    assert settings.randomization_file == "standard"
    sim = node.build_simulator(settings)
    reference = Simulator(sim.track, car, randomization=to_spec(load_randomization("standard")), seed=3)
    pose = sim.track.pose_at(5.0)
    sim.reset(*pose, seed=8)
    reference.reset(*pose, seed=8)
    assert sim.world is not None
    assert np.array_equal(sim.render(160, 120), reference.render(160, 120))
    with pytest.raises(RandomizationError, match="nope.json"):
        node.build_simulator(node.read_settings(params(randomization_file="nope.json")))
