"""Objects drawn over a camera image: per-pixel rays against boxes, nearest hit wins.

A separate step after the ground/world renderer: the base image is whatever
that renderer made; this module only overwrites the pixels whose ray meets a
box (obstacles, and bot cars as car-sized boxes) before the far clip. Boxes
stand on the ground, so a ray that reaches a box is always nearer than the
ground behind it. Only the pixels inside each box's projected bounding
rectangle are traced. Faces are shaded by their normal (top brightest).
"""
import math
from dataclasses import replace

import numpy as np

from .camera import focal_length

COLOURS = {"obstacle": (214, 178, 122), "bot_car": (190, 40, 40)}  # RGB
SHADE = {"top": 1.0, "x": 0.8, "y": 0.62}  # face brightness: top, ends (length axis), sides
# ITU-R BT.601 luma, as cv2 RGB2GRAY
_LUMA = np.array([0.299, 0.587, 0.114])


def stereo_cameras(camera, baseline):
    """(left, right) CameraSpecs `baseline` metres apart, centred on `camera`."""
    return (replace(camera, y=camera.y + baseline / 2.0),
            replace(camera, y=camera.y - baseline / 2.0))


class ObjectRenderer:
    """Draws TrackObjects into images of one camera (a CameraSpec) at any size."""

    def __init__(self, camera):
        self.camera = camera
        self._rays = {}

    def _ray_table(self, width, height):
        key = (width, height)
        if key not in self._rays:
            f = focal_length(self.camera.hfov, width)
            p = self.camera.pitch
            u = np.arange(width) + 0.5 - width / 2.0
            v = np.arange(height) + 0.5 - height / 2.0
            d = np.empty((height, width, 3))
            d[..., 0] = (f * math.cos(p) - v * math.sin(p))[:, None]
            d[..., 1] = -u[None, :]
            d[..., 2] = -(f * math.sin(p) + v * math.cos(p))[:, None]
            d /= np.linalg.norm(d, axis=2, keepdims=True)
            self._rays[key] = (f, d.astype(np.float32))
        return self._rays[key]

    def project(self, points_base, width, height):
        """Pixel (col, row) of base-frame points (n, 3); rows behind the camera are NaN."""
        f, _ = self._ray_table(width, height)
        cam = self.camera
        rel = points_base - (cam.x, cam.y, cam.z)
        p = cam.pitch
        fwd = rel[:, 0] * math.cos(p) - rel[:, 2] * math.sin(p)
        down = -rel[:, 0] * math.sin(p) - rel[:, 2] * math.cos(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            col = np.where(fwd > 1e-6, width / 2.0 - f * rel[:, 1] / fwd, np.nan)
            row = np.where(fwd > 1e-6, height / 2.0 + f * down / fwd, np.nan)
        return col, row

    def draw(self, image, x, y, yaw, objects, depth=None):
        """Overwrite `image` (H, W, 3 RGB or H, W grey uint8) where objects are seen.

        (x, y, yaw) is the car's base pose; returns `image`. `depth` (H, W float,
        optional) receives each drawn pixel's distance along its ray, m.
        """
        height, width = image.shape[:2]
        _, rays = self._ray_table(width, height)
        cam = self.camera
        c, s = math.cos(yaw), math.sin(yaw)
        zbuf = np.full((height, width), np.inf) if depth is None else depth
        if depth is not None:
            depth.fill(np.inf)
        for obj in objects:
            # The box in the base frame: centre and heading.
            dx, dy = obj.x - x, obj.y - y
            bx, by = c * dx + s * dy, -s * dx + c * dy
            byaw = obj.yaw - yaw
            hl, hw = obj.length / 2.0, obj.width / 2.0
            corners = _corners3d(bx, by, byaw, hl, hw, obj.height)
            if (corners[:, 0] - cam.x).max() <= 0.0:  # wholly behind the camera
                continue
            if math.hypot(bx - cam.x, by - cam.y) - math.hypot(hl, hw) > cam.far:
                continue
            window = self._window(corners, width, height)
            if window is None:
                continue
            r0, r1, c0, c1 = window
            d = rays[r0:r1, c0:c1]
            # Rays into the box frame (origin = camera centre).
            cb, sb = math.cos(byaw), math.sin(byaw)
            ox, oy = cam.x - bx, cam.y - by
            lox, loy = cb * ox + sb * oy, -sb * ox + cb * oy
            cb, sb = np.float32(cb), np.float32(sb)
            ldx = cb * d[..., 0] + sb * d[..., 1]
            ldy = -sb * d[..., 0] + cb * d[..., 1]
            t, slabs = _box_hits(lox, loy, cam.z, ldx, ldy, d[..., 2], hl, hw, obj.height)
            t[t > cam.far] = np.inf
            sub = zbuf[r0:r1, c0:c1]
            nearer = t < sub
            if not nearer.any():
                continue
            sub[nearer] = t[nearer]
            colour = np.asarray(COLOURS.get(obj.kind, COLOURS["obstacle"]), dtype=np.float64)
            face = np.argmax(np.stack([np.nan_to_num(a[nearer], nan=-np.inf) for a in slabs]), axis=0)
            shades = np.array([SHADE["x"], SHADE["y"], SHADE["top"]])[face]
            rgb = np.clip(np.outer(shades, colour), 0, 255)
            target = image[r0:r1, c0:c1]
            if image.ndim == 3:
                target[nearer] = rgb.astype(np.uint8)
            else:
                target[nearer] = np.clip(rgb @ _LUMA + 0.5, 0, 255).astype(np.uint8)
        return image

    def _window(self, corners, width, height):
        """Pixel rectangle (r0, r1, c0, c1) holding the box's projection, or None."""
        cam = self.camera
        if (corners[:, 0] - cam.x).min() <= 0.05:  # straddles the camera plane: trace it all
            return 0, height, 0, width
        col, row = self.project(corners, width, height)
        c0, c1 = max(int(math.floor(col.min())) - 1, 0), min(int(math.ceil(col.max())) + 1, width)
        r0, r1 = max(int(math.floor(row.min())) - 1, 0), min(int(math.ceil(row.max())) + 1, height)
        if c0 >= c1 or r0 >= r1:
            return None
        return r0, r1, c0, c1


def _corners3d(bx, by, byaw, hl, hw, h) -> np.ndarray:
    c, s = math.cos(byaw), math.sin(byaw)
    out = []
    for lx, ly in ((hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw)):
        px, py = bx + c * lx - s * ly, by + s * lx + c * ly
        out += [(px, py, 0.0), (px, py, h)]
    return np.array(out)


def _box_hits(ox, oy, oz, dx, dy, dz, hx, hy, h):
    """Entry distance of rays (o + t d) into the box |x| <= hx, |y| <= hy, 0 <= z <= h
    (inf where missed) and, per ray, the three slab entry distances (for the face)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        near, far = [], []
        for o, d, lo, hi in ((ox, dx, -hx, hx), (oy, dy, -hy, hy), (oz, dz, 0.0, h)):
            inv = 1.0 / d
            t1, t2 = np.float32(lo - o) * inv, np.float32(hi - o) * inv
            near.append(np.fmin(t1, t2))  # fmin/fmax: a ray parallel to a slab gives nan
            far.append(np.fmax(t1, t2))  # from inside it (ignored), +-inf from outside
    t_near = np.fmax(np.fmax(near[0], near[1]), near[2])
    t_far = np.fmin(np.fmin(far[0], far[1]), far[2])
    t_near[(t_far < t_near) | ~(t_near > 0)] = np.inf
    return t_near, near
