"""Write PWM pulses through the Linux sysfs PWM interface.

    <root>/pwmchip<chip>/export            write a channel number to create pwm<channel>/
    <root>/pwmchip<chip>/pwm<N>/period      ns
    <root>/pwmchip<chip>/pwm<N>/duty_cycle  ns (the pulse width)
    <root>/pwmchip<chip>/pwm<N>/enable      1 = output on

The root is /sys/class/pwm on the car; tests use a temporary folder with the same files.
"""
import time
from pathlib import Path

from deepracer_servo.calibration import PERIOD_NS

DEFAULT_ROOT = "/sys/class/pwm"
MOTOR_CHANNEL = 0  # pwm0 drives the motor's speed controller (throttle)
SERVO_CHANNEL = 1  # pwm1 drives the steering servo


class PwmError(OSError):
    """A sysfs PWM file that cannot be written; the message names the file."""


def _write(path: Path, value) -> None:
    try:
        with open(path, "w") as handle:
            handle.write(str(value))
    except OSError as error:
        raise PwmError(error.errno, f"{path}: cannot write {value!r} ({error.strerror})") from None


class PwmChannel:
    """One PWM output; `open()` exports it and sets its period, then `set(ns)` sets the pulse."""

    def __init__(self, channel: int, root=DEFAULT_ROOT, chip: int = 0, export_timeout: float = 2.0):
        self.chip_dir = Path(root) / f"pwmchip{chip}"
        self.dir = self.chip_dir / f"pwm{channel}"
        self.channel = channel
        self.export_timeout = export_timeout  # s to wait for the kernel to create pwm<N>/
        self._duty = None

    def open(self, initial_ns: int, period_ns: int = PERIOD_NS) -> None:
        """Export the channel if needed, then write period, duty_cycle = initial_ns, enable = 1."""
        if not self.dir.is_dir():
            _write(self.chip_dir / "export", self.channel)
            deadline = time.monotonic() + self.export_timeout
            while not self.dir.is_dir():
                if time.monotonic() > deadline:
                    raise PwmError(2, f"{self.dir}: not created after writing {self.channel} to "
                                      f"{self.chip_dir / 'export'}")
                time.sleep(0.01)
        _write(self.dir / "period", period_ns)
        self._duty = None
        self.set(initial_ns)
        _write(self.dir / "enable", 1)

    def set(self, duty_ns: int) -> None:
        """Write the pulse width (ns) if it changed."""
        if duty_ns != self._duty:
            _write(self.dir / "duty_cycle", duty_ns)
            self._duty = duty_ns

    def close(self) -> None:
        """Disable the output."""
        _write(self.dir / "enable", 0)
        self._duty = None


class SysfsPwm:
    """The car's two outputs: steering servo and motor, as `write(servo_ns, motor_ns)`."""

    def __init__(self, root=DEFAULT_ROOT, servo_channel=SERVO_CHANNEL, motor_channel=MOTOR_CHANNEL,
                 chip=0):
        if servo_channel == motor_channel:
            raise ValueError(f"servo and motor need different PWM channels, both are {servo_channel}")
        self.servo = PwmChannel(servo_channel, root, chip)
        self.motor = PwmChannel(motor_channel, root, chip)

    def open(self, servo_ns: int, motor_ns: int) -> None:
        self.motor.open(motor_ns)
        self.servo.open(servo_ns)

    def write(self, servo_ns: int, motor_ns: int) -> None:
        self.motor.set(motor_ns)
        self.servo.set(servo_ns)

    def close(self) -> None:
        self.motor.close()
        self.servo.close()
