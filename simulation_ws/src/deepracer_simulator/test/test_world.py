"""The realistic world: deterministic bakes and draws, the world keys of randomization.json,
the renderer's geometry (floor lookup, barrier distance), the cache, and the switch by preset."""
import dataclasses
import json
import math

import numpy as np
import pytest

from deepracer_simulator import Simulator
from deepracer_simulator.randomization import RandomizationError
from deepracer_simulator.randomization_file import WORLD_KEYS, load_randomization, to_spec
from deepracer_simulator.world import (NOMINAL_WORLD, SceneCache, WorldEpisode, bake_scene,
                                       draw_world)
from deepracer_simulator.world_render import LitWorld, PixelRays

_ARRAYS = ("mat", "floor", "ground", "barrier", "room", "ceiling", "objects", "sprites")


@pytest.fixture(scope="module")
def scene(reinvent, car):
    sim = Simulator(reinvent, car, seed=0)
    return bake_scene(reinvent, sim.raster, 3)


def test_bake_is_deterministic_per_track_and_seed(reinvent, car, scene):
    raster = Simulator(reinvent, car, seed=0).raster
    again = bake_scene(reinvent, raster, 3)
    other = bake_scene(reinvent, raster, 4)
    for name in _ARRAYS:
        assert np.array_equal(getattr(scene, name), getattr(again, name)), name
    assert (scene.barrier_rect, scene.room_rect, scene.floor_material) == \
        (again.barrier_rect, again.room_rect, again.floor_material)
    assert not np.array_equal(scene.mat, other.mat) and scene.room_rect != other.room_rect


def test_scene_geometry_encloses_the_track(reinvent, scene):
    pts = np.concatenate([reinvent.inner, reinvent.outer])
    mx0, my0, mx1, my1 = scene.mat_rect
    bx0, by0, bx1, by1 = scene.barrier_rect
    rx0, ry0, rx1, ry1 = scene.room_rect
    assert mx0 < pts[:, 0].min() and pts[:, 0].max() < mx1 and my0 < pts[:, 1].min() and pts[:, 1].max() < my1
    assert bx0 < mx0 and mx1 < bx1 and by0 < my0 and my1 < by1
    assert rx0 < bx0 and bx1 < rx1 and ry0 < by0 and by1 < ry1
    assert 0.3 <= scene.barrier_height <= 0.76 and scene.room_height > 2.5
    # Distractors stand off the mat: the inner ones between the mat and the barrier.
    for x, y, w, h in scene.objects[:scene.inner]:
        if h > 0:
            assert not (mx0 < x < mx1 and my0 < y < my1) and bx0 < x < bx1 and by0 < y < by1


def test_world_draws_are_deterministic_and_respect_sampled_extremes():
    ranges = load_randomization("strong")
    assert draw_world(ranges, np.random.default_rng(5)) == draw_world(ranges, np.random.default_rng(5))
    assert draw_world(ranges, np.random.default_rng(5)) != draw_world(ranges, np.random.default_rng(6))
    rng = np.random.default_rng(0)
    draws = [draw_world(ranges, rng) for _ in range(3000)]
    for key in WORLD_KEYS:
        low, high = getattr(ranges, key)
        values = np.array([getattr(d, key) for d in draws], dtype=float)
        assert low <= values.min() and values.max() <= high, key
        if key in ("scene_seed", "distractors"):  # integers, both ends drawn
            assert np.all(values == np.round(values)) and values.min() == low and values.max() == high, key
        else:
            assert values.min() < low + 0.02 * (high - low) and values.max() > high - 0.02 * (high - low), key
    assert draw_world(load_randomization("none"), rng) == NOMINAL_WORLD


@pytest.mark.parametrize("content, key, words", [
    ({"scene_seed": [1.5, 3]}, "scene_seed", "pair of integers"),
    ({"distractors": [0, 40]}, "distractors", "at most 12"),
    ({"ambient_level": [0.5, 1.2]}, "ambient_level", "at most 1.0"),
    ({"glare": [1.0, 0.2]}, "glare", "reversed"),
    ({"vignetting": [-0.1, 0.2]}, "vignetting", "negative"),
    ({"light_elevation_deg": [0, 60]}, "light_elevation_deg", "below 1.0"),
    ({"shadow_period_m": "1"}, "shadow_period_m", "pair of numbers"),
    ({"scene_seeds": [0, 3]}, "scene_seeds", "unknown key"),
])
def test_malformed_world_key_names_file_and_key(tmp_path, content, key, words):
    path = tmp_path / "randomization.json"
    path.write_text(json.dumps(content))
    with pytest.raises(RandomizationError) as err:
        load_randomization(str(path))
    assert str(path) in str(err.value) and key in str(err.value) and words in str(err.value)


