"""Procedural textures of the realistic world: noise, floor materials, the printed mat,
barrier panels, room walls, ceiling and the distractor sprites.

Every function takes a numpy Generator and returns uint8 RGBA arrays (rows, cols, 4),
row 0 at the lowest y (floor, mat, ceiling) or at the floor (walls, sprites). The alpha
channel means: gloss 0-255 (mat, floor), emissive when >= 128 (room walls, ceiling:
windows and lamps are not shaded), coverage (sprites: < 128 is see-through).
Nothing is downloaded; the same generator state gives the same bytes.
"""
import math

import cv2
import numpy as np

FLOOR_MATERIALS = ("carpet", "concrete", "wood", "tiles")


# ---------------------------------------------------------------- noise
def smooth_noise(rng, shape, scale_px, periodic=False) -> np.ndarray:
    """(rows, cols) float32 noise of unit std with features about `scale_px` wide."""
    rows, cols = shape
    if scale_px <= 1.0:
        return rng.standard_normal(shape, dtype=np.float32)
    if periodic:  # white noise low-passed in the Fourier domain: exactly periodic
        white = rng.standard_normal(shape)
        fy = np.fft.fftfreq(rows)[:, None]
        fx = np.fft.rfftfreq(cols)[None, :]
        spectrum = np.fft.rfft2(white) * np.exp(-((fx ** 2 + fy ** 2) * (math.pi * scale_px / 2) ** 2))
        out = np.fft.irfft2(spectrum, s=shape)
        return ((out - out.mean()) / (out.std() or 1.0)).astype(np.float32)
    small = (max(2, int(math.ceil(rows / scale_px)) + 1), max(2, int(math.ceil(cols / scale_px)) + 1))
    base = rng.standard_normal(small, dtype=np.float32)
    out = cv2.resize(base, (cols, rows), interpolation=cv2.INTER_CUBIC)
    std = float(out.std()) or 1.0
    return ((out - out.mean()) / std).astype(np.float32)


def _rgba(rgb, alpha) -> np.ndarray:
    out = np.empty(rgb.shape[:2] + (4,), dtype=np.uint8)
    out[..., :3] = np.clip(np.rint(rgb), 0, 255)
    out[..., 3] = np.clip(np.rint(alpha), 0, 255) if np.ndim(alpha) else int(alpha)
    return out


def _jitter_colour(rng, rgb, amount) -> np.ndarray:
    return np.asarray(rgb, np.float32) * (1.0 + rng.uniform(-amount, amount, 3).astype(np.float32))


