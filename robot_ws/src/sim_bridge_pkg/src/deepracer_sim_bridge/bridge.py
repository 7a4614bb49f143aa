"""The two conversions between the car's topics and the simulator's.

camera_frame: the simulator's RGB image -> the car camera's BGR 160x120 frame.
ServoDecoder: the servo's normalized (angle, throttle) -> the (steering, speed) drive
command that deepracer_navigation's mapping came from, so the simulated car executes
the action the policy chose: a discrete space gives back the action whose mapped
(angle, throttle) is nearest; a continuous one inverts the mapping (the throttle
parabola on its rising branch, x = s / max_speed in [0, 5/6], and 1.0 -> max_speed).
"""
import math
from typing import Tuple

import cv2
import numpy as np

from deepracer_navigation import Navigator
from model_optimizer.metadata import ActionSpace

FRAME_SIZE = (160, 120)  # (width, height) of the car camera's frames


def camera_frame(rgb_image) -> np.ndarray:
    """The car camera's frame (BGR uint8 (120, 160, 3)) for a simulator RGB image."""
    image = np.asarray(rgb_image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
    if image.shape[1::-1] != FRAME_SIZE:
        image = cv2.resize(image, FRAME_SIZE, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)


class ServoDecoder:
    """(angle, throttle) in [-1, 1] -> (steering rad, speed m/s) for one model's action space."""

    def __init__(self, action_space: ActionSpace, throttle_scale: float = 1.0):
        self.navigator = Navigator(action_space, throttle_scale)
        self.action_space = action_space
        self._mapped = [self.navigator.drive(*action) for action in action_space.actions]

    def __call__(self, angle: float, throttle: float) -> Tuple[float, float]:
        if not (math.isfinite(angle) and math.isfinite(throttle)):
            raise ValueError(f"non-finite servo command angle={angle!r}, throttle={throttle!r}")
        if throttle <= 0.0:
            steering_deg, speed = angle * self.action_space.max_steering_deg, 0.0
        elif self.action_space.kind == "discrete":
            distances = [(a - angle) ** 2 + (t - throttle) ** 2 for a, t in self._mapped]
            steering_deg, speed = self.action_space.actions[int(np.argmin(distances))]
        else:
            steering_deg = max(-1.0, min(1.0, angle)) * self.action_space.max_steering_deg
            speed = self._speed(throttle)
        return math.radians(steering_deg), speed

    def _speed(self, throttle: float) -> float:
        """The speed whose mapped throttle is `throttle` (rising branch; >= 1.0 -> max_speed)."""
        scale = self.navigator.throttle_scale
        level = throttle / scale if scale > 0 else 0.0
        top = self.action_space.max_speed
        if level >= 1.0:
            return top
        # -1.2 x^2 + 2.2 x = level  ->  x = (2.2 - sqrt(2.2^2 - 4.8 level)) / 2.4
        return top * (2.2 - math.sqrt(2.2 * 2.2 - 4.8 * level)) / 2.4
