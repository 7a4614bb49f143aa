"""The realistic world: a track's printed mat in a room, baked once per (track, scene seed).

A `Scene` is data: the mat's top-down texture (a few mm per texel, from the track raster),
a periodic floor tile (carpet, concrete, wood or tiles), the barrier walls around the
mat (a rectangle 2 ft from the track, as the AWS track guide recommends; uniform panels),
the room beyond (walls with doors, windows, posters, lamps; a ceiling with lamp panels)
and distractor sprites (people, boxes, chairs, cones) outside the track.
`bake_scene(track, raster, seed)` makes one, deterministically; `SceneCache` keeps the
recent bakes in memory (and, with a folder, on disk) keyed by track, seed and
`WORLD_VERSION`, so that an episode change costs a dictionary lookup.

What varies per episode without a new bake (light, shadows, glare, vignetting, white
balance, how many distractors stand) is a `WorldEpisode`, drawn by `draw_world` from
the randomization.json world keys (see randomization_file.WORLD_KEYS).
"""
import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import world_textures as tex

WORLD_VERSION = 2  # bump when a bake changes, so disk caches are not reused


@dataclass(frozen=True)
class WorldConfig:
    """Fixed sizes and the ranges a scene seed draws its layout from (metres)."""

    mat_margin: float = 0.3  # m of mat beyond the track's edges (re:Invent 2018 mat: 7.9 x 5.2 m)
    barrier_gap: tuple = (0.5, 0.9)  # m, barrier from the track's bounding box (AWS guide: 2 ft)
    barrier_height: tuple = (0.3, 0.76)  # m (AWS guide: at least 2.5 ft; many events use lower)
    room_margin: tuple = (1.5, 4.0)  # m from the barrier to each room wall
    room_height: tuple = (2.6, 3.6)  # m
    floor_tile: float = 2.56  # m, period of the floor texture (a power of two texels)
    floor_res: float = 0.005  # m per floor texel
    barrier_res: float = 0.02  # m per barrier texel
    wall_res: float = 0.04  # m per room wall texel
    ceiling_res: float = 0.05  # m per ceiling texel
    wear: tuple = (0.2, 1.0)  # how worn the mat print is
    inner_objects: int = 3  # distractors between the mat and the barrier
    outer_objects: int = 9  # distractors between the barrier and the room walls


@dataclass(frozen=True, eq=False)
class Scene:
    """One baked world. Rectangles are (x0, y0, x1, y1) in world metres; textures uint8 RGBA."""

    key: tuple  # (track key, seed, WORLD_VERSION)
    floor_material: str  # one of world_textures.FLOOR_MATERIALS
    mat: np.ndarray  # (rows, cols, 4), alpha = gloss; row = y
    mat_rect: tuple  # world rectangle the mat covers
    mat_res: float  # m per mat texel
    floor: np.ndarray  # (n, n, 4) periodic tile, alpha = gloss
    floor_res: float
    ground: np.ndarray  # (rows, cols, 4) over barrier_rect at mat_res: the floor tile with the mat
    #   pasted in; alpha = gloss with its lowest bit set on the floor (0 on the mat)
    barrier_rect: tuple
    barrier_height: float  # m
    barrier: np.ndarray  # (rows, cols, 4): row = height, col = perimeter position
    barrier_res: float
    room_rect: tuple
    room_height: float  # m
    room: np.ndarray  # (rows, cols, 4), alpha >= 128: emissive (windows, lamps)
    room_res: float
    ceiling: np.ndarray  # (rows, cols, 4) over room_rect, alpha >= 128: emissive
    ceiling_res: float
    objects: np.ndarray  # (n, 4) float64: x, y, width, height (m); the first `inner` inside the barrier
    inner: int  # how many of `objects` stand between the mat and the barrier
    sprites: np.ndarray  # (n, rows, cols, 4) RGBA, row 0 at the floor

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.mat, self.floor, self.ground, self.barrier, self.room, self.ceiling,
                                      self.sprites))


