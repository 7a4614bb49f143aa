#!/usr/bin/env python3
"""Writes docs/images/sim_to_real_*.png: the same pose on reinvent_base under the
randomization presets none/standard/strong, through the URDF pinhole and the car's
wide-angle lens, at 640x480 and 160x120 (none: the flat world; standard and strong: the
realistic world of deepracer_simulator.world), and sim_to_real_scenes_wide_640x480.png,
four scene seeds of `standard` side by side. Run: .venv/bin/python scripts/sim_to_real_images.py

`--lap MODEL_TAR [--world easy_track] [--seed 1] [--randomization standard]` instead drives one
evaluation lap with a car package (model.tar.gz: model_metadata.json + agent/model.pb, through
its frozen graph) in the randomized world through the car's wide-angle lens, as the evaluation
worker does (start line, resets after incidents), and writes
docs/images/sim_to_real_lap_<preset>.gif: markov.watch.video's frames (the camera view rendered
at 640x480, overlay, map) at 320x240, every 2nd frame, 64 colours (`--mp4`: also the recorder's
MP4, 640x480, every frame). The same seed gives the same lap."""
import argparse
import sys
import tarfile
import tempfile
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


def read_car_package(model_tar, folder):
    """(model_metadata.json, model.pb) of a car package, extracted into `folder`."""
    folder = Path(folder)
    with tarfile.open(model_tar) as archive:
        names = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
        for name in ("model_metadata.json", "model.pb"):
            if name not in names:
                raise SystemExit(f"{model_tar}: no {name} in the archive (a car package has "
                                 f"model_metadata.json and agent/model.pb)")
            (folder / name).write_bytes(archive.extractfile(names[name]).read())
    return folder / "model_metadata.json", folder / "model.pb"


def frozen_chooser(frozen):
    """The evaluation's greedy choice through a model.pb: the most likely action."""
    return lambda obs: (int(np.argmax(frozen(obs))), None)


def write_gif(frames, path, fps, colours=64):
    """RGB frames as a looping GIF, one palette (from every 8th frame) for all, no dithering
    (the camera noise defeats GIF's compression: 64 colours keep a lap near 2 MB)."""
    from PIL import Image

    sample = Image.fromarray(np.vstack(frames[::8]))
    palette = sample.quantize(colors=colours, method=Image.Quantize.FASTOCTREE)
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
              for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps),
                   loop=0, optimize=False)
    return path


def lap(model_tar, out=ROOT / "docs/images", world="easy_track", seed=1, preset="standard",
        calibration="deepracer_wide_angle", every=2, size=(320, 240), mp4=False, max_steps=None):
    """Drive one evaluation lap (trial 1 of `markov.workers.evaluation`) of `world` with the car
    package `model_tar`; write sim_to_real_lap_<preset>.gif (every `every`-th frame at `size`)
    into `out`, and .mp4 when `mp4`. max_steps: the episode's step limit (default: the
    evaluation's). Returns (TrialResult, gif path, mp4 path or None)."""
    from markov.config import load_model_metadata
    from markov.envs import DeepRacerRacetrackEnv
    from markov.export import load_frozen
    from markov.sensors import network_observation_type
    from markov.sim_trace import SimTraceWriter
    from markov.watch.video import FPS, VideoRecorder
    from markov.workers import camera
    from markov.workers.evaluation import TrialTrace, run_trial
    from markov.workers.rollout import episode_step_limit
    from markov.workers.settings import EvaluationSettings, randomization_spec

    settings = EvaluationSettings(world_name=world, store=None, number_of_trials=1, seed=seed,
                                  randomization_file=preset, camera_calibration=calibration)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gif = out / f"sim_to_real_lap_{preset}.gif"
    mp4 = out / f"sim_to_real_lap_{preset}.mp4" if mp4 else None
    frames = []

    def keep(frame):
        if recorder.video.frames % every == 0:
            frames.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))

    with tempfile.TemporaryDirectory(prefix="sim-to-real-lap-") as workdir:
        metadata_path, pb = read_car_package(model_tar, workdir)
        metadata = load_model_metadata(metadata_path)
        trace = TrialTrace(SimTraceWriter())
        length = Track(load_route(world), name=world).length
        env = DeepRacerRacetrackEnv(
            world, model_metadata=metadata, sim_trace=trace, start_positions=[0.0],
            domain_randomization=randomization_spec(settings),
            backend_options=camera.backend_options(settings.backend, settings.camera_calibration),
            max_steps=max_steps or episode_step_limit(length, metadata.action_space),
            observation_type=network_observation_type(metadata.sensor))
        recorder = VideoRecorder(env, workdir, title=f"{preset}, seed {seed}", on_frame=keep)
        trace.on_step = recorder.on_step
        try:
            with load_frozen(pb) as frozen:
                recorder.start(1)
                result, _, _ = run_trial(env, frozen_chooser(frozen), trace, 1, settings)
                video = recorder.finish()
                if mp4 is not None:
                    Path(video).replace(mp4)
        finally:
            env.close()
            recorder.close()
    write_gif(frames, gif, FPS / every)
    return result, gif, mp4


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lap", metavar="MODEL_TAR", type=Path,
                        help="drive one evaluation lap with this car package and write its GIF")
    parser.add_argument("--world", default="easy_track",
                        help="track of the lap (default easy_track)")
    parser.add_argument("--seed", type=int, default=1, help="the lap's EVALUATION_SEED (default 1)")
    parser.add_argument("--randomization", default="standard",
                        help="RANDOMIZATION_FILE of the lap (default standard)")
    parser.add_argument("--mp4", action="store_true", help="with --lap: also write the lap's MP4")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/images", help="output folder")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    if args.lap is None:
        main(args.out)
    else:
        trial, gif_path, mp4_path = lap(args.lap, args.out, args.world, args.seed,
                                        args.randomization, mp4=args.mp4)
        lap_time = ("no lap time" if trial.lap_time is None
                    else f"lap time {trial.lap_time:.2f} s")
        print(f"{args.world}: {trial.status}, completion {trial.progress:.1f} %, {lap_time}, "
              f"{trial.resets} reset(s), {trial.elapsed:.2f} s driven")
        for path in filter(None, (gif_path, mp4_path)):
            print(f"{path} ({path.stat().st_size / 1e6:.2f} MB)")
