"""Track geometry from a route: projection, progress, poses and the road edge.

One module for the simulator and the agent. A route is a float64 ``(N, 6)``
array (centre x, y; inner x, y; outer x, y) with rows in driving order; a
closed loop repeats its first row as its last.

Arc length ``s`` runs along the centre line from row 0 in the driving
direction. ``s = 0`` is the start/finish line. With ``reverse=True`` the rows
are taken in reverse order, so ``s = 0`` is the route's last row (on a closed
loop the same point as its first) and ``s`` grows the other way round, as
DeepRacer's reverse direction does.

The road edge: at each centre row the road reaches ``half_left`` metres to
the left and ``half_right`` metres to the right: the distances from the row to
the left and right border polylines (for most routes the centre is the
midpoint of inner and outer, so both halves are half the row's width; on the
older routes the border rows are not level with the centre rows and this
gives the true width where ``|inner - outer|`` would not).
A point is on the road when its distance to the nearest centre segment is at
most the half width of its side, interpolated along that segment; on an open
route the road also ends at the first and last rows. The white border lines
are drawn inside this edge, so a wheel on the white line is on the track.

Nearest-segment search uses a uniform grid built once per track: each cell
lists the only segments that can be nearest to a point inside it, so a query
costs a few segment tests in plain Python. Points far from the road fall back
to a vectorised search over all segments.
"""
import bisect
import math
from dataclasses import dataclass

import numpy as np

CELL_SIZE = 0.2          # grid cell edge, m
GRID_MARGIN = 1.0        # grid reach beyond the widest half width, m
SMALL_BATCH = 32         # on_road loops in Python up to this many points
_CHUNK = 2048            # points per block in the vectorised search


class TrackError(ValueError):
    """A route array that cannot describe a track; the message names the track."""


@dataclass(frozen=True, slots=True)
class Projection:
    """A point projected on the centre line (lengths m, angles rad)."""

    s: float                          # arc length from the start line, [0, length)
    distance_from_center: float       # distance to the centre line, >= 0
    is_left_of_center: bool           # left of the centre line, driving direction
    closest_waypoints: tuple          # (prev, next) indices into Track.waypoints
    width: float                      # road width (left + right half) at s
    heading: float                    # centre-line direction at s, (-pi, pi]
    segment: int                      # centre segment index (rows segment, segment+1)


