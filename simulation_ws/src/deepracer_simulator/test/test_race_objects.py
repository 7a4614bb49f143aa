"""Race-type objects: placement, bot cars, collisions, LIDAR and the stereo pair."""
import math

import numpy as np
import pytest

from deepracer_simulator import lidar
from deepracer_simulator.camera import focal_length
from deepracer_simulator.object_render import ObjectRenderer, stereo_cameras
from deepracer_simulator.objects import (RaceConfig, RaceConfigError, RaceObjects, TrackObject,
                                         car_footprint, crashed_into)


def _box(x, y, yaw=0.0, length=0.4, width=0.3, height=0.25):
    return TrackObject("obstacle", x, y, yaw, length, width, height)


# ----------------------------------------------------------------------------- collision

@pytest.mark.parametrize("yaw", [0.0, 0.7, -2.0])
def test_touching_by_1cm_crashes_1cm_away_does_not(car, yaw):
    g = car.geometry
    length, width, rear = car_footprint(g)
    front = length - rear  # m from base_link to the car's front edge
    c, s = math.cos(yaw), math.sin(yaw)
    for gap, crashed in ((-0.01, True), (0.01, False)):
        d = front + gap + 0.2  # box centre: its back face (0.2 m behind) is `gap` past the front
        box = _box(c * d, s * d, yaw)
        assert (crashed_into(0.0, 0.0, yaw, g, [box]) == 0) is crashed, (gap, yaw)
        # side by side: the box's side face `gap` from the car's left side
        d = width / 2.0 + gap + 0.15
        box = _box(-s * d, c * d, yaw)
        assert (crashed_into(0.0, 0.0, yaw, g, [box]) == 0) is crashed, ("side", gap, yaw)


def test_crash_reports_the_touched_object(car):
    boxes = [_box(5.0, 5.0), _box(0.3, 0.0)]
    assert crashed_into(0.0, 0.0, 0.0, car.geometry, boxes) == 1
    assert crashed_into(-3.0, 0.0, 0.0, car.geometry, boxes) is None


# ----------------------------------------------------------------------------- placement

def test_fixed_obstacles_alternate_lanes_and_stay(reinvent):
    objs = RaceObjects(reinvent, RaceConfig(race_type="OBJECT_AVOIDANCE", number_of_obstacles=3))
    objs.reset(np.random.default_rng(0))
    first = objs.objects
    assert len(first) == 3
    gap = 2.0  # MIN_DISTANCE_BETWEEN_OBSTACLES: m past the start line, as DeepRacer
    expected = np.linspace(gap, reinvent.length - 1.0, 3)
    lefts = []
    for o, s in zip(first, expected):
        p = reinvent.project(o.x, o.y)
        assert p.s == pytest.approx(s, abs=0.02)
        assert p.distance_from_center == pytest.approx(p.width / 4.0, rel=0.05)
        assert reinvent.on_road(o.x, o.y)
        lefts.append(p.is_left_of_center)
    assert lefts[0] != lefts[1] and lefts[0] == lefts[2]  # inner, outer, inner
    objs.reset(np.random.default_rng(1))
    assert objs.objects == first


def test_randomized_obstacles_come_from_the_generator(reinvent):
    cfg = RaceConfig(race_type="OBJECT_AVOIDANCE", number_of_obstacles=4,
                     randomize_obstacle_locations=True)
    a, b = RaceObjects(reinvent, cfg), RaceObjects(reinvent, cfg)
    a.reset(np.random.default_rng(5))
    b.reset(np.random.default_rng(5))
    assert a.objects == b.objects
    first = a.objects
    a.reset(np.random.default_rng(6))
    assert a.objects != first
    s = sorted(reinvent.project(o.x, o.y).s for o in a.objects)
    assert min(np.diff(s)) >= 2.0 - 0.05 and s[0] >= 2.0 - 0.05  # MIN_DISTANCE_BETWEEN_OBSTACLES, m


def test_time_trial_places_nothing(reinvent):
    objs = RaceObjects(reinvent, RaceConfig(number_of_obstacles=3, number_of_bot_cars=2))
    objs.reset(np.random.default_rng(0))
    assert objs.objects == []


def test_bad_race_settings_are_named():
    with pytest.raises(RaceConfigError, match="race_type"):
        RaceConfig(race_type="DRAG_RACE")
    with pytest.raises(RaceConfigError, match="number_of_obstacles"):
        RaceConfig(number_of_obstacles=-1)
    with pytest.raises(RaceConfigError, match="upper_lane_change_time"):
        RaceConfig(lower_lane_change_time=5.0, upper_lane_change_time=3.0)


