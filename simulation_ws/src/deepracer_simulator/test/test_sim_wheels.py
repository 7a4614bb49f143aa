"""Per-wheel on-track flags."""
import math

import numpy as np
import pytest

from deepracer_simulator.wheels import WheelChecker


def test_wheel_positions_follow_the_pose(car):
    checker = WheelChecker(None, car.geometry.wheel_positions)
    wheels = checker.world_positions(1.0, 2.0, math.pi / 2)
    half, base = car.geometry.track / 2, car.geometry.wheelbase
    # Facing +y: left is -x. Order LF, RF, LR, RR.
    expected = [[1 - half, 2 + base], [1 + half, 2 + base], [1 - half, 2], [1 + half, 2]]
    assert np.allclose(wheels, expected, atol=1e-12)


@pytest.mark.parametrize("side", [+1, -1])
def test_flags_flip_exactly_at_the_road_edge(car, reinvent, side):
    """Slide the car sideways on the first straight in 1 mm steps: each wheel leaves
    the road when its centre passes the road edge (half width 0.381 m)."""
    checker = WheelChecker(reinvent, car.geometry.wheel_positions)
    half_track = car.geometry.track / 2
    edge = reinvent.half_left[5] if side > 0 else reinvent.half_right[5]
    assert edge == pytest.approx(0.381, abs=1e-4)
    outer = [0, 2] if side > 0 else [1, 3]  # the left wheels lead when sliding left
    first_off = {}
    for lateral in np.arange(0.25, 0.50, 0.001):
        flags = checker.on_track(*reinvent.pose_at(1.0, side * lateral))
        for wheel in range(4):
            offset = lateral + (half_track if wheel in outer else -half_track)
            if abs(offset - edge) > 1e-6:
                assert flags[wheel] == (offset < edge), (wheel, lateral)
            if not flags[wheel]:
                first_off.setdefault(wheel, offset)
    assert sorted(first_off) == [0, 1, 2, 3]
    for offset in first_off.values():
        assert offset == pytest.approx(edge, abs=1e-3)


def test_bad_wheel_layout_is_rejected():
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        WheelChecker(None, np.zeros((3, 2)))
