"""Race-type evaluation terms: overtakes of bot cars and crash penalty seconds.

`OvertakeCounter` follows the signed gap along the centre line from the car's
front point to each bot car, wrapped into (-L/2, L/2]: an overtake is the gap
turning from ahead (> 0) to behind (<= 0) while both readings are within
`window` metres (so the wrap at half a lap never counts). A bot car passing
the car back undoes nothing; `passed_back` counts those.
"""
import math
from typing import List, Sequence


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

    def __init__(self, track_length: float, window: float = 2.0):
        self.length, self.window = float(track_length), float(window)
        self.overtakes, self.passed_back = 0, 0
        self._gaps: List[float] = []

    def reset(self) -> None:
        """Forget the previous positions (a new episode or a reset car); keep the counts."""
        self._gaps = []

    def update(self, s_car: float, s_bots: Sequence[float]) -> int:
        """Record one step (arc lengths, m); returns the overtakes this step."""
        gaps = [signed_gap(s, s_car, self.length) for s in s_bots]
        new = 0
        if len(gaps) == len(self._gaps):
            for before, now in zip(self._gaps, gaps):
                if abs(before) > self.window or abs(now) > self.window:
                    continue
                if before > 0.0 >= now:
                    new += 1
                elif before <= 0.0 < now:
                    self.passed_back += 1
        self.overtakes += new
        self._gaps = gaps
        return new


def penalized_time(elapsed: float, crashes: int, penalty_seconds: float) -> float:
    """A trial's time with `penalty_seconds` added per crash (DeepRacer's PENALTY_SECONDS)."""
    return elapsed + crashes * penalty_seconds
