#!/usr/bin/env python3
"""Race lines of a track and their lap-time limits.

    scripts/raceline.py WORLD_NAME [--json] [--out DIR] [--check]
    scripts/raceline.py --all [--markdown]

Computes the centre line, the minimum-curvature and the minimum-time line
inside the track (a margin of the car's half width from each edge) and the
lap time of each at the car's limits (URDF + the simulator's SimConfig; see
deepracer_simulator.raceline). --out DIR saves <WORLD>_<line>.npy
(float64 (N, 3): x, y, speed) for each line and <WORLD>_raceline.png (the
track with the minimum-time line coloured by speed). --check drives the
minimum-time line with a pure-pursuit driver in the built-in simulator and
reports its lap time. --all prints the limits of every closed track.
Run with the workspace's venv: .venv/bin/python scripts/raceline.py reinvent_base
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def add_library_paths():
    for src in sorted((ROOT / "simulation_ws" / "src").glob("*/src")):
        if str(src) not in sys.path:
            sys.path.insert(0, str(src))


def limits_of(world, car, limits):
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track
    from deepracer_simulator import raceline
    track = Track(load_route(world), world)
    return track, raceline.race_lines(track, limits)


def summary(world, track, lines):
    out = {"world": world, "track_length_m": round(track.length, 3)}
    for name, line in lines.items():
        key = "centre_line" if name == "centre" else name
        out[f"{key}_lap_s"] = round(line.lap_time, 3)
        out[f"{key}_length_m"] = round(line.length, 3)
        if not line.feasible:
            out[f"{key}_feasible"] = False  # tighter than the steering allows somewhere
    out["min_time_top_speed_mps"] = round(float(lines["min_time"].speed.max()), 3)
    return out


def draw_png(path, track, line, max_speed, scale=100, pad=30):
    """The road (grey), its edges (white) and the line coloured blue (slow) to red (fast)."""
    import cv2
    pts = np.vstack([track.left_edge, track.right_edge])
    lo = pts.min(axis=0)
    size = np.ceil((pts.max(axis=0) - lo) * scale).astype(int) + 2 * pad

    def px(xy):
        p = (np.asarray(xy) - lo) * scale + pad
        return np.column_stack([p[:, 0], size[1] - p[:, 1]]).round().astype(np.int32)

    img = np.full((size[1], size[0], 3), 40, np.uint8)
    road = np.vstack([px(track.left_edge), px(track.right_edge)[::-1]])
    cv2.fillPoly(img, [px(track.left_edge)], (110, 110, 110))
    cv2.fillPoly(img, [px(track.right_edge)], (40, 40, 40))
    if cv2.contourArea(px(track.left_edge)) < cv2.contourArea(px(track.right_edge)):
        cv2.fillPoly(img, [px(track.right_edge)], (110, 110, 110))
        cv2.fillPoly(img, [px(track.left_edge)], (40, 40, 40))
    del road
    for edge in (track.left_edge, track.right_edge):
        cv2.polylines(img, [px(edge)], True, (255, 255, 255), 2, cv2.LINE_AA)
    cv2.polylines(img, [px(track.centre)], True, (200, 200, 200), 1, cv2.LINE_AA)
    p = px(line.xy)
    for i in range(len(p)):
        f = float(line.speed[i] / max_speed)
        colour = (int(255 * (1 - f)), int(80 * (1 - abs(2 * f - 1))), int(255 * f))  # BGR
        cv2.line(img, tuple(map(int, p[i])), tuple(map(int, p[(i + 1) % len(p)])), colour, 3,
                 cv2.LINE_AA)
    start = tuple(map(int, p[0]))
    cv2.circle(img, start, 6, (0, 255, 0), -1, cv2.LINE_AA)
    text = f"{track.name}  min-time lap {line.lap_time:.2f} s   blue 0 -> red {max_speed:g} m/s"
    cv2.putText(img, text, (10, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"cannot write {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("world", nargs="?", help="WORLD_NAME (a route in deepracer_simulation/routes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--out", type=Path, help="save the lines (.npy) and a PNG here")
    parser.add_argument("--check", action="store_true",
                        help="drive the min-time line in the built-in simulator")
    parser.add_argument("--all", action="store_true", help="every closed track, one JSON line each")
    parser.add_argument("--markdown", action="store_true", help="with --all: a markdown table")
    args = parser.parse_args(argv)
    if not args.all and not args.world:
        parser.error("give WORLD_NAME or --all")
    add_library_paths()
    from deepracer_simulation.car_model import load_car_model
    from deepracer_simulation.routes import list_worlds, load_route
    from deepracer_simulation.track import Track
    from deepracer_simulator import Simulator, raceline

    car = load_car_model()
    limits = raceline.CarLimits.from_car(car)
    try:
        if args.all:
            return _all(list_worlds(), car, limits, args.markdown)
        track = Track(load_route(args.world), args.world)
        lines = raceline.race_lines(track, limits)
        result = summary(args.world, track, lines)
        if args.check:
            driven = raceline.drive_line(Simulator(track, car), lines["min_time"])
            result["simulated_min_time_lap_s"] = round(driven, 3)
            result["simulated_vs_computed"] = round(driven / lines["min_time"].lap_time, 4)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for name, line in lines.items():
                np.save(args.out / f"{args.world}_{name}.npy", line.as_array())
            draw_png(args.out / f"{args.world}_raceline.png", track, lines["min_time"],
                     limits.max_speed)
    except (ValueError, OSError) as err:
        print(f"raceline.py: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28s} {value}")
    return 0


def _all(worlds, car, limits, markdown):
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track
    from deepracer_simulator import raceline
    if markdown:
        print("| track | length m | centre line s | min curvature s | min time s |")
        print("|---|---|---|---|---|")
    for world in worlds:
        track = Track(load_route(world), world)
        try:
            r = summary(world, track, raceline.race_lines(track, limits))
        except raceline.RaceLineError as err:
            r = {"world": world, "error": str(err)}
        if not markdown:
            print(json.dumps(r), flush=True)
        elif "error" in r:
            print(f"| {world} | {track.length:.2f} | - | - | - ({r['error']}) |", flush=True)
        else:
            mark = {k: "*" if r.get(f"{k}_feasible") is False else ""
                    for k in ("centre_line", "min_curvature", "min_time")}
            print(f"| {world} | {r['track_length_m']:.2f} | {r['centre_line_lap_s']:.2f}"
                  f"{mark['centre_line']} | {r['min_curvature_lap_s']:.2f}{mark['min_curvature']} | "
                  f"{r['min_time_lap_s']:.2f}{mark['min_time']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
