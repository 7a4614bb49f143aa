"""The workspace's own routes: easy_track, medium_track and hard_track.

A centre line is a chain of straights and circular arcs joined tangentially
(heading is continuous). Two chosen straights get the lengths that close the
loop. The loop is driven counter-clockwise, so, as in the official routes,
the inner border is on the left of the driving direction: inner = centre +
width/2 * left normal, outer = centre - width/2 * left normal.
"""
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple, Union

import numpy as np


class TrackDesignError(ValueError):
    """A track design cannot be built (does not close, bad piece, ...)."""


@dataclass(frozen=True)
class Straight:
    """A straight piece of centre line."""

    length: float  # m; ignored for the two closing straights


@dataclass(frozen=True)
class Arc:
    """A circular piece of centre line."""

    radius: float  # m, > 0
    angle_deg: float  # degrees turned; positive = left (counter-clockwise)


Piece = Union[Straight, Arc]


@dataclass(frozen=True)
class TrackDesign:
    """A closed counter-clockwise track made of pieces."""

    name: str  # WORLD_NAME
    width: float  # m, road width between the borders
    pieces: Tuple[Piece, ...]  # driving order; the start line is at the start of pieces[0]
    closing: Tuple[int, int]  # indices of two non-parallel straights whose lengths close the loop
    spacing: float = 0.15  # m, target distance between route rows
    margin: float = 0.5  # m, smallest border coordinate after shifting into x, y > 0


# A rounded rectangle with corners of two radii.
EASY = TrackDesign(
    name="easy_track",
    width=1.07,
    pieces=(
        Straight(3.0), Arc(2.2, 90), Straight(1.0), Arc(1.8, 90),
        Straight(0.0), Arc(1.8, 90), Straight(0.0), Arc(2.2, 90), Straight(3.0),
    ),
    closing=(4, 6),
)

# Left-handers of radius 0.9-1.6 m and two right-handers (2.5 m, 1.2 m).
MEDIUM = TrackDesign(
    name="medium_track",
    width=0.76,
    pieces=(
        Straight(2.0), Arc(1.0, 90), Straight(0.0), Arc(1.6, 45), Arc(2.5, -45),
        Arc(0.9, 135), Straight(0.0), Arc(1.2, -45), Arc(0.9, 90),
        Straight(1.0), Arc(1.3, 90), Straight(1.5),
    ),
    closing=(2, 6),
)

# A hairpin, a reverse hairpin (0.55 m), a left-right-left chicane and 0.7 m corners.
HARD = TrackDesign(
    name="hard_track",
    width=0.6,
    pieces=(
        Straight(1.5), Arc(0.6, 90), Straight(2.0), Arc(0.6, 180), Straight(0.8),
        Arc(0.55, -180), Straight(0.0), Arc(0.7, 90), Straight(0.5),
        Arc(0.7, 45), Arc(0.6, -90), Arc(0.7, 45),
        Straight(0.5), Arc(0.7, 90), Straight(3.5), Arc(0.7, 90), Straight(0.0),
    ),
    closing=(6, 16),
)

DESIGNS = {design.name: design for design in (EASY, MEDIUM, HARD)}


def _piece_end(piece: Piece, x: float, y: float, heading: float, length: float):
    """Pose after driving `length` m along `piece` from (x, y, heading)."""
    if isinstance(piece, Straight):
        return x + length * math.cos(heading), y + length * math.sin(heading), heading
    curvature = math.copysign(1.0 / piece.radius, piece.angle_deg)
    end = heading + curvature * length
    return (x + (math.sin(end) - math.sin(heading)) / curvature,
            y - (math.cos(end) - math.cos(heading)) / curvature, end)


def piece_length(piece: Piece) -> float:
    """Centre-line length of one piece (m)."""
    if isinstance(piece, Straight):
        return piece.length
    return piece.radius * math.radians(abs(piece.angle_deg))


def _check_pieces(design: TrackDesign) -> None:
    for index, piece in enumerate(design.pieces):
        if isinstance(piece, Arc) and piece.radius <= design.width / 2:
            raise TrackDesignError(f"{design.name}: piece {index} radius {piece.radius} m "
                                   f"<= half width {design.width / 2} m")
        if isinstance(piece, Straight) and piece.length < 0:
            raise TrackDesignError(f"{design.name}: piece {index} has negative length")
    turn = sum(p.angle_deg for p in design.pieces if isinstance(p, Arc))
    if abs(turn - 360.0) > 1e-9:
        raise TrackDesignError(f"{design.name}: arcs turn {turn} deg, a CCW loop needs 360")
    if len(set(design.closing)) != 2:
        raise TrackDesignError(f"{design.name}: closing needs two different pieces")
    for index in design.closing:
        if not isinstance(design.pieces[index], Straight):
            raise TrackDesignError(f"{design.name}: closing piece {index} is not a Straight")


