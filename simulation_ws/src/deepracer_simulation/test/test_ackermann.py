"""Ackermann controller: golden values, symmetry and the round trip through joint commands."""
import math
from pathlib import Path

import pytest

from deepracer_simulation.ackermann import JointCommands, drive_from_joint_commands, joint_commands
from deepracer_simulation.car_model import CarGeometry, load_car_model

URDF = Path(__file__).resolve().parents[1] / "urdf" / "racecar.xacro"
# wheelbase 0.165 m, track 0.12 m, wheel radius 0.03 m, bicycle limit 30 degrees
GEOMETRY = CarGeometry.symmetric(0.165, 0.12, 0.03, math.radians(30))


def test_straight_line_spins_every_wheel_equally():
    cmds = joint_commands(0.0, 1.5, GEOMETRY)
    assert cmds == JointCommands(0.0, 0.0, 50.0, 50.0, 50.0, 50.0)


def test_stopped_car_still_steers():
    cmds = joint_commands(0.2, 0.0, GEOMETRY)
    assert cmds.left_hinge > cmds.right_hinge > 0.0
    assert (cmds.left_front, cmds.right_front, cmds.left_rear, cmds.right_rear) == (0, 0, 0, 0)


def test_left_turn_at_the_limit_matches_hand_computed_values():
    # R = 0.165 / tan(30 deg) = 0.285788 m to the left of the rear-axle midpoint.
    # Inner (left) hinge: atan(0.165 / (R - 0.06)); outer: atan(0.165 / (R + 0.06)).
    # Wheel spin = 1 m/s * (wheel distance from the centre) / R / 0.03 m.
    cmds = joint_commands(math.radians(30), 1.0, GEOMETRY)
    assert cmds.left_hinge == pytest.approx(0.631081688, abs=1e-9)  # 36.16 deg
    assert cmds.right_hinge == pytest.approx(0.445217742, abs=1e-9)  # 25.51 deg
    assert cmds.left_front == pytest.approx(32.617639458, abs=1e-8)
    assert cmds.right_front == pytest.approx(44.687825501, abs=1e-8)
    assert cmds.left_rear == pytest.approx(26.335148252, abs=1e-8)
    assert cmds.right_rear == pytest.approx(40.331518414, abs=1e-8)


def test_right_turn_mirrors_left_turn():
    left = joint_commands(0.3, 2.0, GEOMETRY)
    right = joint_commands(-0.3, 2.0, GEOMETRY)
    assert right.right_hinge == pytest.approx(-left.left_hinge)
    assert right.left_hinge == pytest.approx(-left.right_hinge)
    assert right.right_rear == pytest.approx(left.left_rear)
    assert right.left_front == pytest.approx(left.right_front)


def test_reverse_speed_reverses_every_wheel():
    forward = joint_commands(0.2, 1.0, GEOMETRY)
    backward = joint_commands(0.2, -1.0, GEOMETRY)
    assert backward.left_hinge == forward.left_hinge
    assert backward.right_rear == pytest.approx(-forward.right_rear)


def test_steering_is_clipped_to_the_limit():
    assert joint_commands(1.2, 1.0, GEOMETRY) == joint_commands(math.radians(30), 1.0, GEOMETRY)
    assert joint_commands(-9.0, 1.0, GEOMETRY) == joint_commands(-math.radians(30), 1.0, GEOMETRY)


@pytest.mark.parametrize("steering, speed, name", [
    (math.nan, 1.0, "steering_angle"), (0.1, math.inf, "speed"), (0.1, -math.inf, "speed"),
])
def test_non_finite_input_is_rejected(steering, speed, name):
    with pytest.raises(ValueError, match=name):
        joint_commands(steering, speed, GEOMETRY)


@pytest.mark.parametrize("steering", [-0.5235, -0.3, -0.01, 0.0, 1e-6, 0.1, 0.4, 0.5235])
@pytest.mark.parametrize("speed", [0.1, 1.0, 4.0, -0.5])
def test_round_trip_is_identity(steering, speed):
    cmds = joint_commands(steering, speed, GEOMETRY)
    back = drive_from_joint_commands(cmds, GEOMETRY)
    assert back == pytest.approx((steering, speed), abs=1e-12)


def test_round_trip_on_the_urdf_geometry():
    geometry = load_car_model(URDF).geometry
    cmds = joint_commands(0.25, 1.2, geometry)
    assert drive_from_joint_commands(cmds, geometry) == pytest.approx((0.25, 1.2), abs=1e-12)
    # At the bicycle limit the inner hinge sits exactly at the URDF's hinge joint limit.
    at_limit = joint_commands(geometry.max_steering_angle, 1.0, geometry)
    assert at_limit.left_hinge == pytest.approx(geometry.hinge_limit, abs=1e-12)


def test_inverse_of_non_ackermann_hinges_averages_them():
    cmds = JointCommands(0.1, -0.1, 10.0, 10.0, 10.0, 10.0)
    assert drive_from_joint_commands(cmds, GEOMETRY) == pytest.approx((0.0, 0.3))


def test_inverse_rejects_non_finite_commands():
    with pytest.raises(ValueError, match="left_rear"):
        drive_from_joint_commands(JointCommands(0, 0, 1, 1, math.nan, 1), GEOMETRY)
