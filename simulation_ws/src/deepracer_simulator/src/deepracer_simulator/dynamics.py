"""Vehicle dynamics as pure functions: state, input, params -> derivative.

A kinematic bicycle about the rear axle (base_link) with
- a first-order speed response: dv/dt = (v_target - v) / tau;
- a steering servo: first-order towards the target, rate limited;
- tyre grip: the lateral acceleration v * yaw_rate may not exceed mu * g.
  Beyond it the yaw rate saturates at mu * g / |v| and the front tyres slide
  sideways (understeer), so the car runs a wider circle than its wheels point.

States are plain tuples of floats (fast in pure Python); see `VehicleState`.
"""
import dataclasses
import math
from dataclasses import dataclass
from typing import NamedTuple

_MIN_SPEED = 1e-6  # m/s, below it grip never limits the yaw rate


class DynamicsError(ValueError):
    """A dynamics parameter is out of its valid range."""


class VehicleState(NamedTuple):
    """The integrated state of the car (base_link = rear-axle midpoint on the ground)."""

    x: float  # m, world x of base_link
    y: float  # m, world y of base_link
    yaw: float  # rad, heading of the car's x axis, counter-clockwise from world x
    speed: float  # m/s, forward speed of base_link (negative = reversing)
    steering: float  # rad, bicycle-model front wheel angle, positive = left


class DriveInput(NamedTuple):
    """What the controller asks for."""

    steering: float  # rad, target bicycle steering angle
    speed: float  # m/s, target forward speed


@dataclass(frozen=True)
class VehicleResponse:
    """How the car answers its commands (everything but its geometry)."""

    speed_time_constant: float = 0.25  # s, tau of the first-order speed response
    steering_time_constant: float = 0.04  # s, tau of the steering servo
    steering_rate_limit: float = 8.0  # rad/s, fastest steering change
    friction_coefficient: float = 0.8  # mu, tyre-ground grip
    gravity: float = 9.81  # m/s^2

    def __post_init__(self):
        _check_positive(self)


@dataclass(frozen=True)
class DynamicsParams:
    """All parameters `derivative` reads: the wheelbase plus a VehicleResponse's fields."""

    wheelbase: float  # m, rear to front axle (from CarGeometry)
    speed_time_constant: float  # s
    steering_time_constant: float  # s
    steering_rate_limit: float  # rad/s
    friction_coefficient: float  # mu
    gravity: float  # m/s^2

    def __post_init__(self):
        _check_positive(self)

    @classmethod
    def from_geometry(cls, geometry, response=None) -> "DynamicsParams":
        """Parameters for a CarGeometry (its wheelbase) and a VehicleResponse."""
        response = VehicleResponse() if response is None else response
        return cls(wheelbase=float(geometry.wheelbase), **dataclasses.asdict(response))


def _check_positive(params):
    for field in dataclasses.fields(params):
        value = getattr(params, field.name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise DynamicsError(f"{type(params).__name__}.{field.name} must be a finite number > 0, "
                                f"got {value!r}")


def derivative(state, drive, params) -> tuple:
    """d(state)/dt for a VehicleState-shaped sequence under a DriveInput-shaped one.

    The hot loop of the simulator: written out in plain float arithmetic.
    """
    _, _, yaw, speed, steering = state
    # Yaw rate: kinematic bicycle, saturated where v * yaw_rate would exceed mu * g.
    turn = speed * math.tan(steering) / params.wheelbase
    grip = params.friction_coefficient * params.gravity / max(abs(speed), _MIN_SPEED)
    turn = grip if turn > grip else (-grip if turn < -grip else turn)
    # Steering servo: first order towards the target, rate limited.
    steer = (drive[0] - steering) / params.steering_time_constant
    limit = params.steering_rate_limit
    steer = limit if steer > limit else (-limit if steer < -limit else steer)
    return (speed * math.cos(yaw), speed * math.sin(yaw), turn,
            (drive[1] - speed) / params.speed_time_constant, steer)


def yaw_rate(speed, steering, params) -> float:
    """Achieved yaw rate (rad/s) at a speed (m/s) and steering angle (rad)."""
    return derivative((0.0, 0.0, 0.0, speed, steering), (steering, speed), params)[2]


def steering_rate(steering, target, params) -> float:
    """Servo rate (rad/s) from the current steering angle towards a target (rad)."""
    return derivative((0.0, 0.0, 0.0, 0.0, steering), (target, 0.0), params)[4]


def front_slip_angle(speed, steering, params) -> float:
    """Front tyre slip angle (rad): wheel angle minus the angle the car actually turns with."""
    if abs(speed) < _MIN_SPEED:
        return 0.0
    return steering - math.atan(yaw_rate(speed, steering, params) * params.wheelbase / speed)