# ---------------------------------------------------------------- floor
def floor_tile(rng, material, size_px, res) -> np.ndarray:
    """A periodic (size_px, size_px) RGBA floor tile of `material` at `res` m/px (alpha: gloss)."""
    n = size_px
    if material == "carpet":
        colour = [(70, 74, 84), (96, 60, 56), (120, 110, 92), (58, 70, 66), (80, 80, 80)][rng.integers(5)]
        c = _jitter_colour(rng, colour, 0.12)
        fine = rng.standard_normal((n, n), dtype=np.float32)
        mottle = smooth_noise(rng, (n, n), 0.25 / res, periodic=True)
        rgb = c * (1.0 + 0.10 * fine + 0.05 * mottle)[..., None]
        gloss = 8
    elif material == "concrete":
        grey = float(rng.uniform(120, 175))
        c = np.array([grey, grey * 0.98, grey * 0.95], np.float32)
        blotch = smooth_noise(rng, (n, n), 0.6 / res, periodic=True)
        speck = rng.standard_normal((n, n), dtype=np.float32)
        rgb = c * (1.0 + 0.07 * blotch + 0.04 * speck)[..., None]
        joint = n // 2  # saw-cut joints
        rgb[::joint, :] *= 0.6
        rgb[:, ::joint] *= 0.6
        gloss = np.clip(90 + 40 * blotch, 0, 255)
    elif material == "wood":
        colour = [(150, 104, 64), (176, 134, 90), (110, 72, 44), (196, 164, 120)][rng.integers(4)]
        c = _jitter_colour(rng, colour, 0.08)
        plank_w = n // int(rng.choice([16, 32]))  # whole planks per tile: it repeats
        plank_l = n // 2
        rows = np.arange(n)[:, None]
        cols = np.arange(n)[None, :]
        strip = rows // plank_w
        offset = (strip * 7919 % 5) * plank_l // 5
        board = strip * 31 + (cols + offset) // plank_l
        board_tone = np.random.default_rng(int(rng.integers(2**31))).uniform(-0.12, 0.12, board.max() + 1)
        grain = np.sin((rows / 3.0 + 4.0 * smooth_noise(rng, (n, n), 0.3 / res, periodic=True)) * 1.3)
        tone = 1.0 + board_tone[board] + 0.06 * grain
        seam = ((rows % plank_w) == 0) | (((cols + offset) % plank_l) == 0)
        tone = np.where(seam, 0.55, tone)
        rgb = c * tone[..., None].astype(np.float32)
        gloss = np.where(seam, 10, 70)
    elif material == "tiles":
        colour = [(200, 200, 196), (168, 160, 150), (96, 100, 108), (220, 214, 200)][rng.integers(4)]
        c = _jitter_colour(rng, colour, 0.06)
        tile = n // int(rng.choice([4, 8]))
        rows = np.arange(n)[:, None]
        cols = np.arange(n)[None, :]
        idx = (rows // tile) * 1009 + cols // tile
        tone = np.random.default_rng(int(rng.integers(2**31))).uniform(-0.06, 0.06, idx.max() + 1)[idx]
        grout = ((rows % tile) < 2) | ((cols % tile) < 2)
        speck = rng.standard_normal((n, n), dtype=np.float32)
        t = np.where(grout, 0.55, 1.0 + tone + 0.02 * speck)
        rgb = c * t[..., None].astype(np.float32)
        gloss = np.where(grout, 10, 150)
    else:
        raise ValueError(f"floor material {material!r} is not one of {', '.join(FLOOR_MATERIALS)}")
    return _rgba(rgb, gloss)


# ---------------------------------------------------------------- the printed mat
MAT_SCHEMES = (  # (off-track, road, border line, centre line): re:Invent green first
    ((38, 122, 72), (52, 58, 64), (236, 238, 232), (252, 160, 20)),
    ((46, 104, 66), (40, 42, 46), (228, 230, 228), (246, 176, 36)),
    ((64, 78, 96), (36, 38, 42), (240, 240, 236), (250, 200, 40)),
    ((88, 96, 92), (44, 46, 50), (232, 232, 228), (238, 150, 30)),
)


def mat_texture(rng, labels, res, wear) -> np.ndarray:
    """RGBA of the printed mat from a track raster's labels (GROUND, ROAD, BORDER_LINE,
    CENTRE_LINE): vinyl grain, worn and gapped lines, tyre marks, strip seams; alpha = gloss.
    `wear` in [0, 1] is how worn the print is."""
    rows, cols = labels.shape
    scheme = MAT_SCHEMES[0] if rng.uniform() < 0.55 else MAT_SCHEMES[int(rng.integers(len(MAT_SCHEMES)))]
    colours = np.array([_jitter_colour(rng, c, 0.05) for c in scheme] + [(0, 0, 0)], np.float32)
    ground, road, border, centre = 0, 1, 2, 3
    lab = np.minimum(labels, 4)
    # Worn paint: lines fade toward the road where mid-scale noise is high; a few gaps.
    scuff = smooth_noise(rng, (rows, cols), 0.06 / res)
    gaps = smooth_noise(rng, (rows, cols), 0.4 / res)
    paint = np.clip(1.0 - wear * np.clip(scuff - 0.3, 0, None) * 0.8, 0.0, 1.0)
    paint = np.where(gaps > 2.3 - wear * 0.6, 0.15, paint)
    line = (lab == border) | (lab == centre)
    base = colours[lab]
    road_rgb = colours[road]
    base = np.where(line[..., None], road_rgb + (base - road_rgb) * paint[..., None], base)
    # Grain of the print and slow mottling of the vinyl.
    grain = rng.standard_normal((rows, cols), dtype=np.float32)
    mottle = smooth_noise(rng, (rows, cols), 0.5 / res)
    tone = 1.0 + 0.02 * grain + 0.03 * mottle
    # Tyre marks: dark smudges on the road.
    marks = smooth_noise(rng, (rows, cols), 0.25 / res)
    tone = tone - np.where(lab == road, 0.12 * wear * np.clip(marks - 0.8, 0, None), 0.0)
    # Strips of the print, 1-1.5 m wide across the long side, with seams and a slight tone step.
    width = float(rng.uniform(1.0, 1.5)) / res
    along_x = cols >= rows
    axis = np.arange(cols if along_x else rows)
    strip = (axis / width).astype(np.int32)
    step = rng.uniform(-0.015, 0.015, strip.max() + 1).astype(np.float32)[strip]
    seam = (axis % max(1, int(width))) < max(1, int(round(0.004 / res)))
    strip_tone = (1.0 + step) * np.where(seam, 0.82, 1.0)
    tone = tone * (strip_tone[None, :] if along_x else strip_tone[:, None])
    rgb = base * tone[..., None]
    gloss_by_label = np.array([40, 110, 170, 170, 0], np.float32)
    gloss = gloss_by_label[lab] * (1.0 + 0.3 * mottle)
    return _rgba(rgb, gloss)


# ---------------------------------------------------------------- barrier
def barrier_texture(rng, perimeter_m, height_m, res) -> np.ndarray:
    """The inner face of the barrier walls unrolled along the perimeter: panels of one
    uniform colour (as the AWS guide recommends), seams, scuffs near the floor."""
    cols = max(2, int(math.ceil(perimeter_m / res)))
    rows = max(2, int(math.ceil(height_m / res)))
    colour = [(236, 236, 232), (30, 32, 36), (40, 70, 140), (150, 150, 150), (200, 40, 40)][rng.integers(5)]
    c = _jitter_colour(rng, colour, 0.05)
    panel = max(2, int(round(rng.uniform(1.0, 2.4) / res)))
    idx = np.arange(cols) // panel
    tone = 1.0 + rng.uniform(-0.05, 0.05, idx.max() + 1).astype(np.float32)[idx]
    seam = (np.arange(cols) % panel) == 0
    z = (np.arange(rows) + 0.5) * res
    dirt = smooth_noise(rng, (rows, cols), 0.1 / res)
    scuff = np.exp(-z / 0.08)[:, None] * np.clip(dirt, 0, None) * 0.25
    t = tone[None, :] * (1.0 - scuff) * (1.0 + 0.02 * rng.standard_normal((rows, cols), dtype=np.float32))
    t = np.where(seam[None, :], t * 0.6, t)
    top = z > height_m - 0.02
    t = np.where(top[:, None], t * 0.8, t)
    return _rgba(c * t[..., None], 0)


# ---------------------------------------------------------------- room
def _rect(tex, u0, u1, z0, z1, res, rgb, emissive=False):
    r0, r1 = int(z0 / res), max(int(z0 / res) + 1, int(z1 / res))
    c0, c1 = int(u0 / res), max(int(u0 / res) + 1, int(u1 / res))
    tex[r0:r1, c0:c1, :3] = np.clip(np.rint(np.asarray(rgb, np.float64)), 0, 255)
    if emissive:
        tex[r0:r1, c0:c1, 3] = 255


def room_texture(rng, walls, height_m, res) -> np.ndarray:
    """The room's walls unrolled along the perimeter (`walls`: the length of each of the
    4 walls, m): painted plaster, skirting, doors, windows (emissive), posters, wall lamps."""
    perimeter = float(sum(walls))
    cols = int(math.ceil(perimeter / res))
    rows = int(math.ceil(height_m / res))
    paint = [(218, 214, 204), (190, 200, 206), (226, 220, 196), (170, 176, 168), (120, 124, 132)][rng.integers(5)]
    c = _jitter_colour(rng, paint, 0.05)
    plaster = smooth_noise(rng, (rows, cols), 0.5 / res)
    t = 1.0 + 0.03 * plaster + 0.015 * rng.standard_normal((rows, cols), dtype=np.float32)
    rgb = c * t[..., None]
    tex = _rgba(rgb, 0)
    skirting = _jitter_colour(rng, [(60, 60, 60), (230, 230, 226), (120, 90, 60)][rng.integers(3)], 0.05)
    _rect(tex, 0, perimeter, 0, 0.1, res, skirting)
    start = 0.0
    for length in walls:
        u = start + float(rng.uniform(0.3, 1.2))
        end = start + length - 0.4
        while u < end - 0.5:
            kind = rng.choice(["door", "window", "poster", "lamp", "gap"], p=[0.15, 0.25, 0.25, 0.1, 0.25])
            if kind == "door" and u + 1.0 < end:
                frame = _jitter_colour(rng, (90, 80, 70), 0.2)
                leaf = _jitter_colour(rng, [(150, 110, 70), (200, 200, 196), (80, 90, 100)][rng.integers(3)], 0.1)
                _rect(tex, u, u + 1.0, 0.0, 2.15, res, frame)
                _rect(tex, u + 0.05, u + 0.95, 0.0, 2.1, res, leaf)
                _rect(tex, u + 0.8, u + 0.88, 1.0, 1.05, res, (200, 190, 150))
                u += 1.0
            elif kind == "window" and u + 1.4 < end:
                w = float(rng.uniform(0.8, 1.6))
                w = min(w, end - u)
                z0, z1 = float(rng.uniform(0.8, 1.0)), min(height_m - 0.2, float(rng.uniform(1.9, 2.4)))
                _rect(tex, u, u + w, z0 - 0.06, z1 + 0.06, res, (235, 235, 232))
                sky = _jitter_colour(rng, (215, 230, 250), 0.1)
                _rect(tex, u + 0.05, u + w - 0.05, z0, z1, res, sky, emissive=True)
                _rect(tex, u + w / 2 - 0.025, u + w / 2 + 0.025, z0, z1, res, (235, 235, 232))
                u += w
            elif kind == "poster":
                w, h = float(rng.uniform(0.4, 1.0)), float(rng.uniform(0.5, 1.2))
                z0 = float(rng.uniform(1.0, max(1.05, height_m - h - 0.3)))
                _rect(tex, u, u + w, z0, z0 + h, res, rng.integers(0, 256, 3))
                for _ in range(int(rng.integers(2, 6))):  # blocks and "text" lines
                    bw, bh = w * float(rng.uniform(0.2, 0.9)), h * float(rng.uniform(0.03, 0.4))
                    bu, bz = u + float(rng.uniform(0, w - bw)), z0 + float(rng.uniform(0, h - bh))
                    _rect(tex, bu, bu + bw, bz, bz + bh, res, rng.integers(0, 256, 3))
                u += w
            elif kind == "lamp":
                z = float(rng.uniform(1.7, min(2.3, height_m - 0.3)))
                _rect(tex, u, u + 0.25, z, z + 0.3, res, (255, 244, 214), emissive=True)
                u += 0.25
            u += float(rng.uniform(0.4, 2.0))
        start += length
    return tex


def ceiling_texture(rng, size_m, res) -> np.ndarray:
    """The ceiling over the room (x, y metres): tiles and bright lamp panels (emissive)."""
    cols, rows = (max(2, int(math.ceil(s / res))) for s in size_m)
    grey = float(rng.uniform(190, 235))
    noise = smooth_noise(rng, (rows, cols), 0.4 / res)
    rgb = np.full((rows, cols, 3), grey, np.float32) * (1.0 + 0.03 * noise)[..., None]
    tex = _rgba(rgb, 0)
    grid = max(2, int(round(0.6 / res)))
    tex[::grid, :, :3] = int(grey * 0.7)
    tex[:, ::grid, :3] = int(grey * 0.7)
    spacing = float(rng.uniform(1.8, 3.0))
    lamp = (float(rng.choice([0.6, 1.2])), 0.3 if rng.uniform() < 0.5 else 0.6)
    for x in np.arange(spacing / 2, size_m[0] - 0.3, spacing):
        for y in np.arange(spacing / 2, size_m[1] - 0.3, spacing):
            r0, c0 = int(y / res), int(x / res)
            r1, c1 = r0 + max(1, int(lamp[1] / res)), c0 + max(1, int(lamp[0] / res))
            tex[r0:r1, c0:c1, :3] = (255, 250, 236)
            tex[r0:r1, c0:c1, 3] = 255
    return tex


# ---------------------------------------------------------------- distractor sprites
SPRITE_KINDS = ("person", "box", "chair", "cone")
SPRITE_SIZES = {"person": ((0.45, 0.6), (1.55, 1.9)), "box": ((0.35, 0.8), (0.25, 0.7)),
                "chair": ((0.45, 0.55), (0.8, 0.95)), "cone": ((0.22, 0.32), (0.3, 0.5))}  # w, h (m)
SPRITE_PX = (64, 128)  # cols, rows of every sprite


def sprite(rng, kind) -> np.ndarray:
    """(rows, cols, 4) RGBA billboard of a distractor, row 0 at the floor; alpha: coverage."""
    cols, rows = SPRITE_PX
    img = np.zeros((rows, cols, 4), np.uint8)
    canvas = np.zeros((rows, cols, 3), np.uint8)  # drawn top-down, flipped at the end
    mask = np.zeros((rows, cols), np.uint8)

    def fill(points, colour):
        pts = np.array(points, np.int32)
        cv2.fillPoly(canvas, [pts], tuple(int(v) for v in colour))
        cv2.fillPoly(mask, [pts], 255)

    def box(x0, y0, x1, y1, colour):
        fill([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], colour)

    if kind == "person":
        skin = _jitter_colour(rng, [(224, 180, 150), (170, 120, 90), (110, 76, 56)][rng.integers(3)], 0.05)
        shirt, trousers = rng.integers(20, 240, 3), rng.integers(10, 120, 3)
        box(18, 44, 46, 86, shirt)  # torso
        box(12, 46, 20, 80, shirt)  # arms
        box(44, 46, 52, 80, shirt)
        box(20, 84, 31, 127, trousers)  # legs
        box(33, 84, 44, 127, trousers)
        cv2.ellipse(canvas, (32, 28), (10, 13), 0, 0, 360, tuple(int(v) for v in skin), -1)
        cv2.ellipse(mask, (32, 28), (10, 13), 0, 0, 360, 255, -1)
        box(24, 40, 40, 46, skin)  # neck
        hair = rng.integers(10, 90, 3)
        cv2.ellipse(canvas, (32, 22), (11, 8), 0, 180, 360, tuple(int(v) for v in hair), -1)
    elif kind == "box":
        brown = _jitter_colour(rng, (170, 130, 84), 0.12)
        box(0, 0, 63, 127, brown)
        box(0, 0, 63, 10, brown * 1.15)  # the top edge catching light
        box(28, 0, 36, 127, brown * 0.85)  # tape
    elif kind == "chair":
        colour = rng.integers(20, 200, 3)
        box(8, 0, 56, 62, colour)  # back
        box(4, 62, 60, 74, colour * 0.8)  # seat
        for x in (8, 52):
            box(x - 3, 74, x + 3, 127, (40, 40, 40))  # legs
    elif kind == "cone":
        orange = _jitter_colour(rng, (250, 110, 20), 0.06)
        fill([(32, 0), (52, 116), (12, 116)], orange)
        fill([(25, 40), (39, 40), (43, 62), (21, 62)], (245, 245, 245))  # reflective band
        box(2, 116, 62, 127, (30, 30, 30))
    else:
        raise ValueError(f"sprite kind {kind!r} is not one of {', '.join(SPRITE_KINDS)}")
    shade = 1.0 + 0.05 * rng.standard_normal((rows, cols), dtype=np.float32)
    img[..., :3] = np.clip(canvas * shade[..., None], 0, 255).astype(np.uint8)
    img[..., 3] = mask
    return np.ascontiguousarray(img[::-1])
