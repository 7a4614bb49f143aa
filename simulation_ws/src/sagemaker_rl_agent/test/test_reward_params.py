"""The reward params dict: every key, golden values, no copies, speed."""
import math
import time

import pytest

from markov.reward_params import (FRONT_OFFSET, REWARD_PARAM_KEYS, SampleProjection,
                                  build_reward_params, front_point, heading_degrees,
                                  oval_waypoints, sample_reward_params)

WAYPOINTS = [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (0.0, 1.0), (0.0, 0.0)]


def _build(yaw=0.5, **overrides):
    projection = SampleProjection(s=1.25, distance_from_center=0.12, is_left_of_center=True,
                                  closest_waypoints=(1, 2), width=0.76, heading=0.0)
    kwargs = dict(progress=20.8, steps=7, speed=1.5, steering_angle=-15.0,
                  all_wheels_on_track=True, is_offtrack=False, is_crashed=False,
                  is_reversed=False, track_length=6.0, waypoints=WAYPOINTS)
    kwargs.update(overrides)
    return build_reward_params(3.25, -1.5, yaw, projection, **kwargs)


def test_every_contract_key_and_nothing_else():
    assert len(REWARD_PARAM_KEYS) == 26
    assert list(_build()) == list(REWARD_PARAM_KEYS)


def test_golden_values():
    params = _build(yaw=math.radians(30.0))
    expected = {
        "all_wheels_on_track": True, "x": 3.25, "y": -1.5, "distance_from_center": 0.12,
        "projection_distance": 1.25, "progress": 20.8, "steps": 7, "speed": 1.5,
        "steering_angle": -15.0, "track_width": 0.76, "track_length": 6.0,
        "closest_waypoints": [1, 2], "is_left_of_center": True, "is_reversed": False,
        "is_offtrack": False, "is_crashed": False, "closest_objects": [0, 0],
        "objects_location": [], "objects_left_of_center": [], "object_in_camera": False,
        "objects_speed": [], "objects_heading": [], "objects_distance_from_center": [],
        "objects_distance": []}
    for key, value in expected.items():
        assert params[key] == value and type(params[key]) is type(value), key
    assert params["heading"] == pytest.approx(30.0)


def test_waypoints_list_is_passed_on_not_copied():
    assert _build()["waypoints"] is WAYPOINTS


def test_object_lists_are_fresh_per_call():
    first, second = _build(), _build()
    first["objects_location"].append((1.0, 1.0))
    assert second["objects_location"] == []
    assert first["closest_objects"] is not second["closest_objects"]


@pytest.mark.parametrize("yaw_deg, heading", [
    (0.0, 0.0), (90.0, 90.0), (180.0, 180.0), (-180.0, 180.0), (-90.0, -90.0),
    (270.0, -90.0), (540.0, 180.0), (-181.0, 179.0), (359.5, -0.5)])
def test_heading_in_half_open_range(yaw_deg, heading):
    assert heading_degrees(math.radians(yaw_deg)) == pytest.approx(heading)
    assert _build(yaw=math.radians(yaw_deg))["heading"] == pytest.approx(heading)
    assert -180.0 < _build(yaw=math.radians(yaw_deg))["heading"] <= 180.0


def test_front_point_is_014_m_ahead():
    assert FRONT_OFFSET == 0.14
    assert front_point(1.0, 2.0, 0.0) == (pytest.approx(1.14), 2.0)
    x, y = front_point(1.0, 2.0, math.pi / 2)
    assert (x, y) == (pytest.approx(1.0), pytest.approx(2.14))
    x, y = front_point(0.0, 0.0, math.radians(135.0))
    assert math.hypot(x, y) == pytest.approx(0.14)


def test_numpy_inputs_become_python_types():
    np = pytest.importorskip("numpy")
    projection = SampleProjection(s=np.float64(2.0), distance_from_center=np.float32(0.25),
                                  is_left_of_center=np.bool_(False),
                                  closest_waypoints=np.array([3, 4]), width=np.float64(1.0),
                                  heading=0.0)
    params = build_reward_params(np.float64(1.0), np.float32(2.0), np.float64(0.0), projection,
                                 progress=np.float64(5.0), steps=np.int64(3),
                                 speed=np.float32(1.0), steering_angle=np.float32(30.0),
                                 all_wheels_on_track=np.bool_(True), is_offtrack=np.bool_(False),
                                 is_crashed=False, is_reversed=True, track_length=10.0,
                                 waypoints=WAYPOINTS)
    for key in ("x", "y", "heading", "distance_from_center", "projection_distance", "progress",
                "speed", "steering_angle", "track_width"):
        assert type(params[key]) is float, key
    assert type(params["steps"]) is int and params["closest_waypoints"] == [3, 4]
    assert all(type(v) is int for v in params["closest_waypoints"])
    for key in ("all_wheels_on_track", "is_offtrack", "is_left_of_center", "is_reversed"):
        assert type(params[key]) is bool, key


