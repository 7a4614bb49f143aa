"""Golden tests of deepracer_simulation.track on real routes."""
import math
import time

import numpy as np
import pytest

from deepracer_simulation.paths import share_dir
from deepracer_simulation.track import Projection, Track, TrackError

MM = 1e-3


def load(name):
    return np.load(share_dir() / "routes" / f"{name}.npy")


@pytest.fixture(scope="module")
def tracks():
    names = ("reinvent_base", "reInvent2019_track", "Straight_track",
             "2022_april_open_ccw", "2022_april_open_cw", "Tokyo_Training_track")
    built = {name: Track(load(name), name=name) for name in names}
    built["reinvent_base_rev"] = Track(load("reinvent_base"), name="reinvent_base", reverse=True)
    return built


def arc_lengths(centre):
    """Cumulative arc length of a polyline, computed here independently of the module."""
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(centre, axis=0), axis=1))])


def point_at(centre, s):
    """Point at arc length s along a polyline (linear interpolation)."""
    cum = arc_lengths(centre)
    return float(np.interp(s, cum, centre[:, 0])), float(np.interp(s, cum, centre[:, 1]))


def polyline_distance(points, line):
    """Distance from each point to the nearest point of a polyline (brute force)."""
    a, d = line[:-1], np.diff(line, axis=0)
    r = points[:, None, :] - a[None]
    t = np.clip(np.sum(r * d, axis=2) / np.maximum(np.sum(d * d, axis=1), 1e-300), 0.0, 1.0)
    return np.linalg.norm(r - t[..., None] * d, axis=2).min(axis=1)


def left_normal(centre, k):
    """Unit left normal of the segment from row k to row k + 1."""
    d = centre[k + 1] - centre[k]
    return np.array([-d[1], d[0]]) / np.linalg.norm(d)


# ----------------------------------------------------------------- attributes
@pytest.mark.parametrize("name, length, width, rows, closed", [
    ("reinvent_base", 17.71, 0.762, 119, True),
    ("reInvent2019_track", 23.12, 1.067, 155, True),
    ("Straight_track", 5.71, 0.610, 22, False),
    ("2022_april_open_ccw", 50.28, 1.067, 170, True),
])
def test_attributes_match_the_route(tracks, name, length, width, rows, closed):
    track, route = tracks[name], load(name)
    assert track.length == pytest.approx(length, abs=0.01)
    assert track.width == pytest.approx(width, abs=0.002)
    assert track.closed is closed
    assert len(track.waypoints) == rows and len(track.widths) == rows
    assert track.waypoints[5] == (route[5, 0], route[5, 1])
    assert all(type(v) is float for v in track.waypoints[5])
    np.testing.assert_array_equal(track.inner, route[:, 2:4])
    np.testing.assert_allclose(track.cumulative, arc_lengths(route[:, :2]))
    assert (track.waypoints[0] == track.waypoints[-1]) is closed


def test_half_widths_are_half_the_row_width_where_centre_is_the_midpoint(tracks):
    route = load("reinvent_base")
    half = np.linalg.norm(route[:, 2:4] - route[:, 4:6], axis=1) / 2
    track = tracks["reinvent_base"]
    # Equal to the millimetre except at the sharpest bends, where the nearest
    # border point is a little off the row's normal.
    for measured in (track.half_left, track.half_right):
        assert np.median(np.abs(measured - half)) < 0.1 * MM
        np.testing.assert_allclose(measured, half, atol=8 * MM)
    assert polyline_distance(track.left_edge, track.inner).max() < 5 * MM
    assert polyline_distance(track.right_edge, track.outer).max() < 5 * MM


def test_older_route_gets_its_true_width_not_the_row_distance(tracks):
    # Tokyo's border rows are not level with its centre rows: |inner - outer| has a
    # median of 1.16 m, but the painted road (border to border) is 0.66 m wide.
    route = load("Tokyo_Training_track")
    assert np.median(np.linalg.norm(route[:, 2:4] - route[:, 4:6], axis=1)) > 1.1
    assert tracks["Tokyo_Training_track"].width == pytest.approx(0.66, abs=0.01)


