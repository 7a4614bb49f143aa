#!/usr/bin/env python3
"""Test helper node: reports its interpreter and serves GetCarPose with a fixed pose."""
import sys

import gymnasium  # only installed in the venv: fails on the system interpreter
import rospy
from deepracer_msgs.msg import CarPose
from deepracer_msgs.srv import GetCarPose, GetCarPoseResponse

PROBE_POSE = CarPose(x=1.5, y=-2.25, yaw=0.5, speed=0.75, steering_angle=-0.125,
                     yaw_rate=0.0625, wheels_on_track=[True, False, True, True], sim_time=4.0)


def main():
    rospy.init_node("venv_probe")
    rospy.set_param("~sys_prefix", sys.prefix)
    rospy.set_param("~sys_base_prefix", sys.base_prefix)
    rospy.set_param("~gymnasium_version", gymnasium.__version__)
    rospy.Service("~get_car_pose", GetCarPose, lambda _req: GetCarPoseResponse(pose=PROBE_POSE))
    rospy.spin()


if __name__ == "__main__":
    main()