def track_key(track) -> str:
    """The name of a track plus a digest of its route (a changed route is another scene)."""
    digest = hashlib.sha1()
    for array in (track.centre, track.inner, track.outer):
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return f"{track.name or 'track'}-{digest.hexdigest()[:12]}"


def _edges_bbox(track):
    pts = np.concatenate([track.inner, track.outer, track.centre])
    return (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))


def _grow(rect, d):
    return (rect[0] - d, rect[1] - d, rect[2] + d, rect[3] + d)


def bake_scene(track, raster, seed, config=WorldConfig()) -> Scene:
    """Bake the world of `track` (its TrackRaster `raster` paints the mat) for scene `seed`."""
    seed = int(seed)
    key = (track_key(track), seed, WORLD_VERSION)
    root = np.random.default_rng([seed, int(hashlib.sha1(key[0].encode()).hexdigest()[:8], 16), WORLD_VERSION])
    rngs = root.spawn(8)
    bbox = _edges_bbox(track)
    # Geometry of this scene.
    geo = rngs[0]
    barrier_rect = _grow(bbox, float(geo.uniform(*config.barrier_gap)))
    barrier_height = float(geo.uniform(*config.barrier_height))
    margins = geo.uniform(*config.room_margin, size=4)
    room_rect = (barrier_rect[0] - margins[0], barrier_rect[1] - margins[1],
                 barrier_rect[2] + margins[2], barrier_rect[3] + margins[3])
    room_height = float(geo.uniform(*config.room_height))
    material = tex.FLOOR_MATERIALS[(seed + int(geo.integers(4))) % len(tex.FLOOR_MATERIALS)]
    # The mat: the raster's cells inside the mat rectangle.
    mat_rect = _grow(bbox, config.mat_margin)
    res = raster.resolution
    c0 = max(0, int(math.floor((mat_rect[0] - raster.x0) / res)))
    r0 = max(0, int(math.floor((mat_rect[1] - raster.y0) / res)))
    c1 = min(raster.labels.shape[1], int(math.ceil((mat_rect[2] - raster.x0) / res)))
    r1 = min(raster.labels.shape[0], int(math.ceil((mat_rect[3] - raster.y0) / res)))
    mat_rect = (raster.x0 + c0 * res, raster.y0 + r0 * res, raster.x0 + c1 * res, raster.y0 + r1 * res)
    mat = tex.mat_texture(rngs[1], raster.labels[r0:r1, c0:c1], res, float(rngs[1].uniform(*config.wear)))
    floor = tex.floor_tile(rngs[2], material, int(round(config.floor_tile / config.floor_res)), config.floor_res)
    bw, bh = barrier_rect[2] - barrier_rect[0], barrier_rect[3] - barrier_rect[1]
    barrier = tex.barrier_texture(rngs[3], 2 * (bw + bh), barrier_height, config.barrier_res)
    rw, rh = room_rect[2] - room_rect[0], room_rect[3] - room_rect[1]
    room = tex.room_texture(rngs[4], (rw, rh, rw, rh), room_height, config.wall_res)
    ceiling = tex.ceiling_texture(rngs[5], (rw, rh), config.ceiling_res)
    objects, sprites = _distractors(rngs[6], mat_rect, barrier_rect, room_rect, config)
    ground = ground_texture(mat, mat_rect, floor, config.floor_res, barrier_rect, res)
    return Scene(key=key, floor_material=material, mat=mat, mat_rect=mat_rect, mat_res=res,
                 floor=floor, ground=ground, floor_res=config.floor_res, barrier_rect=barrier_rect,
                 barrier_height=barrier_height, barrier=barrier, barrier_res=config.barrier_res,
                 room_rect=room_rect, room_height=room_height, room=room, room_res=config.wall_res,
                 ceiling=ceiling, ceiling_res=config.ceiling_res, objects=objects,
                 inner=config.inner_objects, sprites=sprites)


