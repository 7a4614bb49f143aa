"""The car's servo output: calibration, sysfs PWM writer, and a controller with a watchdog."""
from deepracer_servo.calibration import (DEFAULT_CALIBRATION, PERIOD_NS, Calibration,
                                         CalibrationError, ChannelCalibration, load_calibration,
                                         parse_calibration, save_calibration)
from deepracer_servo.controller import ServoController
from deepracer_servo.pwm import DEFAULT_ROOT, MOTOR_CHANNEL, SERVO_CHANNEL, PwmChannel, PwmError, SysfsPwm

__all__ = ["Calibration", "CalibrationError", "ChannelCalibration", "DEFAULT_CALIBRATION",
           "DEFAULT_ROOT", "MOTOR_CHANNEL", "PERIOD_NS", "PwmChannel", "PwmError", "SERVO_CHANNEL",
           "ServoController", "SysfsPwm", "load_calibration", "parse_calibration",
           "save_calibration"]
