"""Object reward params against hand-computed values on a straight and a curved track."""
import math
from collections import namedtuple

import numpy as np
import pytest

from deepracer_simulation.track import Track
from markov.object_params import find_prev_next, object_reward_params
from markov.reward_params import REWARD_PARAM_KEYS

Obj = namedtuple("Obj", "kind x y yaw length width height speed")
Cam = namedtuple("Cam", "x y z pitch hfov width height near far")
# the car's camera (URDF): 0.105 m high, 15 degrees down, 640x480
CAMERA = Cam(x=0.145, y=0.0, z=0.105, pitch=math.radians(15.0), hfov=1.13, width=640, height=480,
             near=0.01, far=30.0)


def _straight():
    """10 m along +x, 1 m wide: inner (left) border at y = +0.5."""
    x = np.linspace(0.0, 10.0, 11)
    return Track(np.column_stack([x, 0 * x, x, 0 * x + 0.5, x, 0 * x - 0.5]), name="straight")


RADIUS, N = 3.0, 36
DELTA = 2 * math.pi / N


def _circle():
    """A counter-clockwise circle of radius 3 m, 36 chords, 1 m wide (inner = left)."""
    a = np.arange(N + 1) * DELTA
    a[-1] = 0.0
    ring = lambda r: np.column_stack([r * np.cos(a), r * np.sin(a)])  # noqa: E731
    return Track(np.hstack([ring(RADIUS), ring(RADIUS - 0.5), ring(RADIUS + 0.5)]), name="circle")


def test_straight_section():
    track = _straight()
    objs = [Obj("obstacle", 6.0, 0.25, 0.3, 0.4, 0.3, 0.25, 0.0),  # ahead, left lane
            Obj("bot_car", 2.0, -0.25, 0.1, 0.22, 0.15, 0.18, 0.5),  # behind, right lane
            Obj("obstacle", 4.5, -0.2, 0.0, 0.4, 0.3, 0.25, 0.0)]  # next ahead
    # Car base at x = 3.0 heading +x: front point at 3.14.
    p = object_reward_params(3.14, 3.0, 0.0, 0.0, track, objs, CAMERA)
    assert p["objects_location"] == [[6.0, 0.25], [2.0, -0.25], [4.5, -0.2]]
    assert p["objects_distance"] == pytest.approx([6.0, 2.0, 4.5])
    assert p["closest_objects"] == [1, 2]
    assert p["objects_left_of_center"] == [True, False, False]
    assert p["objects_distance_from_center"] == pytest.approx([0.25, 0.25, 0.2])
    assert p["objects_speed"] == [0.0, 0.5, 0.0]
    assert p["objects_heading"] == pytest.approx([0.0, 0.1, 0.0])  # obstacles report 0
    # The next object (4.5, -0.2) is 1.355 m ahead of the camera, 0.2 m right: in view.
    assert p["object_in_camera"] is True
    assert set(p) <= set(REWARD_PARAM_KEYS)
    # Past the last object the next one wraps to the first along the track.
    p = object_reward_params(7.0, 6.86, 0.0, 0.0, track, objs, CAMERA)
    assert p["closest_objects"] == [0, 1]
    # Heading away from the next object: not in the camera.
    p = object_reward_params(3.14, 3.0, 0.0, math.pi, track, objs, CAMERA)
    assert p["object_in_camera"] is False


