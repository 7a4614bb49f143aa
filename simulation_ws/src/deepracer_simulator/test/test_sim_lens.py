"""The simulator through a lens model of robot_ws's deepracer_camera (the car's wide-angle lens)."""
import math
import sys
import time
from pathlib import Path

import numpy as np

from deepracer_simulator import Simulator

# robot_ws's camera library (the car's lens models); the simulator shares it, not a copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "robot_ws/src/camera_pkg/src"))
from deepracer_camera.lens import default_camera, pinhole  # noqa: E402


def test_pinhole_lens_matches_the_urdf_camera(reinvent, car):
    flat = Simulator(reinvent, car, seed=0)
    lens = Simulator(reinvent, car, seed=0, lens=pinhole(car.camera.hfov, 160, 120))
    for s in (0.0, 5.0, 11.0):
        pose = reinvent.pose_at(s)
        flat.reset(*pose)
        lens.reset(*pose)
        a, b = flat.render_gray(), lens.render_gray()
        assert np.mean(a != b) < 0.01  # same rays up to float rounding at cell borders


def test_wide_angle_sees_more_and_is_deterministic(reinvent, car):
    wide = [Simulator(reinvent, car, seed=0, lens=default_camera()) for _ in range(2)]
    flat = Simulator(reinvent, car, seed=0)
    pose = reinvent.pose_at(3.0)
    for sim in wide + [flat]:
        sim.reset(*pose)
    img = wide[0].render(640, 480)
    assert np.array_equal(img, wide[1].render(640, 480))
    assert img.shape == (480, 640, 3)
    assert math.degrees(default_camera().horizontal_fov()) > 2 * math.degrees(car.camera.hfov) - 20
    # the wide lens shows ground (not background) in the bottom corners, the pinhole too,
    # but the images differ: another projection of the same scene.
    assert not np.array_equal(wide[0].render_gray(), flat.render_gray())


def test_wide_angle_render_is_fast(reinvent, car):
    sim = Simulator(reinvent, car, seed=0, lens=default_camera())
    sim.render_gray()
    start = time.perf_counter()
    for _ in range(200):
        sim.render_gray()
    per_frame = (time.perf_counter() - start) / 200
    assert per_frame < 0.002  # 2 ms per 160x120 frame even on a loaded 2-core machine
