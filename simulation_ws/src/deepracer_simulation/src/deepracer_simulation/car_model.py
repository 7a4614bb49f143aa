"""The car's geometry and camera, read from urdf/racecar.xacro (the one source of truth).

The xacro is rendered in-process and the URDF parsed with xml.etree; no ROS needed.
Positions come from composing the joints' fixed origins from base_link outwards.
"""
import functools
import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.parsers.expat import ExpatError

import numpy as np
import xacro

from . import paths

BASE_LINK = "base_link"
WHEEL_JOINTS = (
    "left_front_wheel_joint",
    "right_front_wheel_joint",
    "left_rear_wheel_joint",
    "right_rear_wheel_joint",
)
HINGE_JOINTS = ("left_steering_hinge_joint", "right_steering_hinge_joint")
CAMERA_PLUGIN = "libgazebo_ros_camera.so"
FRONT_POINT_OFFSET = 0.14


class CarModelError(ValueError):
    """The URDF cannot be rendered or lacks a joint, link or sensor the car needs."""


@dataclass(frozen=True, eq=False)
class CarGeometry:
    """Chassis geometry in the base frame (rear-axle midpoint on the ground, x forward, y left)."""

    wheelbase: float  # m, front axle x minus rear axle x
    track: float  # m, lateral distance between left and right wheel centres
    wheel_radius: float  # m
    wheel_width: float  # m
    max_steering_angle: float  # rad, bicycle-model limit (inner hinge at its joint limit)
    hinge_limit: float  # rad, steering hinge joint limit
    wheel_positions: np.ndarray  # m, (4, 2) x, y of wheel centres: LF, RF, LR, RR (read-only)
    mass: float  # kg, sum of all link masses
    wheel_joints: tuple = WHEEL_JOINTS  # joint names in wheel_positions order
    hinge_joints: tuple = HINGE_JOINTS  # left, right steering hinge joint names
    front_point_offset: float = FRONT_POINT_OFFSET  # m, reward params' x, y ahead of base

    @classmethod
    def symmetric(cls, wheelbase, track, wheel_radius, max_steering_angle, **fields):
        """A geometry with the rear axle at x = 0 and wheels at +-track/2 (tests, tools)."""
        half = track / 2.0
        positions = np.array([[wheelbase, half], [wheelbase, -half], [0.0, half], [0.0, -half]])
        positions.setflags(write=False)
        hinge = math.atan(wheelbase / (wheelbase / math.tan(max_steering_angle) - half))
        defaults = {"wheel_width": 0.025, "hinge_limit": hinge, "mass": 1.5}
        defaults.update(fields)
        return cls(wheelbase=wheelbase, track=track, wheel_radius=wheel_radius,
                   max_steering_angle=max_steering_angle, wheel_positions=positions, **defaults)


@dataclass(frozen=True)
class CameraSpec:
    """The front camera: optical centre and view in the base frame, image and rate."""

    x: float  # m, optical centre ahead of base_link
    y: float  # m, optical centre left of base_link
    z: float  # m, optical centre above the ground
    pitch: float  # rad, view axis below horizontal (positive = looking down)
    hfov: float  # rad, horizontal field of view
    width: int  # px, image width
    height: int  # px, image height
    rate_hz: float  # Hz, frame rate
    near: float  # m, near clip distance
    far: float  # m, far clip distance
    frame_id: str  # optical frame link name (z forward, x right, y down)


@dataclass(frozen=True)
class CarModel:
    """Everything read from one URDF file."""

    geometry: CarGeometry
    camera: CameraSpec
    path: Path  # the xacro/URDF file read
    urdf: str  # the rendered URDF XML (robot_description)


def load_car_model(urdf_path=None) -> CarModel:
    """Read the car from `urdf_path` (default: the package's urdf/racecar.xacro).

    Cached by path: the file is read once per process.
    """
    if urdf_path is None:
        return _load(_resolve(None, os.environ.get(paths.ENV_OVERRIDE)))
    relative_to = None if os.path.isabs(urdf_path) else os.getcwd()
    return _load(_resolve(str(urdf_path), relative_to))


@functools.lru_cache(maxsize=64)
def _resolve(urdf_path, context) -> str:
    """Absolute path of the file to read; `context` (share override or cwd) keys the cache."""
    if urdf_path is None:
        return str(paths.share_dir() / "urdf" / "racecar.xacro")
    return str(Path(urdf_path).resolve())


