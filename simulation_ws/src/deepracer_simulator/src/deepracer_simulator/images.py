"""Save camera views as PNG files (docs, debugging).

    python -m deepracer_simulator.images OUT_DIR [WORLD_NAME ...]

writes `<world>_<width>x<height>.png` seen from each track's start line.
"""
import argparse
import sys
from pathlib import Path

import cv2

DEFAULT_WORLDS = ("easy_track", "reinvent_base", "hard_track")
DEFAULT_SIZES = ((160, 120), (640, 480))


def save_png(path, rgb) -> Path:
    """Write an RGB (H, W, 3) or grey (H, W) uint8 image as PNG; create the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR) if rgb.ndim == 3 else rgb
    if not cv2.imwrite(str(path), image):
        raise OSError(f"{path}: cv2.imwrite could not write the PNG")
    return path


def write_start_views(out_dir, worlds=DEFAULT_WORLDS, sizes=DEFAULT_SIZES, s=0.0) -> list:
    """PNG views from arc length `s` of each world's centre line; returns the paths."""
    from deepracer_simulation.car_model import load_car_model
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track

    from .simulator import Simulator

    car = load_car_model()
    written = []
    for world in worlds:
        sim = Simulator(Track(load_route(world), name=world), car, seed=0)
        sim.reset(*sim.track.pose_at(s))
        for width, height in sizes:
            image = sim.render(width, height)
            written.append(save_png(Path(out_dir) / f"{world}_{width}x{height}.png", image))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write camera views of tracks as PNG files.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("worlds", nargs="*", default=list(DEFAULT_WORLDS), help="WORLD_NAMEs")
    parser.add_argument("--s", type=float, default=0.0, help="arc length of the view point (m)")
    args = parser.parse_args(argv)
    try:
        for path in write_start_views(args.out_dir, args.worlds, s=args.s):
            print(path)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
