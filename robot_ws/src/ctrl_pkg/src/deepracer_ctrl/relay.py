"""Autonomous-mode relay: navigation's (angle, throttle) -> the servo, while driving is on.

Stopping sends one neutral command (wheels straight, motor stopped); while stopped,
commands are dropped. Values are clipped to [-1, 1]; non-finite commands are dropped.
"""
import math
from typing import Optional, Tuple

NEUTRAL = (0.0, 0.0)  # (angle, throttle)


class DriveRelay:
    """Decides what, if anything, goes to the servo for each navigation command."""

    def __init__(self, active: bool = True):
        self.active = active  # autonomous driving on

    def set_active(self, active: bool) -> Optional[Tuple[float, float]]:
        """Switch driving on or off; returns NEUTRAL to send when switching off, else None."""
        was_active, self.active = self.active, bool(active)
        return NEUTRAL if was_active and not self.active else None

    def forward(self, angle: float, throttle: float) -> Optional[Tuple[float, float]]:
        """The command to send to the servo, or None (stopped, or not a finite command)."""
        if not self.active or not (math.isfinite(angle) and math.isfinite(throttle)):
            return None
        return max(-1.0, min(1.0, angle)), max(-1.0, min(1.0, throttle))
