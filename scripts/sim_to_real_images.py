#!/usr/bin/env python3
"""Writes docs/images/sim_to_real_*.png: the same pose on reinvent_base under the
randomization presets none/standard/strong, through the URDF pinhole and the car's
wide-angle lens, at 640x480 and 160x120 (none: the flat world; standard and strong: the
realistic world of deepracer_simulator.world), and sim_to_real_scenes_wide_640x480.png,
four scene seeds of `standard` side by side. Run: .venv/bin/python scripts/sim_to_real_images.py"""
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for src in sorted((ROOT / "simulation_ws/src").glob("*/src")) + [ROOT / "robot_ws/src/camera_pkg/src"]:
    sys.path.insert(0, str(src))

from deepracer_camera.lens import default_camera  # noqa: E402
from deepracer_simulation.car_model import load_car_model  # noqa: E402
from deepracer_simulation.routes import load_route  # noqa: E402
from deepracer_simulation.track import Track  # noqa: E402
from deepracer_simulator import Simulator  # noqa: E402
from deepracer_simulator.randomization_file import PRESETS, load_randomization, to_spec  # noqa: E402


def main(out=ROOT / "docs/images", s=7.0, seed=5, scene_seeds=(1, 2, 3, 4)):
    track, car = Track(load_route("reinvent_base"), name="reinvent_base"), load_car_model()
    out.mkdir(parents=True, exist_ok=True)
    for preset in PRESETS:
        spec = to_spec(load_randomization(preset))
        for lens_name, lens in (("pinhole", None), ("wide", default_camera())):
            sim = Simulator(track, car, randomization=spec, seed=seed, lens=lens)
            sim.reset(*track.pose_at(s), seed=seed)
            for w, h in ((640, 480), (160, 120)):
                path = out / f"sim_to_real_{preset}_{lens_name}_{w}x{h}.png"
                cv2.imwrite(str(path), cv2.cvtColor(sim.render(w, h), cv2.COLOR_RGB2BGR))
                print(path)
    tiles = []
    for seed in scene_seeds:  # several scenes (rooms, floors, barriers, light) from other poses
        sim = Simulator(track, car, randomization=to_spec(load_randomization("standard")), seed=seed,
                        lens=default_camera())
        sim.reset(*track.pose_at(track.length * seed / 11.0 % track.length), seed=seed)
        tiles.append(sim.render(640, 480))
    mosaic = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:4])])
    path = out / "sim_to_real_scenes_wide_640x480.png"
    cv2.imwrite(str(path), cv2.cvtColor(mosaic, cv2.COLOR_RGB2BGR))
    print(path)


if __name__ == "__main__":
    main()
