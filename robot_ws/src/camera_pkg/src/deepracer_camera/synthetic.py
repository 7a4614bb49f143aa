"""Frames that look like the simulator's camera view, for tests and demos without a camera.

Each frame shows green ground under a grey horizon band and a grey road with white
borders and a yellow dashed centre line, bending by `curve` (-1 left .. +1 right), with
mild sensor noise. BGR uint8.
"""
import cv2
import numpy as np


def road_frame(curve=0.0, offset=0.0, width=160, height=120, seed=0) -> np.ndarray:
    """One BGR frame; `offset` (-1..1) shifts the car across the road."""
    rng = np.random.default_rng(seed)
    frame = np.empty((height, width, 3), np.uint8)
    horizon = height * 2 // 5
    frame[:horizon] = (170, 160, 150)  # walls and sky
    frame[horizon:] = (60, 140, 70)  # grass
    rows = np.arange(horizon, height + 1, 2)
    depth = (rows - horizon) / (height - horizon)  # 0 at the horizon, 1 at the bottom
    centre = width / 2 - offset * width * 0.3 * depth + curve * width * 0.35 * (1 - depth) ** 2
    half = width * (0.05 + 0.45 * depth)
    left = np.stack([centre - half, rows], 1).astype(np.int32)
    right = np.stack([centre + half, rows], 1).astype(np.int32)
    cv2.fillPoly(frame, [np.concatenate([left, right[::-1]])], (90, 90, 90))
    for edge in (left, right):
        cv2.polylines(frame, [edge], False, (245, 245, 245), 2)
    middle = np.stack([centre, rows], 1).astype(np.int32)
    for i in range(0, len(middle) - 1, 4):
        cv2.line(frame, tuple(middle[i]), tuple(middle[min(i + 2, len(middle) - 1)]), (0, 210, 230), 1)
    noise = rng.normal(0.0, 4.0, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


def road_frames(n, width=160, height=120, seed=0):
    """`n` frames with curves and offsets drawn from `seed`."""
    rng = np.random.default_rng(seed)
    return [road_frame(rng.uniform(-1, 1), rng.uniform(-0.6, 0.6), width, height, seed + i)
            for i in range(n)]