@functools.lru_cache(maxsize=16)
def _load(path: str) -> CarModel:
    xml = _render(path)
    try:
        robot = ET.fromstring(xml)
    except ET.ParseError as err:
        raise CarModelError(f"{path}: rendered URDF is not valid XML: {err}") from err
    urdf = _Urdf(robot, path)
    return CarModel(geometry=_geometry(urdf), camera=_camera(urdf), path=Path(path), urdf=xml)


def _render(path: str) -> str:
    if not Path(path).is_file():
        raise CarModelError(f"{path}: no such URDF/xacro file")
    try:
        return xacro.process_file(path).toxml()
    except (xacro.XacroException, ExpatError) as err:
        raise CarModelError(f"{path}: xacro failed: {err}") from err


def _floats(text, count, what):
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        values = []
    if len(values) != count:
        raise CarModelError(f"{what}: expected {count} numbers, got {text!r}")
    return values


def _transform(origin, what) -> np.ndarray:
    """4x4 transform of a URDF <origin> element (None = identity); rpy is fixed-axis X-Y-Z."""
    matrix = np.eye(4)
    if origin is None:
        return matrix
    roll, pitch, yaw = _floats(origin.get("rpy", "0 0 0"), 3, f"{what} origin rpy")
    cr, sr, cp, sp = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    rot_x = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    rot_y = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rot_z = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    matrix[:3, :3] = rot_z @ rot_y @ rot_x
    matrix[:3, 3] = _floats(origin.get("xyz", "0 0 0"), 3, f"{what} origin xyz")
    return matrix


class _Urdf:
    """Lookup of links, joints and gazebo elements of one parsed URDF, with clear errors."""

    def __init__(self, robot, path):
        self.robot = robot
        self.path = path
        self.links = {link.get("name"): link for link in robot.findall("link")}
        self.joints = {joint.get("name"): joint for joint in robot.findall("joint")}
        self.parent_joint = {j.find("child").get("link"): j for j in self.joints.values()
                             if j.find("child") is not None}

    def error(self, message) -> CarModelError:
        return CarModelError(f"{self.path}: {message}")

    def joint(self, name, types) -> ET.Element:
        joint = self.joints.get(name)
        if joint is None:
            raise self.error(f"missing joint '{name}'")
        if joint.get("type") not in types:
            raise self.error(f"joint '{name}' is {joint.get('type')!r}, expected one of {types}")
        return joint

    def link(self, name) -> ET.Element:
        if name not in self.links:
            raise self.error(f"missing link '{name}'")
        return self.links[name]

    def pose(self, link_name) -> np.ndarray:
        """4x4 pose of a link's frame in base_link, composing joint origins (zero positions)."""
        self.link(link_name)
        pose, name, seen = np.eye(4), link_name, set()
        while name != BASE_LINK:
            joint = self.parent_joint.get(name)
            if joint is None or name in seen:
                raise self.error(f"link '{link_name}' is not attached to '{BASE_LINK}'")
            seen.add(name)
            what = f"{self.path}: joint '{joint.get('name')}'"
            pose = _transform(joint.find("origin"), what) @ pose
            name = joint.find("parent").get("link")
        return pose

    def child(self, joint) -> str:
        return joint.find("child").get("link")

    def number(self, text, what) -> float:
        return _floats(text or "", 1, f"{self.path}: {what}")[0]


def _cylinder(urdf, link_name):
    cylinder = urdf.link(link_name).find("collision/geometry/cylinder")
    if cylinder is None:
        raise urdf.error(f"link '{link_name}' has no collision cylinder (the wheel)")
    radius = urdf.number(cylinder.get("radius"), f"'{link_name}' cylinder radius")
    length = urdf.number(cylinder.get("length"), f"'{link_name}' cylinder length")
    return radius, length


def _hinge_limit(urdf) -> float:
    limits = []
    for name in HINGE_JOINTS:
        limit = urdf.joint(name, ("revolute",)).find("limit")
        if limit is None:
            raise urdf.error(f"joint '{name}' has no <limit>")
        lower = urdf.number(limit.get("lower"), f"joint '{name}' limit lower")
        upper = urdf.number(limit.get("upper"), f"joint '{name}' limit upper")
        limits.append(min(-lower, upper))
    limit = min(limits)
    if not 0.0 < limit < math.pi / 2:
        raise urdf.error(f"steering hinge limit {limit} rad is not in (0, pi/2)")
    return limit


