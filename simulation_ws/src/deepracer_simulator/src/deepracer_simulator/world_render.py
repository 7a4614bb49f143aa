"""Renders the realistic world (world.Scene) through the car's camera, one compiled loop per frame.

The camera is fixed to the car, so every pixel's ray is fixed in the car frame: once per
camera and image size we keep its horizontal direction (unit, car frame), its slope
(metres down per metre ahead) and where it meets the floor. A frame then, per pixel:
rotates the horizontal direction by the car's yaw; meets the barrier rectangle and, above
its top edge, the room box in closed form (axis-aligned vertical planes; the nearest
positive hit); else the floor (the mat inside the mat rectangle, the floor tile outside)
or the ceiling; checks the distractor billboards; looks the texel up (nearest) and
applies the episode's light: ambient plus a directional light with shadow bands on the
floor, Lambert on the walls, a specular glint on glossy texels, exposure and white
balance, vignetting. The loop is compiled with numba (one core, no threads).
"""
import math

import weakref

import cv2
import numpy as np
from numba import njit

from .world import NOMINAL_WORLD

BANDS = 1024  # entries of the shadow band table (one period)
OBJECT_BITS = (1 << 32) - 1  # bits of object_bins naming distractor rows
GLARE_BIT = 1 << 62  # bit of object_bins: a glint is possible in this azimuth bin
GLINT = np.linspace(0.8, 1.0, 257) ** 40  # the specular lobe, dot^40, for dot in [0.8, 1]
_FAR = 1e30


# ---------------------------------------------------------------- rays, per camera and size
AZIMUTH_BINS = 256  # bins of the camera's horizontal field of view (distractor culling)


class PixelRays:
    """Per-pixel constants of one camera (CameraSpec + optional lens) at one image size."""

    def __init__(self, camera, lens, width, height):
        if lens is None:  # the URDF pinhole: square pixels, centred
            f = (width / 2.0) / math.tan(camera.hfov / 2.0)
            u = (np.arange(width) + 0.5 - width / 2.0)[None, :].repeat(height, 0)
            v = (np.arange(height) + 0.5 - height / 2.0)[:, None].repeat(width, 1)
            rays = np.stack([u, v, np.full_like(u, f)], axis=-1)
        else:
            rays = lens_pixel_rays(lens, width, height)
        n = width * height
        self.width, self.height, self.camera = width, height, camera
        ux, uy, slope, reach, azimuth = (np.empty(n) for _ in range(5))
        rays = np.ascontiguousarray(rays.reshape(-1, 3), dtype=np.float64)
        _ray_constants(rays, camera.pitch, camera.z, ux, uy, slope, reach, azimuth)
        self.ux, self.uy = ux.astype(np.float32), uy.astype(np.float32)
        self.slope, self.floor_reach = slope.astype(np.float32), reach.astype(np.float32)
        low, high = float(azimuth.min()), float(azimuth.max())
        self.azimuth_range = (low, high)
        span = max(high - low, 1e-9)
        self.azimuth_bin = np.minimum(((azimuth - low) / span * AZIMUTH_BINS).astype(np.int64),
                                      AZIMUTH_BINS - 1).astype(np.uint8)
        self.radius2 = _radius2(width, height)
        # Floor metres per pixel: the distance times the pixel's angle (1 / focal length in
        # pixels; exact at the centre of a pinhole and of an equidistant fisheye).
        if lens is None:
            self.pixel_angle = 1.0 / ((width / 2.0) / math.tan(camera.hfov / 2.0))
        else:
            scaled = lens.scaled(width, height)
            self.pixel_angle = 1.0 / max(scaled.fx, scaled.fy)
        self._levels = {}

    def levels(self, texel) -> np.ndarray:
        """(n,) uint8 pyramid level per pixel for floor textures of `texel` m at level 0: the
        level whose texels are no larger than the pixel's footprint on the floor."""
        if texel not in self._levels:
            level = np.empty(self.slope.shape[0], np.uint8)
            _floor_levels(self.slope, self.floor_reach, self.pixel_angle / texel, MIP_LEVELS - 1, level)
            self._levels[texel] = level
        return self._levels[texel]


