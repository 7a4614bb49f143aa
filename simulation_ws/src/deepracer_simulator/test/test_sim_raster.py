"""The track texture: what is painted where."""
import time

import numpy as np
import pytest

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from deepracer_simulator.raster import (BORDER_LINE, CENTRE_LINE, GROUND, ROAD, RasterConfig, RasterError,
                                        TrackColours, build_raster)


@pytest.fixture(scope="module")
def raster(reinvent):
    return build_raster(reinvent.centre, reinvent.left_edge, reinvent.right_edge)


def _label(raster, track, s, lateral):
    x, y, _ = track.pose_at(s, lateral)
    return int(raster.label_at(x, y))


@pytest.mark.parametrize("lateral, expected", [
    (0.0, CENTRE_LINE), (0.2, ROAD), (-0.2, ROAD),
    (0.381 - 0.01, BORDER_LINE), (0.381 - 0.04, BORDER_LINE), (-0.381 + 0.01, BORDER_LINE),
    (0.381 - 0.07, ROAD), (0.381 + 0.01, GROUND), (-0.381 - 0.01, GROUND), (-3.0, GROUND),
])
def test_cross_section_of_a_straight(raster, reinvent, lateral, expected):
    # s = 1.0 m lies in a dash: dashes of 0.15 m every 0.30 m from the start line.
    assert _label(raster, reinvent, 1.0, lateral) == expected


def test_centre_line_is_dashed(raster, reinvent):
    along = [_label(raster, reinvent, s, 0.0) for s in np.arange(0.9, 1.8, 0.01)]
    phase = (np.arange(0.9, 1.8, 0.01) % 0.30)
    clear = (np.abs(phase - 0.15) > 0.015) & (np.minimum(phase, 0.30 - phase) > 0.015)
    painted = np.array(along)[clear] == CENTRE_LINE
    assert np.array_equal(painted, (phase < 0.15)[clear])


def test_raster_covers_the_route_with_a_ground_margin(raster, reinvent):
    points = np.concatenate([reinvent.left_edge, reinvent.right_edge])
    rows, cols = raster.shape
    assert raster.x0 <= points[:, 0].min() - 0.5 + 1e-9
    assert raster.y0 <= points[:, 1].min() - 0.5 + 1e-9
    assert raster.x0 + cols * raster.resolution >= points[:, 0].max() + 0.5
    edges = np.concatenate([raster.labels[0], raster.labels[-1], raster.labels[:, 0], raster.labels[:, -1]])
    assert np.all(edges == GROUND)
    assert raster.label_at(1e6, -1e6) == GROUND  # far outside reads the edge cells


def test_build_is_fast_and_memory_is_bounded():
    track = Track(load_route("Spain_track"), name="Spain_track")
    start = time.perf_counter()
    raster = build_raster(track.centre, track.left_edge, track.right_edge)
    assert time.perf_counter() - start < 1.0
    assert raster.labels.size <= RasterConfig().max_cells
    small = build_raster(track.centre, track.left_edge, track.right_edge, RasterConfig(max_cells=200_000))
    assert small.labels.size <= 200_000 and small.resolution > RasterConfig().resolution


def test_palette_and_picture_follow_the_colours(raster):
    colours = TrackColours(road=(1, 2, 3))
    assert colours.palette()[ROAD].tolist() == [1, 2, 3]
    image = raster.image(colours)
    assert image.shape == raster.shape + (3,) and image.dtype == np.uint8


def test_bad_colour_names_the_field():
    with pytest.raises(RasterError, match="TrackColours.road"):
        TrackColours(road=(300, 0, 0))


def test_bad_route_is_rejected(reinvent):
    centre = reinvent.centre.copy()
    centre[3, 0] = np.nan
    with pytest.raises(RasterError, match="centre"):
        build_raster(centre, reinvent.left_edge, reinvent.right_edge)
    with pytest.raises(RasterError, match="differ in length"):
        build_raster(reinvent.centre, reinvent.left_edge[:-1], reinvent.right_edge)
    with pytest.raises(RasterError, match="RasterConfig.resolution"):
        RasterConfig(resolution=0.0)