def _check_hinges_carry_front_wheels(urdf):
    for hinge, wheel in zip(HINGE_JOINTS, WHEEL_JOINTS[:2]):
        hinge_link = urdf.child(urdf.joint(hinge, ("revolute",)))
        if urdf.joint(wheel, ("continuous",)).find("parent").get("link") != hinge_link:
            raise urdf.error(f"joint '{wheel}' is not carried by '{hinge}' (link '{hinge_link}')")


def _geometry(urdf) -> CarGeometry:
    wheel_links = [urdf.child(urdf.joint(name, ("continuous",))) for name in WHEEL_JOINTS]
    _check_hinges_carry_front_wheels(urdf)
    positions = np.array([urdf.pose(link)[:2, 3] for link in wheel_links])
    positions.setflags(write=False)
    cylinders = {_cylinder(urdf, link) for link in wheel_links}
    if len(cylinders) != 1:
        raise urdf.error(f"wheels differ in size (radius, width): {sorted(cylinders)}")
    (radius, width), = cylinders
    wheelbase = positions[:2, 0].mean() - positions[2:, 0].mean()
    track = ((positions[0, 1] - positions[1, 1]) + (positions[2, 1] - positions[3, 1])) / 2.0
    if wheelbase <= 0 or track <= 0:
        raise urdf.error(f"wheel layout is not a car: wheelbase {wheelbase}, track {track}")
    hinge = _hinge_limit(urdf)
    # The bicycle angle at which the inner front wheel reaches the hinge limit.
    max_steer = math.atan(wheelbase / (wheelbase / math.tan(hinge) + track / 2.0))
    mass = sum(urdf.number(m.get("value"), "link mass")
               for m in urdf.robot.findall("link/inertial/mass"))
    return CarGeometry(wheelbase=float(wheelbase), track=float(track), wheel_radius=radius,
                       wheel_width=width, max_steering_angle=max_steer, hinge_limit=hinge,
                       wheel_positions=positions, mass=mass)


def _camera_sensor(urdf):
    for gazebo in urdf.robot.findall("gazebo"):
        for sensor in gazebo.findall("sensor"):
            if sensor.get("type") == "camera":
                return gazebo.get("reference"), sensor
    raise urdf.error("missing gazebo camera sensor (<gazebo><sensor type='camera'>)")


def _sensor_value(urdf, sensor, tag, kind=float):
    element = sensor.find(tag)
    if element is None or not (element.text or "").strip():
        raise urdf.error(f"camera sensor '{sensor.get('name')}' lacks <{tag}>")
    try:
        return kind(element.text.strip())
    except ValueError as err:
        message = f"camera sensor <{tag}> is not a {kind.__name__}: {element.text!r}"
        raise urdf.error(message) from err


def _view_pitch(direction) -> float:
    return math.atan2(-direction[2], math.hypot(direction[0], direction[1]))


def _camera(urdf) -> CameraSpec:
    reference, sensor = _camera_sensor(urdf)
    pose = sensor.findtext("pose")
    if pose is not None and any(_floats(pose, 6, f"{urdf.path}: camera sensor <pose>")):
        raise urdf.error("camera sensor <pose> is not supported; place the camera with its joint")
    plugins = [p for p in sensor.findall("plugin") if p.get("filename") == CAMERA_PLUGIN]
    if not plugins:
        raise urdf.error(f"camera sensor lacks the {CAMERA_PLUGIN} plugin")
    plugin = plugins[0]
    frame_id = (plugin.findtext("frameName") or "").strip()
    if not frame_id:
        raise urdf.error("camera plugin lacks <frameName> (the optical frame link)")
    sensor_pose, optical = urdf.pose(reference), urdf.pose(frame_id)
    pitch = _view_pitch(optical[:3, 2])  # the optical frame looks along its z
    if abs(pitch - _view_pitch(sensor_pose[:3, 0])) > 1e-6:  # Gazebo looks along the link's x
        raise urdf.error(f"optical frame '{frame_id}' does not look along '{reference}' x axis")
    return CameraSpec(
        x=float(optical[0, 3]), y=float(optical[1, 3]), z=float(optical[2, 3]), pitch=pitch,
        hfov=_sensor_value(urdf, sensor, "camera/horizontal_fov"),
        width=_sensor_value(urdf, sensor, "camera/image/width", int),
        height=_sensor_value(urdf, sensor, "camera/image/height", int),
        rate_hz=_sensor_value(urdf, sensor, "update_rate"),
        near=_sensor_value(urdf, sensor, "camera/clip/near"),
        far=_sensor_value(urdf, sensor, "camera/clip/far"),
        frame_id=frame_id,
    )
