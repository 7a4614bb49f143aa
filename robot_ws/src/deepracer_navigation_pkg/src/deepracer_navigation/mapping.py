"""Map a policy output to the servo's normalized (angle, throttle), each in [-1, 1].

The drive command is what training drives (markov.config.ActionSpace.action_to_drive):
a discrete action (clipped when read), or the 2 outputs clipped to [-1, 1], scaled onto
the raw metadata ranges, then clipped to +-30 degrees and [0.1, 4] m/s.
angle = steering_deg / max|steering_deg| (positive = left) and
throttle = scale * (a*s^2 + b*s), the parabola through (0, 0), (max_speed/2, 0.8) and
(max_speed, 1.0); both maxima are of the clipped commands the policy can reach. With
x = s / max_speed, a*s^2 + b*s = -1.2 x^2 + 2.2 x. It peaks at x = 11/12 (1.0083), so
the result is clipped to [-1, 1].
"""
import math
from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np

from model_optimizer.metadata import ActionSpace, clip_speed, clip_steering

HALF_SPEED_THROTTLE = 0.8  # throttle at half the model's top speed, before scaling
FULL_SPEED_THROTTLE = 1.0  # throttle at the model's top speed, before scaling


@dataclass(frozen=True)
class ThrottleCurve:
    """throttle(s) = a*s^2 + b*s for a speed s in m/s."""

    a: float  # 1/(m/s)^2
    b: float  # 1/(m/s)

    def __call__(self, speed: float) -> float:
        return self.a * speed * speed + self.b * speed


def throttle_curve(max_speed: float) -> ThrottleCurve:
    """The parabola through (0, 0), (max_speed/2, 0.8), (max_speed, 1.0)."""
    if not (math.isfinite(max_speed) and max_speed > 0):
        raise ValueError(f"max_speed must be a positive number of m/s, got {max_speed!r}")
    # a m^2/4 + b m/2 = 0.8 and a m^2 + b m = 1.0  =>  a m^2 = 2 (1.0 - 2 * 0.8), b m = 1.0 - a m^2
    a_m2 = 2.0 * (FULL_SPEED_THROTTLE - 2.0 * HALF_SPEED_THROTTLE)
    return ThrottleCurve(a=a_m2 / max_speed**2, b=(FULL_SPEED_THROTTLE - a_m2) / max_speed)


def _clip_unit(value: float) -> float:
    return max(-1.0, min(1.0, value))


class Navigator:
    """Turns each inference result into (angle, throttle) for one action space."""

    def __init__(self, action_space: ActionSpace, throttle_scale: float = 1.0):
        if not (math.isfinite(throttle_scale) and 0.0 <= throttle_scale <= 1.0):
            raise ValueError(f"throttle_scale must be in [0, 1], got {throttle_scale!r}")
        self.action_space = action_space
        self.throttle_scale = throttle_scale
        self._max_steering = action_space.max_steering_deg
        self._curve = throttle_curve(action_space.max_speed)

    def drive(self, steering_deg: float, speed: float) -> Tuple[float, float]:
        """(angle, throttle) in [-1, 1] for a steering angle (deg) and a speed (m/s)."""
        angle = steering_deg / self._max_steering if self._max_steering > 0 else 0.0
        return _clip_unit(angle), _clip_unit(self.throttle_scale * self._curve(speed))

    def action(self, output: Sequence[float]) -> Tuple[float, float]:
        """(steering deg, speed m/s) the policy output asks for: its most likely action, or
        its 2 values in [-1, 1] scaled onto the raw continuous ranges, then clipped."""
        values = np.asarray(output, dtype=np.float64).ravel()
        space = self.action_space
        if values.size != space.n_outputs or not np.all(np.isfinite(values)):
            raise ValueError(f"expected {space.n_outputs} finite policy outputs "
                             f"({space.kind} action space), got {values.tolist()}")
        if space.kind == "discrete":
            return space.actions[int(np.argmax(values))]
        steering = _rescale(values[0], space.steering_range)
        speed = _rescale(values[1], space.speed_range)
        return clip_steering(steering), clip_speed(speed)

    def __call__(self, output: Sequence[float]) -> Tuple[float, float]:
        """(angle, throttle) in [-1, 1] for a policy output."""
        return self.drive(*self.action(output))


def _rescale(value: float, low_high: Tuple[float, float]) -> float:
    """[-1, 1] (clipped) onto [low, high]."""
    low, high = low_high
    return low + (_clip_unit(float(value)) + 1.0) * 0.5 * (high - low)
