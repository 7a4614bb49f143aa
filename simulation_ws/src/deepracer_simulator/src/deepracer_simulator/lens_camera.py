"""The front camera through any lens model (pinhole, fisheye, standard) of
`deepracer_camera.lens` (robot_ws's camera library, shared with the car).

Same interface as `camera.GroundCamera`. A distorted lens does not see one
forward distance per image row, so the ground hit of every pixel's ray is
computed once per image size (rays from `CameraModel.pixel_rays`, pitched down
by the URDF's camera pitch, met with the ground at the URDF's camera height);
a frame rotates and shifts those hits by the car's pose and looks the labels up
in the track raster. Pixels whose ray misses the ground within `camera.far`
see the background.
"""
import math

import numpy as np

from .raster import BACKGROUND


class _LensBuffers:
    def __init__(self, camera, lens, width, height, resolution):
        rays = lens.pixel_rays(width, height).reshape(-1, 3).astype(np.float64)
        right, down_cam, ahead = rays[:, 0], rays[:, 1], rays[:, 2]
        p = camera.pitch
        forward = ahead * math.cos(p) - down_cam * math.sin(p)
        down = ahead * math.sin(p) + down_cam * math.cos(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(down > 0, camera.z / down, np.inf)
        reach = t * forward
        ground = np.isfinite(t) & (reach <= camera.far) & (reach > 0)
        self.index = np.flatnonzero(ground)
        self.cells_x = ((camera.x + reach[ground]) / resolution).astype(np.float32)
        self.cells_y = ((camera.y - t[ground] * right[ground]) / resolution).astype(np.float32)
        self.labels = np.full(width * height, BACKGROUND, dtype=np.uint8)


class LensGroundCamera:
    """Renders label images of a TrackRaster through `lens` (a deepracer_camera CameraModel)."""

    def __init__(self, raster, camera, lens):
        self.raster, self.camera, self.lens = raster, camera, lens
        self._flat_labels = raster.labels.ravel()
        self._sizes = {}

    def labels(self, x, y, yaw, width, height) -> np.ndarray:
        """(height * width,) uint8 labels seen from base pose (x, y, yaw); an internal buffer."""
        key = (width, height)
        if key not in self._sizes:
            self._sizes[key] = _LensBuffers(self.camera, self.lens, width, height,
                                            self.raster.resolution)
        b, raster = self._sizes[key], self.raster
        rows, cols = raster.labels.shape
        c, s = math.cos(yaw), math.sin(yaw)
        col = b.cells_x * c - b.cells_y * s + (x - raster.x0) / raster.resolution
        row = b.cells_x * s + b.cells_y * c + (y - raster.y0) / raster.resolution
        icol = np.clip(col.astype(np.int32), 0, cols - 1)
        irow = np.clip(row.astype(np.int32), 0, rows - 1)
        b.labels[b.index] = self._flat_labels[irow * cols + icol]
        return b.labels


def load_lens(value):
    """The deepracer_camera CameraModel for CAMERA_CALIBRATION / ~camera_calibration `value`
    (a shipped lens name or a calibration file); None for '' or 'pinhole' (the URDF pinhole).
    Raises ValueError (deepracer_camera's CalibrationError) naming the value, file and key."""
    text = str(value or "").strip()
    if not text or text == "pinhole":
        return None
    try:
        from deepracer_camera.lens import resolve_camera
    except ImportError as err:
        if not _add_camera_pkg_source():
            raise ValueError(f"{text}: a lens needs robot_ws's camera_pkg (deepracer_camera): "
                             f"source robot_ws/install/setup.bash, or set CAMERA_CALIBRATION=pinhole "
                             f"({err})") from None
        from deepracer_camera.lens import resolve_camera
    return resolve_camera(text)


def _add_camera_pkg_source() -> bool:
    """Put the workspace's robot_ws/src/camera_pkg/src on sys.path when this file lies in the
    same checkout (source or install tree) and robot_ws is not sourced; True if found."""
    import sys
    from pathlib import Path
    for parent in Path(__file__).resolve().parents:
        src = parent / "robot_ws" / "src" / "camera_pkg" / "src"
        if (src / "deepracer_camera" / "lens.py").is_file():
            sys.path.append(str(src))
            return True
    return False
