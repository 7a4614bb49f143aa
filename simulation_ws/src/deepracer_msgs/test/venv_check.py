#!/usr/bin/env python3
"""rostest: nodes run with the workspace venv and exchange the generated deepracer_msgs."""
import io
import os
import sys
import unittest

import rospy
import rostest
from deepracer_msgs.msg import AckermannDrive
from deepracer_msgs.srv import AdvanceFrameRequest, GetCarPose, SetCarPoseRequest

PKG = "deepracer_msgs"


def _is_venv(prefix, base_prefix):
    return prefix != base_prefix and os.path.isfile(os.path.join(prefix, "pyvenv.cfg"))


class VenvPythonTest(unittest.TestCase):
    def test_test_node_runs_in_venv(self):
        self.assertTrue(_is_venv(sys.prefix, sys.base_prefix), sys.executable)

    def test_probe_node_runs_in_venv(self):
        rospy.wait_for_service("/venv_probe/get_car_pose", timeout=30)
        prefix = rospy.get_param("/venv_probe/sys_prefix")
        self.assertTrue(_is_venv(prefix, rospy.get_param("/venv_probe/sys_base_prefix")), prefix)
        self.assertEqual(prefix, sys.prefix)
        self.assertTrue(rospy.get_param("/venv_probe/gymnasium_version"))

    def test_messages_come_from_the_install(self):
        import deepracer_msgs
        path = os.path.dirname(deepracer_msgs.__file__)
        self.assertTrue(path.endswith(os.path.join("dist-packages", "deepracer_msgs")), path)

    def test_service_round_trip(self):
        rospy.wait_for_service("/venv_probe/get_car_pose", timeout=30)
        pose = rospy.ServiceProxy("/venv_probe/get_car_pose", GetCarPose)().pose
        self.assertEqual((pose.x, pose.y, pose.yaw), (1.5, -2.25, 0.5))
        self.assertEqual((pose.speed, pose.steering_angle, pose.yaw_rate), (0.75, -0.125, 0.0625))
        self.assertEqual(list(pose.wheels_on_track), [True, False, True, True])
        self.assertEqual(pose.sim_time, 4.0)

    def test_advance_frame_request_fields(self):
        req = AdvanceFrameRequest(use_drive=True, drive=AckermannDrive(steering_angle=0.25, speed=1.0),
                                  frames=3)
        self.assertEqual(req._slot_types, ["bool", "deepracer_msgs/AckermannDrive", "uint32"])
        self.assertEqual((req.drive.steering_angle, req.frames), (0.25, 3))
        self.assertEqual(AdvanceFrameRequest().frames, 0)  # the default: observe only

    def test_set_car_pose_request_fields(self):
        req = SetCarPoseRequest(x=1.0, y=2.0, yaw=0.5, use_seed=True, seed=2 ** 40)
        self.assertEqual(req.__slots__, ["x", "y", "yaw", "use_seed", "seed"])
        self.assertEqual(req._slot_types, ["float64", "float64", "float64", "bool", "int64"])
        buffer = io.BytesIO()
        req.serialize(buffer)
        back = SetCarPoseRequest().deserialize(buffer.getvalue())
        self.assertEqual((back.x, back.y, back.yaw, back.use_seed, back.seed), (1.0, 2.0, 0.5, True, 2 ** 40))


if __name__ == "__main__":
    rospy.init_node("venv_check")
    rostest.rosrun(PKG, "venv_python", VenvPythonTest)
