"""InProcessBackend: the Simulator behind the SimBackend interface."""
import math

import numpy as np
import pytest

from deepracer_simulation.car_model import load_car_model
from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from deepracer_simulator import RandomizationSpec
from markov.backends import Frame, make_backend
from markov.backends.inprocess import InProcessBackend


@pytest.fixture(scope="module")
def track():
    return Track(load_route("reinvent_base"), name="reinvent_base")


def test_reset_places_the_car_at_rest_and_renders(track):
    backend = make_backend("inprocess", track, load_car_model())
    assert isinstance(backend, InProcessBackend)
    x, y, yaw = track.pose_at(3.0)
    frame = backend.reset(x, y, yaw)
    assert isinstance(frame, Frame)
    assert (frame.x, frame.y, frame.yaw, frame.speed) == (pytest.approx(x), pytest.approx(y),
                                                          pytest.approx(yaw), 0.0)
    assert frame.image.shape == (120, 160, 3) and frame.image.dtype == np.uint8
    assert frame.wheels_on_track == (True, True, True, True)
    assert all(type(flag) is bool for flag in frame.wheels_on_track)


def test_step_advances_one_camera_frame_with_fresh_images(track):
    backend = InProcessBackend(track, load_car_model())
    first = backend.reset(*track.pose_at(3.0))
    frames = [backend.step(0.0, 1.0) for _ in range(15)]
    times = [first.sim_time] + [f.sim_time for f in frames]
    np.testing.assert_allclose(np.diff(times), 1.0 / 15.0, atol=1e-12)
    assert frames[-1].speed > 0.5  # accelerating toward the commanded 1 m/s
    travelled = math.hypot(frames[-1].x - first.x, frames[-1].y - first.y)
    assert 0.3 < travelled < 1.0  # one simulated second at up to 1 m/s
    assert len({id(f.image) for f in frames}) == len(frames)
    assert not np.array_equal(first.image, frames[-1].image)  # the view moved
    backend.close()
    backend.close()


def test_seed_redraws_the_same_randomized_scene(track):
    backend = InProcessBackend(track, load_car_model(),
                               randomization=RandomizationSpec(enabled=True))
    pose = track.pose_at(0.0)
    a = backend.reset(*pose, seed=5).image
    b = backend.reset(*pose, seed=6).image
    c = backend.reset(*pose, seed=5).image
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)
