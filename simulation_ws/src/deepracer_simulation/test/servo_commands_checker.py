#!/usr/bin/env python3
"""rostest helper: drives servo_commands and checks its six joint controller commands."""
import math
import threading
import time
import unittest

import rospy
import rostest
from deepracer_msgs.msg import AckermannDriveStamped
from rosgraph_msgs.msg import Log
from std_msgs.msg import Float64

from deepracer_simulation.ackermann import joint_commands
from deepracer_simulation.car_model import load_car_model

TOPICS = {
    "left_rear": "/racecar/left_rear_wheel_velocity_controller/command",
    "right_rear": "/racecar/right_rear_wheel_velocity_controller/command",
    "left_front": "/racecar/left_front_wheel_velocity_controller/command",
    "right_front": "/racecar/right_front_wheel_velocity_controller/command",
    "left_hinge": "/racecar/left_steering_hinge_position_controller/command",
    "right_hinge": "/racecar/right_steering_hinge_position_controller/command",
}
TIMEOUT = 20.0  # s, wall clock


class ServoCommandsWiring(unittest.TestCase):
    def setUp(self):
        self.lock = threading.Lock()
        self.received = {}  # field -> list of values
        self.warnings = []  # servo_commands' WARN log lines
        self.log = rospy.Subscriber("/rosout", Log, self._record_log)
        self.subscribers = [rospy.Subscriber(topic, Float64, self._record, field)
                            for field, topic in TOPICS.items()]
        self.drive = rospy.Publisher("/racecar/ackermann_cmd", AckermannDriveStamped, queue_size=1)
        self.geometry = load_car_model().geometry
        self._wait(lambda: self.drive.get_num_connections() > 0
                   and all(s.get_num_connections() > 0 for s in self.subscribers),
                   "servo_commands never connected")

    def tearDown(self):
        self.log.unregister()
        for subscriber in self.subscribers:
            subscriber.unregister()
        self.drive.unregister()

    def _record(self, msg, field):
        with self.lock:
            self.received.setdefault(field, []).append(msg.data)

    def _record_log(self, msg):
        if msg.name.endswith("servo_commands") and msg.level == Log.WARN:
            with self.lock:
                self.warnings.append(msg.msg)

    def _wait(self, condition, message):
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            self.assertLess(time.monotonic(), deadline, message)
            time.sleep(0.05)

    def _publish(self, steering, speed):
        msg = AckermannDriveStamped()
        msg.header.stamp = rospy.Time.now()
        msg.drive.steering_angle, msg.drive.speed = steering, speed
        self.drive.publish(msg)

    def _latest(self):
        with self.lock:
            return {field: values[-1] for field, values in self.received.items()}

    def _drive_until_seen(self, steering, speed):
        """Publish the drive until all six outputs equal the library's commands for it."""
        expected = joint_commands(steering, speed, self.geometry)
        deadline = time.monotonic() + TIMEOUT
        while True:
            self._publish(steering, speed)
            time.sleep(0.1)
            latest = self._latest()
            if len(latest) == 6 and all(
                    math.isclose(latest[f], getattr(expected, f), abs_tol=1e-5) for f in TOPICS):
                return latest
            self.assertLess(time.monotonic(), deadline, f"outputs {latest} != {expected}")

    def test_left_turn_gives_ackermann_commands(self):
        # float32 on the wire: use values exactly representable in float32
        out = self._drive_until_seen(0.25, 1.5)
        self.assertGreater(out["left_hinge"], out["right_hinge"])  # inner wheel turns more
        self.assertGreater(out["right_hinge"], 0.0)
        self.assertGreater(out["right_rear"], out["left_rear"])  # outer wheel faster
        self.assertGreater(out["right_front"], out["right_rear"])

    def test_non_finite_drive_is_ignored(self):
        self._drive_until_seen(0.0, 1.0)
        time.sleep(0.5)  # let the last valid commands arrive before counting
        with self.lock:
            counts = {field: len(values) for field, values in self.received.items()}
        for _ in range(10):
            self._publish(float("nan"), 1.0)
            self._publish(0.1, float("inf"))
            time.sleep(0.05)
        time.sleep(0.5)
        with self.lock:
            self.assertEqual(counts, {f: len(v) for f, v in self.received.items()})
        self._wait(lambda: any("non-finite" in line for line in self.warnings),
                   "servo_commands did not warn about the non-finite drive")
        out = self._drive_until_seen(-0.5, 2.0)  # the node is still alive afterwards
        self.assertLess(out["right_hinge"], out["left_hinge"])


if __name__ == "__main__":
    rospy.init_node("servo_commands_checker")
    rostest.rosrun("deepracer_simulation", "servo_commands_wiring", ServoCommandsWiring)
