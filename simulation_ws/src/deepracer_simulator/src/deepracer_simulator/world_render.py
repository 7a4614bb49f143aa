"""Renders the realistic world (world.Scene) through the car's camera: a floor pass and a
walls pass, compiled, into a packed RGB frame.

The camera is fixed to the car, so every pixel's ray is fixed in the car frame: once per
camera and image size we keep its horizontal direction (unit, car frame), its slope
(metres down per metre ahead) and where it meets the floor (`PixelRays`). A frame then:
`floor_pass` rotates every ray by the car's yaw and looks its floor point up in the
ground texture (the mat and the floor inside the barrier; a pyramid level per pixel, by
its footprint), with the episode's light (ambient plus a directional light with shadow
bands, a specular glint on glossy texels, exposure, white balance, vignetting), in three
loops so that the two that compute vectorize (only the table reads stay scalar); and
`walls_pass` redraws the pixels whose floor point lies beyond the barrier (and those a
distractor inside the barrier may cover; the floor pass lists them): the barrier or,
above its top edge, the room walls (closed-form hits of axis-aligned vertical planes, from
per-frame tables over the camera's azimuths, `wall_tables`) or the ceiling, and the
distractor billboards. Compiled with numba (one core, no threads; cached beside this file).
"""
import math
import weakref

import cv2
import numpy as np
from numba import njit

from .world import NOMINAL_WORLD

BANDS = 1024  # entries of the shadow band table (one period)
# The specular lobe dot^40 over dot in [-1, 1] (1024 entries per unit), 0 below dot = 0.8.
_DOT = np.arange(2050) / 1024.0 - 1.0
GLINT = np.where(_DOT > 0.8, np.clip(_DOT, 0.0, 1.0) ** 40, 0.0).astype(np.float32)
LEVEL_SCALE = np.array([1.0, 0.5, 0.25, 0.125, 0.0625], np.float32)  # texels per level-0 texel
_FAR = 1e30


# ---------------------------------------------------------------- rays, per camera and size
AZIMUTH_BINS = 256  # bins of the camera's horizontal field of view (distractor culling)
WALL_BINS = 2048  # azimuths of the camera's field of view with a wall table entry (per frame)


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
        self.inv_norm = (1.0 / np.sqrt(1.0 + slope ** 2)).astype(np.float32)  # cos of the depression
        self.slope_norm = (self.slope * self.inv_norm).astype(np.float32)
        low, high = float(azimuth.min()), float(azimuth.max())
        self.azimuth_range = (low, high)
        span = max(high - low, 1e-9)
        self.azimuth_bin = np.minimum(((azimuth - low) / span * AZIMUTH_BINS).astype(np.int64),
                                      AZIMUTH_BINS - 1).astype(np.uint8)
        self.wall_bin = np.rint((azimuth - low) / span * (WALL_BINS - 1)).astype(np.uint16)
        bins = low + np.arange(WALL_BINS) * ((high - low) / (WALL_BINS - 1))  # wall_tables' azimuths
        self.wall_cos, self.wall_sin = np.cos(bins), np.sin(bins)
        self.radius2 = _radius2(width, height)
        self.outside = np.zeros(n, np.uint8)  # work arrays of the floor pass
        self.work = _FloorWork(n)
        self.packed = np.zeros(n, np.uint32)  # a frame, packed RGB (alpha unused)
        # Floor metres per pixel: the distance times the pixel's angle (1 / focal length in
        # pixels; exact at the centre of a pinhole and of an equidistant fisheye).
        if lens is None:
            self.pixel_angle = 1.0 / ((width / 2.0) / math.tan(camera.hfov / 2.0))
        else:
            scaled = lens.scaled(width, height)
            self.pixel_angle = 1.0 / max(scaled.fx, scaled.fy)
        self._levels = {}
        self._floor_tables = {}

    def levels(self, texel) -> np.ndarray:
        """(n,) uint8 pyramid level per pixel for floor textures of `texel` m at level 0: the
        finest level whose texels are at least the pixel's footprint on the floor."""
        if texel not in self._levels:
            level = np.empty(self.slope.shape[0], np.uint8)
            _floor_levels(self.slope, self.floor_reach, self.pixel_angle / texel, MIP_LEVELS - 1, level)
            self._levels[texel] = level
        return self._levels[texel]

    def floor_tables(self, texel, ground_levels):
        """Per pixel, for a ground pyramid (`ground_levels` rows of offset, rows, cols) whose
        level 0 has texels of `texel` m: the scale from floor metres to texels (float32), the
        level's offset, last column and last row (int32); made once per pyramid shape."""
        key = (texel, ground_levels.tobytes())
        if key not in self._floor_tables:
            n = self.slope.shape[0]
            tables = (np.empty(n, np.float32), np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int32))
            _floor_tables(self.levels(texel), np.float32(1.0 / texel), LEVEL_SCALE,
                          ground_levels.astype(np.int32), *tables)
            self._floor_tables = {key: tables}
        return self._floor_tables[key]