# ----------------------------------------------------------------- projection
@pytest.mark.parametrize("name", ["reinvent_base", "reInvent2019_track", "Straight_track"])
def test_centre_rows_project_to_their_arc_length(tracks, name):
    track, centre = tracks[name], load(name)[:, :2]
    cum = arc_lengths(centre)
    for k in range(0, len(centre) - 1, 7):
        p = track.project(*centre[k])
        assert isinstance(p, Projection)
        assert p.distance_from_center == pytest.approx(0.0, abs=1e-9)
        assert p.s == pytest.approx(cum[k], abs=1e-9)


def test_last_row_of_a_loop_is_the_start(tracks):
    track = tracks["reinvent_base"]
    p = track.project(*track.centre[-1])
    assert p.s == pytest.approx(0.0, abs=1e-9) or p.s == pytest.approx(track.length, abs=1e-9)
    assert 0.0 <= p.s < track.length


def test_duplicated_row_projects_between_distinct_waypoints(tracks):
    track = tracks["reInvent2019_track"]          # rows 38 and 39 are the same point
    assert track.waypoints[38] == track.waypoints[39]
    p = track.project(*track.centre[38])
    prev, nxt = p.closest_waypoints
    assert track.waypoints[prev] != track.waypoints[nxt]
    assert p.s == pytest.approx(track.cumulative[38])


def test_left_and_right_of_centre(tracks):
    track, centre = tracks["reinvent_base"], load("reinvent_base")[:, :2]
    k = 40
    mid = (centre[k] + centre[k + 1]) / 2
    n = left_normal(centre, k)
    left, right = track.project(*(mid + 0.2 * n)), track.project(*(mid - 0.25 * n))
    assert left.is_left_of_center and not right.is_left_of_center
    assert left.distance_from_center == pytest.approx(0.2, abs=1e-9)
    assert right.distance_from_center == pytest.approx(0.25, abs=1e-9)
    # reinvent_base runs counter-clockwise: the inner border is on the left.
    inner_d = np.linalg.norm(track.inner[k] - (mid + 0.2 * n))
    assert inner_d < np.linalg.norm(track.outer[k] - (mid + 0.2 * n))
    assert left.heading == pytest.approx(math.atan2(*(centre[k + 1] - centre[k])[::-1]))
    assert left.width == pytest.approx(0.762, abs=0.002)


def test_closest_waypoints_bracket_the_point(tracks):
    track, centre = tracks["reInvent2019_track"], load("reInvent2019_track")[:, :2]
    cum = arc_lengths(centre)
    for s in np.linspace(0.05, track.length - 0.05, 97):
        x, y = point_at(centre, s)
        q = track.project(x + 0.1, y - 0.05)
        assert cum[q.closest_waypoints[0]] <= q.s <= cum[q.closest_waypoints[1]]
        prev, nxt = track.project(x, y).closest_waypoints
        assert nxt == prev + 1
        ahead = np.subtract(track.waypoints[nxt], track.waypoints[prev])
        assert np.dot(np.subtract((x, y), track.waypoints[prev]), ahead) >= -1e-9
        assert np.dot(np.subtract((x, y), track.waypoints[nxt]), ahead) <= 1e-9
    assert track.closest_waypoint_index(*centre[12] + 0.01) == 12


def test_grid_search_equals_brute_force_near_and_far(tracks):
    rng = np.random.default_rng(7)
    for name in ("reinvent_base", "2022_april_open_cw", "Tokyo_Training_track"):
        track = tracks[name]
        lo, hi = track.centre.min(axis=0) - 3.0, track.centre.max(axis=0) + 3.0
        pts = rng.uniform(lo, hi, size=(400, 2))
        brute = polyline_distance(pts, track.centre)
        got = [track.project(x, y).distance_from_center for x, y in pts]
        hinted = [track.project(x, y, hint=3).distance_from_center for x, y in pts]
        np.testing.assert_allclose(got, brute, atol=1e-12)
        assert got == hinted


