"""LIDAR inputs on the car: a LaserScan sampled at the training rays, clipped and reduced."""
import math

import numpy as np

from deepracer_inference.lidar import RAY_ANGLES, lidar_input, sample_scan, sector_lidar_input


def test_a_360_scan_is_sampled_at_the_training_angles():
    n = 360
    angle_min, inc = -math.pi, 2 * math.pi / n
    ranges = np.full(n, np.inf)
    ranges[[356, 357, 358, 359, 1, 2, 3, 4]] = 0.3  # within 4 degrees of straight back (index 0)
    ranges[0] = 0.05  # below the minimum range: no return
    sampled = sample_scan(ranges, angle_min, inc)
    assert sampled.shape == (64,)
    near_back = np.argsort(np.abs(np.cos(RAY_ANGLES) + 1.0))[:2]  # the rays 2.4 degrees either side
    assert set(np.nonzero(np.isfinite(sampled))[0]) == set(near_back)
    assert sampled[near_back].tolist() == [0.3, 0.3]
    assert lidar_input(sampled).shape == (1, 64) and lidar_input(sampled).max() == 1.0
    sectors = sector_lidar_input(sampled)
    assert sectors.tolist() == [[0, 0, 0, 1, 1, 0, 0, 0]]  # rays 31 and 32: sectors 3 and 4


def test_empty_scan_reads_no_returns():
    assert np.isinf(sample_scan([], 0.0, 0.01)).all()
    assert sector_lidar_input(sample_scan([], 0.0, 0.01)).sum() == 0.0