@njit(cache=True, nogil=True)
def _floor_levels(slope, reach, per_texel, top, level):
    for i in range(slope.shape[0]):
        k = slope[i]
        footprint = reach[i] * math.sqrt(1.0 + k * k) * per_texel if k > 1e-9 else 1e9
        lv = 0
        while lv < top and footprint >= 2.0:
            footprint *= 0.5
            lv += 1
        level[i] = lv


MIP_LEVELS = 4  # floor texture pyramid: 1x, 1/2, 1/4, 1/8


_RADIUS2 = {}


def _radius2(width, height) -> np.ndarray:
    """Squared distance of each pixel from the image centre, 1 at the corners (vignetting)."""
    if (width, height) not in _RADIUS2:
        cu, cv = (width - 1) / 2.0, (height - 1) / 2.0
        uu, vv = np.meshgrid(np.arange(width) - cu, np.arange(height) - cv)
        _RADIUS2[(width, height)] = ((uu ** 2 + vv ** 2) / (cu ** 2 + cv ** 2)).ravel().astype(np.float32)
    return _RADIUS2[(width, height)]


@njit(cache=True, nogil=True)
def _ray_constants(rays, pitch, z, ux, uy, slope, reach, azimuth):
    """Optical-frame rays (n, 3) -> car-frame horizontal directions, slopes, floor reach."""
    cp, sp = math.cos(pitch), math.sin(pitch)
    for i in range(rays.shape[0]):
        right, down_cam, ahead = rays[i, 0], rays[i, 1], rays[i, 2]
        forward = ahead * cp - down_cam * sp
        left = -right
        down = ahead * sp + down_cam * cp
        horizontal = max(math.sqrt(forward * forward + left * left), 1e-9)
        ux[i], uy[i] = forward / horizontal, left / horizontal
        k = down / horizontal
        slope[i] = k
        reach[i] = z / k if k > 1e-9 else _FAR
        azimuth[i] = math.atan2(uy[i], ux[i])


def lens_pixel_rays(lens, width, height) -> np.ndarray:
    """(height * width, 3) float64 unit rays of `lens` (a deepracer_camera CameraModel), as its
    `pixel_rays`; a fisheye's through a table of its radial inverse (1e-7 rad), which
    makes a jittered lens per episode cheap."""
    if lens.model != "fisheye":
        return lens.pixel_rays(width, height).astype(np.float64).reshape(-1, 3)
    cam = lens.scaled(width, height)
    corners = np.array([[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0], [width - 1.0, height - 1.0]])
    top = float(min(np.hypot((corners[:, 0] - cam.cx) / cam.fx, (corners[:, 1] - cam.cy) / cam.fy).max(),
                    math.pi / 2))
    samples = np.linspace(0.0, top, 4097)
    theta = _fisheye_theta(samples, cam.dist)
    rays = np.empty((width * height, 3))
    _fisheye_rays(width, height, cam.fx, cam.fy, cam.cx, cam.cy, top / 4096, theta, rays)
    return rays


def _fisheye_theta(theta_d, dist, iterations=12):
    """The angle from the axis whose equidistant-distorted angle is `theta_d` (Newton)."""
    k1, k2, k3, k4 = dist
    theta = theta_d.copy()
    for _ in range(iterations):
        t2 = theta * theta
        f = theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4)))) - theta_d
        df = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))
        theta = theta - f / df
    return theta


@njit(cache=True, nogil=True)
def _fisheye_rays(width, height, fx, fy, cx, cy, step, table, rays):
    last = table.shape[0] - 1
    for row in range(height):
        for col in range(width):
            i = row * width + col
            xd, yd = (col - cx) / fx, (row - cy) / fy
            td = math.sqrt(xd * xd + yd * yd)
            pos = min(td / step, last - 1e-9)
            j = int(pos)
            t = table[j] + (table[min(j + 1, last)] - table[j]) * (pos - j)
            scale = math.sin(t) / td if td > 1e-12 else 0.0
            rays[i, 0], rays[i, 1], rays[i, 2] = xd * scale, yd * scale, math.cos(t)