# ------------------------------------------------------------------- progress
def test_progress_at_half_the_lap(tracks):
    track, centre = tracks["reInvent2019_track"], load("reInvent2019_track")[:, :2]
    half = arc_lengths(centre)[-1] / 2
    p = track.project(*point_at(centre, half))
    assert track.progress(p.s, 0.0) == pytest.approx(50.0, abs=1e-6)


def test_progress_wraps_at_the_finish_line(tracks):
    track, centre = tracks["reinvent_base"], load("reinvent_base")[:, :2]
    step = track.length / 1000
    before = track.project(*point_at(centre, track.length - step))
    after = track.project(*point_at(centre, step))
    assert track.progress(before.s, 0.0) == pytest.approx(99.9, abs=1e-6)
    assert track.progress(after.s, 0.0) == pytest.approx(0.1, abs=1e-6)
    start = 5.0                                    # an episode started away from the line
    assert track.progress(start - step, start) == pytest.approx(99.9, abs=1e-6)
    assert track.progress(start + step, start) == pytest.approx(0.1, abs=1e-6)
    assert track.progress(start, start) == 0.0


def test_open_track_progress_does_not_wrap(tracks):
    track = tracks["Straight_track"]
    x0, y0 = track.waypoints[0]
    assert track.progress(track.project(x0 - 0.5, y0).s, 0.0) == 0.0
    assert track.progress(track.length, 0.0) == 100.0
    assert track.progress(track.length * 0.75, track.length / 2) == pytest.approx(50.0)
    assert track.progress(0.1, track.length / 2) == 0.0
    with pytest.raises(ValueError, match="Straight_track"):
        track.progress(1.0, track.length)


def test_reversed_direction(tracks):
    fwd, rev = tracks["reinvent_base"], tracks["reinvent_base_rev"]
    assert rev.reverse and rev.waypoints == fwd.waypoints[::-1]
    np.testing.assert_array_equal(rev.inner, fwd.inner[::-1])
    centre = load("reinvent_base")[:, :2]
    for s in (1.0, 4.4, 8.85, 13.0, 17.0):
        x, y = point_at(centre, s)
        pf, pr = fwd.project(x, y), rev.project(x, y)
        assert rev.progress(pr.s) == pytest.approx(100.0 - fwd.progress(pf.s), abs=1e-9)
        mirrored = {len(centre) - 1 - k for k in pr.closest_waypoints}
        assert mirrored == set(pf.closest_waypoints)
    k = 30
    side = (centre[k] + centre[k + 1]) / 2 + 0.2 * left_normal(centre, k)
    assert fwd.project(*side).is_left_of_center and not rev.project(*side).is_left_of_center
    assert rev.project(*side).heading == pytest.approx(
        math.remainder(fwd.project(*side).heading + math.pi, 2 * math.pi))


def test_cw_and_ccw_routes_share_one_road(tracks):
    ccw, cw = tracks["2022_april_open_ccw"], tracks["2022_april_open_cw"]
    ccw_rev = Track(load("2022_april_open_ccw"), reverse=True)
    assert cw.length == pytest.approx(ccw.length, abs=1e-9)
    start = ccw_rev.project(*cw.waypoints[0]).s      # the cw route starts 2 rows further on
    for s in np.linspace(0.3, cw.length - 0.3, 11):
        x, y, yaw = cw.pose_at(s, lateral=0.3)
        a, b = cw.project(x, y), ccw_rev.project(x, y)
        assert a.is_left_of_center and b.is_left_of_center
        assert cw.progress(a.s) == pytest.approx(ccw_rev.progress(b.s, start), abs=1e-9)
        assert not ccw.project(x, y).is_left_of_center   # the other way round it is on the right
    # Physical sides stay put: the outer border is on the left of a clockwise lap.
    assert polyline_distance(cw.left_edge, cw.outer).max() < 10 * MM
    assert polyline_distance(ccw.left_edge, ccw.inner).max() < 10 * MM


