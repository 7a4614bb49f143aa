"""Routes: lookup, validation, statistics, and our three generated tracks."""
from pathlib import Path

import numpy as np
import pytest

from deepracer_simulation import custom_tracks, routes
from deepracer_simulation.custom_tracks import Arc, Straight, TrackDesign, TrackDesignError
from deepracer_simulation.routes import RouteFormatError, UnknownTrackError

OURS = ("easy_track", "medium_track", "hard_track")
DOC = Path(__file__).resolve().parents[4] / "docs" / "tracks.md"


def test_list_worlds_has_every_track_sorted():
    names = routes.list_worlds()
    assert len(names) == 130
    assert names == sorted(names)
    assert {"reinvent_base", "Straight_track", "2024_reinvent_champ_cw", *OURS} <= set(names)


def test_route_path_finds_a_known_track():
    assert routes.route_path("reinvent_base").name == "reinvent_base.npy"


@pytest.mark.parametrize("typo, expected", [("reinvent_bse", "reinvent_base"),
                                            ("REINVENT_BASE", "reinvent_base"),
                                            ("hard_trak", "hard_track")])
def test_unknown_name_lists_the_closest_names(typo, expected):
    with pytest.raises(UnknownTrackError) as info:
        routes.route_path(typo)
    assert isinstance(info.value, ValueError)
    assert typo in str(info.value) and expected in str(info.value)


def test_unknown_name_without_any_similar_name():
    with pytest.raises(UnknownTrackError, match="no similar name"):
        routes.load_route("zzzzqqqq")


def _write(tmp_path, name, array):
    path = tmp_path / name
    np.save(path, array)
    return path


def _good_route(rows=5):
    x = np.linspace(0.0, 1.0, rows)
    return np.column_stack([x, np.zeros(rows), x, np.full(rows, 0.3), x, np.full(rows, -0.3)])


def test_load_route_by_path_returns_float64(tmp_path):
    path = _write(tmp_path, "line.npy", _good_route().astype(np.float32))
    route = routes.load_route(path)
    assert route.dtype == np.float64 and route.shape == (5, 6)
    assert routes.load_route(str(path)).shape == (5, 6)


@pytest.mark.parametrize("array, message", [
    (np.zeros((10, 5)), r"shape \(10, 5\) found"),
    (_good_route()[:2], r"shape \(2, 6\) found"),
    (np.zeros(6), r"shape \(6,\) found"),
    (np.arange(30).reshape(5, 6), "dtype int64"),
])
def test_wrong_shape_or_dtype_names_the_file(tmp_path, array, message):
    path = _write(tmp_path, "bad.npy", array)
    with pytest.raises(RouteFormatError, match=message) as info:
        routes.load_route(path)
    assert str(path) in str(info.value)


def test_nan_names_the_first_bad_row(tmp_path):
    route = _good_route(8)
    route[6, 3] = np.nan
    route[7, 0] = np.inf
    with pytest.raises(RouteFormatError, match="row 6 is not finite") as info:
        routes.load_route(_write(tmp_path, "nan.npy", route))
    assert "nan.npy" in str(info.value) and "2 bad rows" in str(info.value)


def test_zero_width_names_the_row(tmp_path):
    route = _good_route()
    route[3, 4:6] = route[3, 2:4]
    with pytest.raises(RouteFormatError, match="row 3 has width 0"):
        routes.load_route(_write(tmp_path, "thin.npy", route))


def test_text_file_is_a_format_error_naming_the_file(tmp_path):
    path = tmp_path / "notes.npy"
    path.write_text("0 0 0 0 0 0\n1 1 1 1 1 1\n")
    with pytest.raises(RouteFormatError, match="not a .npy file numpy can load") as info:
        routes.load_route(path)
    assert str(path) in str(info.value)


def test_npz_archive_is_rejected(tmp_path):
    path = tmp_path / "two.npy"
    with open(path, "wb") as handle:
        np.savez(handle, a=_good_route())
    with pytest.raises(RouteFormatError, match="npz"):
        routes.load_route(path)


def test_bare_file_name_is_looked_up_in_routes():
    assert routes.load_route("reinvent_base.npy").shape == (119, 6)
    with pytest.raises(UnknownTrackError, match="closest: reinvent_base"):
        routes.load_route("reinvent_bas.npy")


def test_missing_path_is_unknown(tmp_path):
    with pytest.raises(UnknownTrackError, match="does not exist"):
        routes.load_route(tmp_path / "nowhere.npy")


