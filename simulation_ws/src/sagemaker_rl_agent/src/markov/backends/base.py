"""The interface every simulation backend of the env implements.

A backend owns one car on one track. The env talks to it in simulated time
only: place the car, apply a drive command and advance exactly one camera
frame (1/15 s), read back the camera image and the car's state.
"""
import importlib
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    """What the env sees after a reset or a step."""

    image: np.ndarray  # uint8 (120, 160, 3) RGB camera image
    x: float  # m, base_link (rear-axle midpoint) position
    y: float  # m
    yaw: float  # rad, (-pi, pi]
    speed: float  # m/s, achieved forward speed
    steering: float  # rad, achieved bicycle steering angle
    wheels_on_track: tuple  # 4 bools: left_front, right_front, left_rear, right_rear
    sim_time: float  # s, simulated time


class SimBackend(Protocol):
    """One car on one track, stepped one camera frame at a time."""

    def reset(self, x: float, y: float, yaw: float, seed=None) -> Frame:
        """Place the car at rest at (x, y, yaw) and return the first frame."""

    def step(self, steering_angle: float, speed: float) -> Frame:
        """Apply a drive command (rad, m/s), advance one camera frame, return it."""

    def close(self) -> None:
        """Release what the backend holds (connections, simulator)."""


# name -> "module:factory"; a factory takes (track, car, **options).
BACKENDS = {
    "inprocess": "markov.backends.inprocess:InProcessBackend",
    "ros": "markov_ros.backend:RosBackend",  # the ROS client lives outside markov (no rospy here)
}


def make_backend(name, track, car, **options) -> SimBackend:
    """Build the backend called `name`; raise ValueError listing the accepted names."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; accepted: {', '.join(sorted(BACKENDS))}")
    module_name, factory = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module_name), factory)(track, car, **options)