# ---------------------------------------------------------------- the compiled loop
@njit(cache=True, nogil=True, fastmath=True)
def _exit(ox, oy, ux, uy, x0, y0, x1, y1):
    """Distance along (ux, uy) from (ox, oy) inside the rectangle to its boundary, and the side
    (0: y = y0, 1: x = x1, 2: y = y1, 3: x = x0)."""
    if ux > 1e-12:
        tx, sx = (x1 - ox) / ux, 1
    elif ux < -1e-12:
        tx, sx = (x0 - ox) / ux, 3
    else:
        tx, sx = 1e30, 1
    if uy > 1e-12:
        ty, sy = (y1 - oy) / uy, 2
    elif uy < -1e-12:
        ty, sy = (y0 - oy) / uy, 0
    else:
        ty, sy = 1e30, 0
    if tx < ty:
        return tx, sx
    return ty, sy


@njit(cache=True, nogil=True, fastmath=True)
def _perimeter(side, hx, hy, x0, y0, x1, y1):
    w, h = x1 - x0, y1 - y0
    if side == 0:
        return hx - x0
    if side == 1:
        return w + hy - y0
    if side == 2:
        return w + h + x1 - hx
    return 2.0 * w + h + y1 - hy


@njit(cache=True, nogil=True, fastmath=True)
def _texel(t, row, col):
    """The packed RGBA (uint32, little-endian: R in the low byte) at (row, col), clamped."""
    rows, cols = t.shape[0], t.shape[1]
    row = min(max(row, 0), rows - 1)
    col = min(max(col, 0), cols - 1)
    return t[row, col]


