#!/usr/bin/env python3
"""rostest: camera frames -> inference -> navigation -> ctrl -> servo change the PWM files.

The expected pulses are computed here from the same frames, model, metadata and
calibration with the libraries; the nodes must write one of them.
"""
import shutil
import time
import unittest
from pathlib import Path

import numpy as np
import rospy
import rostest
from deepracer_interfaces.srv import EnableState

from deepracer_camera import FrameSource
from deepracer_inference import InferenceEngine
from deepracer_navigation import Navigator
from deepracer_servo import PERIOD_NS, load_calibration
from model_optimizer import ensure_ir, read_metadata

TIMEOUT = 60.0  # s, wall clock (the first model conversion takes a few seconds)


class CarWiring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fixture = Path(rospy.get_param("~fixture_dir"))
        cls.chip = cls.fixture / "sysfs" / "pwmchip0"
        cls.calibration = load_calibration(cls.fixture / "calibration.json")
        model = cls.fixture / "model.tar.gz"
        navigator = Navigator(read_metadata(model).action_space, throttle_scale=0.5)
        engine = InferenceEngine(ensure_ir(model, cls.fixture / "cache"))
        source = FrameSource(cls.fixture / "frames", loop=False)
        cls.expected = set()
        for _ in range(3):
            angle, throttle = navigator(engine.infer(source.read()))
            cls.expected.add((cls.calibration.servo.duty_cycle_ns(float(np.float32(angle))),
                              cls.calibration.motor.duty_cycle_ns(float(np.float32(throttle)))))

    @classmethod
    def tearDownClass(cls):
        # the nodes still run: keep the (tiny) sysfs tree the servo node writes on shutdown
        for path in cls.fixture.iterdir():
            if path.name != "sysfs":
                shutil.rmtree(path) if path.is_dir() else path.unlink()

    def _pulses(self):
        """(servo_ns, motor_ns) from pwm1 and pwm0, or None while they are not written."""
        try:
            return (int((self.chip / "pwm1" / "duty_cycle").read_text()),
                    int((self.chip / "pwm0" / "duty_cycle").read_text()))
        except (OSError, ValueError):
            return None

    def _wait_for(self, accept, what):
        deadline, seen = time.monotonic() + TIMEOUT, None
        while time.monotonic() < deadline:
            seen = self._pulses()
            if seen is not None and accept(seen):
                return seen
            time.sleep(0.05)
        self.fail(f"PWM pulses never became {what}; last seen {seen}")

    def _expected(self, pulses):
        return any(abs(pulses[0] - s) <= 2 and abs(pulses[1] - m) <= 2 for s, m in self.expected)

    def test_1_frames_drive_the_pwm(self):
        self._wait_for(self._expected, f"one of {sorted(self.expected)}")
        for channel in ("pwm0", "pwm1"):
            self.assertEqual((self.chip / channel / "period").read_text(), str(PERIOD_NS))
            self.assertEqual((self.chip / channel / "enable").read_text(), "1")
        neutral = (self.calibration.servo.mid, self.calibration.motor.mid)
        self.assertNotIn(neutral, self.expected)

    def test_2_stop_goes_neutral_and_start_resumes(self):
        rospy.wait_for_service("/ctrl_pkg/enable_state", timeout=TIMEOUT)
        enable = rospy.ServiceProxy("/ctrl_pkg/enable_state", EnableState)
        self.assertTrue(enable(is_active=False).success)
        neutral = (self.calibration.servo.mid, self.calibration.motor.mid)
        self._wait_for(lambda pulses: pulses == neutral, f"neutral {neutral}")
        time.sleep(1.0)  # frames keep coming: the relay must keep dropping them
        self.assertEqual(self._pulses(), neutral)
        self.assertTrue(enable(is_active=True).success)
        self._wait_for(self._expected, "driving again")


if __name__ == "__main__":
    rospy.init_node("car_wiring_checker")
    rostest.rosrun("deepracer_bringup", "car_wiring", CarWiring)
