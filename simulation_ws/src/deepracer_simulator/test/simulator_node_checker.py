#!/usr/bin/env python3
"""rostest helper: simulator_node started by racecar.launch (builtin, lockstep).

Checks the services, the camera image, /clock, /racecar/joint_states,
/racecar/odom, the servo_commands path and the start-up errors, comparing with
the in-process Simulator where a value can be computed. Waits use the wall
clock: /use_sim_time is true and time only moves when this test advances it.
"""
import math
import subprocess
import tempfile
import threading
import time
import unittest

import numpy as np
import rospy
import rostest
from deepracer_msgs.msg import AckermannDrive, AckermannDriveStamped
from deepracer_msgs.srv import AdvanceFrame, AdvanceFrameRequest, GetCarPose, SetCarPose
from nav_msgs.msg import Odometry
from rosgraph_msgs.msg import Clock
from roslib.packages import find_node
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64

from deepracer_simulation.ackermann import joint_commands
from deepracer_simulation.car_model import load_car_model
from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from deepracer_simulator import SimConfig, Simulator

NS = "/deepracer_simulator"
CAMERA = "/camera/zed/rgb/image_rect_color"
TIMEOUT = 30.0  # s, wall clock
FRAME_NS = 1e9 / 15.0


class Latest:
    """Keeps the messages of one topic (thread-safe)."""

    def __init__(self, topic, msg_class):
        self.lock, self.messages = threading.Lock(), []
        self.sub = rospy.Subscriber(topic, msg_class, self._on, queue_size=100)

    def _on(self, msg):
        with self.lock:
            self.messages.append(msg)

    def wait_for(self, condition, what):
        """The newest message for which condition(msg) holds, waiting up to TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for m in self.messages if condition(m)]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what} on {self.sub.name}")


class SimulatorNodeWiring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for name in ("advance_frame", "get_car_pose", "set_car_pose"):
            rospy.wait_for_service(f"{NS}/{name}", timeout=TIMEOUT)
        cls.advance_srv = rospy.ServiceProxy(f"{NS}/advance_frame", AdvanceFrame, persistent=True)
        cls.get_pose = rospy.ServiceProxy(f"{NS}/get_car_pose", GetCarPose)
        cls.set_pose_srv = rospy.ServiceProxy(f"{NS}/set_car_pose", SetCarPose)
        cls.world = rospy.get_param(f"{NS}/world_name")
        cls.car = load_car_model()
        cls.track = Track(load_route(cls.world), name=cls.world)
        cls.sim = Simulator(cls.track, cls.car)  # the in-process reference
        cls.start = cls.track.pose_at(0.0)

    def advance(self, frames=1, drive=None):
        use_drive = drive is not None
        steering, speed = drive if use_drive else (0.0, 0.0)
        return self.advance_srv(AdvanceFrameRequest(
            use_drive=use_drive, drive=AckermannDrive(steering_angle=steering, speed=speed), frames=frames))

    def place(self, x, y, yaw):
        response = self.set_pose_srv(x=x, y=y, yaw=yaw)
        self.assertTrue(response.success, response.message)

    # ------------------------------------------------------------ motion
    def test_advance_moves_car_forward_by_speed_minus_lag(self):
        self.place(*self.start)
        pose = self.advance(15, (0.0, 1.0)).pose
        tau = SimConfig().vehicle.speed_time_constant
        expected = 1.0 * (1.0 - tau * (1.0 - math.exp(-1.0 / tau)))  # first-order speed response
        moved = math.hypot(pose.x - self.start[0], pose.y - self.start[1])
        self.assertAlmostEqual(moved, expected, delta=1e-4)
        self.assertAlmostEqual(pose.yaw, self.start[2], delta=1e-9)
        self.assertAlmostEqual(pose.speed, 1.0 - math.exp(-1.0 / tau), delta=1e-4)
        self.sim.reset(*self.start)
        self.sim.set_drive(0.0, 1.0)
        for _ in range(15):
            state = self.sim.step_frame()
        for field, value in (("x", pose.x), ("y", pose.y), ("yaw", pose.yaw), ("speed", pose.speed)):
            self.assertAlmostEqual(value, getattr(state, field), delta=1e-9, msg=field)
        self.assertEqual(list(pose.wheels_on_track), self.sim.wheels_on_track().tolist())

    def test_servo_commands_drive_the_car(self):
        seen = {name: Latest(f"/racecar/{name}_controller/command", Float64) for name in
                ("left_rear_wheel_velocity", "left_steering_hinge_position")}
        drive_pub = rospy.Publisher("/racecar/ackermann_cmd", AckermannDriveStamped, queue_size=1)
        self.place(*self.start)
        stop = threading.Event()

        def keep_publishing():
            while not stop.is_set():
                drive_pub.publish(AckermannDriveStamped(drive=AckermannDrive(steering_angle=0.25, speed=1.5)))
                time.sleep(0.05)
        publisher = threading.Thread(target=keep_publishing, daemon=True)
        publisher.start()
        try:
            expected = joint_commands(0.25, 1.5, self.car.geometry)
            seen["left_rear_wheel_velocity"].wait_for(
                lambda m: abs(m.data - expected.left_rear) < 1e-5, "the left rear wheel command")
            seen["left_steering_hinge_position"].wait_for(
                lambda m: abs(m.data - expected.left_hinge) < 1e-5, "the left hinge command")
            time.sleep(1.0)  # the node gets the same commands; let several batches arrive
        finally:
            stop.set()
            publisher.join()
        pose = self.advance(15).pose  # use_drive false: the per-joint commands drive
        self.assertAlmostEqual(pose.steering_angle, 0.25, delta=1e-5)
        tau = SimConfig().vehicle.speed_time_constant
        self.assertAlmostEqual(pose.speed, 1.5 * (1.0 - math.exp(-1.0 / tau)), delta=1e-3)
        self.assertGreater(pose.yaw_rate, 0.5)  # turning left
        self.assertGreater(math.hypot(pose.x - self.start[0], pose.y - self.start[1]), 0.8)

    def test_non_finite_drive_is_ignored_and_bad_poses_fail(self):
        self.place(*self.start)
        self.advance(15, (0.0, 1.0))
        before = self.advance(1).pose
        after = self.advance(15, (float("nan"), float("inf"))).pose  # ignored: previous drive holds
        self.assertGreater(after.speed, before.speed)
        self.assertLess(after.speed, 1.0)
        self.assertAlmostEqual(after.steering_angle, 0.0, delta=1e-12)
        response = self.set_pose_srv(x=float("nan"), y=0.0, yaw=0.0)
        self.assertFalse(response.success)
        self.assertIn("finite", response.message)
        pose = self.get_pose().pose
        self.assertEqual((pose.x, pose.y), (after.x, after.y))  # a refused pose moves nothing

    # ------------------------------------------------------------ sensors
    def test_image_published_with_size_encoding_and_pixels_of_the_library(self):
        images = Latest(CAMERA, Image)
        deadline = time.monotonic() + TIMEOUT
        while images.sub.get_num_connections() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        x, y, yaw = self.track.pose_at(3.0, lateral=0.1)
        self.place(x, y, yaw)
        response = self.advance(1)
        image = response.image
        self.assertEqual((image.width, image.height, image.encoding, image.step), (160, 120, "rgb8", 480))
        self.assertEqual(len(image.data), 160 * 120 * 3)
        self.assertEqual(image.header.frame_id, self.car.camera.frame_id)
        published = images.wait_for(lambda m: m.header.stamp == image.header.stamp, "the stepped frame")
        self.assertEqual(published.data, image.data)
        self.sim.reset(x, y, yaw)
        expected = self.sim.render(160, 120)
        got = np.frombuffer(image.data, np.uint8).reshape(120, 160, 3)
        self.assertEqual(int(np.abs(got.astype(int) - expected).max()), 0)

    def test_zero_frames_observes_without_moving_time(self):
        images, odom = Latest(CAMERA, Image), Latest("/racecar/odom", Odometry)
        deadline = time.monotonic() + TIMEOUT
        while (images.sub.get_num_connections() == 0 or odom.sub.get_num_connections() == 0) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        x, y, yaw = self.track.pose_at(6.0, lateral=-0.1)
        self.place(x, y, yaw)
        now = self.get_pose().pose
        response = self.advance(0)
        pose, image = response.pose, response.image
        self.assertEqual(pose.sim_time, now.sim_time)
        self.assertEqual((pose.x, pose.y, pose.yaw, pose.speed), (now.x, now.y, now.yaw, 0.0))
        self.assertEqual(image.header.stamp.to_nsec(), round(now.sim_time * 1e9))
        images.wait_for(lambda m: m.header.stamp == image.header.stamp and m.data == image.data,
                        "the observed frame")
        msg = odom.wait_for(lambda m: m.header.stamp == image.header.stamp, "the observed odometry")
        self.assertEqual((msg.pose.pose.position.x, msg.pose.pose.position.y), (now.x, now.y))
        self.sim.reset(x, y, yaw)
        got = np.frombuffer(image.data, np.uint8).reshape(120, 160, 3)
        self.assertEqual(int(np.abs(got.astype(int) - self.sim.render(160, 120)).max()), 0)
        held = self.advance(0, (0.2, 1.0)).pose  # the drive is taken, still no time passes
        self.assertEqual((held.sim_time, held.x, held.speed), (now.sim_time, now.x, 0.0))
        moved = self.advance(1).pose  # use_drive false: the drive sent with frames 0 holds
        self.assertAlmostEqual(moved.sim_time - now.sim_time, 1.0 / 15.0, delta=1e-9)
        self.assertGreater(moved.speed, 0.0)
        self.assertGreater(moved.steering_angle, 0.0)

    def test_clock_advances_one_frame_period_per_frame(self):
        # This node runs on sim time, so its /clock connection keeps only the newest
        # message of a burst: check frame by frame, then the end of a 15-frame call.
        clock = Latest("/clock", Clock)
        start_ns = round(self.get_pose().pose.sim_time * 1e9)
        clock.wait_for(lambda m: m.clock.to_nsec() == start_ns, "the latched clock")
        previous = start_ns
        for frame in range(1, 16):
            pose = self.advance(1).pose
            now = round(pose.sim_time * 1e9)
            self.assertEqual(now, round(start_ns + frame * FRAME_NS))  # no drift
            self.assertLessEqual(abs(now - previous - FRAME_NS), 1.0)
            clock.wait_for(lambda m, now=now: m.clock.to_nsec() == now, f"frame {frame}")
            previous = now
        self.assertLessEqual(abs(previous - start_ns - 1e9), 1.0)  # 15 frames = 1 s
        pose = self.advance(15).pose
        self.assertEqual(round(pose.sim_time * 1e9), round(start_ns + 30 * FRAME_NS))
        clock.wait_for(lambda m: m.clock.to_nsec() == round(pose.sim_time * 1e9), "30 frames later")
        with clock.lock:
            ticks = [m.clock.to_nsec() for m in clock.messages]
        self.assertEqual(ticks, sorted(ticks))

    def test_joint_states_follow_the_wheels_and_hinges(self):
        states = Latest("/racecar/joint_states", JointState)
        deadline = time.monotonic() + TIMEOUT
        while states.sub.get_num_connections() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.place(*self.start)
        rest = self.advance(1, (0.0, 0.0))
        first = states.wait_for(lambda m: m.header.stamp.to_sec() >= rest.pose.sim_time - 1e-6, "rest")
        geometry = self.car.geometry
        self.assertEqual(list(first.name), list(geometry.wheel_joints) + list(geometry.hinge_joints))
        moved = self.advance(15, (0.0, 1.0)).pose
        last = states.wait_for(lambda m: m.header.stamp.to_sec() >= moved.sim_time - 1e-6, "moved")
        distance = math.hypot(moved.x - self.start[0], moved.y - self.start[1])
        turned = math.remainder(last.position[2] - first.position[2] - distance / geometry.wheel_radius,
                                2 * math.pi)
        self.assertLess(abs(turned), 1e-6)  # rear wheel angle = distance / radius (mod 2 pi)
        self.assertEqual(list(last.position[4:]), [0.0, 0.0])
        turning = self.advance(15, (0.3, 1.0)).pose
        last = states.wait_for(lambda m: m.header.stamp.to_sec() >= turning.sim_time - 1e-6, "turning")
        hinges = joint_commands(turning.steering_angle, turning.speed, geometry)
        self.assertAlmostEqual(last.position[4], hinges.left_hinge, delta=1e-9)
        self.assertAlmostEqual(last.position[5], hinges.right_hinge, delta=1e-9)
        self.assertGreater(last.position[4], last.position[5])  # inner (left) wheel turns more
        self.assertAlmostEqual(last.velocity[3], hinges.right_rear, delta=1e-9)

    def test_odometry_matches_the_pose(self):
        odom = Latest("/racecar/odom", Odometry)
        deadline = time.monotonic() + TIMEOUT
        while odom.sub.get_num_connections() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.place(*self.start)
        pose = self.advance(10, (0.2, 1.0)).pose
        msg = odom.wait_for(lambda m: m.header.stamp.to_sec() >= pose.sim_time - 1e-6, "odometry")
        self.assertEqual((msg.header.frame_id, msg.child_frame_id), ("odom", "base_link"))
        self.assertEqual((msg.pose.pose.position.x, msg.pose.pose.position.y), (pose.x, pose.y))
        q = msg.pose.pose.orientation
        self.assertAlmostEqual(2.0 * math.atan2(q.z, q.w), pose.yaw, delta=1e-9)
        self.assertEqual((msg.twist.twist.linear.x, msg.twist.twist.angular.z), (pose.speed, pose.yaw_rate))

    # ------------------------------------------------------------ start-up errors
    def _run_bad_node(self, name, *params):
        """Run simulator_node as `name` (private params set on the command line stay on the master)."""
        node = find_node("deepracer_simulator", "simulator_node")[0]
        result = subprocess.run([node, f"__name:={name}", *params], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=60, text=True)
        return result.returncode, result.stdout

    def test_unknown_track_stops_the_node_with_a_message(self):
        code, output = self._run_bad_node("unknown_track_simulator", "_world_name:=no_such_track")
        self.assertEqual(code, 1, output)
        self.assertIn("no_such_track", output)
        self.assertIn("FATAL", output)
        self.assertNotIn("Traceback", output)

    def test_urdf_missing_a_joint_stops_the_node_with_a_message(self):
        urdf = self.car.urdf.replace('name="right_rear_wheel_joint"', 'name="rear_wheel_joint_renamed"')
        with tempfile.NamedTemporaryFile("w", suffix=".urdf") as broken:
            broken.write(urdf)
            broken.flush()
            code, output = self._run_bad_node("broken_urdf_simulator", f"_urdf_path:={broken.name}")
        self.assertEqual(code, 1, output)
        self.assertIn("right_rear_wheel_joint", output)
        self.assertIn(broken.name, output)
        self.assertNotIn("Traceback", output)


if __name__ == "__main__":
    rospy.init_node("simulator_node_checker")
    rostest.rosrun("deepracer_simulator", "simulator_node_wiring", SimulatorNodeWiring)
