"""When an episode ends: a pure state machine fed once per step (no simulator).

Expected input: `progress` is the percent of the lap travelled from the start
line, 0 at the start and 100 at the finish line; the env unwraps the track's
wrapping progress so a completed lap reaches 100 instead of falling back to 0.
A jump of more than 50 points in one step is read as crossing the start line
(a fall, e.g. 99.8 -> 0.3, is forward motion; a rise, e.g. 0.3 -> 99.8, is the car
backing over the line), so wrapped input never counts as reversing by itself.

Checks, first match wins: lap_complete, crashed, off_track, reversed, immobilized.
"""
from typing import Sequence

IN_PROGRESS = "in_progress"
LAP_COMPLETE = "lap_complete"
OFF_TRACK = "off_track"
CRASHED = "crashed"
IMMOBILIZED = "immobilized"
REVERSED = "reversed"
EPISODE_STATUSES = (IN_PROGRESS, LAP_COMPLETE, OFF_TRACK, CRASHED, IMMOBILIZED, REVERSED)

IMMOBILIZED_STEPS = 15  # consecutive still steps that end an episode
IMMOBILIZED_DISTANCE = 0.0003  # m moved in one step at or below which the car counts as still
REVERSED_STEPS = 15  # consecutive steps of decreasing progress that end an episode
_WRAP_JUMP = 50.0  # progress points: a larger one-step change is a start-line crossing


class EpisodeRules:
    """Tracks one episode's termination status; `update` once per step, `reset` per episode."""

    def __init__(self, immobilized_steps: int = IMMOBILIZED_STEPS,
                 immobilized_distance: float = IMMOBILIZED_DISTANCE,
                 reversed_steps: int = REVERSED_STEPS):
        if immobilized_steps < 1 or reversed_steps < 1 or immobilized_distance < 0:
            raise ValueError("immobilized_steps and reversed_steps must be >= 1 and "
                             "immobilized_distance >= 0")
        self.immobilized_steps = immobilized_steps
        self.immobilized_distance_sq = immobilized_distance * immobilized_distance
        self.reversed_steps = reversed_steps
        self.reset(0.0, 0.0)

    def reset(self, x: float, y: float, progress: float = 0.0) -> None:
        """Start an episode with the car at (x, y) m and `progress` %."""
        self._x, self._y, self._progress = x, y, progress
        self.still_steps = 0  # consecutive steps moved <= immobilized_distance
        self.reversing_steps = 0  # consecutive steps with decreasing progress
        self.status = IN_PROGRESS

    @property
    def done(self) -> bool:
        return self.status != IN_PROGRESS

    def update(self, progress: float, x: float, y: float, wheels_on_track: Sequence[bool],
               crashed: bool = False) -> str:
        """Feed one step; return the status. After a terminal status it stays until `reset`.

        progress: % of the lap (see the module doc); x, y: any fixed point of the
        car, m; wheels_on_track: one flag per wheel; crashed: hit an obstacle or wall.
        """
        if self.status != IN_PROGRESS:
            return self.status
        dx, dy = x - self._x, y - self._y
        still = dx * dx + dy * dy <= self.immobilized_distance_sq
        self.still_steps = self.still_steps + 1 if still else 0
        change = progress - self._progress
        if change > _WRAP_JUMP:
            change -= 100.0
        elif change < -_WRAP_JUMP:
            change += 100.0
        self.reversing_steps = self.reversing_steps + 1 if change < 0.0 else 0
        self._x, self._y, self._progress = x, y, progress
        self.status = self._judge(progress, wheels_on_track, crashed)
        return self.status

    def _judge(self, progress: float, wheels_on_track: Sequence[bool], crashed: bool) -> str:
        if progress >= 100.0:
            return LAP_COMPLETE
        if crashed:
            return CRASHED
        if not any(wheels_on_track):
            return OFF_TRACK
        if self.reversing_steps >= self.reversed_steps:
            return REVERSED
        if self.still_steps >= self.immobilized_steps:
            return IMMOBILIZED
        return IN_PROGRESS