@njit(cache=True, nogil=True)
def _floor_tables(level, inv_texel, level_scale, ground_levels, scale, base, last_col, last_row):
    for p in range(level.shape[0]):
        lv = level[p]
        scale[p] = inv_texel * level_scale[lv]
        base[p] = ground_levels[lv, 0]
        last_col[p] = ground_levels[lv, 2] - 1
        last_row[p] = ground_levels[lv, 1] - 1


class _FloorWork:
    """The per-pixel work arrays of floor_pass's three loops."""

    def __init__(self, n):
        self.index, self.band_index, self.glint_index = (np.zeros(n, np.int32) for _ in range(3))
        self.texel = np.zeros(n, np.uint32)
        self.lit, self.glint = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self.redraw = np.zeros(n, np.int32)  # the pixels the walls pass looks at


@njit(cache=True, nogil=True)
def _floor_levels(slope, reach, per_texel, top, level):
    for i in range(slope.shape[0]):
        k = slope[i]
        footprint = reach[i] * math.sqrt(1.0 + k * k) * per_texel if k > 1e-9 else 1e9
        lv = 0  # texels up to twice the footprint: the camera's area averaging blurs as much
        while lv < top and footprint >= 1.0:
            footprint *= 0.5
            lv += 1
        level[i] = lv


MIP_LEVELS = 5  # floor texture pyramid: 1x, 1/2, 1/4, 1/8, 1/16


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
        azimuth[i] = _atan2(uy[i], ux[i])


@njit(cache=True, nogil=True, fastmath=True)
def _atan2(y, x):
    """atan2 to about 1e-5 rad (a polynomial on [0, 1] with octant reduction): bins only."""
    ax, ay = abs(x), abs(y)
    big, small = max(ax, ay), min(ax, ay)
    if big == 0.0:
        return 0.0
    t = small / big
    t2 = t * t
    a = t * (0.99997726 + t2 * (-0.33262347 + t2 * (0.19354346 + t2 * (-0.11643287
                                                                       + t2 * (0.05265332 + t2 * -0.01172120)))))
    if ay > ax:
        a = 0.5 * math.pi - a
    if x < 0.0:
        a = math.pi - a
    return -a if y < 0.0 else a


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
    samples = np.linspace(0.0, top, 1025)
    # Beyond the largest theta_d the distortion reaches (a strongly jittered lens) there is no
    # inverse: those pixels keep the edge angle (np.maximum.accumulate keeps the table monotone).
    theta = np.maximum.accumulate(_fisheye_theta(samples, cam.dist))
    with np.errstate(divide="ignore", invalid="ignore"):  # sin(theta) / theta_d, cos(theta)
        sin_ratio = np.where(samples > 0, np.sin(theta) / samples, 1.0)  # d theta / d theta_d = 1 at 0
    rays = np.empty((width * height, 3))
    _fisheye_rays(width, height, cam.fx, cam.fy, cam.cx, cam.cy, top / 1024, sin_ratio, np.cos(theta), rays)
    return rays