def test_oval_waypoints_are_closed_and_evenly_spaced():
    points = oval_waypoints(straight=6.0, radius=2.0, spacing=0.5)
    assert points[0] == points[-1] == (-3.0, -2.0)
    gaps = [math.dist(a, b) for a, b in zip(points, points[1:])]
    assert sum(gaps) == pytest.approx(12.0 + 4.0 * math.pi, rel=2e-3)
    assert max(gaps) - min(gaps) < 0.01
    assert all(abs(y) <= 2.0 + 1e-9 for _, y in points)


def test_samples_cover_every_situation():
    samples = sample_reward_params()
    assert len(samples) >= 30
    assert all(list(p) == list(REWARD_PARAM_KEYS) for p in samples)
    for key in ("all_wheels_on_track", "is_offtrack", "is_left_of_center", "is_reversed",
                "is_crashed"):
        assert {p[key] for p in samples} == {True, False}, key
    assert {p["steering_angle"] for p in samples} == {0.0, 30.0, -30.0, 15.0}
    assert min(p["progress"] for p in samples) == 0.0
    assert max(p["progress"] for p in samples) > 80.0
    waypoints = samples[0]["waypoints"]
    assert all(p["waypoints"] is waypoints for p in samples)


def test_sample_geometry_is_consistent():
    for p in sample_reward_params():
        i, j = p["closest_waypoints"]
        (x0, y0), (x1, y1) = p["waypoints"][i], p["waypoints"][j]
        # distance from the front point to the centre-line segment's line
        cross = (x1 - x0) * (p["y"] - y0) - (y1 - y0) * (p["x"] - x0)
        length = math.hypot(x1 - x0, y1 - y0)
        assert abs(cross) / length == pytest.approx(p["distance_from_center"], abs=1e-9)
        assert (cross > 0) == p["is_left_of_center"]
        assert p["heading"] == pytest.approx(math.degrees(math.atan2(y1 - y0, x1 - x0)))
        assert p["progress"] == pytest.approx(100.0 * p["projection_distance"] / p["track_length"])


def test_sample_rejects_too_few_waypoints():
    with pytest.raises(ValueError, match="at least 3 waypoints"):
        sample_reward_params([(0.0, 0.0), (1.0, 0.0)])


def test_build_speed_floor():
    """Called every step by the env; the target is < 15 us (generous floor for a busy machine)."""
    projection = SampleProjection(1.0, 0.1, True, (1, 2), 0.76, 0.0)
    n = 20000
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            build_reward_params(1.0, 2.0, 0.3, projection, progress=10.0, steps=5, speed=1.0,
                                steering_angle=15.0, all_wheels_on_track=True, is_offtrack=False,
                                is_crashed=False, is_reversed=False, track_length=20.0,
                                waypoints=WAYPOINTS)
        best = min(best, (time.perf_counter() - start) / n)
    print(f"build_reward_params: {best * 1e6:.2f} us per call")
    assert best < 15e-6


def test_with_a_real_track_projection():
    track_module = pytest.importorskip("deepracer_simulation.track")
    routes = pytest.importorskip("deepracer_simulation.routes")
    track = track_module.Track(routes.load_route("reInvent2019_track"), name="reInvent2019_track")
    x0, y0, yaw = track.pose_at(3.0, lateral=0.1)
    fx, fy = front_point(x0, y0, yaw)
    projection = track.project(fx, fy)
    params = build_reward_params(fx, fy, yaw, projection, progress=track.progress(projection.s),
                                 steps=1, speed=1.0, steering_angle=0.0, all_wheels_on_track=True,
                                 is_offtrack=False, is_crashed=False, is_reversed=False,
                                 track_length=track.length, waypoints=track.waypoints)
    assert params["waypoints"] is track.waypoints
    assert params["projection_distance"] == pytest.approx(3.14, abs=0.02)
    assert params["distance_from_center"] == pytest.approx(0.1, abs=0.01)
    assert params["is_left_of_center"] is True
    assert 0.0 < params["progress"] < 100.0 and params["track_length"] == track.length
    prev_wp, next_wp = params["closest_waypoints"]
    assert next_wp == prev_wp + 1 and next_wp < len(track.waypoints)
    assert 0.5 < params["track_width"] < 1.5
    # the samples for the pre-training check can use the real centre line
    samples = sample_reward_params(track.waypoints, track_width=track.width)
    assert all(p["waypoints"] is samples[0]["waypoints"] for p in samples)