@njit(cache=True, nogil=True, fastmath=True)
def render_world(out, ux0, uy0, slope, reach, radius2, azimuth_bin, level,
                 mat, mat_levels, floor, floor_levels, barrier, room, ceiling, sprites, objs,
                 object_bins, inner_bits, band, geo, frame, shades, offsets):
    """Write the (n, 3) uint8 RGB of every pixel into `out` (see the module doc). Textures
    are packed RGBA (uint32 per texel). `objs` holds the distractors in view, one row each
    (dx, dy from the camera, width, height, dx^2 + dy^2, 1 / distance, sprite index), the
    ones standing inside the barrier first; `object_bins[azimuth_bin[p]]` has bit i set when
    row i may cover pixel p, `inner_bits` the bits of the inner rows."""
    mx0, my0, mx1, my1, mat_inv = geo[0], geo[1], geo[2], geo[3], geo[4]
    floor_inv = geo[5]
    bx0, by0, bx1, by1, bh, bar_inv = geo[6], geo[7], geo[8], geo[9], geo[10], geo[11]
    rx0, ry0, rx1, ry1, rh, room_inv, ceil_inv = geo[12], geo[13], geo[14], geo[15], geo[16], geo[17], geo[18]
    ox, oy, h, c, s = frame[0], frame[1], frame[2], frame[3], frame[4]
    lx, ly, lz = frame[5], frame[6], frame[7]
    band_c, band_s, band_scale = frame[8], frame[9], frame[10]
    glare, gain_r, gain_g, gain_b, vignetting = frame[11], frame[12], frame[13], frame[14], frame[15]
    amb, direct = frame[16], frame[17]  # floor: amb + direct * band
    has_band = frame[18] > 0.0
    gain_r, gain_g, gain_b = int(gain_r * 256.0), int(gain_g * 256.0), int(gain_b * 256.0)
    sprite_rows, sprite_cols = sprites.shape[1], sprites.shape[2]
    band_mask = band.shape[0] - 1
    for p in range(out.shape[0]):
        ux = c * ux0[p] - s * uy0[p]
        uy = s * ux0[p] + c * uy0[p]
        k = slope[p]
        r = reach[p]
        kind = 0  # 0 floor, 1 barrier, 2 room wall, 3 ceiling
        side = 0
        zb = 0.0
        wx, wy = ox + r * ux, oy + r * uy
        if not (k > 0.0 and bx0 < wx < bx1 and by0 < wy < by1):  # not the floor inside the barrier
            rb, side = _exit(ox, oy, ux, uy, bx0, by0, bx1, by1)
            zb = h - k * rb
            if zb <= bh:
                kind, r = 1, rb
            else:
                rr, rside = _exit(ox, oy, ux, uy, rx0, ry0, rx1, ry1)
                if k > 0.0 and r <= rr:
                    kind = 0
                elif h - k * rr <= rh:
                    kind, r, side = 2, rr, rside
                else:
                    kind, r = 3, (rh - h) / (-k)
        # Distractor billboards: the inner ones against any hit, the outer ones only for
        # rays that pass over the barrier.
        hit_obj = -1
        texel = np.uint32(0)
        bin_bits = object_bins[azimuth_bin[p]]
        bits = bin_bits & OBJECT_BITS
        if kind < 2:
            bits &= inner_bits
        i = -1
        while bits != 0:
            i += 1
            if (bits >> i) & 1 == 0:
                continue
            bits &= ~(1 << i)
            dx, dy = objs[i, 0], objs[i, 1]
            along = ux * dx + uy * dy
            if along <= 0.0:
                continue
            across = ux * dy - uy * dx
            half = 0.5 * objs[i, 2]
            if across * across * objs[i, 4] >= half * half * along * along:  # |lateral| >= half
                continue
            ro = objs[i, 4] / along  # the billboard faces the camera
            if ro >= r:
                continue
            zo = h - k * ro
            if zo < 0.0 or zo >= objs[i, 3]:
                continue
            lateral = ro * across * objs[i, 5]
            col = min(max(int((lateral / objs[i, 2] + 0.5) * sprite_cols), 0), sprite_cols - 1)
            row = min(int(zo / objs[i, 3] * sprite_rows), sprite_rows - 1)
            j = int(objs[i, 6])
            t = sprites[j, row, col]
            if (t >> 24) < 128:
                continue
            hit_obj, texel, r = j, t, ro
        spec = 0.0
        if hit_obj >= 0:
            cls = 4
            shade = shades[8]
        elif kind == 0:
            wx, wy = ox + r * ux, oy + r * uy
            lv = level[p]
            if mx0 <= wx < mx1 and my0 <= wy < my1:
                cls = 0
                scale = mat_inv / (1 << lv)
                cols = mat_levels[lv, 2]
                row = min(int((wy - my0) * scale), mat_levels[lv, 1] - 1)
                col = min(int((wx - mx0) * scale), cols - 1)
                texel = mat[mat_levels[lv, 0] + row * cols + col]
            else:
                cls = 1
                scale = floor_inv / (1 << lv)
                n = floor_levels[lv, 2]
                row = int((wy - ry0) * scale) & (n - 1)
                col = int((wx - rx0) * scale) & (n - 1)
                texel = floor[floor_levels[lv, 0] + row * n + col]
            lit = band[int((wx * band_c + wy * band_s) * band_scale) & band_mask] if has_band else 1.0
            shade = amb + direct * lit
            gloss = texel >> 24
            if (bin_bits & GLARE_BIT) != 0 and gloss > 0:
                q = ux * lx + uy * ly + k * lz  # the mirrored ray . the light, times sqrt(1 + k^2)
                if q > 0.0 and q * q > 0.64 * (1.0 + k * k):  # dot > 0.8; dot^40 from a table
                    dot = min(q / math.sqrt(1.0 + k * k), 1.0)
                    spec = glare * gloss * GLINT[int((dot - 0.8) * 5.0 * (GLINT.shape[0] - 1))] * lit
        elif kind == 1:
            cls = 2
            hx, hy = ox + r * ux, oy + r * uy
            texel = _texel(barrier, int(zb * bar_inv),
                           int(_perimeter(side, hx, hy, bx0, by0, bx1, by1) * bar_inv))
            shade = shades[side]
        elif kind == 2:
            cls = 3
            hx, hy = ox + r * ux, oy + r * uy
            texel = _texel(room, int((h - k * r) * room_inv),
                           int(_perimeter(side, hx, hy, rx0, ry0, rx1, ry1) * room_inv))
            shade = shades[10] if (texel >> 24) >= 128 else shades[4 + side]
        else:
            cls = 3
            wx, wy = ox + r * ux, oy + r * uy
            texel = _texel(ceiling, int((wy - ry0) * ceil_inv), int((wx - rx0) * ceil_inv))
            shade = shades[10] if (texel >> 24) >= 128 else shades[9]
        # Fixed point (8 fractional bits): shade and vignetting, then the channel gains.
        v = 1.0 - vignetting * radius2[p]
        f = int(shade * v * 256.0)
        sv = int(spec * v * 256.0)
        t = np.int64(texel)
        red = (((t & 255) + offsets[cls, 0]) * f + sv) * gain_r >> 16
        green = ((((t >> 8) & 255) + offsets[cls, 1]) * f + sv) * gain_g >> 16
        blue = ((((t >> 16) & 255) + offsets[cls, 2]) * f + sv) * gain_b >> 16
        out[p, 0] = min(max(red, 0), 255)
        out[p, 1] = min(max(green, 0), 255)
        out[p, 2] = min(max(blue, 0), 255)