# --------------------------------------------------------------------- poses
def test_pose_at_and_project_round_trip(tracks):
    rng = np.random.default_rng(3)
    for name in ("reinvent_base", "reInvent2019_track", "reinvent_base_rev"):
        track = tracks[name]
        on_centre = [(s, 0.0) for s in rng.uniform(0, track.length, 200)]
        # Beside the line, at mid-segment: near a vertex on the inside of a bend
        # the next segment is nearer, and the projection goes there.
        ends = track.cumulative
        mids = ((ends[:-1] + ends[1:]) / 2)[ends[1:] > ends[:-1]]
        beside = list(zip(mids, rng.uniform(-0.3, 0.3, len(mids))))
        for s, lateral in on_centre + beside:
            x, y, yaw = track.pose_at(s, lateral)
            p = track.project(x, y)
            assert p.s == pytest.approx(s, abs=1e-9)
            assert p.distance_from_center == pytest.approx(abs(lateral), abs=1e-9)
            if lateral:
                assert p.is_left_of_center == (lateral > 0)
            assert p.heading == yaw == track.heading_at(s)


def test_pose_at_wraps_and_clamps(tracks):
    loop, strip = tracks["reinvent_base"], tracks["Straight_track"]
    assert loop.pose_at(loop.length + 1.0) == pytest.approx(loop.pose_at(1.0))
    assert loop.pose_at(0.0)[:2] == pytest.approx(loop.waypoints[0])
    assert strip.pose_at(strip.length + 1.0)[:2] == pytest.approx(strip.waypoints[-1])


# ------------------------------------------------------------------ road edge
def _edge_points(track, s):
    """Points 1 mm inside and outside the road edge on both sides at arc length s."""
    k = track.project(*track.pose_at(s)[:2]).segment
    t = (s - track.cumulative[k]) / (track.cumulative[k + 1] - track.cumulative[k])
    hl = track.half_left[k] * (1 - t) + track.half_left[k + 1] * t
    hr = track.half_right[k] * (1 - t) + track.half_right[k + 1] * t
    inside = [track.pose_at(s, hl - MM)[:2], track.pose_at(s, -(hr - MM))[:2]]
    outside = [track.pose_at(s, hl + MM)[:2], track.pose_at(s, -(hr + MM))[:2]]
    return inside, outside


def test_on_road_flips_at_the_edge_on_a_straight(tracks):
    track = tracks["Straight_track"]
    inside, outside = _edge_points(track, 2.0)
    assert [track.on_road(x, y) for x, y in inside] == [True, True]
    assert [track.on_road(x, y) for x, y in outside] == [False, False]
    # On a straight the edge is the painted border: 1 mm either side of it.
    x, y = track.inner[5]
    toward = np.sign(track.centre[5, 1] - y) * MM
    assert track.on_road(x, y + toward) and not track.on_road(x, y - toward)


def test_on_road_flips_at_the_edge_on_a_curve(tracks):
    track = tracks["reinvent_base"]
    turn = np.abs(np.diff(np.unwrap(np.arctan2(*np.diff(track.centre, axis=0).T[::-1]))))
    k = int(np.argmax(turn)) + 1                    # the sharpest bend (20 degrees at row k)
    assert np.degrees(turn[k - 1]) > 15
    for seg in range(k - 4, k + 4):
        s = (track.cumulative[seg] + track.cumulative[seg + 1]) / 2
        inside, outside = _edge_points(track, s)
        assert {track.project(x, y).segment for x, y in inside + outside} == {seg}
        assert all(track.on_road(x, y) for x, y in inside)
        assert not any(track.on_road(x, y) for x, y in outside)