class Track:
    """Centre line, borders and road edge of one route in one driving direction.

    Attributes: ``name``; ``centre``, ``inner``, ``outer`` (``(N, 2)`` in
    driving order; inner and outer stay the physical sides when reversed);
    ``closed``; ``reverse``; ``length`` (centre line, m); ``cumulative``
    (arc length at each row); ``widths`` (road width at each row, m);
    ``width`` (median of ``widths``); ``half_left``, ``half_right`` (per row);
    ``left_edge``, ``right_edge`` (``(N, 2)`` road edge points that
    ``on_road`` uses); ``waypoints`` (list of ``(x, y)``: the centre rows in
    driving order, the repeated last row included, as DeepRacer's reward
    params give them).
    """

    def __init__(self, route, name="", reverse=False):
        self.name = str(name)
        self.reverse = bool(reverse)
        rows = _validated(route, self.name)
        self.closed = bool(np.allclose(rows[0], rows[-1], rtol=0.0, atol=1e-9))
        if self.reverse:
            rows = rows[::-1]
        self.centre = np.ascontiguousarray(rows[:, 0:2])
        self.inner = np.ascontiguousarray(rows[:, 2:4])
        self.outer = np.ascontiguousarray(rows[:, 4:6])
        self._init_segments()
        self._init_edges()
        self.waypoints = [(float(x), float(y)) for x, y in self.centre]
        self._grid = _SegmentGrid(self._a, self._d, self._live,
                                  float(max(self.half_left.max(), self.half_right.max())))
        self._init_fast_lists()

    # ----------------------------------------------------------------- setup
    def _init_segments(self):
        c = self.centre
        self._a = c[:-1]
        self._d = c[1:] - c[:-1]
        self._seglen = np.hypot(self._d[:, 0], self._d[:, 1])
        self._live = self._seglen > 1e-9
        if not self._live.any():
            raise TrackError(f"track {self.name!r}: the centre line has no length")
        self.cumulative = np.concatenate([[0.0], np.cumsum(self._seglen)])
        self.length = float(self.cumulative[-1])
        self._inv_len2 = np.divide(1.0, self._seglen ** 2, out=np.zeros_like(self._seglen),
                                   where=self._live)
        self._dead = np.where(self._live, 0.0, np.inf)
        self._dir = _unit_directions(self._d, self._seglen, self._live)
        self._heading = np.arctan2(self._dir[:, 1], self._dir[:, 0])

    def _init_edges(self):
        normals = _row_normals(self._dir, self.closed, self.name)
        inner_left = _inner_is_left(self.centre, self.inner, normals)
        left, right = (self.inner, self.outer) if inner_left else (self.outer, self.inner)
        self.half_left = _distance_to_polyline(self.centre, left)
        self.half_right = _distance_to_polyline(self.centre, right)
        self.widths = self.half_left + self.half_right
        self.width = float(np.median(self.widths[:-1] if self.closed else self.widths))
        self.left_edge = self.centre + normals * self.half_left[:, None]
        self.right_edge = self.centre - normals * self.half_right[:, None]

    def _init_fast_lists(self):
        self._segs = list(zip(self._a[:, 0].tolist(), self._a[:, 1].tolist(),
                              self._d[:, 0].tolist(), self._d[:, 1].tolist(),
                              self._inv_len2.tolist()))
        self._cum_l = self.cumulative.tolist()
        self._len_l = self._seglen.tolist()
        self._head_l = self._heading.tolist()
        self._hl_l = self.half_left.tolist()
        self._hr_l = self.half_right.tolist()
        live = np.flatnonzero(self._live)
        self._live_idx = live.tolist()
        self._live_start = self.cumulative[live].tolist()
        self._last_seg = len(self._seglen) - 1

    # ------------------------------------------------------------ projection
    def project(self, x, y, hint=None):
        """Project the point (x, y) on the nearest centre segment.

        ``closest_waypoints`` is ``(segment, segment + 1)``: on a loop's last
        segment the next index is the repeated start row. ``hint`` (the
        previous projection's ``segment``) is accepted for callers that track
        it; the grid already makes every search local and exact, so the result
        never depends on it.
        """
        x, y = float(x), float(y)
        i, t_raw = self._foot(x, y)
        t = min(max(t_raw, 0.0), 1.0)
        ax, ay, dx, dy, _ = self._segs[i]
        ex, ey = x - (ax + t * dx), y - (ay + t * dy)
        s = self._cum_l[i] + t * self._len_l[i]
        if s >= self.length:
            s = s - self.length if self.closed else self.length
        return Projection(
            s=s,
            distance_from_center=math.hypot(ex, ey),
            is_left_of_center=dx * ey - dy * ex > 0.0,
            closest_waypoints=(i, i + 1),
            width=(self._hl_l[i] + self._hr_l[i]) * (1.0 - t)
            + (self._hl_l[i + 1] + self._hr_l[i + 1]) * t,
            heading=self._head_l[i],
            segment=i,
        )

    def closest_waypoint_index(self, x, y, hint=None):
        """Index into ``waypoints`` of the nearer of the two bracketing waypoints."""
        prev, nxt = self.project(x, y, hint).closest_waypoints
        px, py = self.waypoints[prev]
        nx, ny = self.waypoints[nxt]
        return prev if math.hypot(x - px, y - py) <= math.hypot(x - nx, y - ny) else nxt

    def progress(self, s, start_s=0.0):
        """Percent (0-100) of the lap driven from ``start_s`` to ``s``.

        ``start_s`` is where the episode started (0 = the start line). On a
        closed loop the lap is the whole length and ``s < start_s`` means the
        car has passed the finish line (progress wraps: just behind the start
        reads close to 100). On an open route the lap runs from ``start_s`` to
        the end and nothing wraps (clipped to 0-100).
        """
        if self.closed:
            return min(100.0, ((s - start_s) % self.length) / self.length * 100.0)
        remaining = self.length - start_s
        if remaining <= 0.0:
            raise ValueError(f"track {self.name!r}: start_s {start_s} is at or past the end")
        return min(100.0, max(0.0, (s - start_s) / remaining * 100.0))

    def pose_at(self, s, lateral=0.0):
        """``(x, y, yaw)`` at arc length s, ``lateral`` metres to the left (m, rad).

        s wraps on a loop and is clipped to the ends of an open route; the
        offset is along the segment's normal, so ``project`` gives s back
        except close to a vertex on the inside of a bend, where the next
        segment is nearer.
        """
        i, t = self._segment_at(s)
        ax, ay, dx, dy, _ = self._segs[i]
        yaw = self._head_l[i]
        x = ax + t * dx - lateral * math.sin(yaw)
        y = ay + t * dy + lateral * math.cos(yaw)
        return x, y, yaw

    def heading_at(self, s):
        """Centre-line direction (rad) at arc length s."""
        return self._head_l[self._segment_at(s)[0]]

    def _segment_at(self, s):
        s = float(s) % self.length if self.closed else min(max(float(s), 0.0), self.length)
        k = max(bisect.bisect_right(self._live_start, s) - 1, 0)
        i = self._live_idx[k]
        return i, min(max((s - self._cum_l[i]) / self._len_l[i], 0.0), 1.0)

    # ---------------------------------------------------------------- road
    def on_road(self, x, y, hint=None):
        """True where a point lies on the road (see the module doc for the edge).

        Accepts scalars (returns bool) or arrays (returns a bool array of the
        broadcast shape). ``hint`` is accepted like in ``project``.
        """
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if xa.shape != ya.shape:
            xa, ya = np.broadcast_arrays(xa, ya)
        if xa.ndim == 0:
            return self._on_road_one(float(xa), float(ya))
        if xa.size <= SMALL_BATCH:
            pairs = zip(xa.ravel().tolist(), ya.ravel().tolist())
            return np.array([self._on_road_one(px, py) for px, py in pairs]).reshape(xa.shape)
        return self._on_road_many(xa.ravel(), ya.ravel()).reshape(xa.shape)

    def _on_road_one(self, x, y):
        i, t_raw = self._foot(x, y)
        if not self.closed and ((i == 0 and t_raw < 0.0) or (i == self._last_seg and t_raw > 1.0)):
            return False
        t = min(max(t_raw, 0.0), 1.0)
        ax, ay, dx, dy, _ = self._segs[i]
        ex, ey = x - (ax + t * dx), y - (ay + t * dy)
        half = self._hl_l if dx * ey - dy * ex > 0.0 else self._hr_l
        return ex * ex + ey * ey <= (half[i] * (1.0 - t) + half[i + 1] * t) ** 2

    def _on_road_many(self, px, py):
        i, t_raw = self._foot_many(px, py)
        t = np.clip(t_raw, 0.0, 1.0)
        ex = px - (self._a[i, 0] + t * self._d[i, 0])
        ey = py - (self._a[i, 1] + t * self._d[i, 1])
        left = self._d[i, 0] * ey - self._d[i, 1] * ex > 0.0
        hl = self.half_left[i] * (1.0 - t) + self.half_left[i + 1] * t
        hr = self.half_right[i] * (1.0 - t) + self.half_right[i + 1] * t
        inside = ex * ex + ey * ey <= np.where(left, hl, hr) ** 2
        if not self.closed:
            inside &= ~(((i == 0) & (t_raw < 0.0)) | ((i == self._last_seg) & (t_raw > 1.0)))
        return inside

    # ------------------------------------------------------ nearest segment
    def _foot(self, x, y):
        """(segment, unclamped t) of the centre segment nearest to (x, y)."""
        cands = self._grid.candidates(x, y)
        if cands is None:
            if not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError(f"track {self.name!r}: point ({x}, {y}) is not finite")
            everything = np.arange(len(self._seglen))[None, :]
            i, t = self._foot_among(np.array([x]), np.array([y]), everything)
            return int(i[0]), float(t[0])
        best = math.inf
        segs = self._segs
        for j in cands:
            ax, ay, dx, dy, inv = segs[j]
            rx, ry = x - ax, y - ay
            t = (rx * dx + ry * dy) * inv
            tc = 0.0 if t < 0.0 else (1.0 if t > 1.0 else t)
            ex, ey = rx - tc * dx, ry - tc * dy
            d2 = ex * ex + ey * ey
            if d2 < best:
                best, bi, bt = d2, j, t
        return bi, bt

    def _foot_many(self, px, py):
        """Vectorised ``_foot``: (segment indices, unclamped t) for 1-D arrays."""
        if not (np.isfinite(px).all() and np.isfinite(py).all()):
            raise ValueError(f"track {self.name!r}: point coordinates must be finite")
        cands = self._grid.candidate_rows(px, py)
        far = cands[:, 0] < 0
        idx = np.empty(px.size, dtype=np.intp)
        t_raw = np.empty(px.size)
        near = ~far
        idx[near], t_raw[near] = self._foot_among(px[near], py[near], cands[near])
        if far.any():
            n = len(self._seglen)
            everything = np.broadcast_to(np.arange(n), (int(far.sum()), n))
            idx[far], t_raw[far] = self._foot_among(px[far], py[far], everything)
        return idx, t_raw

    def _foot_among(self, px, py, cands):
        """Nearest segment of each point among its row of candidate segments."""
        idx = np.empty(px.size, dtype=np.intp)
        t_raw = np.empty(px.size)
        chunk = max(1, _CHUNK * 64 // cands.shape[1])
        for lo in range(0, px.size, chunk):
            c = cands[lo:lo + chunk]
            rx = px[lo:lo + chunk, None] - self._a[c, 0]
            ry = py[lo:lo + chunk, None] - self._a[c, 1]
            dx, dy, inv = self._d[c, 0], self._d[c, 1], self._inv_len2[c]
            t = (rx * dx + ry * dy) * inv
            tc = np.clip(t, 0.0, 1.0)
            d2 = (rx - tc * dx) ** 2 + (ry - tc * dy) ** 2 + self._dead[c]
            k = np.argmin(d2, axis=1)
            rows = np.arange(k.size)
            idx[lo:lo + chunk] = c[rows, k]
            t_raw[lo:lo + chunk] = t[rows, k]
        return idx, t_raw


class _SegmentGrid:
    """Uniform grid: per cell, the segments that can be nearest to a point in it.

    For a cell centre c with nearest-segment distance m, any point within the
    cell's half diagonal r of c has its nearest segment among those within
    m + 2r of c (triangle inequality). Cells whose candidates could lie beyond
    the grid's reach hold None (full search).
    """

    def __init__(self, a, d, live, max_half_width):
        reach = max_half_width + GRID_MARGIN
        pts = np.concatenate([a, a + d])
        self.x0, self.y0 = pts.min(axis=0) - reach
        span = pts.max(axis=0) + reach - (self.x0, self.y0)
        self.nx, self.ny = (np.ceil(span / CELL_SIZE).astype(int) + 1).tolist()
        self.inv = 1.0 / CELL_SIZE
        cell, seg, dist = self._near_pairs(a, d, np.flatnonzero(live), reach)
        band = 2.0 * (CELL_SIZE * math.sqrt(0.5))
        nearest = np.full(self.nx * self.ny, np.inf)
        np.minimum.at(nearest, cell, dist)
        keep = (dist <= nearest[cell] + band + 1e-12) & (nearest[cell] + band < reach)
        cell, seg = cell[keep], seg[keep]
        order = np.lexsort((seg, cell))
        cell, seg = cell[order], seg[order]
        self.table = [None] * (self.nx * self.ny)
        starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        ends = np.r_[starts[1:], cell.size]
        self.matrix = np.full((self.nx * self.ny, int((ends - starts).max())), -1, dtype=np.intp)
        seg_l = seg.tolist()
        for c, lo, hi in zip(cell[starts].tolist(), starts.tolist(), ends.tolist()):
            self.table[c] = tuple(seg_l[lo:hi])
            self.matrix[c, :] = seg_l[lo]
            self.matrix[c, :hi - lo] = seg_l[lo:hi]

    def _near_pairs(self, a, d, live_idx, reach):
        """(cell, segment, distance) for every cell centre within reach of a segment."""
        cells, segs, dists = [], [], []
        for j in live_idx.tolist():
            p, q = a[j], a[j] + d[j]
            lo = (np.minimum(p, q) - reach - (self.x0, self.y0)) / CELL_SIZE - 0.5
            hi = (np.maximum(p, q) + reach - (self.x0, self.y0)) / CELL_SIZE - 0.5
            ix = np.arange(max(int(np.ceil(lo[0])), 0), min(int(np.floor(hi[0])), self.nx - 1) + 1)
            iy = np.arange(max(int(np.ceil(lo[1])), 0), min(int(np.floor(hi[1])), self.ny - 1) + 1)
            gx, gy = np.meshgrid(self.x0 + (ix + 0.5) * CELL_SIZE, self.y0 + (iy + 0.5) * CELL_SIZE)
            dist = _point_segment_distance(gx.ravel(), gy.ravel(), p, d[j])
            near = dist <= reach
            cid = (iy[:, None] * self.nx + ix[None, :]).ravel()
            cells.append(cid[near])
            segs.append(np.full(int(near.sum()), j))
            dists.append(dist[near])
        return np.concatenate(cells), np.concatenate(segs), np.concatenate(dists)

    def candidate_rows(self, px, py):
        """(n, K) candidate segments per point, padded; rows of -1 need a full search."""
        fx = np.floor((px - self.x0) * self.inv)
        fy = np.floor((py - self.y0) * self.inv)
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
        cell = np.where(inside, fy * self.nx + fx, 0).astype(np.intp)
        rows = self.matrix[cell]
        rows[~inside] = -1
        return rows

    def candidates(self, x, y):
        """Segment indices to test for (x, y), or None for a full search."""
        fx = (x - self.x0) * self.inv
        fy = (y - self.y0) * self.inv
        if 0.0 <= fx < self.nx and 0.0 <= fy < self.ny:
            return self.table[int(fy) * self.nx + int(fx)]
        return None


def _validated(route, name):
    try:
        rows = np.array(route, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TrackError(f"track {name!r}: route is not a numeric array ({err})") from None
    if rows.ndim != 2 or rows.shape[1] != 6:
        raise TrackError(f"track {name!r}: route shape {rows.shape}, expected (N, 6)")
    if rows.shape[0] < 2:
        raise TrackError(f"track {name!r}: route has {rows.shape[0]} rows, at least 2 needed")
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad.size:
        raise TrackError(f"track {name!r}: route row {int(bad[0])} is not finite")
    return rows


def _unit_directions(d, length, live):
    """Unit direction per segment; zero-length segments borrow a neighbour's."""
    idx = np.arange(len(d))
    prev_live = np.maximum.accumulate(np.where(live, idx, -1))
    next_live = np.minimum.accumulate(np.where(live, idx, len(d))[::-1])[::-1]
    src = np.where(live, idx, np.where(prev_live >= 0, prev_live, next_live))
    return d[src] / length[src, None]


def _row_normals(direction, closed, name):
    """Unit left normal at each row, from the mean of the adjacent segment directions."""
    before = np.concatenate([direction[-1:] if closed else direction[:1], direction])
    after = np.concatenate([direction, direction[:1] if closed else direction[-1:]])
    tangent = before + after
    norm = np.hypot(tangent[:, 0], tangent[:, 1])
    if (norm < 1e-9).any():
        row = int(np.argmax(norm < 1e-9))
        raise TrackError(f"track {name!r}: the centre line turns back on itself at row {row}")
    tangent /= norm[:, None]
    return np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)


def _inner_is_left(centre, inner, normals):
    return bool(np.mean(np.sum((inner - centre) * normals, axis=1) > 0.0) > 0.5)


def _distance_to_polyline(points, line):
    """Distance from each point to the nearest point of a polyline."""
    a = line[:-1][None, :, :]
    d = (line[1:] - line[:-1])[None, :, :]
    r = points[:, None, :] - a
    len2 = np.sum(d * d, axis=2)
    t = np.clip(np.sum(r * d, axis=2) / np.where(len2 > 0.0, len2, 1.0), 0.0, 1.0)
    e = r - t[..., None] * d
    return np.sqrt(np.min(np.sum(e * e, axis=2), axis=1))


def _point_segment_distance(px, py, p, d):
    len2 = float(d @ d)
    t = np.clip(((px - p[0]) * d[0] + (py - p[1]) * d[1]) / len2, 0.0, 1.0)
    return np.hypot(px - p[0] - t * d[0], py - p[1] - t * d[1])
