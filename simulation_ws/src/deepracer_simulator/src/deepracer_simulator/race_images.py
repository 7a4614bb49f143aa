"""PNG views of each race type from the car's cameras (docs/race_types.md).

    python -m deepracer_simulator.race_images OUT_DIR [--world reinvent_base]

writes, for TIME_TRIAL, OBJECT_AVOIDANCE (3 fixed boxes) and HEAD_TO_HEAD_RACING
(2 bot cars), the front camera at 320x240 (RGB) and the STEREO_CAMERAS pair the
network sees (160x120 grey, left | right), from 1.3 m behind the first object;
and a top view of the LIDAR's rays (`<race>_lidar.png`).
"""
import argparse
import math
import sys
from pathlib import Path

import numpy as np

from .images import save_png

RACES = {
    "time_trial": {"race_type": "TIME_TRIAL"},
    "object_avoidance": {"race_type": "OBJECT_AVOIDANCE", "number_of_obstacles": 3},
    "head_to_head": {"race_type": "HEAD_TO_HEAD_RACING", "number_of_bot_cars": 2,
                     "bot_car_speed": 0.5},
}


def _lidar_view(race, size=240, scale=100.0) -> np.ndarray:
    """Top view (car up, red), 1 px = 1 cm: rays green to their return, grey up to 1 m when none."""
    import cv2

    image = np.full((size, size, 3), 30, np.uint8)
    s = race.sim.state
    spec = race.lidar_spec
    ranges = race.lidar_scan()
    centre = np.array([size / 2.0, size / 2.0 + 40])

    def to_px(dx, dy):  # car frame (x ahead, y left) -> image (up, left)
        return (int(round(centre[0] - dy * scale)), int(round(centre[1] - dx * scale)))

    from .object_render import COLOURS
    from .objects import box_corners

    c, sn = math.cos(s.yaw), math.sin(s.yaw)
    for obj in race.objects.objects:
        pts = []
        for wx, wy in box_corners(obj.x, obj.y, obj.yaw, obj.length, obj.width):
            dx, dy = wx - s.x, wy - s.y
            pts.append(to_px(c * dx + sn * dy, -sn * dx + c * dy))
        cv2.fillPoly(image, [np.array(pts, np.int32)], COLOURS.get(obj.kind, COLOURS["obstacle"]))
    origin = to_px(spec.x, 0.0)
    for angle, r in zip(spec.angles(), ranges):
        hit = np.isfinite(r)
        length = min(r, 1.0) if hit else 1.0
        end = to_px(spec.x + length * math.cos(angle), length * math.sin(angle))
        cv2.line(image, origin, end, (60, 220, 60) if hit else (90, 90, 90), 1)
    from .objects import car_footprint

    length, width, rear = car_footprint(race.sim.car.geometry)
    cv2.rectangle(image, to_px(length - rear, width / 2), to_px(-rear, -width / 2), (220, 60, 60), -1)
    return image


def write_race_views(out_dir, world="reinvent_base") -> list:
    from deepracer_simulation.car_model import load_car_model
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track

    from .object_render import ObjectRenderer
    from .objects import RaceConfig
    from .race import RaceSimulator
    from .simulator import Simulator

    car = load_car_model()
    track = Track(load_route(world), name=world)
    written = []
    for name, kwargs in RACES.items():
        race = RaceSimulator(Simulator(track, car, seed=0), RaceConfig(**kwargs),
                             ("STEREO_CAMERAS", "LIDAR"))
        rng = np.random.default_rng(0)
        race.reset(*track.pose_at(0.0), rng)
        objects = race.objects.objects
        s = track.project(objects[0].x, objects[0].y).s - 1.3 if objects else 0.3 * track.length
        race.reset(*track.pose_at(s % track.length), rng)
        if name == "head_to_head":  # the bot cars have driven on a little
            for _ in range(15):
                race.objects.step(race.sim.frame_period)
        st = race.sim.state
        rgb = race.sim.render(320, 240)
        ObjectRenderer(car.camera).draw(rgb, st.x, st.y, st.yaw, race.objects.objects)
        written.append(save_png(Path(out_dir) / f"{name}_front.png", rgb))
        views = race.camera_views(160, 120)
        pair = np.concatenate([views[..., 0], np.full((120, 4), 255, np.uint8), views[..., 1]], axis=1)
        written.append(save_png(Path(out_dir) / f"{name}_stereo.png", pair))
        written.append(save_png(Path(out_dir) / f"{name}_lidar.png", _lidar_view(race)))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write camera views of each race type as PNGs.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--world", default="reinvent_base")
    args = parser.parse_args(argv)
    try:
        for path in write_race_views(args.out_dir, args.world):
            print(path)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
