"""A scripted driver for smoke tests and benchmarks: pure pursuit on the reward params.

It reads only what a reward function sees (x, y, heading, waypoints,
closest_waypoints), aims at the centre-line point `lookahead` metres ahead,
computes the bicycle steering angle that arcs onto it and returns the action
of the env's action space closest to (that angle, the target speed).
"""
import math

import numpy as np

from markov.config import ActionSpace


class PurePursuit:
    """Callable params -> action (an index, or a float32 (2,) vector when continuous).

    action_space: the model's ActionSpace; wheelbase: m; lookahead: m along
    the centre line; speed: target m/s (discrete: the nearest action's speed).
    """

    def __init__(self, action_space: ActionSpace, wheelbase: float, lookahead: float = 0.5,
                 speed: float = 1.0):
        if lookahead <= 0 or wheelbase <= 0:
            raise ValueError("lookahead and wheelbase must be > 0 m")
        self.action_space, self.wheelbase = action_space, wheelbase
        self.lookahead, self.speed = lookahead, speed
        self._actions = [action_space.action_to_drive(i) for i in range(action_space.n_actions)
                         ] if not action_space.is_continuous else None

    def steering_deg(self, params) -> float:
        """Bicycle steering angle (degrees, left positive) toward the look-ahead point."""
        x, y, waypoints = params["x"], params["y"], params["waypoints"]
        n = len(waypoints) - 1 if waypoints[0] == waypoints[-1] else len(waypoints)
        i = params["closest_waypoints"][1] % n
        for k in range(n):
            tx, ty = waypoints[(i + k) % n]
            if math.hypot(tx - x, ty - y) >= self.lookahead:
                break
        alpha = math.atan2(ty - y, tx - x) - math.radians(params["heading"])
        alpha = math.atan2(math.sin(alpha), math.cos(alpha))
        distance = max(math.hypot(tx - x, ty - y), 1e-6)
        return math.degrees(math.atan(2.0 * self.wheelbase * math.sin(alpha) / distance))

    def __call__(self, params):
        steer = self.steering_deg(params)
        if self._actions is None:
            (s_low, s_high), (v_low, v_high) = (self.action_space.steering_range,
                                                self.action_space.speed_range)
            return np.array([_unscale(steer, s_low, s_high), _unscale(self.speed, v_low, v_high)],
                            dtype=np.float32)
        costs = [abs(s - steer) / 30.0 + abs(v - self.speed) / 4.0 for s, v in self._actions]
        return int(np.argmin(costs))


def _unscale(value, low, high) -> float:
    """Inverse of the continuous action's linear map [-1, 1] -> [low, high], clipped."""
    if high == low:
        return 0.0
    return min(1.0, max(-1.0, 2.0 * (value - low) / (high - low) - 1.0))