def test_bot_cars_drive_their_lane_at_their_speed(reinvent):
    cfg = RaceConfig(race_type="HEAD_TO_HEAD_RACING", number_of_bot_cars=2, bot_car_speed=0.5)
    objs = RaceObjects(reinvent, cfg)
    objs.reset(np.random.default_rng(0))
    s0 = objs.bot_progress()
    lefts0 = [reinvent.project(o.x, o.y).is_left_of_center for o in objs.objects]
    for _ in range(30):  # 2 s at 15 Hz
        objs.step(1.0 / 15.0)
    for before, after in zip(s0, objs.bot_progress()):
        assert (after - before) % reinvent.length == pytest.approx(1.0, abs=1e-9)
    assert [reinvent.project(o.x, o.y).is_left_of_center for o in objs.objects] == lefts0
    assert all(o.speed == 0.5 and o.kind == "bot_car" for o in objs.objects)


def test_bot_cars_start_min_distance_metres_apart_as_in_deepracer(reinvent):
    # DeepRacer: the first bot car MIN_DISTANCE_BETWEEN_BOT_CARS m (2.0) past the start
    # line, the last 1 m before it, evenly between; inner, outer, ... lanes.
    cfg = RaceConfig(race_type="HEAD_TO_HEAD_RACING", number_of_bot_cars=3)
    objs = RaceObjects(reinvent, cfg)
    objs.reset(np.random.default_rng(0))
    assert objs.bot_progress() == pytest.approx(np.linspace(2.0, reinvent.length - 1.0, 3).tolist())
    insides = [reinvent.project(o.x, o.y).is_left_of_center for o in objs.objects]
    assert insides[0] == insides[2] != insides[1]
    cfg = RaceConfig(race_type="HEAD_TO_HEAD_RACING", number_of_bot_cars=3,
                     min_distance_between_bot_cars=3.0, randomize_bot_car_locations=True)
    a, b = RaceObjects(reinvent, cfg), RaceObjects(reinvent, cfg)
    a.reset(np.random.default_rng(4))
    b.reset(np.random.default_rng(4))
    assert a.bot_progress() == b.bot_progress() != pytest.approx(np.linspace(3.0, reinvent.length - 1.0, 3).tolist())
    s = a.bot_progress()
    assert s[0] >= 3.0 and min(np.diff(s)) >= 3.0 - 1e-9 and s[-1] <= reinvent.length - 1.0


def test_bot_cars_change_lanes_in_the_time_window(reinvent):
    cfg = RaceConfig(race_type="HEAD_TO_HEAD_RACING", number_of_bot_cars=1, bot_car_speed=1.0,
                     is_lane_change=True, lower_lane_change_time=1.0, upper_lane_change_time=2.0,
                     lane_change_distance=1.0)
    objs = RaceObjects(reinvent, cfg)
    objs.reset(np.random.default_rng(3))
    side = [reinvent.project(objs.objects[0].x, objs.objects[0].y).is_left_of_center]
    for _ in range(int(3.0 * 15)):  # 3 s: a change starts within 2 s and lasts 1 m = 1 s
        objs.step(1.0 / 15.0)
        side.append(reinvent.project(objs.objects[0].x, objs.objects[0].y).is_left_of_center)
    switch = side.index(not side[0])
    assert 1.0 * 15 <= switch <= 3.0 * 15
    assert side[-1] != side[0]


# ----------------------------------------------------------------------------- LIDAR

def test_lidar_range_to_a_box_behind_the_car():
    spec = lidar.LidarSpec()
    # A box whose front face is 0.5 m behind the LIDAR, straight behind the car.
    box = _box(spec.x - 0.5 - 0.2, 0.0)
    ranges = lidar.scan(0.0, 0.0, 0.0, [box], spec)
    angles = spec.angles()
    middle = int(np.argmin(np.abs(np.cos(angles) + 1.0)))  # the ray pointing straight back
    # 64 rays over 300 degrees: the one nearest straight back is a little off axis
    assert ranges[middle] == pytest.approx(0.5 / abs(math.cos(angles[middle])), abs=1e-9)
    assert np.isinf(ranges[0]) and np.isinf(ranges[-1])  # the first and last rays look ahead-ish
    assert ranges.shape == (64,)


def test_lidar_follows_the_car_pose():
    spec = lidar.LidarSpec()
    yaw = 1.0
    ox, oy = 2.0 + spec.x * math.cos(yaw), 3.0 + spec.x * math.sin(yaw)
    # A box 0.8 m to the car's left (90 degrees from the heading).
    bx, by = ox - 1.0 * math.sin(yaw), oy + 1.0 * math.cos(yaw)
    ranges = lidar.scan(2.0, 3.0, yaw, [_box(bx, by, yaw, 0.4, 0.4)], spec)
    assert np.nanmin(ranges) == pytest.approx(0.8, abs=0.01)