@pytest.mark.parametrize("name, tol", [("reinvent_base", 0.01), ("Tokyo_Training_track", 0.03)])
def test_road_edge_follows_the_painted_borders(tracks, name, tol):
    track = tracks[name]
    for border in (track.inner, track.outer):
        for x, y in border[::3]:
            foot = np.array(track.pose_at(track.project(x, y).s)[:2])
            out = np.array([x, y]) - foot
            out /= np.linalg.norm(out)
            assert track.on_road(*(np.array([x, y]) - tol * out))
            assert not track.on_road(*(np.array([x, y]) + tol * out))


def test_open_track_road_ends_at_its_first_and_last_rows(tracks):
    track = tracks["Straight_track"]                # runs along +x
    (x0, y0), (x1, y1) = track.waypoints[0], track.waypoints[-1]
    assert track.on_road(x0 + MM, y0) and not track.on_road(x0 - MM, y0)
    assert track.on_road(x1 - MM, y1) and not track.on_road(x1 + MM, y1)
    xs = np.array([x0 - MM, x0 + MM, x1 - MM, x1 + MM] * 10)
    np.testing.assert_array_equal(track.on_road(xs, y0), [False, True, True, False] * 10)


def test_on_road_is_vectorised(tracks):
    track = tracks["reInvent2019_track"]
    rng = np.random.default_rng(11)
    lo, hi = track.centre.min(axis=0) - 1.0, track.centre.max(axis=0) + 1.0
    pts = rng.uniform(lo, hi, size=(3000, 2))
    one_by_one = np.array([track.on_road(x, y) for x, y in pts])
    assert 0.1 < one_by_one.mean() < 0.9
    np.testing.assert_array_equal(track.on_road(pts[:, 0], pts[:, 1]), one_by_one)
    small = track.on_road(pts[:6, 0].reshape(2, 3), pts[:6, 1].reshape(2, 3))
    assert small.shape == (2, 3) and small.dtype == bool
    np.testing.assert_array_equal(small.ravel(), one_by_one[:6])
    assert type(track.on_road(*track.waypoints[3])) is bool


# --------------------------------------------------------------------- errors
@pytest.mark.parametrize("route, message", [
    (np.zeros((5, 4)), r"shape \(5, 4\), expected \(N, 6\)"),
    (np.zeros((1, 6)), "at least 2"),
    ([[0, 0, 0, 1, 0, -1], [1, 0, 1, 1, float("nan"), -1]], "row 1 is not finite"),
    (np.zeros((3, 6)), "no length"),
    ("abc", "not a numeric array"),
])
def test_bad_routes_are_rejected_with_the_track_name(route, message):
    with pytest.raises(TrackError, match=message) as err:
        Track(route, name="my_track")
    assert "my_track" in str(err.value) and isinstance(err.value, ValueError)


def test_non_finite_point_is_an_error(tracks):
    with pytest.raises(ValueError, match="finite"):
        tracks["reinvent_base"].project(float("nan"), 0.0)
    with pytest.raises(ValueError, match="finite"):
        tracks["reinvent_base"].on_road(np.full(100, np.inf), np.zeros(100))


# ---------------------------------------------------------------------- speed
def test_speed_floor(tracks):
    """Loose floors (targets: project < 20 us with a hint, on_road of 4 points < 40 us)."""
    track = tracks["2022_april_open_cw"]
    poses = [track.pose_at(s, 0.3) for s in np.linspace(0, track.length, 500)]
    start = time.perf_counter()
    for x, y, _ in poses:
        track.project(x, y, hint=0)
    per_project = (time.perf_counter() - start) / len(poses)
    wheels = [(x + np.array([0, .1, 0, .1]), y + np.array([0, 0, .1, .1])) for x, y, _ in poses]
    start = time.perf_counter()
    for xs, ys in wheels:
        track.on_road(xs, ys)
    per_on_road = (time.perf_counter() - start) / len(poses)
    assert per_project < 60e-6 and per_on_road < 120e-6
