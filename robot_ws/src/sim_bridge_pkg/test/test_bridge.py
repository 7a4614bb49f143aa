"""Simulator bridge: camera frames in the car's format, servo commands back to the policy's action."""
import math

import numpy as np
import pytest

from deepracer_navigation import Navigator
from deepracer_sim_bridge import ServoDecoder, camera_frame
from model_optimizer import ActionSpace

DISCRETE = ActionSpace("discrete", actions=((-30.0, 0.6), (-15.0, 1.0), (0.0, 1.5), (15.0, 1.0), (30.0, 0.6)))
CONTINUOUS = ActionSpace("continuous", steering_range=(-20.0, 30.0), speed_range=(0.5, 2.0))


def test_camera_frame_swaps_channels_and_resizes():
    rgb = np.zeros((240, 320, 3), np.uint8)
    rgb[..., 0] = 200  # red
    frame = camera_frame(rgb)
    assert frame.shape == (120, 160, 3) and np.all(frame[..., 2] == 200) and np.all(frame[..., 0] == 0)
    with pytest.raises(ValueError, match="expected an RGB uint8"):
        camera_frame(np.zeros((120, 160), np.uint8))


@pytest.mark.parametrize("scale", [1.0, 0.6])
def test_discrete_commands_decode_to_the_chosen_action(scale):
    navigator, decoder = Navigator(DISCRETE, scale), ServoDecoder(DISCRETE, scale)
    for steering, speed in DISCRETE.actions:
        angle, throttle = navigator.drive(steering, speed)
        angle, throttle = float(np.float32(angle)), float(np.float32(throttle))  # over the wire
        assert decoder(angle, throttle) == pytest.approx((math.radians(steering), speed))


def test_continuous_commands_invert_the_mapping():
    navigator, decoder = Navigator(CONTINUOUS, 0.8), ServoDecoder(CONTINUOUS, 0.8)
    for steering, speed in [(5.0, 0.5), (-20.0, 1.2), (30.0, 1.6), (0.0, 2.0)]:
        assert decoder(*navigator.drive(steering, speed)) == pytest.approx((math.radians(steering), speed))
    assert decoder(0.5, 0.8 * 0.8) == pytest.approx((math.radians(15.0), 1.0))  # half speed -> 0.8


def test_zero_throttle_stops_and_bad_values_raise():
    assert ServoDecoder(DISCRETE)(0.5, 0.0) == pytest.approx((math.radians(15.0), 0.0))
    with pytest.raises(ValueError, match="non-finite servo command"):
        ServoDecoder(DISCRETE)(float("nan"), 0.5)
