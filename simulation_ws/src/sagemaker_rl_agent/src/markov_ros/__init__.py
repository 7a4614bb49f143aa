"""The env's ROS client, kept apart from `markov` so that the library never imports rospy.

- `markov_ros.backend`: `RosBackend`, the `make_backend("ros", ...)` backend that
  drives simulator_node's lockstep services, and its image helpers.
- `markov_ros.local_simulator`: `LocalSimulator`, a private ROS master and
  simulator_node as subprocesses (tests, benchmarks).

Import the modules themselves; this file imports nothing, so naming the package
costs no rospy import.
"""