def test_curved_section():
    track = _circle()
    # Objects on chord mid-angles: the nearest centre-line point is the chord's midpoint,
    # at radius R cos(D/2), arc length k * chord + chord / 2.
    chord = 2 * RADIUS * math.sin(DELTA / 2)
    mid_r = RADIUS * math.cos(DELTA / 2)
    k_inner, k_outer = 4, 10
    a_in, a_out = (k_inner + 0.5) * DELTA, (k_outer + 0.5) * DELTA
    objs = [Obj("bot_car", 2.75 * math.cos(a_in), 2.75 * math.sin(a_in), a_in + math.pi / 2,
                0.22, 0.15, 0.18, 0.5),
            Obj("obstacle", 3.3 * math.cos(a_out), 3.3 * math.sin(a_out), 0.0, 0.4, 0.3, 0.25, 0.0)]
    # Car front point at chord 7's start.
    front_s = 7 * chord
    car_a = 7 * DELTA
    base = (RADIUS * math.cos(car_a), RADIUS * math.sin(car_a))
    p = object_reward_params(front_s, *base, car_a + math.pi / 2, track, objs, CAMERA)
    assert p["objects_distance"] == pytest.approx([(k_inner + 0.5) * chord, (k_outer + 0.5) * chord])
    assert p["objects_distance_from_center"] == pytest.approx([mid_r - 2.75, 3.3 - mid_r])
    assert p["objects_left_of_center"] == [True, False]  # counter-clockwise: inside is left
    assert p["closest_objects"] == [0, 1]
    wrapped = (a_in + math.pi / 2 + math.pi) % (2 * math.pi) - math.pi
    assert p["objects_heading"] == pytest.approx([wrapped, 0.0])
    assert p["objects_speed"] == [0.5, 0.0]
    # The obstacle is 3.5 chords (~1.8 m) ahead round the bend, 9.6 degrees left of the
    # heading (the bend turns left): inside the camera's +-32.4 degrees.
    cam_x = base[0] + CAMERA.x * math.cos(car_a + math.pi / 2)
    cam_y = base[1] + CAMERA.x * math.sin(car_a + math.pi / 2)
    bearing = math.atan2(objs[1].y - cam_y, objs[1].x - cam_x) - (car_a + math.pi / 2)
    assert bearing == pytest.approx(math.radians(9.64), abs=math.radians(0.05))
    assert p["object_in_camera"] is True
    # Turned 60 degrees left, it is out of view (its nearest corner too).
    p = object_reward_params(front_s, *base, car_a + math.pi / 2 + math.radians(60), track, objs,
                             CAMERA)
    assert p["object_in_camera"] is False


def test_object_in_camera_uses_the_vertical_field_of_view():
    """A flat object right in front of the bumper is under the image's lower edge although
    it is straight ahead; the ground is seen from z / tan(pitch + vfov / 2) ahead of the
    camera (vfov / 2 = atan(tan(hfov / 2) * 480 / 640) = 25.4 deg: 0.1232 m)."""
    track = _straight()
    half_v = math.atan(math.tan(CAMERA.hfov / 2) * CAMERA.height / CAMERA.width)
    assert math.degrees(half_v) == pytest.approx(25.43, abs=0.01)
    ground = CAMERA.z / math.tan(CAMERA.pitch + half_v)
    assert ground == pytest.approx(0.1232, abs=1e-4)
    base_x = 3.0
    cam_x = base_x + CAMERA.x

    def visible(far_edge):  # a 2 cm high, 4 x 4 cm mat whose far edge is `far_edge` m ahead
        mat = Obj("obstacle", cam_x + far_edge - 0.02, 0.0, 0.0, 0.04, 0.04, 0.02, 0.0)
        return object_reward_params(base_x + 0.14, base_x, 0.0, 0.0, track, [mat], CAMERA)["object_in_camera"]

    # its top corners (z = 0.02) are seen from (z - 0.02) / tan(pitch + vfov / 2) ahead
    top = (CAMERA.z - 0.02) / math.tan(CAMERA.pitch + half_v)
    assert not visible(top - 0.01)  # 1 cm short of the lower edge: not in the camera
    assert visible(top + 0.01)  # 1 cm beyond it: in view
    # Above the view: the upper edge is vfov / 2 - pitch = 10.4 deg above the horizon; a
    # 2.5 m high object 0.3 m ahead is seen (its lower part), its centre alone would not be.
    tall = Obj("obstacle", cam_x + 0.3, 0.0, 0.0, 0.04, 0.3, 2.5, 0.0)
    assert math.atan2(1.25 - CAMERA.z, 0.3) > half_v - CAMERA.pitch
    assert object_reward_params(base_x + 0.14, base_x, 0.0, 0.0, track, [tall], CAMERA)["object_in_camera"]


def test_no_objects_gives_time_trial_defaults():
    p = object_reward_params(1.0, 0.0, 0.0, 0.0, _straight(), [], CAMERA)
    assert p == {"closest_objects": [0, 0], "objects_location": [], "objects_left_of_center": [],
                 "object_in_camera": False, "objects_speed": [], "objects_heading": [],
                 "objects_distance_from_center": [], "objects_distance": []}


def test_find_prev_next_wraps():
    assert find_prev_next([1.0, 2.0, 5.0], 3.0) == (1, 2)
    assert find_prev_next([1.0, 2.0, 5.0], 0.5) == (2, 0)
    assert find_prev_next([1.0, 2.0, 5.0], 6.0) == (2, 0)
    assert find_prev_next([1.0, 2.0, 5.0], 2.0) == (1, 2)
