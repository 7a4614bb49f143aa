"""The randomization.json keys beyond appearance that the simulator applies per episode.

`EpisodeEffects(values)` holds one episode's draw (`randomization_file.draw`), or None
for the nominal car and camera:
- actuators: the drive the car gets is `steering * steering_gain + steering_offset_deg`
  (rad) and `speed * speed_gain` (a miscalibrated servo and speed controller; the
  commanded drive stays what the agent sent);
- camera: a frame is JPEG-compressed at `jpeg_quality` (rounded; 100 = untouched), as
  the car's camera stream is.
- camera: `camera_for_episode` moves the camera by `mount_height_m` and
  `mount_pitch_deg`, scales the focal length by `focal_scale` (the URDF pinhole: a
  narrower or wider hfov) and, with a lens, shifts cx, cy by +-`principal_jitter_px`
  and each distortion coefficient by +-`distortion_jitter` (signs and sizes drawn
  uniformly within +-the episode's value).
- dynamics: `params(nominal)` scales the speed time constant by
  `speed_time_constant_scale` and the tyre grip (friction coefficient) by `grip`.
- motion blur: `image(rgb, speed)` smears the frame along the image's vertical
  (the ground streams down the picture as the car drives forward) over
  `motion_blur_px_per_mps * |speed|` pixels of the 160x120 frame (a box of that
  length, its last tap fractional), before the noise and the JPEG round trip;
- latency: with probability `latency_prob` (one Bernoulli draw per episode,
  `draw_latency(rng)`) every frame of the episode shows the car's pose one frame
  earlier (`latency_frames` = 1), as a camera that delivers one frame late.
"""
import dataclasses
import math

import cv2
import numpy as np
from numba import njit

from .jpeg import jpeg_roundtrip


class EpisodeEffects:
    """One episode's actuator gains, dynamics, JPEG quality, motion blur and latency; `None`
    values = nominal."""

    def __init__(self, values=None):
        get = (lambda key, nominal: nominal) if values is None else (lambda key, _n: values[key])
        self.speed_gain = float(get("speed_gain", 1.0))
        self.steering_gain = float(get("steering_gain", 1.0))
        self.steering_offset = math.radians(float(get("steering_offset_deg", 0.0)))
        self.jpeg_quality = int(round(float(get("jpeg_quality", 100.0))))
        self.speed_time_constant_scale = float(get("speed_time_constant_scale", 1.0))
        self.grip = float(get("grip", 1.0))
        self.motion_blur_px_per_mps = float(get("motion_blur_px_per_mps", 0.0))
        self.latency_prob = float(get("latency_prob", 0.0))
        self.latency_frames = 0  # 0 or 1, set by draw_latency

    def draw_latency(self, rng) -> int:
        """Draw whether this episode's frames come one frame late (0 or 1 frame); a nominal
        episode (`latency_prob` 0) draws nothing from `rng`."""
        if self.latency_prob > 0.0:
            self.latency_frames = int(rng.uniform() < self.latency_prob)
        return self.latency_frames

    def blur_px(self, speed, width=160) -> float:
        """Blur length (px) at `speed` (m/s) in a frame `width` px wide (the ranges are per
        px of the 160-px frame)."""
        return self.motion_blur_px_per_mps * abs(float(speed)) * (width / 160.0)

    def params(self, nominal):
        """The episode's dynamics.DynamicsParams from the nominal ones (the same object if nominal)."""
        if self.speed_time_constant_scale == 1.0 and self.grip == 1.0:
            return nominal
        return dataclasses.replace(
            nominal, speed_time_constant=nominal.speed_time_constant * self.speed_time_constant_scale,
            friction_coefficient=nominal.friction_coefficient * self.grip)

    @property
    def compresses(self) -> bool:
        return self.jpeg_quality < 100

    def drive(self, steering, speed, max_steering, max_speed) -> tuple:
        """The (steering rad, speed m/s) the car executes for a commanded drive, in its limits."""
        steering = steering * self.steering_gain + self.steering_offset
        speed = speed * self.speed_gain
        return (min(max(steering, -max_steering), max_steering),
                min(max(speed, -max_speed), max_speed))

    def blur(self, rgb: np.ndarray, speed: float) -> np.ndarray:
        """`rgb` (uint8 HxWx3 or HxW) with the motion blur of `speed` (m/s), written in place."""
        length = self.blur_px(speed, rgb.shape[1])
        if not length >= 0.05:
            return rgb
        # a pixel averages the scene from itself up to length px above it (what streamed
        # down into it during the exposure)
        if not rgb.flags.c_contiguous:  # a strided view: smear a contiguous copy
            frame = np.ascontiguousarray(rgb)
            _vertical_smear(frame.reshape(frame.shape[0], -1), length)
            rgb[...] = frame
            return rgb
        _vertical_smear(rgb.reshape(rgb.shape[0], -1), length)
        return rgb

    def image(self, rgb: np.ndarray) -> np.ndarray:
        """`rgb` (uint8 HxWx3 or HxW) after the episode's JPEG round trip, written in place:
        emulated (deepracer_simulator.jpeg) for C-contiguous RGB frames whose height is a
        multiple of 8 and width of 16 (160x120, 640x480), through cv2's libjpeg otherwise."""
        if not self.compresses:
            return rgb
        colour = rgb.ndim == 3
        if colour and rgb.flags.c_contiguous and rgb.shape[0] % 8 == 0 and rgb.shape[1] % 16 == 0:
            return jpeg_roundtrip(rgb, self.jpeg_quality, out=rgb)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR) if colour else rgb
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed at quality {self.jpeg_quality}")
        if colour:
            cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB, dst=rgb)
        else:
            rgb[...] = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
        return rgb