def ground_texture(mat, mat_rect, floor, floor_res, rect, res) -> np.ndarray:
    """The floor inside the barrier `rect` at `res` m/texel: the periodic `floor` tile
    (anchored at the world origin) with `mat` (covering `mat_rect`, same res) pasted in."""
    cols = int(math.ceil((rect[2] - rect[0]) / res))
    rows = int(math.ceil((rect[3] - rect[1]) / res))
    n = floor.shape[0]
    ys = np.floor((rect[1] + (np.arange(rows) + 0.5) * res) / floor_res).astype(np.int64) % n
    xs = np.floor((rect[0] + (np.arange(cols) + 0.5) * res) / floor_res).astype(np.int64) % n
    ground = floor[ys[:, None], xs[None, :]]
    ground[..., 3] |= 1
    r0 = int(round((mat_rect[1] - rect[1]) / res))
    c0 = int(round((mat_rect[0] - rect[0]) / res))
    mr, mc = mat.shape[:2]
    gr0, gc0 = max(r0, 0), max(c0, 0)
    gr1, gc1 = min(r0 + mr, rows), min(c0 + mc, cols)
    if gr1 > gr0 and gc1 > gc0:
        part = mat[gr0 - r0:gr1 - r0, gc0 - c0:gc1 - c0]
        ground[gr0:gr1, gc0:gc1, :3] = part[..., :3]
        ground[gr0:gr1, gc0:gc1, 3] = part[..., 3] & 0xFE
    return np.ascontiguousarray(ground)


def _on_ring(rng, outer, inner_rect, inset):
    """A random point in the ring between `inner_rect` and `outer` (rectangles), `inset` m
    away from both; None when the ring is too narrow there."""
    side = int(rng.integers(4))  # 0: below (low y), 1: right, 2: above, 3: left
    if side in (0, 2):  # below / above: x anywhere along, y in the ring's band
        x = float(rng.uniform(outer[0] + inset, outer[2] - inset))
        band = (outer[1] + inset, inner_rect[1] - inset) if side == 0 else (inner_rect[3] + inset, outer[3] - inset)
        if band[1] <= band[0]:
            return None
        return x, float(rng.uniform(*band))
    y = float(rng.uniform(outer[1] + inset, outer[3] - inset))
    band = (outer[0] + inset, inner_rect[0] - inset) if side == 3 else (inner_rect[2] + inset, outer[2] - inset)
    if band[1] <= band[0]:
        return None
    return float(rng.uniform(*band)), y


def _distractors(rng, mat_rect, barrier_rect, room_rect, config):
    rows = []
    sprites = []
    for k in range(config.inner_objects + config.outer_objects):
        inner = k < config.inner_objects
        kind = (str(rng.choice(["box", "cone"])) if inner
                else str(rng.choice(tex.SPRITE_KINDS, p=[0.45, 0.2, 0.2, 0.15])))
        (w0, w1), (h0, h1) = tex.SPRITE_SIZES[kind]
        w, h = float(rng.uniform(w0, w1)), float(rng.uniform(h0, h1))
        where = None
        for _ in range(20):
            where = (_on_ring(rng, barrier_rect, mat_rect, w / 2 + 0.02) if inner
                     else _on_ring(rng, room_rect, barrier_rect, w / 2 + 0.2))
            if where is not None:
                break
        if where is None:  # no room: park it far away (never in view)
            where, h = (1e6, 1e6), 0.0
        rows.append((where[0], where[1], w, h))
        sprites.append(tex.sprite(rng, kind))
    return np.array(rows, np.float64).reshape(-1, 4), np.ascontiguousarray(np.stack(sprites))


