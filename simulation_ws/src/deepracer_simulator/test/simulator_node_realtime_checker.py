#!/usr/bin/env python3
"""rostest helper: simulator_node in realtime mode paces itself on the wall clock."""
import math
import threading
import time
import unittest

import rospy
import rostest
from deepracer_msgs.msg import AckermannDrive, AckermannDriveStamped
from deepracer_msgs.srv import AdvanceFrame, AdvanceFrameRequest, GetCarPose, SetCarPose
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track

NS = "/deepracer_simulator"
TIMEOUT = 30.0  # s, wall clock


class SimulatorNodeRealtime(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for name in ("advance_frame", "get_car_pose", "set_car_pose"):
            rospy.wait_for_service(f"{NS}/{name}", timeout=TIMEOUT)
        cls.get_pose = rospy.ServiceProxy(f"{NS}/get_car_pose", GetCarPose)
        cls.set_pose = rospy.ServiceProxy(f"{NS}/set_car_pose", SetCarPose)
        cls.track = Track(load_route("easy_track"), name="easy_track")

    def test_sim_time_follows_the_wall_clock(self):
        self.assertFalse(rospy.get_param("/use_sim_time"))
        ticks, lock = [], threading.Lock()

        def on_clock(msg):
            with lock:
                ticks.append((time.monotonic(), msg.clock.to_sec()))
        sub = rospy.Subscriber("/clock", Clock, on_clock)
        time.sleep(3.0)
        sub.unregister()
        with lock:
            (wall0, sim0), (wall1, sim1) = ticks[1], ticks[-1]
        self.assertAlmostEqual((sim1 - sim0) / (wall1 - wall0), 1.0, delta=0.2)
        self.assertGreater(len(ticks), 30)

    def test_images_at_the_requested_size(self):
        images = []
        sub = rospy.Subscriber("/camera/zed/rgb/image_rect_color", Image, images.append)
        deadline = time.monotonic() + TIMEOUT
        while len(images) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        sub.unregister()
        image = images[-1]
        self.assertEqual((image.width, image.height, image.encoding), (640, 480, "rgb8"))
        self.assertEqual(len(image.data), 640 * 480 * 3)

    def test_ackermann_commands_drive_the_car(self):
        start = self.track.pose_at(1.0)
        x, y, yaw = start
        self.assertTrue(self.set_pose(x=x, y=y, yaw=yaw).success)
        drive = rospy.Publisher("/racecar/ackermann_cmd", AckermannDriveStamped, queue_size=1)
        deadline = time.monotonic() + TIMEOUT
        moved = 0.0
        while moved < 0.3 and time.monotonic() < deadline:
            drive.publish(AckermannDriveStamped(drive=AckermannDrive(steering_angle=0.0, speed=1.0)))
            time.sleep(0.1)
            pose = self.get_pose().pose
            moved = math.hypot(pose.x - start[0], pose.y - start[1])
        self.assertGreaterEqual(moved, 0.3)
        self.assertGreater(pose.speed, 0.2)

    def test_advance_frame_is_refused(self):
        advance = rospy.ServiceProxy(f"{NS}/advance_frame", AdvanceFrame)
        with self.assertRaisesRegex(rospy.ServiceException, "lockstep"):
            advance(AdvanceFrameRequest(frames=1))


if __name__ == "__main__":
    rospy.init_node("simulator_node_realtime_checker")
    rostest.rosrun("deepracer_simulator", "simulator_node_realtime", SimulatorNodeRealtime)
