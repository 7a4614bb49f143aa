"""Race figures: lap times of evaluation laps against the track's computed limit.

The limit is the minimum-time race line's lap time at the car's limits
(deepracer_simulator.raceline: the URDF and the simulator's SimConfig), the
same figure `scripts/raceline.py WORLD_NAME` prints as min_time_lap_s.
"""
import functools
from dataclasses import asdict, dataclass
from typing import Optional, Sequence

BEST_MODEL_METRICS = ("progress", "lap_time")  # BEST_MODEL_METRIC values


@functools.lru_cache(maxsize=None)
def lap_limit_s(world_name: str) -> Optional[float]:
    """Minimum-time lap (s) of a track at the car's limits; None where there is no lap (open)."""
    from deepracer_simulation.car_model import load_car_model
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track
    from deepracer_simulator import raceline

    track = Track(load_route(world_name), world_name)
    if not track.closed:
        return None
    limits = raceline.CarLimits.from_car(load_car_model())
    return raceline.race_lines(track, limits)["min_time"].lap_time


@dataclass(frozen=True)
class RaceSummary:
    """Lap times of a set of evaluation laps (trials) and how far they are from the limit."""

    trials: int  # laps tried
    complete_laps: int  # laps completed
    best_lap_s: Optional[float]  # fastest complete lap, s (None: no lap complete)
    mean_lap_s: Optional[float]  # mean of the complete laps, s
    limit_s: Optional[float]  # the track's minimum-time lap at the car's limits, s
    ratio_to_limit: Optional[float]  # mean_lap_s / limit_s (1.0 = at the limit)
    off_track_count: int  # times the car left the road
    reset_count: int  # times it was put back on the road

    def to_dict(self) -> dict:
        return {key: (round(value, 4) if isinstance(value, float) else value)
                for key, value in asdict(self).items()}

    def line(self) -> str:
        """One log-line fragment, e.g. 'laps 3/3 | best 6.13 s | mean 6.40 s | 1.32x limit 4.84 s'."""
        text = f"laps {self.complete_laps}/{self.trials}"
        if self.best_lap_s is not None:
            text += f" | best {self.best_lap_s:.2f} s | mean {self.mean_lap_s:.2f} s"
        if self.ratio_to_limit is not None:
            text += f" | {self.ratio_to_limit:.2f}x limit {self.limit_s:.2f} s"
        return text + f" | off track {self.off_track_count} | resets {self.reset_count}"


def summarize(lap_times: Sequence[Optional[float]], limit_s: Optional[float] = None,
              off_track_count: int = 0, reset_count: int = 0) -> RaceSummary:
    """RaceSummary of laps given as lap time (s) or None for a lap not completed."""
    done = [float(t) for t in lap_times if t is not None]
    mean = sum(done) / len(done) if done else None
    ratio = mean / limit_s if (mean is not None and limit_s) else None
    return RaceSummary(trials=len(lap_times), complete_laps=len(done),
                       best_lap_s=min(done) if done else None, mean_lap_s=mean, limit_s=limit_s,
                       ratio_to_limit=ratio, off_track_count=int(off_track_count),
                       reset_count=int(reset_count))


def best_model_score(metric: str, progresses: Sequence[float],
                     lap_times: Sequence[Optional[float]]) -> Optional[float]:
    """The value a checkpoint competes with for BEST_MODEL_METRIC `metric`.

    progress: mean progress % (higher is better; None without evaluation laps).
    lap_time: mean lap time s, only when every evaluation lap completed (lower is
    better; None otherwise: the checkpoint cannot become the best).
    """
    if metric not in BEST_MODEL_METRICS:
        raise ValueError(f"BEST_MODEL_METRIC {metric!r} is not one of {BEST_MODEL_METRICS}")
    if not progresses:
        return None
    if metric == "progress":
        return sum(progresses) / len(progresses)
    if any(t is None for t in lap_times) or not lap_times:
        return None
    return sum(lap_times) / len(lap_times)
