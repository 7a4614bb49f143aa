#!/usr/bin/env python3
"""rostest: the car stack, closed over the realtime simulator, drives a full lap without leaving the track.

Follows /racecar/odom on the world's Track: the distance driven along the centre line
(progress), and the wheels on the road (off track = no wheel on it, as in training).
Also times the chain: image -> /inference_pkg/rl_results (by the image stamp), and a
change of the policy's best action -> the /racecar/ackermann_cmd carrying it (navigation,
ctrl, servo's PWM files, the bridge's poll). Writes <work_dir>/result.json. With
~right_camera (a STEREO_CAMERAS model) it also counts /camera_pkg/video_mjpeg_right frames
and checks each left frame's stamp had its right frame. With a continuous-action model (PPO or
SAC) the drive commands must stay inside the metadata's ranges (no action-change timing).
"""
import json
import math
import shutil
import threading
import time
import unittest
from pathlib import Path

import numpy as np
import rospy
import rostest
from deepracer_interfaces.msg import InferResultsArray
from deepracer_msgs.msg import AckermannDriveStamped
from nav_msgs.msg import Odometry
from sensor_msgs.msg import Image

from deepracer_simulation.car_model import load_car_model
from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from deepracer_simulator.wheels import WheelChecker
from model_optimizer import read_metadata
from model_optimizer.metadata import clip_speed

MOVING_M = 0.05  # m from the start pose: the car has started driving


class LapWatch:
    """Progress along a Track and off-track events from a stream of poses."""

    def __init__(self, track: Track, wheels: WheelChecker):
        self.track, self.wheels = track, wheels
        self.start, self.start_s = None, 0.0  # (x, y, sim time), arc length (m) of the first pose
        self.s = None  # arc length of the last pose, m
        self.driven = 0.0  # m along the centre line since the first pose (backwards counts -)
        self.moved_at = self.lap_at = None  # sim time (s) of the first move, of the lap's end
        self.off_track_events = self.off_track_frames = self.not_all_wheels_frames = 0
        self._was_off = False

    @property
    def progress(self) -> float:
        """Percent of the lap driven (Track.progress, unwrapped: 100 once a lap is done)."""
        if self.lap_at is not None:
            return 100.0
        return self.track.progress(self.start_s + max(self.driven, 0.0), self.start_s)

    def update(self, x, y, yaw, sim_time):
        s = self.track.project(x, y).s
        if self.start is None:
            self.start, self.start_s, self.s = (x, y, sim_time), s, s
        self.driven += math.remainder(s - self.s, self.track.length)
        self.s = s
        if self.moved_at is None and math.hypot(x - self.start[0], y - self.start[1]) > MOVING_M:
            self.moved_at = sim_time
        if self.lap_at is None and self.driven >= self.track.length:
            self.lap_at = sim_time
        on = self.wheels.on_track(x, y, yaw)
        self.not_all_wheels_frames += not on.all()
        off = not on.any()
        self.off_track_frames += off
        self.off_track_events += off and not self._was_off
        self._was_off = off


class ChainTimer:
    """Wall-clock latencies of the car stack, measured from the topics."""

    def __init__(self, actions, continuous=False):
        self.continuous = continuous  # continuous outputs: no "best action" to time
        self.actions = [(math.radians(steer), speed) for steer, speed in actions]
        self.image_at = {}  # image stamp (ns) -> monotonic arrival
        self.infer_ms, self.command_ms = [], []
        self.best, self.pending = None, None  # last best action; (monotonic, action) awaiting
        self.images = self.results = 0
        self.left_stamps, self.right_stamps = set(), set()  # stamps (ns) of every frame
        self.right_images = 0
        self.speeds = []  # every drive command's speed, m/s

    def on_right_image(self, msg):
        self.right_images += 1
        self.right_stamps.add(msg.header.stamp.to_nsec())

    def on_image(self, msg):
        self.left_stamps.add(msg.header.stamp.to_nsec())
        self.images += 1
        self.image_at[msg.header.stamp.to_nsec()] = time.monotonic()
        if len(self.image_at) > 300:
            self.image_at.pop(next(iter(self.image_at)))

    def on_results(self, msg):
        now, self.results = time.monotonic(), self.results + 1
        seen = self.image_at.get(msg.header.stamp.to_nsec())
        if seen is not None:
            self.infer_ms.append(1e3 * (now - seen))
        if self.continuous:
            return
        best = int(np.argmax([r.class_prob for r in msg.results]))
        if best != self.best:
            self.best, self.pending = best, (now, self.actions[best])

    def on_drive(self, msg):
        steering, speed = msg.drive.steering_angle, msg.drive.speed
        self.speeds.append(speed)
        if self.pending and np.allclose((steering, speed), self.pending[1], atol=1e-4):
            self.command_ms.append(1e3 * (time.monotonic() - self.pending[0]))
            self.pending = None


def percentiles(values):
    if not values:
        return None
    p50, p90, top = np.percentile(values, [50, 90, 100])
    return {"p50": round(float(p50), 2), "p90": round(float(p90), 2), "max": round(float(top), 2),
            "n": len(values)}


