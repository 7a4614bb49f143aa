"""Autonomous switch: forwards while on, one neutral when switched off, drops bad commands."""
import pytest

from deepracer_ctrl import NEUTRAL, DriveRelay


def test_forwards_and_clips_while_active():
    relay = DriveRelay()
    assert relay.forward(0.25, -0.5) == (0.25, -0.5)
    assert relay.forward(1.5, -2.0) == (1.0, -1.0)


def test_switching_off_sends_neutral_once_then_drops():
    relay = DriveRelay(active=True)
    assert relay.set_active(False) == NEUTRAL == (0.0, 0.0)
    assert relay.set_active(False) is None
    assert relay.forward(0.5, 0.5) is None
    assert relay.set_active(True) is None
    assert relay.forward(0.5, 0.5) == (0.5, 0.5)


def test_starts_stopped_when_asked():
    assert DriveRelay(active=False).forward(0.1, 0.1) is None


@pytest.mark.parametrize("angle, throttle", [(float("nan"), 0.5), (0.1, float("inf"))])
def test_non_finite_commands_are_dropped(angle, throttle):
    assert DriveRelay().forward(angle, throttle) is None
