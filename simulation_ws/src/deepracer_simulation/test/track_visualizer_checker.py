#!/usr/bin/env python3
"""rostest helper: checks track_visualizer's markers against the route and its odom -> tf."""
import threading
import time
import unittest

import numpy as np
import rospy
import rostest
from nav_msgs.msg import Odometry
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import Marker, MarkerArray

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track

TIMEOUT = 20.0  # s, wall clock


class TrackVisualizerWiring(unittest.TestCase):
    def setUp(self):
        self.lock = threading.Lock()
        self.markers, self.transforms = [], []
        self.subscribers = [
            rospy.Subscriber("/deepracer_simulation/track_markers", MarkerArray, self._store,
                             self.markers),
            rospy.Subscriber("/tf", TFMessage, self._store, self.transforms)]
        self.odom = rospy.Publisher("/racecar/odom", Odometry, queue_size=1)

    def tearDown(self):
        for subscriber in self.subscribers:
            subscriber.unregister()
        self.odom.unregister()

    def _store(self, msg, into):
        with self.lock:
            into.append(msg)

    def _wait(self, condition, message):
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            self.assertLess(time.monotonic(), deadline, message)
            time.sleep(0.05)

    def test_markers_follow_the_route(self):
        self._wait(lambda: self.markers, "no track markers (latched) received")
        markers = {m.ns: m for m in self.markers[0].markers}
        self.assertEqual(set(markers), {"left_edge", "right_edge", "centre_dashes"})
        track = Track(load_route("easy_track"), name="easy_track")
        left = np.array([(p.x, p.y) for p in markers["left_edge"].points])
        np.testing.assert_allclose(left, track.left_edge, atol=1e-9)
        self.assertEqual(markers["left_edge"].type, Marker.LINE_STRIP)
        self.assertEqual(markers["centre_dashes"].type, Marker.LINE_LIST)
        self.assertTrue(all(m.header.frame_id == "odom" for m in markers.values()))
        dashes = np.array([(p.x, p.y) for p in markers["centre_dashes"].points]).reshape(-1, 2, 2)
        # 0.15 m dashes every 0.3 m round the centre line
        self.assertAlmostEqual(len(dashes), int(np.ceil(track.length / 0.3)), delta=1)
        # every dash end lies on the road's centre line (within a chord's sag)
        for x, y in dashes.reshape(-1, 2)[::7]:
            self.assertLess(track.project(x, y).distance_from_center, 0.01)

    def test_odometry_becomes_a_transform(self):
        self._wait(lambda: self.odom.get_num_connections() > 0, "odom subscriber never connected")
        odom = Odometry(child_frame_id="base_link")
        odom.header.frame_id = "odom"
        odom.header.stamp = rospy.Time(12, 5)
        odom.pose.pose.position.x, odom.pose.pose.position.y = 1.5, -2.25
        odom.pose.pose.orientation.z, odom.pose.pose.orientation.w = 0.6, 0.8
        deadline = time.monotonic() + TIMEOUT
        while not self.transforms and time.monotonic() < deadline:
            self.odom.publish(odom)
            time.sleep(0.1)
        self.assertTrue(self.transforms, "no /tf message after odometry")
        transform = self.transforms[-1].transforms[0]
        self.assertEqual((transform.header.frame_id, transform.child_frame_id), ("odom", "base_link"))
        self.assertEqual(transform.header.stamp, rospy.Time(12, 5))
        t, r = transform.transform.translation, transform.transform.rotation
        self.assertEqual((t.x, t.y, r.z, r.w), (1.5, -2.25, 0.6, 0.8))


if __name__ == "__main__":
    rospy.init_node("track_visualizer_checker")
    rostest.rosrun("deepracer_simulation", "track_visualizer_wiring", TrackVisualizerWiring)