# ---------------------------------------------------------------- the cache
class SceneCache:
    """Recent bakes in memory (least recently used out first) and, with `folder`, as .npz
    files named by track, seed and WORLD_VERSION. Thread-safe."""

    def __init__(self, max_scenes=16, folder=None):
        self.max_scenes = int(max_scenes)
        self.folder = None if folder is None else Path(folder)
        self._scenes = OrderedDict()
        self._lock = threading.Lock()
        self.bakes = 0  # how many scenes this cache baked (not loaded)

    def get(self, track, raster, seed, config=WorldConfig()) -> Scene:
        key = (track_key(track), int(seed), WORLD_VERSION, config)
        with self._lock:
            scene = self._scenes.get(key)
            if scene is not None:
                self._scenes.move_to_end(key)
                return scene
        scene = self._load(key) if self.folder is not None else None
        if scene is None:
            scene = bake_scene(track, raster, seed, config)
            self.bakes += 1
            if self.folder is not None:
                self._save(key, scene)
        with self._lock:
            self._scenes[key] = scene
            while len(self._scenes) > self.max_scenes:
                self._scenes.popitem(last=False)
        return scene

    def _path(self, key) -> Path:
        digest = hashlib.sha1(repr(key[3]).encode()).hexdigest()[:8]
        return self.folder / f"{key[0]}_seed{key[1]}_v{key[2]}_{digest}.npz"

    def _save(self, key, scene):
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        tmp = path.with_suffix(".tmp.npz")
        arrays = {name: getattr(scene, name) for name in _ARRAYS}
        meta = {name: np.asarray(getattr(scene, name)) for name in _VALUES}
        np.savez(tmp, **arrays, **meta)
        tmp.replace(path)

    def _load(self, key):
        path = self._path(key)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            values = {name: data[name] for name in _ARRAYS}
            for name in _VALUES:
                v = data[name]
                values[name] = (str(v) if v.dtype.kind == "U" else
                                tuple(float(x) for x in v) if v.ndim else
                                (int(v) if v.dtype.kind == "i" else float(v)))
        return Scene(key=key[:3], **values)


_ARRAYS = ("mat", "floor", "ground", "barrier", "room", "ceiling", "objects", "sprites")
_VALUES = ("floor_material", "mat_rect", "mat_res", "floor_res", "barrier_rect", "barrier_height",
           "barrier_res", "room_rect", "room_height", "room_res", "ceiling_res", "inner")

DEFAULT_CACHE = SceneCache()  # the process's bakes, shared by its simulators (vectorized envs)


# ---------------------------------------------------------------- per episode
@dataclass(frozen=True)
class WorldEpisode:
    """One episode's draw of the world keys (randomization_file.WORLD_KEYS)."""

    scene_seed: int = 0  # which baked scene
    light_azimuth_deg: float = 30.0  # direction the directional light comes from (world frame)
    light_elevation_deg: float = 50.0  # its height above the horizon
    ambient_level: float = 0.6  # share of the light that is ambient (no direction, no shadow)
    shadow_strength: float = 0.0  # 0: no shadow bands; 1: black shadows
    shadow_period_m: float = 1.5  # distance between shadow bands on the floor
    white_balance_shift: float = 0.0  # red gain 1 + shift, blue gain 1 - shift
    vignetting: float = 0.0  # brightness lost in the image corners
    glare: float = 0.0  # strength of the light's specular reflection on glossy surfaces
    distractors: int = 0  # how many of the scene's distractor objects stand this episode


NOMINAL_WORLD = WorldEpisode()


def draw_world(ranges, rng) -> WorldEpisode:
    """One episode's world values from randomization ranges (uniform; integers for
    scene_seed and distractors, both ends included). Keys absent from the file keep the
    nominal values of WorldEpisode."""
    values = {}
    for name in WorldEpisode.__dataclass_fields__:
        pair = getattr(ranges, name, None)
        if pair is None:
            continue
        low, high = pair
        if name in ("scene_seed", "distractors"):
            values[name] = int(rng.integers(int(low), int(high) + 1))
        else:
            values[name] = float(rng.uniform(low, high))
    return WorldEpisode(**values)
