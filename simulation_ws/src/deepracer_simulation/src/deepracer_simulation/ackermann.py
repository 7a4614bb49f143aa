"""Ackermann steering: a bicycle-model drive (steering angle, speed) <-> per-joint commands.

All wheels turn about one centre on the rear axle line, R = wheelbase / tan(steering) to
the left of the base origin (negative R: to the right). Each front hinge points its
wheel perpendicular to the line from that centre, so the inner wheel turns more; each
wheel's speed is proportional to its distance from the centre, so outer wheels run faster.
`speed` is the speed of the base origin (the rear-axle midpoint).
"""
import math
from dataclasses import dataclass

from .car_model import CarGeometry


@dataclass(frozen=True)
class JointCommands:
    """Commands for the two steering hinges and the four wheel joints."""

    left_hinge: float  # rad, left steering hinge angle (positive = turn left)
    right_hinge: float  # rad, right steering hinge angle
    left_front: float  # rad/s, left front wheel angular velocity (positive = forward)
    right_front: float  # rad/s
    left_rear: float  # rad/s
    right_rear: float  # rad/s


def _require_finite(**values):
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


def _rear_axle_x(geometry: CarGeometry) -> float:
    (_, _), (_, _), (left_x, _), (right_x, _) = geometry.wheel_positions.tolist()
    return (left_x + right_x) / 2.0


def _turning_radius(steering_angle: float, geometry: CarGeometry) -> float:
    """Signed lateral offset of the turning centre (on the rear axle line); inf when straight."""
    if steering_angle == 0.0:
        return math.inf
    return geometry.wheelbase / math.tan(steering_angle)


def _path_radii(radius: float, geometry: CarGeometry):
    """Distance of the base origin and of each wheel (LF, RF, LR, RR) from the centre."""
    rear_x = _rear_axle_x(geometry)
    base = math.hypot(rear_x, radius)
    wheels = [math.hypot(x - rear_x, radius - y) for x, y in geometry.wheel_positions.tolist()]
    return base, wheels


def _hinge_angle(radius: float, x: float, y: float, rear_x: float) -> float:
    side = math.copysign(1.0, radius)
    return math.atan2(side * (x - rear_x), side * (radius - y))


def joint_commands(steering_angle: float, speed: float, geometry: CarGeometry) -> JointCommands:
    """Per-joint commands for a bicycle steering angle (rad, clipped) and speed (m/s)."""
    _require_finite(steering_angle=steering_angle, speed=speed)
    limit = geometry.max_steering_angle
    steering_angle = min(max(float(steering_angle), -limit), limit)
    radius = _turning_radius(steering_angle, geometry)
    if math.isinf(radius):
        spin = speed / geometry.wheel_radius
        return JointCommands(0.0, 0.0, spin, spin, spin, spin)
    rear_x = _rear_axle_x(geometry)
    (lf_x, lf_y), (rf_x, rf_y) = geometry.wheel_positions[:2].tolist()
    base, wheels = _path_radii(radius, geometry)
    spins = [speed * r / base / geometry.wheel_radius for r in wheels]
    return JointCommands(
        left_hinge=_hinge_angle(radius, lf_x, lf_y, rear_x),
        right_hinge=_hinge_angle(radius, rf_x, rf_y, rear_x),
        left_front=spins[0], right_front=spins[1], left_rear=spins[2], right_rear=spins[3],
    )


def _steering_from_hinges(left: float, right: float, geometry: CarGeometry) -> float:
    """Bicycle angle whose turning centre is the mean of the two hinges' centres."""
    if math.tan(left) * math.tan(right) <= 0.0:
        # Straight, or not an Ackermann pair (hinges turned opposite ways): average them.
        return (left + right) / 2.0
    rear_x = _rear_axle_x(geometry)
    centres = [y + (x - rear_x) / math.tan(angle)  # hinge i points at centre y_i + dx_i cot(a_i)
               for (x, y), angle in zip(geometry.wheel_positions[:2].tolist(), (left, right))]
    radius = sum(centres) / 2.0
    if radius == 0.0:
        return math.copysign(math.pi / 2.0, left)
    return math.atan(geometry.wheelbase / radius)


def drive_from_joint_commands(cmds: JointCommands, geometry: CarGeometry):
    """Inverse of joint_commands: (steering_angle rad, speed m/s) from per-joint commands.

    The angle comes from the mean of the hinges' cotangents, the speed from the mean of
    the rear wheels' velocities scaled back to the base origin.
    """
    _require_finite(**vars(cmds))
    limit = geometry.max_steering_angle
    steering = _steering_from_hinges(cmds.left_hinge, cmds.right_hinge, geometry)
    steering = min(max(steering, -limit), limit)
    rear_spin = (cmds.left_rear + cmds.right_rear) / 2.0
    radius = _turning_radius(steering, geometry)
    if math.isinf(radius):
        return steering, rear_spin * geometry.wheel_radius
    base, wheels = _path_radii(radius, geometry)
    rear_radius = (wheels[2] + wheels[3]) / 2.0
    return steering, rear_spin * geometry.wheel_radius * base / rear_radius
