"""The DeepRacer Evo's LIDAR: 2-D rays cast against the objects' boxes.

Facts (DeepRacer's simulation, docs/race_types.md): 64 samples from -150 to
+150 degrees about the sensor's x axis, range 0.15-12 m, and the sensor is
mounted facing backwards (yaw pi) 0.0759 m ahead of the base, so the rays cover
everything but the 60 degrees straight ahead of the car (the camera's view).
The `LIDAR` network input is the 64 ranges clipped to [0.15, 1.0] m;
`SECTOR_LIDAR` reduces them to 8 sectors of 8 rays, each 1.0 when its nearest
return is closer than 0.5 m, else 0.0. A ray that hits nothing reads `inf`.
"""
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LidarSpec:
    """The Evo LIDAR as DeepRacer simulates it."""

    samples: int = 64  # rays per scan
    min_angle: float = -2.61799  # rad, first ray, sensor frame
    max_angle: float = 2.61799  # rad, last ray, sensor frame
    min_range: float = 0.15  # m
    max_range: float = 12.0  # m
    x: float = 0.0759  # m, ahead of base_link
    yaw: float = math.pi  # rad, sensor frame heading in the base frame (mounted backwards)

    def angles(self) -> np.ndarray:
        """(samples,) ray angles in the base frame, rad, in scan order."""
        return self.yaw + np.linspace(self.min_angle, self.max_angle, self.samples)


LIDAR_CLIP = (0.15, 1.0)  # m, the LIDAR input's clipping
SECTORS = 8
SECTOR_CLIPPING_DIST = 0.5  # m


def scan(x, y, yaw, objects, spec=LidarSpec()) -> np.ndarray:
    """(samples,) float64 ranges (m) from the car at base pose (x, y, yaw); inf = no return."""
    angles = spec.angles() + yaw
    ox, oy = x + spec.x * math.cos(yaw), y + spec.x * math.sin(yaw)
    dx, dy = np.cos(angles), np.sin(angles)
    ranges = np.full(spec.samples, np.inf)
    for obj in objects:
        c, s = math.cos(obj.yaw), math.sin(obj.yaw)
        px, py = ox - obj.x, oy - obj.y
        lx, ly = c * px + s * py, -s * px + c * py  # origin in the box frame
        ldx, ldy = c * dx + s * dy, -s * dx + c * dy  # directions in the box frame
        t = _slab_hits(lx, ly, ldx, ldy, obj.length / 2.0, obj.width / 2.0)
        np.minimum(ranges, t, out=ranges)
    ranges[ranges < spec.min_range] = spec.min_range
    ranges[ranges > spec.max_range] = np.inf
    return ranges


def _slab_hits(px, py, dx, dy, hx, hy) -> np.ndarray:
    """Entry distance of rays (p + t d, t >= 0) into the box |x| <= hx, |y| <= hy; inf if none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tx1, tx2 = (-hx - px) / dx, (hx - px) / dx
        ty1, ty2 = (-hy - py) / dy, (hy - py) / dy
    tx1 = np.where(dx == 0, np.where(abs(px) <= hx, -np.inf, np.inf), tx1)
    tx2 = np.where(dx == 0, np.where(abs(px) <= hx, np.inf, -np.inf), tx2)
    ty1 = np.where(dy == 0, np.where(abs(py) <= hy, -np.inf, np.inf), ty1)
    ty2 = np.where(dy == 0, np.where(abs(py) <= hy, np.inf, -np.inf), ty2)
    t_near = np.maximum(np.minimum(tx1, tx2), np.minimum(ty1, ty2))
    t_far = np.minimum(np.maximum(tx1, tx2), np.maximum(ty1, ty2))
    hit = (t_far >= np.maximum(t_near, 0.0))
    return np.where(hit, np.maximum(t_near, 0.0), np.inf)


def lidar_observation(ranges) -> np.ndarray:
    """The `LIDAR` input: ranges clipped to [0.15, 1.0] m, float32 (no return reads 1.0)."""
    return np.clip(np.asarray(ranges, dtype=np.float64), *LIDAR_CLIP).astype(np.float32)


def sector_lidar(ranges, sectors=SECTORS, clipping_dist=SECTOR_CLIPPING_DIST,
                 values_per_sector=1) -> np.ndarray:
    """DeepRacer's sector reduction: `sectors * values_per_sector` float32 in {0, 1}.

    Each sector's nearest return (inf reads `clipping_dist`) is binned into
    `values_per_sector` bins of `clipping_dist / values_per_sector` m; the bin is
    one-hot encoded and "nothing within clipping_dist" is all zeros. With one
    value per sector (SECTOR_LIDAR) a sector reads 1 when something is nearer
    than `clipping_dist`.
    """
    r = np.asarray(ranges, dtype=np.float64)
    if r.size % sectors:
        raise ValueError(f"{r.size} LIDAR rays do not split into {sectors} sectors")
    r = np.where(np.isinf(r), clipping_dist, r)
    nearest = np.minimum(r.reshape(sectors, -1).min(axis=1), clipping_dist)
    bins = np.clip(np.floor(nearest / (clipping_dist / values_per_sector)).astype(int),
                   0, values_per_sector)
    onehot = np.zeros((sectors, values_per_sector + 1), dtype=np.float32)
    onehot[np.arange(sectors), bins] = 1.0
    return onehot[:, :-1].reshape(-1)


def scan_geometry(spec=LidarSpec()) -> dict:
    """The fields of a sensor_msgs/LaserScan (base frame, x ahead, counter-clockwise) whose
    `ranges` are `scan(...)`'s, in scan order: the car's inference node samples such a scan
    back at exactly the training rays."""
    angles = spec.angles()
    return {"angle_min": float(angles[0]), "angle_max": float(angles[-1]),
            "angle_increment": float((angles[-1] - angles[0]) / (spec.samples - 1)),
            "range_min": float(spec.min_range), "range_max": float(spec.max_range)}
