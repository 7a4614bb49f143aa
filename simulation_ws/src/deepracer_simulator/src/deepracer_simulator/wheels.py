"""Which of the car's four wheels touch the road."""
import math

import numpy as np

WHEEL_ORDER = ("left_front", "right_front", "left_rear", "right_rear")  # CarGeometry order


class WheelChecker:
    """On-road flags of the wheel centres (CarGeometry.wheel_positions) for a base pose."""

    def __init__(self, track, wheel_positions):
        positions = np.asarray(wheel_positions, dtype=np.float64)
        if positions.shape != (4, 2):
            raise ValueError(f"wheel_positions must be (4, 2) (LF, RF, LR, RR), got {positions.shape}")
        self.track = track
        self._local = [(float(x), float(y)) for x, y in positions]
        self._xs = np.empty(4)
        self._ys = np.empty(4)

    def world_positions(self, x, y, yaw) -> np.ndarray:
        """(4, 2) world x, y of the wheel centres for base pose (x, y, yaw)."""
        self._transform(x, y, yaw)
        return np.column_stack([self._xs, self._ys])

    def on_track(self, x, y, yaw) -> np.ndarray:
        """(4,) bool: each wheel centre inside the road edges (Track.on_road)."""
        self._transform(x, y, yaw)
        return self.track.on_road(self._xs, self._ys)

    def _transform(self, x, y, yaw):
        c, s = math.cos(yaw), math.sin(yaw)
        for i, (wx, wy) in enumerate(self._local):
            self._xs[i] = x + c * wx - s * wy
            self._ys[i] = y + s * wx + c * wy
