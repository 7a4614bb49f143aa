"""Race-type evaluation terms: overtakes of bot cars and crash penalty seconds.

`OvertakeCounter` follows the signed gap along the centre line from the car's
front point to each bot car, wrapped into (-L/2, L/2]. A bot car is *ahead*
once the gap has been at least `margin` metres (half a metre by default, more
than a car length), *behind* once it has been at most -`margin`; in between it
keeps its last state. An overtake is a bot car going from ahead to behind, so
the car has to have been clearly behind it and to end clearly in front: a bot
car starting a few centimetres ahead of the car (or beside it) is not
"passed" by driving off. Readings farther than `window` (a quarter of the lap
by default) forget the state, so the wrap at half a lap never counts. A bot car
going from behind to ahead counts in `passed_back`.
"""
import math
from typing import List, Optional, Sequence

AHEAD, BEHIND = 1, -1


def signed_gap(s_object: float, s_car: float, length: float) -> float:
    """Arc length from the car to the object along the driving direction, in (-L/2, L/2]."""
    gap = math.fmod(s_object - s_car, length)
    if gap > length / 2.0:
        gap -= length
    elif gap <= -length / 2.0:
        gap += length
    return gap


class OvertakeCounter:
    """Counts the car passing bot cars over one evaluation trial."""

    def __init__(self, track_length: float, margin: float = 0.5, window: Optional[float] = None):
        self.length, self.margin = float(track_length), float(margin)
        self.window = self.length / 4.0 if window is None else float(window)
        if not 0.0 < self.margin < self.window:
            raise ValueError(f"OvertakeCounter: margin must be in (0, window={self.window}), "
                             f"got {self.margin}")
        self.overtakes, self.passed_back = 0, 0
        self._states: List[Optional[int]] = []

    def reset(self) -> None:
        """Forget the previous positions (a new episode or a reset car); keep the counts."""
        self._states = []

    def update(self, s_car: float, s_bots: Sequence[float]) -> int:
        """Record one step (arc lengths, m); returns the overtakes this step."""
        if len(self._states) != len(s_bots):
            self._states = [None] * len(s_bots)
        new = 0
        for i, s_bot in enumerate(s_bots):
            gap = signed_gap(s_bot, s_car, self.length)
            before = self._states[i]
            if abs(gap) > self.window:
                now = None  # too far to tell who is ahead across the wrap
            elif gap >= self.margin:
                now = AHEAD
            elif gap <= -self.margin:
                now = BEHIND
            else:
                now = before  # alongside: keep the last clear state
            if before == AHEAD and now == BEHIND:
                new += 1
            elif before == BEHIND and now == AHEAD:
                self.passed_back += 1
            self._states[i] = now
        self.overtakes += new
        return new


def penalized_time(elapsed: float, crashes: int, penalty_seconds: float) -> float:
    """A trial's time with `penalty_seconds` added per crash (DeepRacer's PENALTY_SECONDS)."""
    return elapsed + crashes * penalty_seconds
