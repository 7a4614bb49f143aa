"""The LIDAR inputs of a DeepRacer model from a sensor_msgs/LaserScan's ranges.

Training sees 64 rays at DeepRacer's simulated Evo LIDAR angles (base frame:
pi + linspace(-150, 150 degrees), i.e. all round but the 60 degrees ahead), range
0.15-12 m. A scan (in the car's frame, x ahead, angles counter-clockwise) is
sampled at those angles (nearest ray); a missing, non-finite or out-of-range
return reads as no return. `LIDAR` = ranges clipped to [0.15, 1.0] m;
`SECTOR_LIDAR` = 8 sectors of 8 rays, 1.0 where the nearest return is below 0.5 m.
"""
import math

import numpy as np

SAMPLES, HALF_SPAN, MOUNT_YAW = 64, 2.61799, math.pi
MIN_RANGE, MAX_RANGE = 0.15, 12.0
LIDAR_CLIP = (0.15, 1.0)
SECTORS, SECTOR_CLIPPING_DIST = 8, 0.5
RAY_ANGLES = MOUNT_YAW + np.linspace(-HALF_SPAN, HALF_SPAN, SAMPLES)  # rad, base frame


def sample_scan(ranges, angle_min, angle_increment) -> np.ndarray:
    """(64,) ranges (m, inf = no return) at the training rays' angles from a LaserScan."""
    r = np.asarray(ranges, dtype=np.float64)
    if r.size == 0 or not angle_increment:
        return np.full(SAMPLES, np.inf)
    wrapped = (RAY_ANGLES - angle_min) % (2.0 * math.pi)
    index = np.rint(wrapped / angle_increment).astype(int) % max(int(round(2 * math.pi / abs(angle_increment))), 1)
    valid = index < r.size
    out = np.full(SAMPLES, np.inf)
    out[valid] = r[index[valid]]
    out[~np.isfinite(out) | (out < MIN_RANGE) | (out > MAX_RANGE)] = np.inf
    return out


def lidar_input(ranges) -> np.ndarray:
    """float32 [1, 64]: the `LIDAR` input."""
    return np.clip(np.asarray(ranges, np.float64), *LIDAR_CLIP).astype(np.float32)[None]


def sector_lidar_input(ranges) -> np.ndarray:
    """float32 [1, 8]: the `SECTOR_LIDAR` input."""
    r = np.where(np.isinf(np.asarray(ranges, np.float64)), SECTOR_CLIPPING_DIST, ranges)
    nearest = r.reshape(SECTORS, -1).min(axis=1)
    return (nearest < SECTOR_CLIPPING_DIST).astype(np.float32)[None]