def _fisheye_theta(theta_d, dist, iterations=20):
    """The angle from the axis whose equidistant-distorted angle is `theta_d` (Newton)."""
    theta = np.empty_like(theta_d)
    _newton_theta(np.asarray(theta_d, np.float64), float(dist[0]), float(dist[1]), float(dist[2]),
                  float(dist[3]), iterations, theta)
    return theta


@njit(cache=True, nogil=True)
def _newton_theta(theta_d, k1, k2, k3, k4, iterations, theta):
    """Newton on t (1 + k1 t^2 + ... + k4 t^8) - theta_d = 0 per sample from t = theta_d,
    until the step is below 1e-15 rad or after `iterations` steps (a strongly jittered lens
    has no root near its corners: those keep iterating, as they always did)."""
    for i in range(theta_d.shape[0]):
        t = theta_d[i]
        for _ in range(iterations):
            t2 = t * t
            f = t * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4)))) - theta_d[i]
            df = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))
            step = f / df
            t = min(max(t - step, 0.0), 0.5 * math.pi)  # stay in the lens's range
            if abs(step) < 1e-15:
                break
        theta[i] = t


@njit(cache=True, nogil=True)
def _fisheye_rays(width, height, fx, fy, cx, cy, step, sin_ratio, cos_theta, rays):
    """Unit rays from tables over theta_d (step apart) of sin(theta) / theta_d and cos(theta)."""
    last = sin_ratio.shape[0] - 1
    inv_step = 1.0 / step
    for row in range(height):
        yd = (row - cy) / fy
        for col in range(width):
            i = row * width + col
            xd = (col - cx) / fx
            pos = min(math.sqrt(xd * xd + yd * yd) * inv_step, last - 1e-9)
            j = int(pos)
            a = pos - j
            scale = sin_ratio[j] + (sin_ratio[j + 1] - sin_ratio[j]) * a
            rays[i, 0], rays[i, 1] = xd * scale, yd * scale
            rays[i, 2] = cos_theta[j] + (cos_theta[j + 1] - cos_theta[j]) * a


# ---------------------------------------------------------------- the compiled loop
def floor_pass(out, rays, ground, ground_levels, texel, band, frame, vignette, tint, object_bins, inner_bits):
    """Every pixel as if its ray met the floor inside the barrier (the mat and the floor
    around it): texel (pyramid level per pixel), shadow band, glint, light, vignetting,
    gains, into `out` ((n,) uint32, packed RGB); `rays.outside[p]` = 1 where the ray does
    not (the barrier, the room or the ceiling pass redraws those). Three loops, so that the
    compiler vectorizes the two that compute: the texture coordinates (`_floor_lookups`),
    the three table reads (`_floor_gather`, the only scalar one), the light (`_floor_light`).
    Returns how many pixels the walls pass must look at, listed first in `rays.work.redraw`:
    those outside and those a distractor inside the barrier may cover (`object_bins` bits
    per azimuth bin, `inner_bits` those of the inner distractors)."""
    scale, base, last_col, last_row = rays.floor_tables(texel, ground_levels)
    w = rays.work
    _floor_lookups(w.index, w.band_index, w.glint_index, rays.outside, rays.ux, rays.uy,
                   rays.floor_reach, rays.slope_norm, rays.inv_norm, scale, base, last_col, last_row, frame)
    count = _floor_gather(w.texel, w.lit, w.glint, w.index, w.band_index, w.glint_index, ground, band, GLINT,
                          rays.outside, rays.azimuth_bin, object_bins, inner_bits, w.redraw)
    _floor_light(out, w.texel, w.lit, w.glint, vignette, frame, tint)
    return count


@njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")
def _floor_lookups(index, band_index, glint_index, outside, ux0, uy0, reach, slope_norm, inv_norm,
                   scale, base, last_col, last_row, frame):
    """Per pixel: the packed ground texel's index (its pyramid level's `base`, clamped row
    and column), the shadow band's index (unmasked) and the glint table's index (the
    mirrored ray . light), and `outside`. int32 and float32 only: the loop vectorizes."""
    ox, oy, c, s = np.float32(frame[0]), np.float32(frame[1]), np.float32(frame[3]), np.float32(frame[4])
    lx, ly, lz = np.float32(frame[5]), np.float32(frame[6]), np.float32(frame[7])
    band_c, band_s, band_scale = np.float32(frame[8]), np.float32(frame[9]), np.float32(frame[10])
    bx0, by0, bx1, by1 = np.float32(frame[19]), np.float32(frame[20]), np.float32(frame[21]), np.float32(frame[22])
    # the light in the car frame: (yaw-rotated ray) . light = ray . (light rotated by -yaw)
    lxc = c * lx + s * ly
    lyc = c * ly - s * lx
    zero, top = np.int32(0), np.int32(GLINT.shape[0] - 1)
    for p in range(index.shape[0]):
        a, b, r = ux0[p], uy0[p], reach[p]
        wx = ox + r * (c * a - s * b)
        wy = oy + r * (s * a + c * b)
        inside = (wx > bx0) & (wx < bx1) & (wy > by0) & (wy < by1)
        outside[p] = np.uint8(0) if inside else np.uint8(1)
        k = scale[p]
        col = min(max(np.int32((wx - bx0) * k), zero), last_col[p])
        row = min(max(np.int32((wy - by0) * k), zero), last_row[p])
        index[p] = base[p] + row * (last_col[p] + np.int32(1)) + col
        band_index[p] = np.int32((wx * band_c + wy * band_s) * band_scale)
        dot = (a * lxc + b * lyc) * inv_norm[p] + slope_norm[p] * lz  # mirrored ray . light
        glint_index[p] = min(max(np.int32((dot + np.float32(1.0)) * np.float32(1024.0)), zero), top)


@njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")
def _floor_gather(texel, lit, glint, index, band_index, glint_index, ground, band, glint_table,
                  outside, azimuth_bin, object_bins, inner_bits, redraw):
    mask = np.int32(band.shape[0] - 1)
    count = 0
    for p in range(index.shape[0]):
        texel[p] = ground[index[p]]
        lit[p] = band[band_index[p] & mask]
        glint[p] = glint_table[glint_index[p]]
        if outside[p] != 0 or (object_bins[azimuth_bin[p]] & inner_bits) != 0:
            redraw[count] = p
            count += 1
    return count


@njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")
def _floor_light(out, texel, lit, glint, vignette, frame, tint):
    """Packed RGB of the lit texels: (ambient + direct * shadow band) * vignetting * tint,
    plus the glint on glossy texels (alpha = gloss), each channel clamped to 0-255."""
    glare = np.float32(frame[11])
    gain_r, gain_g, gain_b = np.float32(frame[12]), np.float32(frame[13]), np.float32(frame[14])
    amb, direct = np.float32(frame[16]), np.float32(frame[17])
    tint_r, tint_g, tint_b = tint[0], tint[1], tint[2]
    lo, hi = np.float32(0.0), np.float32(255.0)
    for p in range(out.shape[0]):
        t, shade, v = texel[p], lit[p], vignette[p]
        spec = glare * np.float32(t >> np.uint32(24)) * glint[p] * shade * v
        f = (amb + direct * shade) * v
        red = np.float32(t & np.uint32(255)) * f * tint_r + spec * gain_r
        green = np.float32((t >> np.uint32(8)) & np.uint32(255)) * f * tint_g + spec * gain_g
        blue = np.float32((t >> np.uint32(16)) & np.uint32(255)) * f * tint_b + spec * gain_b
        out[p] = (np.uint32(min(max(red, lo), hi)) | (np.uint32(min(max(green, lo), hi)) << np.uint32(8))
                  | (np.uint32(min(max(blue, lo), hi)) << np.uint32(16)))


@njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")
def walls_pass(out, redraw, count, outside, ux0, uy0, slope, reach, vignette, azimuth_bin, wall_bin, tables,
               barrier, room, ceiling, sprites, objs, object_bins, inner_bits,
               geo, frame, shades, class_gain):
    """Redraw the pixels the floor pass marked `outside` (the barrier, the room walls, the
    ceiling; closed-form hits of the rectangles) and those a distractor billboard covers,
    among the first `count` pixels listed in `redraw`.
    `objs` holds the distractors in view, one row each (dx, dy from the camera, width,
    height, dx^2 + dy^2, 1 / distance, sprite index), the ones inside the barrier first;
    `object_bins[azimuth_bin[p]]` has bit i set when row i may cover pixel p, `inner_bits`
    the bits of the inner rows. `tables` (wall_tables, per frame) hold for each of the
    camera's azimuth bins (`wall_bin[p]`) the distance, texture column and side of the
    barrier and of the room walls, so that a wall pixel costs no division. `class_gain`
    (5, 3): the colour factor per surface class and channel (tint times white balance).
    Indices are unsigned (no negative-index check in the compiled loop)."""
    bh, bar_inv = geo[10], geo[11]
    rx0, ry0, rh, room_inv, ceil_inv = geo[12], geo[13], geo[16], geo[17], geo[18]
    ox, oy, h, c, s = frame[0], frame[1], frame[2], frame[3], frame[4]
    sprite_rows, sprite_cols = sprites.shape[1], sprites.shape[2]
    bar_rows, bar_cols = barrier.shape[0] - 1, barrier.shape[1] - 1
    room_rows, room_cols = room.shape[0] - 1, room.shape[1] - 1
    ceil_rows, ceil_cols = ceiling.shape[0] - 1, ceiling.shape[1] - 1
    for q in range(count):
        p = np.uint64(redraw[np.uint64(q)])
        bits = object_bins[np.uint64(azimuth_bin[p])]
        out_p = outside[p] != 0
        if not out_p:
            bits &= inner_bits
            if bits == 0:
                continue
        ux = c * ux0[p] - s * uy0[p]
        uy = s * ux0[p] + c * uy0[p]
        k = slope[p]
        r = reach[p]
        kind = 0  # 0 floor (already drawn), 1 barrier, 2 room wall, 3 ceiling
        z = 0.0
        wb = np.uint64(wall_bin[p])
        if out_p:
            rb = tables[0, wb]
            z = h - k * rb
            if z <= bh or k > 0.0:  # the barrier stands higher than the camera
                kind, r = 1, rb
                z = max(z, 0.0)
            else:
                rr = tables[3, wb]
                z = h - k * rr
                if z <= rh:
                    kind, r = 2, rr
                else:
                    kind, r = 3, (rh - h) / (-k)
        if kind < 2:
            bits &= inner_bits
        hit_obj = -1
        texel = np.uint32(0)
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
        if hit_obj >= 0:
            cls = 4
            shade = shades[8]
        elif kind == 0:
            continue  # the floor pass drew it
        elif kind == 1:
            cls = 2
            row = np.uint64(min(max(np.int64(z * bar_inv), 0), bar_rows))
            col = np.uint64(min(max(np.int64(tables[1, wb]), 0), bar_cols))
            texel = barrier[row, col]
            shade = shades[np.uint64(tables[2, wb])]
        elif kind == 2:
            cls = 3
            row = np.uint64(min(max(np.int64(z * room_inv), 0), room_rows))
            col = np.uint64(min(max(np.int64(tables[4, wb]), 0), room_cols))
            texel = room[row, col]
            shade = shades[10] if (texel >> 24) >= 128 else shades[np.uint64(4 + np.int64(tables[5, wb]))]
        else:
            cls = 3
            wx, wy = ox + r * ux, oy + r * uy
            row = np.uint64(min(max(np.int64((wy - ry0) * ceil_inv), 0), ceil_rows))
            col = np.uint64(min(max(np.int64((wx - rx0) * ceil_inv), 0), ceil_cols))
            texel = ceiling[row, col]
            shade = shades[10] if (texel >> 24) >= 128 else shades[9]
        f = shade * vignette[p]
        red = np.float64(texel & 255) * (class_gain[cls, 0] * f)
        green = np.float64((texel >> 8) & 255) * (class_gain[cls, 1] * f)
        blue = np.float64((texel >> 16) & 255) * (class_gain[cls, 2] * f)
        out[p] = (np.uint32(min(max(red, 0.0), 255.0)) | (np.uint32(min(max(green, 0.0), 255.0)) << 8)
                  | (np.uint32(min(max(blue, 0.0), 255.0)) << 16))


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