def closed_pieces(design: TrackDesign) -> Tuple[Piece, ...]:
    """The design's pieces with the closing straights set so the loop closes."""
    _check_pieces(design)
    pieces = list(design.pieces)
    for index in design.closing:
        pieces[index] = Straight(0.0)
    x, y, heading = 0.0, 0.0, 0.0
    directions = {}
    for index, piece in enumerate(pieces):
        if index in design.closing:
            directions[index] = (math.cos(heading), math.sin(heading))
        x, y, heading = _piece_end(piece, x, y, heading, piece_length(piece))
    matrix = np.array([directions[i] for i in design.closing]).T
    if abs(np.linalg.det(matrix)) < 1e-6:
        raise TrackDesignError(f"{design.name}: closing straights are parallel")
    lengths = np.linalg.solve(matrix, [-x, -y])
    if np.any(lengths < -1e-9):
        raise TrackDesignError(f"{design.name}: closing needs negative straights {lengths}")
    for index, length in zip(design.closing, lengths):
        pieces[index] = Straight(max(0.0, float(length)))
    return tuple(pieces)


def _sample_centre(pieces: Tuple[Piece, ...], spacing: float):
    """Centre points and headings every ~`spacing` m, the start repeated at the end."""
    lengths = [piece_length(p) for p in pieces]
    total = sum(lengths)
    count = max(3, int(round(total / spacing)))
    targets = np.arange(count) * (total / count)
    points, headings = [], []
    x, y, heading, start = 0.0, 0.0, 0.0, 0.0
    for piece, length in zip(pieces, lengths):
        for s in targets[(targets >= start) & (targets < start + length)]:
            px, py, ph = _piece_end(piece, x, y, heading, s - start)
            points.append((px, py))
            headings.append(ph)
        x, y, heading = _piece_end(piece, x, y, heading, length)
        start += length
    points.append(points[0])
    headings.append(headings[0])
    return np.array(points), np.array(headings)


def build_route(design: TrackDesign) -> np.ndarray:
    """The float64 (N, 6) route of a design: centre, inner (left), outer (right)."""
    centre, headings = _sample_centre(closed_pieces(design), design.spacing)
    left = np.column_stack([-np.sin(headings), np.cos(headings)])
    inner = centre + left * (design.width / 2)
    outer = centre - left * (design.width / 2)
    route = np.hstack([centre, inner, outer])
    low = route.reshape(-1, 2).min(axis=0)
    route = route + np.tile(design.margin - low, 3)
    route[-1] = route[0]
    return route.astype(np.float64)


def min_radius(design: TrackDesign) -> float:
    """Smallest arc radius of the centre line (m)."""
    return min(p.radius for p in design.pieces if isinstance(p, Arc))


def segment_crossings(points: np.ndarray, closed: bool) -> np.ndarray:
    """Index pairs (i, j) of non-adjacent segments of a polyline that touch or cross."""
    a, b = points[:-1], points[1:]
    count = len(a)

    def orient(p, q, r):
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                       - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    def touches(p, q, r, o):  # r lies on segment pq (given o = orient(p, q, r))
        low, high = np.minimum(p, q), np.maximum(p, q)
        return (o == 0) & np.all((r >= low) & (r <= high), axis=-1)

    ai, bi = a[:, None, :], b[:, None, :]
    aj, bj = a[None, :, :], b[None, :, :]
    o1, o2 = orient(ai, bi, aj), orient(ai, bi, bj)
    o3, o4 = orient(aj, bj, ai), orient(aj, bj, bi)
    crossing = ((o1 * o2 < 0) & (o3 * o4 < 0)) | touches(ai, bi, aj, o1) \
        | touches(ai, bi, bj, o2) | touches(aj, bj, ai, o3) | touches(aj, bj, bi, o4)
    i, j = np.triu_indices(count, k=2)
    keep = crossing[i, j]
    if closed:
        keep &= ~((i == 0) & (j == count - 1))
    return np.column_stack([i[keep], j[keep]])


def edge_gap(route: np.ndarray, min_separation: float = 3.0) -> float:
    """Smallest edge-to-edge gap (m) between parts of the road that are more
    than `min_separation` m apart along the centre line of a closed route."""
    centre = route[:-1, 0:2]
    steps = np.linalg.norm(np.diff(route[:, 0:2], axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    along = np.abs(s[:, None] - s[None, :])
    along = np.minimum(along, steps.sum() - along)
    distance = np.linalg.norm(centre[:, None, :] - centre[None, :, :], axis=2)
    width = np.linalg.norm(route[:-1, 2:4] - route[:-1, 4:6], axis=1)
    gap = distance - (width[:, None] + width[None, :]) / 2
    return float(gap[along > min_separation].min())


def write_routes(routes_dir: Path) -> list:
    """Build every design and save `<name>.npy` in `routes_dir`; return the paths."""
    paths = []
    for design in DESIGNS.values():
        path = Path(routes_dir) / f"{design.name}.npy"
        np.save(path, build_route(design))
        paths.append(path)
    return paths
