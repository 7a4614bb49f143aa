"""Golden values of the dynamics model and the integrators."""
import math

import pytest

from deepracer_simulator import dynamics, integrator
from deepracer_simulator.dynamics import DynamicsError, DynamicsParams, VehicleResponse

PARAMS = DynamicsParams(wheelbase=0.165, speed_time_constant=0.25, steering_time_constant=0.04,
                        steering_rate_limit=8.0, friction_coefficient=0.8, gravity=9.81)


def _decay(state, drive, params):
    return (-state[0],)


def test_rk4_matches_exponential_decay():
    end = integrator.integrate(_decay, (1.0,), None, None, duration=1.0, substeps=10)
    assert end[0] == pytest.approx(math.exp(-1.0), rel=2e-6)


def test_euler_is_first_order():
    end = integrator.integrate(_decay, (1.0,), None, None, duration=1.0, substeps=10, method="euler")
    assert end[0] == pytest.approx(0.9 ** 10, rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [({"method": "midpoint"}, "unknown integration method"),
                                           ({"substeps": 0}, "substeps"),
                                           ({"duration": float("nan")}, "duration")])
def test_integrate_rejects_bad_settings(kwargs, match):
    call = {"duration": 1.0, "substeps": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        integrator.integrate(_decay, (1.0,), None, None, **call)


def test_yaw_rate_is_kinematic_within_grip():
    assert dynamics.yaw_rate(0.3, 0.3, PARAMS) == pytest.approx(0.3 * math.tan(0.3) / 0.165)
    assert dynamics.front_slip_angle(0.3, 0.3, PARAMS) == pytest.approx(0.0, abs=1e-12)


def test_yaw_rate_saturates_at_grip_limit():
    assert dynamics.yaw_rate(3.0, 0.5, PARAMS) == pytest.approx(0.8 * 9.81 / 3.0)
    assert dynamics.yaw_rate(-3.0, 0.5, PARAMS) == pytest.approx(-0.8 * 9.81 / 3.0)
    assert dynamics.front_slip_angle(3.0, 0.5, PARAMS) > 0.3


def test_steering_servo_is_rate_limited():
    assert dynamics.steering_rate(0.0, 0.5, PARAMS) == pytest.approx(8.0)  # 0.5 / 0.04 = 12.5 > 8
    assert dynamics.steering_rate(0.0, -0.1, PARAMS) == pytest.approx(-2.5)


def test_derivative_moves_along_heading():
    dx, dy, dyaw, dv, dsteer = dynamics.derivative((0.0, 0.0, math.pi / 2, 2.0, 0.0), (0.0, 1.0), PARAMS)
    assert (dx, dy, dyaw) == pytest.approx((0.0, 2.0, 0.0), abs=1e-12)
    assert dv == pytest.approx((1.0 - 2.0) / 0.25)
    assert dsteer == 0.0


def test_params_from_geometry_take_the_wheelbase(car):
    params = DynamicsParams.from_geometry(car.geometry, VehicleResponse(friction_coefficient=0.5))
    assert params.wheelbase == car.geometry.wheelbase
    assert params.friction_coefficient == 0.5


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_response_names_the_field(value):
    with pytest.raises(DynamicsError, match="VehicleResponse.speed_time_constant"):
        VehicleResponse(speed_time_constant=value)


def test_compiled_rk4_is_the_python_integrator_bit_for_bit():
    """The simulator's compiled step (dynamics_jit) gives the very floats of
    integrator.integrate(dynamics.derivative, ...) (RK4), grip-limited turns included."""
    import random

    from deepracer_simulator.dynamics_jit import integrate_rk4
    rng = random.Random(7)
    for _ in range(300):
        state = (rng.uniform(-5, 5), rng.uniform(-5, 5), rng.uniform(-math.pi, math.pi),
                 rng.uniform(-1.0, 4.0), rng.uniform(-0.6, 0.6))
        drive = (rng.uniform(-0.6, 0.6), rng.uniform(-1.0, 4.0))
        params = PARAMS if rng.random() < 0.5 else DynamicsParams(
            wheelbase=0.165, speed_time_constant=rng.uniform(0.1, 0.4), steering_time_constant=0.04,
            steering_rate_limit=8.0, friction_coefficient=rng.uniform(0.3, 1.0), gravity=9.81)
        expected = integrator.integrate(dynamics.derivative, state, drive, params, 1 / 15, 10)
        assert integrate_rk4(state, drive, params, 1 / 15, 10) == expected