# ---------------------------------------------------------------- one episode's lit world
_NORMALS = ((0.0, 1.0), (-1.0, 0.0), (0.0, -1.0), (1.0, 0.0))  # inward, sides 0-3


def shadow_bands(rng, strength) -> np.ndarray:
    """(BANDS,) light factor over one period: 1 lit, 1 - strength in the shadow of a mullion,
    pillar or beam (1-3 soft-edged shadows per period)."""
    x = (np.arange(BANDS) + 0.5) / BANDS
    shadow = np.zeros(BANDS)
    for _ in range(int(rng.integers(1, 4))):
        centre, width = rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        d = np.abs(((x - centre + 0.5) % 1.0) - 0.5)
        edge = max(0.01, width * 0.25)
        shadow = np.maximum(shadow, np.clip((width / 2 + edge - d) / (2 * edge), 0, 1))
    return 1.0 - strength * shadow


def packed(rgba) -> np.ndarray:
    """A uint8 RGBA array (..., 4) viewed as one uint32 per texel (no copy)."""
    rgba = np.ascontiguousarray(rgba)
    return rgba.view(np.uint32).reshape(rgba.shape[:-1])


_PYRAMIDS = weakref.WeakKeyDictionary()


def pyramid(rgba, levels=MIP_LEVELS):
    """A uint8 RGBA texture and its halvings (area averages) packed one after another as
    uint32 texels: (1-D array, (levels, 3) int64 rows of offset, rows, cols)."""
    parts, table, offset = [], [], 0
    level = np.ascontiguousarray(rgba)
    for _ in range(levels):
        rows, cols = level.shape[:2]
        parts.append(packed(level).ravel())
        table.append((offset, rows, cols))
        offset += rows * cols
        level = cv2.resize(level, (max(1, cols // 2), max(1, rows // 2)), interpolation=cv2.INTER_AREA)
    return np.concatenate(parts), np.array(table, np.int64)


def scene_pyramids(scene):
    """The (mat, floor) pyramids of a Scene, made once per scene."""
    if scene not in _PYRAMIDS:
        _PYRAMIDS[scene] = (pyramid(scene.mat), pyramid(scene.floor))
    return _PYRAMIDS[scene]


class LitWorld:
    """A Scene under one episode's light (a WorldEpisode) and scene variation (light level,
    colour offsets per surface class); renders frames for one camera."""

    def __init__(self, scene, episode=NOMINAL_WORLD, light_level=1.0, colour_offsets=None, rng=None):
        rng = np.random.default_rng(0) if rng is None else rng
        self.scene, self.episode = scene, episode
        e = episode
        az, el = math.radians(e.light_azimuth_deg), math.radians(e.light_elevation_deg)
        light = (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))
        amb = e.ambient_level
        floor_lit = amb + (1.0 - amb) * light[2]
        norm = light_level / floor_lit  # exposure: the lit floor keeps its albedo
        shades = np.zeros(11)
        for side, (nx, ny) in enumerate(_NORMALS):
            lambert = max(0.0, nx * light[0] + ny * light[1])
            shades[side] = amb + (1.0 - amb) * (0.25 + 0.75 * lambert)  # barrier; some bounce
            shades[4 + side] = amb + (1.0 - amb) * (0.35 + 0.65 * lambert)  # room walls
        shades[8] = amb + (1.0 - amb) * 0.6  # distractors
        shades[9] = amb * 0.95  # ceiling: bounce light only
        shades[10] = floor_lit  # emissive: the texel itself, times light_level
        self.shades = shades
        wb = e.white_balance_shift
        self.gains = (norm * (1.0 + wb), norm, norm * (1.0 - wb))
        self.light = np.array(light)
        self.amb, self.direct = amb, (1.0 - amb) * light[2]
        self.band = shadow_bands(rng, e.shadow_strength) if e.shadow_strength > 0 else np.ones(BANDS)
        perp = az + math.pi / 2.0  # shadows of vertical mullions and pillars run along the light
        self.band_dir = (math.cos(perp), math.sin(perp), BANDS / e.shadow_period_m)
        offsets = np.zeros((5, 3), np.int64)
        if colour_offsets is not None:  # per label: ground, road, border, centre, background
            offsets[0] = colour_offsets[1]  # mat <- road
            offsets[1] = colour_offsets[0]  # floor <- ground
            offsets[2] = offsets[3] = offsets[4] = colour_offsets[4]  # barrier, room, objects
        self.offsets = offsets
        sc = scene
        self.geo = np.array([*sc.mat_rect, 1.0 / sc.mat_res, 1.0 / sc.floor_res, *sc.barrier_rect,
                             sc.barrier_height, 1.0 / sc.barrier_res, *sc.room_rect, sc.room_height,
                             1.0 / sc.room_res, 1.0 / sc.ceiling_res])
        self.n_objects = min(int(e.distractors), len(sc.objects))
        self.n_inner = min(sc.inner, self.n_objects)
        self._objs = np.zeros((max(self.n_objects, 1), 7))
        self._bins = np.zeros(AZIMUTH_BINS, np.int64)
        self._textures = tuple(packed(t) for t in (sc.barrier, sc.room, sc.ceiling, sc.sprites))
        self._pyramids = scene_pyramids(sc)
        self._frame = np.zeros(19)
        # spec = glare * gloss (0-255) * dot^40: up to 255 * glare on the glossiest texels
        self._frame[5:19] = (*light, *self.band_dir, e.glare, *self.gains, e.vignetting,
                             self.amb, self.direct, e.shadow_strength)

    def render(self, rays, x, y, yaw, out):
        """Fill `out` ((n, 3) uint8, n = pixels of `rays`) with the view from base pose (x, y, yaw)."""
        c, s = math.cos(yaw), math.sin(yaw)
        cam = rays.camera
        frame = self._frame
        frame[0] = x + c * cam.x - s * cam.y
        frame[1] = y + s * cam.x + c * cam.y
        frame[2], frame[3], frame[4] = cam.z, c, s
        objs, inner = self._objects_in_view(rays, frame[0], frame[1], yaw)
        (mat, mat_levels), (floor, floor_levels) = self._pyramids
        barrier, room, ceiling, sprites = self._textures
        level = rays.levels(self.scene.mat_res)
        render_world(out, rays.ux, rays.uy, rays.slope, rays.floor_reach, rays.radius2,
                     rays.azimuth_bin, level, mat, mat_levels, floor, floor_levels, barrier, room,
                     ceiling, sprites, objs, self._bins, (1 << inner) - 1, self.band, self.geo, frame,
                     self.shades, self.offsets)
        return out

    def _objects_in_view(self, rays, ox, oy, yaw):
        """The rows of render_world's `objs` for the distractors inside the camera's
        horizontal field of view, and how many of them stand inside the barrier."""
        low, high = rays.azimuth_range
        glint_bins(self._bins, low, high, yaw, self.light, self.episode.glare)
        if self.n_objects == 0:
            return self._objs[:0], 0
        count, inner = objects_in_view(self.scene.objects, self.n_objects, self.n_inner, ox, oy, yaw,
                                       low, high, self._objs, self._bins)
        return self._objs[:count], inner


@njit(cache=True, nogil=True)
def glint_bins(bins, low, high, yaw, light, glare):
    """Reset `bins` to GLARE_BIT where a ray of that car-frame azimuth, mirrored by the
    floor, may come within acos(0.8) of the light (at any depression), else to 0."""
    nb = bins.shape[0]
    horizontal = math.sqrt(light[0] * light[0] + light[1] * light[1])
    sin_e = light[2]
    light_az = math.atan2(light[1], light[0])
    width = (high - low) / nb
    for b in range(nb):
        bins[b] = 0
        if glare <= 0.0:
            continue
        cos_delta = math.cos(low + (b + 0.5) * width + yaw - light_az)
        cos_delta = min(1.0, max(cos_delta, 0.0) + width)  # a bin of slack
        if (horizontal * cos_delta) ** 2 + sin_e * sin_e > 0.64:
            bins[b] = GLARE_BIT


@njit(cache=True, nogil=True)
def objects_in_view(objects, n, n_inner, ox, oy, yaw, low, high, rows, bins):
    """Fill `rows` (render_world's `objs`) with the first `n` distractors whose billboard
    overlaps the camera's car-frame azimuth range [low, high], and set bit `row` of the
    azimuth `bins` each covers; (count, inner count)."""
    nb = bins.shape[0]
    per_bin = nb / max(high - low, 1e-9)
    count, inner = 0, 0
    for j in range(n):
        dx, dy = objects[j, 0] - ox, objects[j, 1] - oy
        d = max(math.sqrt(dx * dx + dy * dy), 1e-6)
        if objects[j, 3] <= 0.0:
            continue
        bearing = math.atan2(dy, dx) - yaw
        bearing = (bearing + math.pi) % (2.0 * math.pi) - math.pi
        spread = math.asin(min(0.5 * objects[j, 2] / d, 1.0))
        if bearing + spread < low or bearing - spread > high:
            continue
        rows[count, 0], rows[count, 1] = dx, dy
        rows[count, 2], rows[count, 3] = objects[j, 2], objects[j, 3]
        rows[count, 4], rows[count, 5], rows[count, 6] = d * d, 1.0 / d, j
        first = max(int((bearing - spread - low) * per_bin) - 1, 0)
        last = min(int((bearing + spread - low) * per_bin) + 1, nb - 1)
        for b in range(first, last + 1):
            bins[b] |= 1 << count
        count += 1
        if j < n_inner:
            inner += 1
    return count, inner


# ---------------------------------------------------------------- a simulator's world
def world_rng(seed):
    """The generator of the world draws, apart from the scene's and the effects' (so their
    draws stay as they were): seeded from [seed, 2] for an integer seed."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng([int(seed), 2])
    return np.random.default_rng(None if seed is None else np.random.default_rng(seed).integers(2**63))


class WorldView:
    """The realistic world of one Simulator: scenes from a SceneCache (the process's by
    default), one LitWorld per episode, pixel rays per episode camera and image size."""

    def __init__(self, track, raster, cache=None):
        from .world import DEFAULT_CACHE
        self.track, self.raster = track, raster
        self.cache = DEFAULT_CACHE if cache is None else cache
        self.lit = None
        self._camera = None
        self._rays = {}

    def start_episode(self, ranges, rng, variation, ground_camera):
        """Draw the episode's world values from `ranges` with `rng`; `ground_camera` is the
        simulator's episode camera (GroundCamera or LensGroundCamera)."""
        from .world import draw_world
        episode = draw_world(ranges, rng)
        scene = self.cache.get(self.track, self.raster, episode.scene_seed)
        self.lit = LitWorld(scene, episode, variation.light_level, variation.colour_offsets, rng)
        if ground_camera is not self._camera:
            self._camera, self._rays = ground_camera, {}

    def rays(self, width, height) -> PixelRays:
        key = (width, height)
        if key not in self._rays:
            cam = self._camera
            self._rays[key] = PixelRays(cam.camera, getattr(cam, "lens", None), width, height)
        return self._rays[key]

    def render(self, x, y, yaw, out):
        """Fill `out` (uint8 (height, width, 3), C-contiguous) with the episode's view."""
        height, width = out.shape[:2]
        return self.lit.render(self.rays(width, height), x, y, yaw, out.reshape(-1, 3))
