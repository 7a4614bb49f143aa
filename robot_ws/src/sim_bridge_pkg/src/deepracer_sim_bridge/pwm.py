"""Read the servo node's PWM output back: sysfs pulses -> normalized values -> drive command.

In the sim-to-real loop the unchanged servo node writes its pulses into a folder laid
out like /sys/class/pwm; PwmReader reads them, `pulse_value` inverts the calibration
(ChannelCalibration.duty_cycle_ns), and PwmDecoder turns the two values into the
(steering rad, speed m/s) drive command the policy chose (ServoDecoder).
"""
from pathlib import Path
from typing import Optional, Tuple

from deepracer_servo import Calibration, ChannelCalibration
from deepracer_sim_bridge.bridge import ServoDecoder


class PulseError(ValueError):
    """A pulse that the calibration cannot have produced; the message names the channel."""


def pulse_value(channel: ChannelCalibration, duty_ns: int, name: str = "pwm") -> float:
    """The normalized value in [-1, 1] whose pulse is `duty_ns` (duty_cycle_ns inverted)."""
    if not channel.min <= duty_ns <= channel.max:
        raise PulseError(f"{name}: pulse {duty_ns} ns outside the calibration's "
                         f"[{channel.min}, {channel.max}] ns")
    offset = duty_ns - channel.mid
    span = (channel.max - channel.mid) if offset >= 0 else (channel.mid - channel.min)
    return channel.polarity * offset / span


class PwmReader:
    """The (servo_ns, motor_ns) pulses in a sysfs PWM tree (`<root>/pwmchip<chip>/pwm<N>/`)."""

    def __init__(self, root, chip: int = 0, servo_channel: int = 1, motor_channel: int = 0):
        chip_dir = Path(root) / f"pwmchip{chip}"
        self.servo_dir = chip_dir / f"pwm{servo_channel}"
        self.motor_dir = chip_dir / f"pwm{motor_channel}"

    def read(self) -> Optional[Tuple[int, int]]:
        """The pulses of both outputs; None while either is disabled, missing or half-written."""
        try:
            for folder in (self.servo_dir, self.motor_dir):
                if (folder / "enable").read_text().strip() != "1":
                    return None
            return (int((self.servo_dir / "duty_cycle").read_text()),
                    int((self.motor_dir / "duty_cycle").read_text()))
        except (OSError, ValueError):
            return None


class PwmDecoder:
    """(servo_ns, motor_ns) -> (steering rad, speed m/s) for one calibration and action space."""

    def __init__(self, calibration: Calibration, decoder: ServoDecoder):
        self.calibration = calibration
        self.decoder = decoder

    def values(self, servo_ns: int, motor_ns: int) -> Tuple[float, float]:
        """The normalized (angle, throttle) the servo node was given."""
        return (pulse_value(self.calibration.servo, servo_ns, "servo"),
                pulse_value(self.calibration.motor, motor_ns, "motor"))

    def __call__(self, pulses: Optional[Tuple[int, int]]) -> Tuple[float, float]:
        """The drive command; stopped (0, 0) when the outputs are off (`pulses` None)."""
        if pulses is None:
            return 0.0, 0.0
        return self.decoder(*self.values(*pulses))
