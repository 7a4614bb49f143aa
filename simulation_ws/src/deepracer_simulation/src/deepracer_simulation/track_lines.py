"""Lines that draw a track for a viewer (rviz markers, maps): numpy only, no ROS.

`track_lines(track)` returns the road edges as closed polylines and the
centre line as dashes, all in the track's (world) frame, metres.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrackLines:
    """The polylines of one track, each an `(N, 2)` float array of x, y in metres."""

    left_edge: np.ndarray  # road edge on the left of the driving direction
    right_edge: np.ndarray  # road edge on the right
    centre_dashes: np.ndarray  # (M, 2, 2): start and end point of each centre-line dash


def centre_dashes(centre: np.ndarray, dash: float = 0.15, gap: float = 0.15) -> np.ndarray:
    """Cut the polyline `centre` into dashes of `dash` metres separated by `gap` metres.

    Returns `(M, 2, 2)`: for each dash its start and end point on the polyline
    (a dash spanning a corner is drawn as its chord).
    """
    if dash <= 0 or gap < 0:
        raise ValueError(f"dash must be > 0 and gap >= 0 (got dash={dash}, gap={gap})")
    steps = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    starts = np.arange(0.0, cumulative[-1] - 1e-9, dash + gap)
    ends = np.minimum(starts + dash, cumulative[-1])
    x = np.interp(np.concatenate([starts, ends]), cumulative, centre[:, 0])
    y = np.interp(np.concatenate([starts, ends]), cumulative, centre[:, 1])
    points = np.stack([x, y], axis=1)
    return np.stack([points[:len(starts)], points[len(starts):]], axis=1)


def track_lines(track, dash: float = 0.15, gap: float = 0.15) -> TrackLines:
    """The edges and centre dashes of a `deepracer_simulation.track.Track`."""
    return TrackLines(left_edge=np.asarray(track.left_edge, dtype=float),
                      right_edge=np.asarray(track.right_edge, dtype=float),
                      centre_dashes=centre_dashes(np.asarray(track.centre, dtype=float), dash, gap))
