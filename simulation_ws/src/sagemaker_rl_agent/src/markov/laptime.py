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


# ------------------------------------------- helpers for reward function files
@functools.lru_cache(maxsize=8)
def _line_from_waypoints(waypoints: tuple, track_width: float):
    import numpy as np

    from deepracer_simulation.car_model import load_car_model
    from deepracer_simulation.track import Track
    from deepracer_simulator import raceline

    centre = np.asarray(waypoints, dtype=float)
    if not np.allclose(centre[0], centre[-1]):
        centre = np.vstack([centre, centre[:1]])
    d = np.roll(centre[:-1], -1, axis=0) - np.roll(centre[:-1], 1, axis=0)
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    normal = np.vstack([normal, normal[:1]])
    half = track_width / 2.0
    route = np.hstack([centre, centre + half * normal, centre - half * normal])
    limits = raceline.CarLimits.from_car(load_car_model())
    return raceline.race_lines(Track(route, "reward-params"), limits)["min_time"]


def race_line(params):
    """The minimum-time RaceLine (xy, speed) of the track in a reward function's `params`.

    Usable inside a reward function file (`from markov.laptime import race_line`):
    built from `waypoints` and `track_width` (a road of constant width), computed
    once per track (about a second) and cached.
    """
    return _line_from_waypoints(tuple(map(tuple, params["waypoints"])), float(params["track_width"]))


def race_line_target(params):
    """(distance m from the front point to the race line, the line's speed m/s there)."""
    import numpy as np

    line = race_line(params)
    d = np.hypot(line.xy[:, 0] - params["x"], line.xy[:, 1] - params["y"])
    i = int(np.argmin(d))
    return float(d[i]), float(line.speed[i])
