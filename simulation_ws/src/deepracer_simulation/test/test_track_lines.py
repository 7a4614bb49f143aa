"""track_lines: road edges and centre dashes for viewers."""
import numpy as np
import pytest

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from deepracer_simulation.track_lines import centre_dashes, track_lines


def test_dashes_on_a_straight_line():
    line = np.array([[0.0, 0.0], [1.0, 0.0]])
    dashes = centre_dashes(line, dash=0.2, gap=0.1)
    np.testing.assert_allclose(dashes[:, 0, 0], [0.0, 0.3, 0.6, 0.9])
    np.testing.assert_allclose(dashes[:, 1, 0], [0.2, 0.5, 0.8, 1.0])  # the last one cut at the end
    assert np.all(dashes[:, :, 1] == 0.0)


def test_dashes_follow_a_corner():
    line = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    dashes = centre_dashes(line, dash=0.5, gap=0.5)
    np.testing.assert_allclose(dashes, [[[0.0, 0.0], [0.5, 0.0]], [[1.0, 0.0], [1.0, 0.5]]])


@pytest.mark.parametrize("dash, gap", [(0.0, 0.1), (-1.0, 0.1), (0.1, -0.1)])
def test_bad_dash_lengths_are_refused(dash, gap):
    with pytest.raises(ValueError, match="dash"):
        centre_dashes(np.array([[0.0, 0.0], [1.0, 0.0]]), dash, gap)


def test_track_lines_of_a_route():
    track = Track(load_route("reinvent_base"), name="reinvent_base")
    lines = track_lines(track)
    np.testing.assert_array_equal(lines.left_edge, track.left_edge)
    np.testing.assert_array_equal(lines.right_edge, track.right_edge)
    assert len(lines.centre_dashes) == pytest.approx(track.length / 0.3, abs=1)