class SimLoopLap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        world = rospy.get_param("~world_name")
        cls.work_dir = Path(rospy.get_param("~work_dir"))
        cls.start_timeout = float(rospy.get_param("~start_timeout", 90.0))
        cls.lap_timeout = float(rospy.get_param("~lap_timeout", 90.0))
        track = Track(load_route(world), name=world)
        cls.watch = LapWatch(track, WheelChecker(track, load_car_model().geometry.wheel_positions))
        model = rospy.get_param("/sim_bridge/model_path")
        cls.action_space = read_metadata(model).action_space
        cls.timer = ChainTimer(cls.action_space.actions, cls.action_space.kind == "continuous")
        cls.lock = threading.Lock()
        cls.odom_count = 0
        rospy.Subscriber("/racecar/odom", Odometry, cls.on_odom, queue_size=100)
        rospy.Subscriber("/camera_pkg/video_mjpeg", Image, cls.timer.on_image, queue_size=10)
        rospy.Subscriber("/inference_pkg/rl_results", InferResultsArray, cls.timer.on_results,
                         queue_size=10)
        rospy.Subscriber("/racecar/ackermann_cmd", AckermannDriveStamped, cls.timer.on_drive,
                         queue_size=100)
        cls.right_camera = bool(rospy.get_param("~right_camera", False))
        if cls.right_camera:
            rospy.Subscriber("/camera_pkg/video_mjpeg_right", Image, cls.timer.on_right_image,
                             queue_size=10)
        cls.started = time.monotonic()

    @classmethod
    def tearDownClass(cls):
        # the converted model (a few MB); the nodes still run, so the sysfs tree stays
        shutil.rmtree(cls.work_dir / "cache", ignore_errors=True)

    @classmethod
    def on_odom(cls, msg):
        q = msg.pose.pose.orientation
        yaw = 2.0 * math.atan2(q.z, q.w)
        with cls.lock:
            cls.odom_count += 1
            cls.watch.update(msg.pose.pose.position.x, msg.pose.pose.position.y, yaw,
                             msg.header.stamp.to_sec())

    def _wait(self, done, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not rospy.is_shutdown():
            with self.lock:
                if done():
                    return True
            time.sleep(0.05)
        return False

    def test_1_drives_a_lap_on_the_track(self):
        watch = self.watch
        self.assertTrue(self._wait(lambda: watch.moved_at is not None, self.start_timeout),
                        f"the car did not move within {self.start_timeout} s "
                        f"({self.odom_count} poses, {self.timer.results} inference results)")
        moved_wall = time.monotonic()
        self._wait(lambda: watch.lap_at is not None or watch.off_track_events, self.lap_timeout)
        result = self._report(moved_wall)
        rospy.loginfo(f"sim_loop_lap: {json.dumps(result)}")
        self.assertEqual(watch.off_track_events, 0, f"the car left the track: {result}")
        self.assertIsNotNone(watch.lap_at, f"no full lap within {self.lap_timeout} s of moving: {result}")

    def test_2_drive_commands_are_the_models_actions(self):
        if self.action_space.kind == "continuous":
            low, high = (clip_speed(v) for v in self.action_space.speed_range)
            speeds = [speed for speed in self.timer.speeds if speed != 0.0]
            self.assertTrue(speeds, "no moving drive command was seen")
            outside = [s for s in speeds if not low - 1e-3 <= s <= high + 1e-3]
            self.assertFalse(outside, f"drive speeds outside the model's range [{low}, {high}]")
            self.assertGreater(len({round(s, 3) for s in speeds}), 5,
                               "a continuous model should drive at many speeds")
            return
        speeds = {round(speed, 6) for speed in self.timer.speeds if speed != 0.0}
        allowed = {round(speed, 6) for _steer, speed in self.action_space.actions}
        self.assertTrue(speeds, "no moving drive command was seen")
        self.assertLessEqual(speeds, allowed, "drive speeds that are not the model's actions")
        self.assertTrue(self.timer.command_ms, "no action change reached /racecar/ackermann_cmd")

    def test_3_right_camera_frames_pair_the_left_ones(self):
        if not self.right_camera:
            self.skipTest("front-camera model")
        timer = self.timer
        self.assertGreater(timer.right_images, 100, "too few /camera_pkg/video_mjpeg_right frames")
        # every frame is a pair: the right view with the left view's stamp
        paired = len(timer.left_stamps & timer.right_stamps)
        self.assertGreaterEqual(paired, 0.95 * len(timer.left_stamps),
                                f"{paired} of {len(timer.left_stamps)} left frames had a right frame")

    def _report(self, moved_wall):
        watch, timer = self.watch, self.timer
        with self.lock:
            result = {
                "track_length_m": round(watch.track.length, 3), "progress": round(watch.progress, 2),
                "lap_sim_s": None if watch.lap_at is None else round(watch.lap_at - watch.moved_at, 2),
                "lap_wall_s": None if watch.lap_at is None else round(time.monotonic() - moved_wall, 2),
                "watched_wall_s": round(time.monotonic() - moved_wall, 2),
                "start_wall_s": round(moved_wall - self.started, 2),
                "off_track_events": watch.off_track_events, "off_track_frames": watch.off_track_frames,
                "not_all_wheels_frames": watch.not_all_wheels_frames, "poses": self.odom_count,
                "images": timer.images, "right_images": timer.right_images,
                "inference_results": timer.results,
                "image_to_result_ms": percentiles(timer.infer_ms),
                "action_to_drive_command_ms": percentiles(timer.command_ms)}
        self.work_dir.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        return result


if __name__ == "__main__":
    rospy.init_node("sim_loop_lap_checker")
    rostest.rosrun("deepracer_bringup", "sim_loop_lap", SimLoopLap)
