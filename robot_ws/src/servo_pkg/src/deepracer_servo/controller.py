"""Normalized drive commands -> PWM pulses, with a watchdog that falls back to neutral.

Neutral is both outputs at their `mid` pulse (wheels straight, motor stopped). The
controller goes neutral when no command came for `timeout` seconds (`check()`, called
periodically), on a non-finite command, and when a write fails.
"""
import math
import time
from typing import Callable, Tuple

from deepracer_servo.calibration import Calibration


class ServoController:
    """Owns a PWM writer (`open`, `write(servo_ns, motor_ns)`, `close`) and a watchdog."""

    def __init__(self, calibration: Calibration, writer, timeout: float = 0.5,
                 clock: Callable[[], float] = time.monotonic):
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"watchdog timeout must be a positive number of seconds, got {timeout!r}")
        self.calibration = calibration
        self.writer = writer
        self.timeout = timeout  # s without a command before going neutral
        self.clock = clock
        self.neutral_pulses = (calibration.servo.mid, calibration.motor.mid)  # ns
        self.pulses = self.neutral_pulses  # last written (servo_ns, motor_ns)
        self._last_command = -math.inf  # clock time of the last valid command

    @property
    def is_neutral(self) -> bool:
        return self.pulses == self.neutral_pulses

    def start(self) -> None:
        """Enable both outputs at neutral."""
        self.writer.open(*self.neutral_pulses)
        self.pulses = self.neutral_pulses

    def command(self, angle: float, throttle: float) -> Tuple[int, int]:
        """Drive with angle, throttle in [-1, 1] (clipped); return the pulses (servo_ns, motor_ns).

        A non-finite value or a failed write sends neutral and raises.
        """
        if not (math.isfinite(angle) and math.isfinite(throttle)):
            self.neutral()
            raise ValueError(f"non-finite servo command angle={angle!r}, throttle={throttle!r}: neutral")
        pulses = (self.calibration.servo.duty_cycle_ns(angle),
                  self.calibration.motor.duty_cycle_ns(throttle))
        self._write(pulses)
        self._last_command = self.clock()
        return pulses

    def check(self) -> bool:
        """Watchdog tick: go neutral if the last command is older than `timeout`; True if it did."""
        if self.is_neutral or self.clock() - self._last_command <= self.timeout:
            return False
        self.neutral()
        return True

    def neutral(self) -> None:
        """Wheels straight, motor stopped."""
        self._write(self.neutral_pulses)

    def stop(self) -> None:
        """Neutral, then disable the outputs."""
        try:
            self.neutral()
        finally:
            self.writer.close()

    def _write(self, pulses) -> None:
        try:
            self.writer.write(*pulses)
            self.pulses = pulses
        except OSError:
            if pulses != self.neutral_pulses:
                try:
                    self.writer.write(*self.neutral_pulses)
                    self.pulses = self.neutral_pulses
                except OSError:
                    pass  # the first error is the one to report
            raise