@njit(cache=True, nogil=True, fastmath=True, boundscheck=False, error_model="numpy")
def _vertical_smear(rows, length):
    """`rows` (H, W*channels uint8) in place: row y = sum_k w[k] * row (y - k) with
    w = blur_kernel(length) (n taps: the row itself and the whole rows above it weigh 1, the
    farthest the fraction), rows above the top repeating the top row, rounded to nearest.
    Bottom-up, so every row is read before it is written."""
    weights = _blur_weights(length)
    n, height = weights.shape[0], rows.shape[0]
    acc = np.empty(rows.shape[1], np.float32)
    for y in range(height - 1, -1, -1):
        acc[:] = np.float32(0.0)
        for k in range(n):
            src = max(y - k, 0)
            w = weights[k]
            for x in range(rows.shape[1]):
                acc[x] += w * np.float32(rows[src, x])
        for x in range(rows.shape[1]):
            rows[y, x] = np.uint8(min(max(np.rint(acc[x]), np.float32(0.0)), np.float32(255.0)))


@njit(cache=True, nogil=True)
def _blur_weights(length):
    """float32 taps of a smear `length` px long: 1 + floor(length) of 1 and a last one of the
    fraction (none when it is 0), normalized."""
    whole = int(math.floor(length))
    last = np.float32(length - whole)
    n = whole + 2 if last > 0.0 else whole + 1
    weights = np.ones(n, np.float32)
    if last > 0.0:
        weights[n - 1] = last
    return weights / weights.sum()


def blur_kernel(length):
    """(n, 1) float32 vertical box kernel of a smear `length` px long: 1 + floor(length) taps
    of 1 and a last tap of the fraction, normalized; None below 0.05 px (nothing to see)."""
    if not length >= 0.05:
        return None
    return _blur_weights(float(length)).reshape(-1, 1)


_CAMERA_KEYS = ("focal_scale", "mount_height_m", "mount_pitch_deg")
_LENS_KEYS = ("principal_jitter_px", "distortion_jitter")
_NOMINAL = {"focal_scale": (1.0, 1.0)}


def camera_jitter(ranges, lens) -> bool:
    """Whether the ranges move the camera or its intrinsics (else the nominal camera stays)."""
    keys = _CAMERA_KEYS + (_LENS_KEYS if lens is not None else ())
    return any(tuple(getattr(ranges, k)) != _NOMINAL.get(k, (0.0, 0.0)) for k in keys)


def camera_for_episode(raster, camera, lens, values, rng):
    """A ground camera (GroundCamera or LensGroundCamera) for one episode's draw `values`:
    `camera` (the URDF CameraSpec) moved and `lens` (a CameraModel or None) jittered."""
    from .camera import GroundCamera
    moved = dataclasses.replace(camera, z=camera.z + values["mount_height_m"],
                                pitch=camera.pitch + math.radians(values["mount_pitch_deg"]))
    scale = values["focal_scale"]
    if lens is None:
        hfov = 2.0 * math.atan(math.tan(camera.hfov / 2.0) / scale)
        return GroundCamera(raster, dataclasses.replace(moved, hfov=hfov))
    from .lens_camera import LensGroundCamera
    shift = values["principal_jitter_px"]
    cx, cy = (c + rng.uniform(-shift, shift) for c in (lens.cx, lens.cy))
    jitter = values["distortion_jitter"]
    dist = tuple(d + rng.uniform(-jitter, jitter) for d in lens.dist)
    jittered = dataclasses.replace(lens, fx=lens.fx * scale, fy=lens.fy * scale, cx=cx, cy=cy,
                                   dist=dist)
    return LensGroundCamera(raster, moved, jittered)
