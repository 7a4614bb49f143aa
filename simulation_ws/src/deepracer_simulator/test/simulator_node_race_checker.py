#!/usr/bin/env python3
"""rostest helper: simulator_node with OBJECT_AVOIDANCE (3 boxes) and STEREO_CAMERAS + LIDAR.

Places the car 0.6 m past the first box, in its lane, advances one frame and checks
the left and right views (the in-process RaceSimulator's grey views, 3 equal channels,
same stamp) and the LaserScan (the 64 training rays, the box straight behind).
"""
import threading
import time
import unittest

import numpy as np
import rospy
import rostest
from deepracer_msgs.msg import AckermannDrive
from deepracer_msgs.srv import AdvanceFrame, AdvanceFrameRequest, SetCarPose
from sensor_msgs.msg import Image, LaserScan

from deepracer_simulation.car_model import load_car_model
from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from deepracer_simulator import Simulator
from deepracer_simulator.objects import RaceConfig
from deepracer_simulator.race import RaceSimulator

NS = "/deepracer_simulator"
TIMEOUT = 30.0  # s, wall clock


class Inbox:
    def __init__(self, topic, msg_class):
        self.lock, self.messages = threading.Lock(), []
        rospy.Subscriber(topic, msg_class, self._on, queue_size=10)
        self.topic = topic

    def _on(self, msg):
        with self.lock:
            self.messages.append(msg)

    def wait_stamp(self, stamp, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for m in self.messages if m.header.stamp == stamp]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no message stamped {stamp.to_sec()} on {self.topic}")


class SimulatorNodeRace(unittest.TestCase):
    def test_right_view_and_lidar_scan_of_a_frame(self):
        rospy.wait_for_service(f"{NS}/advance_frame", timeout=TIMEOUT)
        advance = rospy.ServiceProxy(f"{NS}/advance_frame", AdvanceFrame)
        set_pose = rospy.ServiceProxy(f"{NS}/set_car_pose", SetCarPose)
        left_in = Inbox("/camera/zed/rgb/image_rect_color", Image)
        right_in = Inbox("/camera/zed_right/rgb/image_rect_color", Image)
        scan_in = Inbox("/scan", LaserScan)
        track = Track(load_route("reinvent_base"), name="reinvent_base")
        race = RaceSimulator(Simulator(track, load_car_model()),
                             RaceConfig(race_type="OBJECT_AVOIDANCE", number_of_obstacles=3),
                             ("STEREO_CAMERAS", "LIDAR"))
        race.objects.reset(np.random.default_rng(0))
        box = race.objects.objects[0]
        p = track.project(box.x, box.y)
        x, y, yaw = track.pose_at(p.s + 0.6, p.distance_from_center * (1 if p.is_left_of_center else -1))
        self.assertTrue(set_pose(x=x, y=y, yaw=yaw, use_seed=False, seed=0).success)
        deadline = time.monotonic() + TIMEOUT  # until every subscriber is connected
        while time.monotonic() < deadline:
            response = advance(AdvanceFrameRequest(use_drive=True, drive=AckermannDrive(), frames=1))
            stamp = response.image.header.stamp
            try:
                right, scan = right_in.wait_stamp(stamp, 2.0), scan_in.wait_stamp(stamp, 2.0)
                left = left_in.wait_stamp(stamp, 2.0)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
        race.sim.reset(x, y, yaw)
        race.sim.step_frame()
        views = race.camera_views(160, 120)
        for msg, k in ((left, 0), (right, 1)):
            pixels = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.width, 3)
            self.assertTrue((pixels == pixels[..., :1]).all(), "the views are grey")
            diff = np.abs(pixels[..., 0].astype(int) - views[..., k])
            self.assertLess(np.mean(diff > 0), 0.02, f"view {k} differs from the in-process one")
        ranges = np.array(scan.ranges)
        self.assertEqual(len(ranges), 64)
        angles = scan.angle_min + scan.angle_increment * np.arange(64)
        np.testing.assert_allclose(angles, race.lidar_spec.angles(), atol=1e-5)
        back = int(np.argmin(np.abs(np.cos(angles) + 1.0)))
        self.assertTrue(0.15 < ranges[back] < 0.6, f"straight back reads {ranges[back]} m")


if __name__ == "__main__":
    rospy.init_node("simulator_node_race_checker")
    rostest.rosrun("deepracer_simulator", "simulator_node_race", SimulatorNodeRace)
