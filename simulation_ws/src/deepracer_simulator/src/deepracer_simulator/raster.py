"""A top-down texture of a track, built from its route.

The raster holds one small integer label per cell (ground, road, border line,
centre line); colours are applied later through a palette, so domain
randomization recolours a scene without rebuilding it. Cell (row, col) covers
world x in [x0 + col * res, x0 + (col + 1) * res) and y likewise with row.
"""
from dataclasses import dataclass

import cv2
import numpy as np

GROUND, ROAD, BORDER_LINE, CENTRE_LINE, BACKGROUND = range(5)
LABEL_NAMES = ("ground", "road", "border_line", "centre_line", "background")
_SHIFT = 4  # fixed-point bits for sub-cell accuracy in cv2 drawing
_SCALE = 1 << _SHIFT


class RasterError(ValueError):
    """A route or raster setting cannot be turned into a track texture."""


def _check_rgb(name, value):
    if len(value) != 3 or not all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in value):
        raise RasterError(f"TrackColours.{name} must be 3 integers in 0-255, got {value!r}")


@dataclass(frozen=True)
class TrackColours:
    """RGB colours (0-255 each) of the surfaces the camera sees."""

    ground: tuple = (48, 96, 62)  # carpet around the track
    road: tuple = (44, 44, 48)  # road surface
    border_line: tuple = (236, 236, 236)  # white lines along both edges
    centre_line: tuple = (238, 188, 32)  # dashed yellow centre line
    background: tuple = (168, 176, 186)  # walls / sky beyond the far clip distance

    def __post_init__(self):
        for name in LABEL_NAMES:
            _check_rgb(name, getattr(self, name))

    def palette(self) -> np.ndarray:
        """(5, 3) uint8 RGB, one row per label in label order."""
        return np.array([getattr(self, name) for name in LABEL_NAMES], dtype=np.uint8)


@dataclass(frozen=True)
class RasterConfig:
    """How finely and how widely a track is painted."""

    resolution: float = 0.005  # m per cell
    margin: float = 0.5  # m of ground around the route's bounding box (the edge cells extend it)
    border_line_width: float = 0.05  # m, white line just inside each road edge
    centre_line_width: float = 0.05  # m
    dash_length: float = 0.15  # m, painted part of the centre line
    dash_gap: float = 0.15  # m, unpainted part
    max_cells: int = 16_000_000  # coarser cells are used beyond this many (memory bound)

    def __post_init__(self):
        for name in ("resolution", "border_line_width", "centre_line_width", "dash_length"):
            if not getattr(self, name) > 0:
                raise RasterError(f"RasterConfig.{name} must be > 0, got {getattr(self, name)!r}")
        if not self.margin > 0 or not self.dash_gap >= 0:
            raise RasterError(f"RasterConfig.margin must be > 0 and dash_gap >= 0, "
                              f"got {self.margin!r}, {self.dash_gap!r}")
        if not 0 < self.max_cells < 2**31:
            raise RasterError(f"RasterConfig.max_cells must be in (0, 2**31), got {self.max_cells!r}")


@dataclass(frozen=True, eq=False)
class TrackRaster:
    """Labels of a track seen from above, with the cell geometry."""

    labels: np.ndarray  # (rows, cols) uint8 label per cell, row = y, col = x (read-only)
    x0: float  # m, world x of the left edge of column 0
    y0: float  # m, world y of the lower edge of row 0
    resolution: float  # m per cell

    @property
    def shape(self):
        return self.labels.shape

    def label_at(self, x, y):
        """Labels at world points (arrays or scalars); points outside read the nearest edge cell."""
        rows, cols = self.labels.shape
        col = np.clip(np.floor((np.asarray(x) - self.x0) / self.resolution), 0, cols - 1)
        row = np.clip(np.floor((np.asarray(y) - self.y0) / self.resolution), 0, rows - 1)
        return self.labels[row.astype(np.intp), col.astype(np.intp)]

    def image(self, colours=TrackColours()) -> np.ndarray:
        """RGB (rows, cols, 3) uint8 picture with north up, for docs and debugging."""
        return colours.palette()[self.labels[::-1]]


def build_raster(centre, inner, outer, config=RasterConfig()) -> TrackRaster:
    """Paint a route: (N, 2) centre, inner and outer border points in driving order."""
    centre, inner, outer = (_points(name, a) for name, a in
                            (("centre", centre), ("inner", inner), ("outer", outer)))
    if not len(centre) == len(inner) == len(outer):
        raise RasterError(f"route columns differ in length: {len(centre)}, {len(inner)}, {len(outer)}")
    corners = np.concatenate([centre, inner, outer])
    low, high = corners.min(axis=0) - config.margin, corners.max(axis=0) + config.margin
    res = config.resolution
    while np.prod(np.ceil((high - low) / res)) > config.max_cells:
        res *= 1.25
    cols, rows = (int(n) for n in np.ceil((high - low) / res))
    labels = np.full((rows, cols), GROUND, dtype=np.uint8)
    to_cells = lambda pts: np.round(((pts - low) / res - 0.5) * _SCALE).astype(np.int32)  # noqa: E731
    _fill_strip(labels, to_cells(inner), to_cells(outer), ROAD)
    for edge in (inner, outer):
        _fill_strip(labels, to_cells(edge), to_cells(_inset(edge, centre, config.border_line_width)),
                    BORDER_LINE)
    for left, right in _dashes(centre, config.dash_length, config.dash_gap, config.centre_line_width):
        _fill_strip(labels, to_cells(left), to_cells(right), CENTRE_LINE)
    labels.setflags(write=False)
    return TrackRaster(labels=labels, x0=float(low[0]), y0=float(low[1]), resolution=float(res))


def _points(name, array) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2 or len(array) < 2:
        raise RasterError(f"route {name} must be (N >= 2, 2) points, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise RasterError(f"route {name} holds non-finite coordinates")
    return array


def _fill_strip(labels, side_a, side_b, label):
    """Fill the quads between two matched polylines, as two triangles each (always convex)."""
    for i in range(len(side_a) - 1):
        a0, a1, b0, b1 = side_a[i], side_a[i + 1], side_b[i], side_b[i + 1]
        cv2.fillConvexPoly(labels, np.array([a0, a1, b1]), label, cv2.LINE_8, _SHIFT)
        cv2.fillConvexPoly(labels, np.array([a0, b1, b0]), label, cv2.LINE_8, _SHIFT)


def _inset(edge, centre, distance) -> np.ndarray:
    """Points `distance` from each edge point towards its centre-line point."""
    towards = centre - edge
    norm = np.linalg.norm(towards, axis=1, keepdims=True)
    return edge + towards * (distance / np.maximum(norm, 1e-9))


def _dashes(centre, dash, gap, width) -> list:
    """(left side, right side) polylines in metres of each painted dash of the centre line."""
    steps = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(steps)])
    keep = np.concatenate([[True], steps > 1e-9])  # drop repeated points (np.interp needs order)
    s, centre = s[keep], centre[keep]
    sample = min(dash / 4.0, 0.05)
    pieces = []
    for start in np.arange(0.0, s[-1], dash + gap):
        along = np.linspace(start, min(start + dash, s[-1]), max(2, int(np.ceil(dash / sample)) + 1))
        points = np.column_stack([np.interp(along, s, centre[:, 0]), np.interp(along, s, centre[:, 1])])
        tangent = np.gradient(points, axis=0)
        normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
        normal *= (width / 2.0) / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
        pieces.append((points + normal, points - normal))
    return pieces