def test_every_route_is_valid_and_closed_except_the_straight():
    open_tracks = []
    for name in routes.list_worlds():
        route = routes.load_route(name)  # validates shape, finiteness, width > 0
        assert route.dtype == np.float64 and route.shape[1] == 6
        if not routes.is_closed(route):
            open_tracks.append(name)
    assert open_tracks == ["Straight_track"]


@pytest.mark.parametrize("name, length, width", [
    ("reinvent_base", 17.71, 0.76), ("reInvent2019_wide", 16.64, 1.07),
    ("Spain_track", 60.00, 0.91), ("Straight_track", 5.71, 0.61),
])
def test_route_stats_golden_values(name, length, width):
    stats = routes.route_stats(routes.load_route(name))
    assert stats.length == pytest.approx(length, abs=0.01)
    assert stats.width == pytest.approx(width, abs=0.01)


def test_is_closed_tolerance():
    route = _good_route()
    route[-1] = route[0] + 5e-7
    assert routes.is_closed(route)
    route[-1, 5] += 1e-5
    assert not routes.is_closed(route)


def test_docs_table_is_up_to_date():
    assert routes.tracks_table() in DOC.read_text(encoding="utf-8"), \
        "rerun scripts/generate_gazebo_assets --tracks-doc docs/tracks.md"


# ------------------------------------------------------------ our three tracks
@pytest.mark.parametrize("name", OURS)
def test_saved_route_matches_the_generator(name):
    saved = routes.load_route(name)
    np.testing.assert_allclose(saved, custom_tracks.build_route(custom_tracks.DESIGNS[name]),
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize("name, width, min_radius", [
    ("easy_track", 1.07, 1.5), ("medium_track", 0.76, 0.8), ("hard_track", 0.6, 0.5)])
def test_our_track_size_and_shape(name, width, min_radius):
    route = routes.load_route(name)
    length, median_width = routes.route_stats(route)
    assert 15.0 <= length <= 40.0
    assert median_width == pytest.approx(width, abs=1e-9)
    widths = np.linalg.norm(route[:, 2:4] - route[:, 4:6], axis=1)
    np.testing.assert_allclose(widths, width, atol=1e-9)
    assert routes.is_closed(route) and np.array_equal(route[0], route[-1])
    steps = np.linalg.norm(np.diff(route[:, 0:2], axis=0), axis=1)
    assert 0.1 <= steps.min() and steps.max() <= 0.2
    design = custom_tracks.DESIGNS[name]
    assert custom_tracks.min_radius(design) >= min_radius
    assert custom_tracks.min_radius(design) - width / 2 >= 0.2  # inner offset curve radius
    assert route.min() >= 0.0


@pytest.mark.parametrize("name", OURS)
def test_our_track_does_not_cross_itself(name):
    route = routes.load_route(name)
    for column in (0, 2, 4):
        assert len(custom_tracks.segment_crossings(route[:, column:column + 2], True)) == 0
    assert custom_tracks.edge_gap(route) >= 0.4


@pytest.mark.parametrize("name", OURS)
def test_our_track_is_counter_clockwise_with_inner_on_the_left(name):
    route = routes.load_route(name)
    centre = route[:, 0:2]
    x, y = centre[:, 0], centre[:, 1]
    assert np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) > 0
    tangent = np.diff(centre, axis=0)
    to_inner = route[:-1, 2:4] - centre[:-1]
    assert np.all(tangent[:, 0] * to_inner[:, 1] - tangent[:, 1] * to_inner[:, 0] > 0)


def test_crossing_check_finds_a_figure_eight():
    t = np.linspace(0, 2 * np.pi, 101)
    eight = np.column_stack([np.sin(2 * t), np.sin(t)])
    assert len(custom_tracks.segment_crossings(eight, True)) >= 1
    circle = np.column_stack([np.cos(t), np.sin(t)])
    assert len(custom_tracks.segment_crossings(circle, True)) == 0


def test_design_must_turn_once_and_close():
    with pytest.raises(TrackDesignError, match="turn 270"):
        custom_tracks.build_route(TrackDesign("bad", 1.0, (Straight(1), Arc(2, 270)), (0, 0)))
    parallel = TrackDesign("par", 1.0, (Straight(0), Arc(2, 180), Straight(0), Arc(2, 180)), (0, 2))
    with pytest.raises(TrackDesignError, match="parallel"):
        custom_tracks.build_route(parallel)
    tight = TrackDesign("tight", 1.0,
                        (Straight(0), Arc(0.4, 180), Straight(0), Arc(2, 180)), (0, 2))
    with pytest.raises(TrackDesignError, match="half width"):
        custom_tracks.build_route(tight)