def scene_pyramid(scene):
    """The pyramid of a Scene's ground texture, made once per scene."""
    if scene not in _PYRAMIDS:
        _PYRAMIDS[scene] = pyramid(scene.ground)
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
        self.band = (shadow_bands(rng, e.shadow_strength) if e.shadow_strength > 0
                     else np.ones(BANDS)).astype(np.float32)
        perp = az + math.pi / 2.0  # shadows of vertical mullions and pillars run along the light
        self.band_dir = (math.cos(perp), math.sin(perp), BANDS / e.shadow_period_m)
        offsets = np.zeros((5, 3), np.float32)
        if colour_offsets is not None:  # per label: ground, road, border, centre, background
            offsets[0] = colour_offsets[1]  # the ground (mat and floor) <- road
            offsets[2] = offsets[3] = offsets[4] = colour_offsets[4]  # barrier, room, objects
        # colour_jitter as a tint per surface class: channel * (1 + offset / 255), so that
        # a dark road stays dark (the flat world adds the offset; here it would turn purple)
        self.offsets = (1.0 + offsets / 255.0).astype(np.float32)
        sc = scene
        self.geo = np.array([*sc.mat_rect, 1.0 / sc.mat_res, 1.0 / sc.floor_res, *sc.barrier_rect,
                             sc.barrier_height, 1.0 / sc.barrier_res, *sc.room_rect, sc.room_height,
                             1.0 / sc.room_res, 1.0 / sc.ceiling_res])
        self.n_objects = min(int(e.distractors), len(sc.objects))
        self.n_inner = min(sc.inner, self.n_objects)
        self._objs = np.zeros((max(self.n_objects, 1), 7))
        self._bins = np.zeros(AZIMUTH_BINS, np.int64)
        self._tables = np.zeros((6, WALL_BINS))
        self._textures = tuple(packed(t) for t in (sc.barrier, sc.room, sc.ceiling, sc.sprites))
        self._ground = scene_pyramid(sc)
        self._frame = np.zeros(24)
        # spec = glare * gloss (0-255) * dot^40: up to 255 * glare on the glossiest texels
        self._frame[5:19] = (*light, *self.band_dir, e.glare, *self.gains, e.vignetting,
                             self.amb, self.direct, e.shadow_strength)
        self._frame[19:24] = (*sc.barrier_rect, 1.0 / sc.mat_res)
        # the ground's tint (colour_jitter; offsets row 0) folded into the white balance gains
        self._tint = (self.offsets[0] * np.array(self.gains, np.float32)).astype(np.float32)
        # the walls pass's colour factor per class and channel (float64, as its shading)
        self._class_gain = self.offsets.astype(np.float64) * np.array(self.gains)[None, :]
        self._vignette = {}

    def render(self, rays, x, y, yaw, out):
        """Fill `out` ((n, 3) uint8, n = pixels of `rays`) with the view from base pose (x, y, yaw)."""
        c, s = math.cos(yaw), math.sin(yaw)
        cam = rays.camera
        frame = self._frame
        frame[0] = x + c * cam.x - s * cam.y
        frame[1] = y + s * cam.x + c * cam.y
        frame[2], frame[3], frame[4] = cam.z, c, s
        objs, inner = self._objects_in_view(rays, frame[0], frame[1], yaw)
        ground, ground_levels = self._ground
        barrier, room, ceiling, sprites = self._textures
        vignette = self._vignette.get(rays)
        if vignette is None:
            self._vignette = {rays: (1.0 - self.episode.vignetting * rays.radius2).astype(np.float32)}
            vignette = self._vignette[rays]
        packed_out = rays.packed
        inner_bits = (1 << inner) - 1
        count = floor_pass(packed_out, rays, ground, ground_levels, self.scene.mat_res, self.band, frame,
                           vignette, self._tint, self._bins, inner_bits)
        wall_tables(self._tables, frame[0], frame[1], c, s, rays.wall_cos, rays.wall_sin, self.geo)
        walls_pass(packed_out, rays.work.redraw, count, rays.outside, rays.ux, rays.uy, rays.slope,
                   rays.floor_reach, vignette, rays.azimuth_bin, rays.wall_bin, self._tables, barrier, room, ceiling, sprites, objs,
                   self._bins, inner_bits, self.geo, frame, self.shades, self._class_gain)
        cv2.cvtColor(packed_out.view(np.uint8).reshape(1, -1, 4), cv2.COLOR_RGBA2RGB, dst=out.reshape(1, -1, 3))
        return out

    def _objects_in_view(self, rays, ox, oy, yaw):
        """The rows of walls_pass's `objs` for the distractors inside the camera's
        horizontal field of view, and how many of them stand inside the barrier."""
        low, high = rays.azimuth_range
        self._bins[:] = 0
        if self.n_objects == 0:
            return self._objs[:0], 0
        count, inner = objects_in_view(self.scene.objects, self.n_objects, self.n_inner, ox, oy, yaw,
                                       low, high, self._objs, self._bins)
        return self._objs[:count], inner


@njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")
def wall_tables(tables, ox, oy, c, s, cos_bin, sin_bin, geo):
    """Per azimuth bin of the camera (car-frame directions `cos_bin`, `sin_bin`, rotated by
    the yaw's `c`, `s`): rows 0-2 the barrier's distance, texture column, side; rows 3-5
    the room's. Selects instead of branches: the loop vectorizes."""
    bx0, by0, bx1, by1, bar_inv = geo[6], geo[7], geo[8], geo[9], geo[11]
    rx0, ry0, rx1, ry1, room_inv = geo[12], geo[13], geo[14], geo[15], geo[17]
    for b in range(tables.shape[1]):
        ux = c * cos_bin[b] - s * sin_bin[b]
        uy = s * cos_bin[b] + c * sin_bin[b]
        px, py = ux > 1e-12, uy > 1e-12
        nx, ny = ux < -1e-12, uy < -1e-12
        inv_x = 1.0 / ux if (px | nx) else 0.0
        inv_y = 1.0 / uy if (py | ny) else 0.0
        for k, x0, y0, x1, y1, scale in ((0, bx0, by0, bx1, by1, bar_inv), (3, rx0, ry0, rx1, ry1, room_inv)):
            # the exit through x = x1 (side 1) or x = x0 (3), y = y1 (2) or y = y0 (0)
            tx = (x1 - ox) * inv_x if px else ((x0 - ox) * inv_x if nx else 1e30)
            ty = (y1 - oy) * inv_y if py else ((y0 - oy) * inv_y if ny else 1e30)
            sx = 3.0 if nx else 1.0
            sy = 2.0 if py else 0.0
            r = min(tx, ty)
            side = sx if tx < ty else sy
            hx, hy = ox + r * ux, oy + r * uy
            w, h = x1 - x0, y1 - y0
            # the distance along the perimeter from (x0, y0), counter-clockwise
            along = (hx - x0 if side == 0.0 else (w + hy - y0 if side == 1.0 else
                                                   (w + h + x1 - hx if side == 2.0 else 2.0 * w + h + y1 - hy)))
            tables[k, b] = r
            tables[k + 1, b] = along * scale
            tables[k + 2, b] = side


@njit(cache=True, nogil=True)
def objects_in_view(objects, n, n_inner, ox, oy, yaw, low, high, rows, bins):
    """Fill `rows` (walls_pass's `objs`) with the first `n` distractors whose billboard
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
        self._other_rays = {}

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

    def render_from(self, camera, x, y, yaw, out):
        """As `render`, through another URDF pinhole `camera` (a CameraSpec: a stereo eye)."""
        height, width = out.shape[:2]
        key = (camera, width, height)
        if key not in self._other_rays:
            self._other_rays[key] = PixelRays(camera, None, width, height)
        return self.lit.render(self._other_rays[key], x, y, yaw, out.reshape(-1, 3))
