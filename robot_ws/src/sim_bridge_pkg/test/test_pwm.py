"""Reading the servo node's PWM output back: pulses -> calibration inverted -> the policy's action."""
import math

import pytest

from deepracer_navigation import Navigator
from deepracer_servo import Calibration, ChannelCalibration, ServoController, SysfsPwm
from deepracer_sim_bridge import PulseError, PwmDecoder, PwmReader, ServoDecoder, pulse_value
from model_optimizer import ActionSpace

ACTIONS = ActionSpace("discrete", actions=((-30.0, 1.0), (-15.0, 1.0), (0.0, 1.0), (15.0, 1.0),
                                           (30.0, 1.0), (0.0, 1.5), (0.0, 2.0)))
# asymmetric spans and a flipped servo, as a real car's calibration can be
CALIBRATION = Calibration(servo=ChannelCalibration(1_000_000, 1_450_000, 2_000_000, -1),
                          motor=ChannelCalibration(1_200_000, 1_500_000, 1_800_000, 1))


@pytest.mark.parametrize("duty, value", [(1_450_000, 0.0), (2_000_000, -1.0), (1_000_000, 1.0),
                                         (1_725_000, -0.5), (1_225_000, 0.5)])
def test_pulse_value_golden(duty, value):
    assert pulse_value(CALIBRATION.servo, duty) == pytest.approx(value)


@pytest.mark.parametrize("channel", [CALIBRATION.servo, CALIBRATION.motor])
def test_pulse_value_inverts_the_calibration(channel):
    for value in (-1.0, -0.73, -0.2, 0.0, 1e-3, 0.41, 1.0):
        assert pulse_value(channel, channel.duty_cycle_ns(value)) == pytest.approx(value, abs=3e-6)


def test_pulse_outside_the_calibration_raises_naming_the_channel():
    with pytest.raises(PulseError, match=r"motor: pulse 1900000 ns outside .*\[1200000, 1800000\]"):
        pulse_value(CALIBRATION.motor, 1_900_000, "motor")


def _tree(root):
    for channel in ("pwm0", "pwm1"):
        (root / "pwmchip0" / channel).mkdir(parents=True)
    return root


def test_reader_sees_pulses_only_while_both_outputs_are_enabled(tmp_path):
    reader = PwmReader(_tree(tmp_path))
    assert reader.read() is None  # nothing written yet
    writer = SysfsPwm(tmp_path)
    writer.open(1_600_000, 1_300_000)
    assert reader.read() == (1_600_000, 1_300_000)
    (tmp_path / "pwmchip0" / "pwm1" / "duty_cycle").write_text("")  # caught mid-write
    assert reader.read() is None
    writer.write(1_500_000, 1_700_000)
    assert reader.read() == (1_500_000, 1_700_000)
    writer.close()
    assert reader.read() is None


@pytest.mark.parametrize("scale", [1.0, 0.7])
def test_servo_node_pulses_decode_to_the_chosen_action(tmp_path, scale):
    """Navigation's command through the servo controller's PWM files comes back as the action."""
    navigator = Navigator(ACTIONS, scale)
    controller = ServoController(CALIBRATION, SysfsPwm(_tree(tmp_path)))
    controller.start()
    reader, decoder = PwmReader(tmp_path), PwmDecoder(CALIBRATION, ServoDecoder(ACTIONS, scale))
    assert decoder(reader.read()) == (0.0, 0.0)  # neutral: stopped
    for steering, speed in ACTIONS.actions:
        controller.command(*navigator.drive(steering, speed))
        assert decoder(reader.read()) == pytest.approx((math.radians(steering), speed))
    controller.stop()
    assert decoder(reader.read()) == (0.0, 0.0)  # outputs disabled: stopped
