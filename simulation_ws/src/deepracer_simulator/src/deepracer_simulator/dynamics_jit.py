"""The simulator's hot loop, compiled: `integrate(dynamics.derivative, ..., method="rk4")`
for the bicycle of `dynamics`, as one numba call per camera frame.

The arithmetic is the Python's, operation for operation and in the same order (no
fastmath), so the states agree bit for bit with `integrator.integrate` (tested); the
Python functions stay the reference and serve every other caller.
"""
import math

from numba import njit

from .dynamics import _MIN_SPEED


@njit(cache=True, nogil=True)
def _derivative(yaw, speed, steering, target_steering, target_speed, wheelbase, speed_tau,
                steering_tau, rate_limit, friction, gravity):
    turn = speed * math.tan(steering) / wheelbase
    grip = friction * gravity / max(abs(speed), _MIN_SPEED)
    turn = grip if turn > grip else (-grip if turn < -grip else turn)
    steer = (target_steering - steering) / steering_tau
    steer = rate_limit if steer > rate_limit else (-rate_limit if steer < -rate_limit else steer)
    return (speed * math.cos(yaw), speed * math.sin(yaw), turn, (target_speed - speed) / speed_tau, steer)


@njit(cache=True, nogil=True)
def _rk4(x, y, yaw, speed, steering, target_steering, target_speed, wheelbase, speed_tau,
         steering_tau, rate_limit, friction, gravity, duration, substeps):
    dt = duration / substeps
    half = 0.5 * dt
    sixth = dt / 6.0
    for _ in range(substeps):
        a0, a1, a2, a3, a4 = _derivative(yaw, speed, steering, target_steering, target_speed, wheelbase,
                                         speed_tau, steering_tau, rate_limit, friction, gravity)
        b0, b1, b2, b3, b4 = _derivative(yaw + half * a2, speed + half * a3, steering + half * a4,
                                         target_steering, target_speed, wheelbase, speed_tau,
                                         steering_tau, rate_limit, friction, gravity)
        c0, c1, c2, c3, c4 = _derivative(yaw + half * b2, speed + half * b3, steering + half * b4,
                                         target_steering, target_speed, wheelbase, speed_tau,
                                         steering_tau, rate_limit, friction, gravity)
        d0, d1, d2, d3, d4 = _derivative(yaw + dt * c2, speed + dt * c3, steering + dt * c4,
                                         target_steering, target_speed, wheelbase, speed_tau,
                                         steering_tau, rate_limit, friction, gravity)
        x = x + sixth * (a0 + 2.0 * (b0 + c0) + d0)
        y = y + sixth * (a1 + 2.0 * (b1 + c1) + d1)
        yaw = yaw + sixth * (a2 + 2.0 * (b2 + c2) + d2)
        speed = speed + sixth * (a3 + 2.0 * (b3 + c3) + d3)
        steering = steering + sixth * (a4 + 2.0 * (b4 + c4) + d4)
    return x, y, yaw, speed, steering


def integrate_rk4(state, drive, params, duration, substeps) -> tuple:
    """`integrator.integrate(dynamics.derivative, state, drive, params, duration, substeps)`
    (RK4), compiled; `state` a VehicleState-shaped sequence, `drive` (steering, speed)."""
    x, y, yaw, speed, steering = state
    return _rk4(float(x), float(y), float(yaw), float(speed), float(steering), float(drive[0]),
                float(drive[1]), params.wheelbase, params.speed_time_constant,
                params.steering_time_constant, params.steering_rate_limit,
                params.friction_coefficient, params.gravity, float(duration), int(substeps))
