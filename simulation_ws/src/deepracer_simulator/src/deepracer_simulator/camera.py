"""The front camera: a pinhole looking at a flat textured ground.

The camera is fixed to the car (no body roll or pitch), so every pixel's ray
meets the ground at a fixed point of the car frame. Those points are computed
once per image size; a frame only rotates them by the car's yaw, shifts them
by its position and looks the labels up in the track raster (nearest cell).
With no roll, each image row sees one forward distance: the rows from
`first_ground_row` down see the ground within the far clip distance, the rows
above see the background.
"""
import math
from dataclasses import dataclass

import numpy as np

from .raster import BACKGROUND


class CameraError(ValueError):
    """A camera setting or image size cannot be rendered."""


@dataclass(frozen=True, eq=False)
class GroundRays:
    """Where the pixels of one image size meet the ground, in the base frame."""

    width: int  # px
    height: int  # px
    horizon_row: float  # image row (0 = top edge, may be fractional/outside) of the horizon
    first_ground_row: int  # first row whose pixels all hit the ground within `far`
    x: np.ndarray  # m, (n,) float32 base-frame x of the hits of rows first_ground_row..height-1
    y: np.ndarray  # m, (n,) float32 base-frame y of those hits


def focal_length(hfov, width) -> float:
    """Pinhole focal length in pixels for a horizontal field of view (rad)."""
    if not 0.0 < hfov < math.pi:
        raise CameraError(f"camera hfov must be in (0, pi) rad, got {hfov!r}")
    return (width / 2.0) / math.tan(hfov / 2.0)


def vertical_fov(hfov, width, height) -> float:
    """Vertical field of view (rad) for square pixels."""
    return 2.0 * math.atan(math.tan(hfov / 2.0) * height / width)


def ground_rays(camera, width, height, far=None) -> GroundRays:
    """Ground hits of every pixel for `camera` (a CameraSpec) at width x height."""
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise CameraError(f"image size must be positive integers, got {width!r} x {height!r}")
    if not camera.z > 0:
        raise CameraError(f"camera height z must be > 0 m, got {camera.z!r}")
    far = camera.far if far is None else far
    f = focal_length(camera.hfov, width)
    pitch = camera.pitch
    # Pixel centres relative to the optical axis: u right, v down (pixels).
    u = np.arange(width) + 0.5 - width / 2.0
    v = np.arange(height) + 0.5 - height / 2.0
    # Ray = f * forward + u * right + v * down, with the camera pitched down by `pitch`.
    ray_x = f * math.cos(pitch) - v * math.sin(pitch)  # per row
    ray_down = f * math.sin(pitch) + v * math.cos(pitch)  # per row, > 0 looks below horizontal
    with np.errstate(divide="ignore"):
        t = np.where(ray_down > 0, camera.z / ray_down, np.inf)  # metres per ray unit, per row
    forward = t * ray_x  # m ahead of the camera, per row
    ground = np.isfinite(t) & (forward <= far)
    first = int(np.argmax(ground)) if ground.any() else height
    if not ground[first:].all():
        raise CameraError("camera rows hitting the ground are not contiguous (pitch out of range?)")
    rows = slice(first, height)
    hit_x = camera.x + np.repeat(forward[rows], width)
    hit_y = camera.y - np.outer(t[rows], u).ravel()  # image right = car -y
    horizon = height / 2.0 - f * math.tan(pitch)
    return GroundRays(width=width, height=height, horizon_row=horizon, first_ground_row=first,
                      x=hit_x.astype(np.float32), y=hit_y.astype(np.float32))


class _SizeBuffers:
    """Ray tables (in raster cells) and preallocated work arrays for one image size."""

    def __init__(self, rays, resolution):
        n = rays.x.size
        self.rays = rays
        self.cells_x = rays.x * np.float32(1.0 / resolution)  # base-frame hits, in cells
        self.cells_y = rays.y * np.float32(1.0 / resolution)
        self.col, self.row, self.tmp = (np.empty(n, np.float32) for _ in range(3))
        self.icol, self.irow = np.empty(n, np.int32), np.empty(n, np.int32)
        self.labels = np.full(rays.width * rays.height, BACKGROUND, dtype=np.uint8)
        self.ground = self.labels[rays.first_ground_row * rays.width:]  # view: rows seeing ground


class GroundCamera:
    """Renders label images of a TrackRaster seen from the car's camera."""

    def __init__(self, raster, camera):
        self.raster = raster
        self.camera = camera
        self._flat_labels = raster.labels.ravel()
        self._sizes = {}

    def _buffers(self, width, height) -> _SizeBuffers:
        key = (width, height)
        if key not in self._sizes:
            rays = ground_rays(self.camera, width, height)
            self._sizes[key] = _SizeBuffers(rays, self.raster.resolution)
        return self._sizes[key]

    def rays(self, width, height) -> GroundRays:
        """The precomputed ground rays for an image size."""
        return self._buffers(width, height).rays

    def labels(self, x, y, yaw, width, height) -> np.ndarray:
        """(height * width,) uint8 labels seen from base pose (x, y, yaw).

        Returns an internal buffer, overwritten by the next call of the same size.
        """
        b = self._buffers(width, height)
        raster = self.raster
        rows, cols = raster.labels.shape
        c, s = math.cos(yaw), math.sin(yaw)
        # Cell coordinates of the world hit points: R(yaw) @ g + position, in cells.
        np.multiply(b.cells_x, c, out=b.col)
        np.multiply(b.cells_y, s, out=b.tmp)
        np.subtract(b.col, b.tmp, out=b.col)
        b.col += (x - raster.x0) / raster.resolution
        np.multiply(b.cells_x, s, out=b.row)
        np.multiply(b.cells_y, c, out=b.tmp)
        np.add(b.row, b.tmp, out=b.row)
        b.row += (y - raster.y0) / raster.resolution
        # Truncate to cells (toward zero), then clip into the raster (its margin is ground).
        np.copyto(b.icol, b.col, casting="unsafe")
        np.copyto(b.irow, b.row, casting="unsafe")
        np.clip(b.icol, 0, cols - 1, out=b.icol)
        np.clip(b.irow, 0, rows - 1, out=b.irow)
        b.irow *= cols
        b.irow += b.icol
        np.take(self._flat_labels, b.irow, out=b.ground, mode="clip")  # clip: unbuffered out
        return b.labels