def test_the_preset_chooses_the_world(reinvent, car):
    pose = reinvent.pose_at(7.0)
    flat = Simulator(reinvent, car, seed=0)
    none = Simulator(reinvent, car, randomization=to_spec(load_randomization("none")), seed=0)
    for sim in (flat, none):
        sim.reset(*pose, seed=1)
    assert none.world is None and np.array_equal(none.render(160, 120), flat.render(160, 120))

    def realistic(seed):
        sim = Simulator(reinvent, car, randomization=to_spec(load_randomization("standard")), seed=0)
        sim.reset(*pose, seed=seed)
        return sim, sim.render(160, 120)

    a, image = realistic(11)
    assert a.world is not None and 0 <= a.world.lit.episode.scene_seed <= 15
    assert np.array_equal(image, realistic(11)[1])  # the same seed: the same picture
    assert not np.array_equal(image, realistic(12)[1])
    assert not np.array_equal(image, flat.render(160, 120))
    grey = a.render_gray(160, 120)
    assert grey.shape == (120, 160) and grey.dtype == np.uint8


def _plain_light(scene):
    """A world lit evenly (ambient only, no glare, shadow or vignetting): pixel = texel."""
    return LitWorld(scene, WorldEpisode(scene_seed=3, ambient_level=1.0, light_elevation_deg=60.0))


def test_floor_pixels_show_the_ground_texel_under_their_ray(reinvent, car, scene):
    lit = _plain_light(scene)
    camera = dataclasses.replace(car.camera, hfov=1.13)
    rays = PixelRays(camera, None, 160, 120)
    x, y, yaw = reinvent.pose_at(7.0)
    out = np.empty((120 * 160, 3), np.uint8)
    lit.render(rays, x, y, yaw, out)
    c, s = math.cos(yaw), math.sin(yaw)
    ox, oy = x + c * camera.x - s * camera.y, y + s * camera.x + c * camera.y
    levels = rays.levels(scene.mat_res)
    checked = 0
    for p in range(0, 160 * 120, 37):
        if levels[p] != 0 or rays.floor_reach[p] > 3.0 or rays.outside[p]:
            continue  # level 0 of the pyramid only: the ground texture itself
        ux = c * rays.ux[p] - s * rays.uy[p]
        uy = s * rays.ux[p] + c * rays.uy[p]
        wx, wy = ox + rays.floor_reach[p] * ux, oy + rays.floor_reach[p] * uy
        col = int((wx - scene.barrier_rect[0]) / scene.mat_res)
        row = int((wy - scene.barrier_rect[1]) / scene.mat_res)
        texel = scene.ground[row, col, :3].astype(int)
        assert np.abs(out[p].astype(int) - texel).max() <= 2, (p, out[p], texel)
        checked += 1
    assert checked > 50


def test_barrier_starts_where_the_floor_ray_reaches_it(car, scene):
    """Facing the +x barrier from d metres: the centre column turns from floor to barrier at
    the row whose floor reach is d (closed form), for the pinhole and the wide-angle lens."""
    from deepracer_camera.lens import default_camera
    lit = _plain_light(scene)
    bx1 = scene.barrier_rect[2]
    cy = 0.5 * (scene.barrier_rect[1] + scene.barrier_rect[3])
    for lens in (None, default_camera()):
        rays = PixelRays(car.camera, lens, 160, 120)
        d = 1.5
        x = bx1 - d - car.camera.x
        out = np.empty((120 * 160, 3), np.uint8)
        lit.render(rays, x, cy, 0.0, out)
        centre = np.arange(120) * 160 + 79
        expected = rays.floor_reach[centre] > d
        assert np.array_equal(rays.outside[centre].astype(bool), expected)
        assert expected.any() and not expected.all()


def test_scene_cache_bakes_once_and_reloads_from_its_folder(reinvent, car, tmp_path):
    raster = Simulator(reinvent, car, seed=0).raster
    cache = SceneCache(max_scenes=2, folder=tmp_path)
    first = cache.get(reinvent, raster, 9)
    assert cache.get(reinvent, raster, 9) is first and cache.bakes == 1
    loaded = SceneCache(folder=tmp_path).get(reinvent, raster, 9)
    for name in _ARRAYS:
        assert np.array_equal(getattr(first, name), getattr(loaded, name)), name
    assert (loaded.barrier_rect, loaded.floor_material, loaded.inner) == \
        (first.barrier_rect, first.floor_material, first.inner)
    assert len(list(tmp_path.glob("*.npz"))) == 1


def test_race_views_draw_the_objects_over_the_realistic_world(reinvent, car):
    """Race types: the camera views (both stereo eyes) are the realistic world in grey with
    the obstacles drawn over it."""
    import cv2
    from deepracer_simulator.objects import RaceConfig
    from deepracer_simulator.race import RaceSimulator

    sim = Simulator(reinvent, car, randomization=to_spec(load_randomization("standard")), seed=0)
    race = RaceSimulator(sim, RaceConfig(race_type="OBJECT_AVOIDANCE", number_of_obstacles=3),
                         sensors=("STEREO_CAMERAS",))
    race.reset(*reinvent.pose_at(0.0), np.random.default_rng(0), seed=2)
    views = race.camera_views(160, 120)
    s = sim.state
    for k, (_, renderer) in enumerate(race._views):
        rgb = np.empty((120, 160, 3), np.uint8)
        sim.world.render_from(renderer.camera, s.x, s.y, s.yaw, rgb)
        bare = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        drawn = renderer.draw(bare.copy(), s.x, s.y, s.yaw, race.objects.objects)
        assert np.array_equal(views[..., k], drawn)
        assert (views[..., k] != bare).sum() > 50  # the obstacles ahead cover pixels
    assert not np.array_equal(views[..., 0], views[..., 1])