def test_sector_lidar_reduction():
    ranges = np.full(64, np.inf)
    ranges[3] = 0.3  # sector 0
    ranges[20] = 0.49  # sector 2
    ranges[40] = 0.51  # sector 5: beyond the clipping distance
    assert lidar.sector_lidar(ranges).tolist() == [1, 0, 1, 0, 0, 0, 0, 0]
    two = lidar.sector_lidar(ranges, values_per_sector=2)  # bins [0, 0.25), [0.25, 0.5)
    assert two.reshape(8, 2).tolist()[:3] == [[0, 1], [0, 0], [0, 1]]
    obs = lidar.lidar_observation(ranges)
    assert obs.dtype == np.float32 and obs.max() == 1.0 and obs[3] == pytest.approx(0.3)


# ----------------------------------------------------------------------------- stereo

def _box_columns(renderer, box, width=160, height=120):
    image = np.zeros((height, width), np.uint8)
    renderer.draw(image, 0.0, 0.0, 0.0, [box])
    cols = np.nonzero(image.any(axis=0))[0]
    return cols


def test_stereo_disparity_matches_the_baseline(car):
    baseline = 0.06
    left, right = stereo_cameras(car.camera, baseline)
    assert left.y - right.y == pytest.approx(baseline)
    f = focal_length(car.camera.hfov, 160)
    for distance in (0.6, 1.0, 2.0):
        # A box whose front face is `distance` ahead of the cameras' optical centres.
        box = _box(car.camera.x + distance + 0.2, 0.0, 0.0, 0.4, 0.3, 0.25)
        cl = _box_columns(ObjectRenderer(left), box)
        cr = _box_columns(ObjectRenderer(right), box)
        assert cl.size and cr.size
        # The front face's vertical edges bound the box in both views; their widest
        # points are the top corners, at depth Z along the (pitched) optical axis.
        # Disparity = f * B / Z.
        cam = car.camera
        z_depth = distance * math.cos(cam.pitch) - (0.25 - cam.z) * math.sin(cam.pitch)
        expected = f * baseline / z_depth
        for a, b in ((cl.min(), cr.min()), (cl.max(), cr.max())):
            assert a - b == pytest.approx(expected, abs=1.0), (distance, a, b, expected)


def test_objects_are_drawn_over_the_image_only_where_seen(car):
    r = ObjectRenderer(car.camera)
    base = np.full((120, 160, 3), 7, np.uint8)
    image = base.copy()
    r.draw(image, 0.0, 0.0, 0.0, [_box(-2.0, 0.0)])  # behind the car
    assert (image == base).all()
    depth = np.empty((120, 160))
    r.draw(image, 0.0, 0.0, 0.0, [_box(1.2, 0.0)], depth=depth)
    seen = (image != 7).any(axis=2)
    assert 0 < seen.sum() < seen.size / 2
    assert np.isfinite(depth[seen]).all() and np.isinf(depth[~seen]).all()
    assert depth[seen].min() == pytest.approx(1.2 - 0.2 - car.camera.x, rel=0.1)


# ----------------------------------------------------------------------------- RaceSimulator

def test_race_simulator_crashes_into_a_fixed_obstacle_and_sees_it(car, reinvent):
    from deepracer_simulator import Simulator
    from deepracer_simulator.race import RaceSimulator

    cfg = RaceConfig(race_type="OBJECT_AVOIDANCE", number_of_obstacles=1,
                     min_distance_between_obstacles=3.0)
    race = RaceSimulator(Simulator(reinvent, car, seed=0), cfg, ("STEREO_CAMERAS", "SECTOR_LIDAR"))
    rng = np.random.default_rng(0)
    race.reset(*reinvent.pose_at(0.0), rng)
    box = race.objects.objects[0]
    p = reinvent.project(box.x, box.y)
    # Start 1.2 m before the box, in its lane, and drive straight at it.
    x, y, yaw = reinvent.pose_at(p.s - 1.2, reinvent.project(box.x, box.y).distance_from_center
                                 * (1 if p.is_left_of_center else -1))
    race.reset(x, y, yaw, rng)
    obs = race.observation()
    assert obs["STEREO_CAMERAS"].shape == (120, 160, 2)
    left, right = obs["STEREO_CAMERAS"][..., 0], obs["STEREO_CAMERAS"][..., 1]
    assert (left != right).any()
    assert obs["SECTOR_LIDAR"].shape == (8,)
    race.sim.set_drive(0.0, 1.0)
    for step in range(60):
        race.step_frame()
        if race.crashed:
            break
    assert race.crashed and race.crashed_object == 0
    assert 0.5 < step / 15.0 < 2.0  # about 1 m at up to 1 m/s
