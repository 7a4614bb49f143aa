"""Sim-to-real figures in the `sim` suite: the in-process simulator through the car's
wide-angle lens (deepracer_camera.lens.default_camera), measured beside the flat
pinhole figure in the same run so that their ratio holds under any load."""
import time


def _beside_flat(args, make_sim):
    """(rate, flat_rate): steps/s of a driver whose simulator is `make_sim(driver)` and of the
    flat pinhole driver, each warmed up once (ray tables, scene bakes, compiled loops) and
    measured in the same run so that their ratio holds under any load."""
    flat = bench._InprocessDriver(args.world, args.frames)
    driver = bench._InprocessDriver(args.world, args.frames)
    driver.sim = make_sim(driver)
    flat.run()
    driver.run()
    flat_rate = bench.best_rate(flat.run, args.repeats)
    return bench.best_rate(driver.run, args.repeats), flat_rate


def _figures(name, rate, flat_rate):
    """The three JSON lines of a figure beside the flat reference."""
    yield f"{name}_steps_per_s", rate, "steps/s"
    yield f"{name}_flat_reference_steps_per_s", flat_rate, "steps/s"
    yield f"{name}_vs_flat_ratio", rate / flat_rate, "ratio"


@bench.benchmark("sim", "sim_inprocess_wide_steps_per_s")
def sim_inprocess_wide_steps_per_s(args):
    """Steps/s as sim_inprocess_steps_per_s (physics + 160x120 RGB + wheels), wide-angle lens."""
    from deepracer_camera.lens import default_camera
    from deepracer_simulator import Simulator

    rate, flat_rate = _beside_flat(
        args, lambda d: Simulator(d.track, d.sim.car, seed=0, lens=default_camera()))
    yield from _figures("sim_inprocess_wide", rate, flat_rate)


class _CameraImageSim:
    """A Simulator whose `render(160, 120, out)` is `camera_image` (native size + preprocess)."""

    def __init__(self, sim):
        self._sim = sim

    def __getattr__(self, name):
        return getattr(self._sim, name)

    def render(self, width, height, out):
        out[...] = self._sim.camera_image(width, height)
        return out


@bench.benchmark("sim", "sim_inprocess_wide_native_steps_per_s")
def sim_inprocess_wide_native_steps_per_s(args):
    """Steps/s as sim_inprocess_steps_per_s with CAMERA_CALIBRATION=deepracer_wide_angle: the
    lens rendered at its native 640x480 and reduced to 160x120 by the car's preprocess."""
    from deepracer_camera.lens import default_camera
    from deepracer_simulator import Simulator

    rate, flat_rate = _beside_flat(args, lambda d: _CameraImageSim(
        Simulator(d.track, d.sim.car, seed=0, lens=default_camera())))
    yield from _figures("sim_inprocess_wide_native", rate, flat_rate)


@bench.benchmark("sim", "sim_inprocess_realistic_steps_per_s")
def sim_inprocess_realistic_steps_per_s(args):
    """Steps/s as sim_inprocess_steps_per_s in the realistic world (deepracer_simulator.world):
    RANDOMIZATION_FILE=standard (scene seeds, light, shadows, glare, noise, JPEG, camera and
    dynamics jitter, all drawn per episode) through the wide-angle lens, 160x120. The
    scenes are baked (and the kernel compiled) in the warm-up run, as a training's first
    episodes do; the flat pinhole figure is measured in the same run."""
    from deepracer_camera.lens import default_camera
    from deepracer_simulator import Simulator
    from deepracer_simulator.randomization_file import load_randomization, to_spec
    from deepracer_simulator.world import DEFAULT_CACHE

    ranges = load_randomization("standard")
    flat = bench._InprocessDriver(args.world, args.frames)
    real = bench._InprocessDriver(args.world, args.frames)
    real.sim = Simulator(real.track, real.sim.car, seed=0, lens=default_camera(),
                         randomization=to_spec(ranges))
    seeds = range(int(ranges.scene_seed[0]), int(ranges.scene_seed[1]) + 1)
    start = time.perf_counter()
    for seed in seeds:  # every scene the preset draws, as a long training meets them
        DEFAULT_CACHE.get(real.track, real.sim.raster, seed)
    bake_s = (time.perf_counter() - start) / len(seeds)
    flat.run()
    real.run()  # warm-up: scene bakes, compiled loop, ray tables
    flat_rate = bench.best_rate(flat.run, args.repeats)
    real_rate = bench.best_rate(real.run, args.repeats)
    timers = [0.0, 0.0, 0.0]
    real.run(timers)
    yield "sim_inprocess_realistic_steps_per_s", real_rate, "steps/s"
    yield "sim_inprocess_realistic_render_us_per_step", timers[1] / args.frames * 1e6, "us"
    yield "sim_inprocess_realistic_flat_reference_steps_per_s", flat_rate, "steps/s"
    yield "sim_inprocess_realistic_vs_flat_ratio", real_rate / flat_rate, "ratio"
    yield "sim_realistic_bake_s_per_scene", bake_s, "s"


@bench.benchmark("sim", "sim_inprocess_realistic_world_only_steps_per_s")
def sim_inprocess_realistic_world_only_steps_per_s(args):
    """As sim_inprocess_realistic_steps_per_s with only the world keys of `standard` (scene,
    light, shadows, glare, vignetting, white balance, distractors): the realistic renderer's
    own cost, without the flat world's per-frame noise and JPEG or the camera jitter."""
    import dataclasses

    from deepracer_camera.lens import default_camera
    from deepracer_simulator import Simulator
    from deepracer_simulator.randomization_file import (WORLD_KEYS, RandomizationRanges,
                                                        load_randomization, to_spec)
    from deepracer_simulator.world import DEFAULT_CACHE

    standard = load_randomization("standard")
    ranges = dataclasses.replace(RandomizationRanges(), **{k: getattr(standard, k) for k in WORLD_KEYS})

    def make_sim(driver):
        sim = Simulator(driver.track, driver.sim.car, seed=0, lens=default_camera(),
                        randomization=to_spec(ranges))
        for seed in range(int(ranges.scene_seed[0]), int(ranges.scene_seed[1]) + 1):
            DEFAULT_CACHE.get(driver.track, sim.raster, seed)
        return sim
    rate, flat_rate = _beside_flat(args, make_sim)
    yield from _figures("sim_inprocess_realistic_world_only", rate, flat_rate)


@bench.benchmark("sim", "sim_inprocess_standard_steps_per_s")
def sim_inprocess_standard_steps_per_s(args):
    """Steps/s as sim_inprocess_steps_per_s with the `standard` randomization preset (URDF pinhole,
    160x120), beside the same preset without its motion blur and latency keys: the ratio is
    what blur and latency cost (measured in one run, so it holds under any load)."""
    import dataclasses

    from deepracer_simulator import Simulator
    from deepracer_simulator.randomization_file import load_randomization, to_spec

    standard = load_randomization("standard")
    without = dataclasses.replace(standard, motion_blur_px_per_mps=(0.0, 0.0), latency_prob=(0.0, 0.0))
    drivers = []
    for ranges in (standard, without):
        driver = bench._InprocessDriver(args.world, args.frames)
        driver.sim = Simulator(driver.track, driver.sim.car, randomization=to_spec(ranges), seed=0)
        driver.run()  # warm-up
        drivers.append(driver)
    best = [0.0, 0.0]
    for _ in range(args.repeats):  # interleaved, so that both see the same load
        for k, driver in enumerate(drivers):
            best[k] = max(best[k], bench.best_rate(driver.run, 1))
    yield "sim_inprocess_standard_steps_per_s", best[0], "steps/s"
    yield "sim_inprocess_standard_no_blur_latency_steps_per_s", best[1], "steps/s"
    yield "sim_inprocess_standard_blur_latency_ratio", best[0] / best[1], "ratio"
    # the blur alone on a 160x120 RGB frame at 2 m/s with the preset's largest rate (1 px)
    import time

    import numpy as np
    from deepracer_simulator.episode_effects import EpisodeEffects
    effects = EpisodeEffects(dict(dataclasses.asdict(without), motion_blur_px_per_mps=0.5,
                                  **{k: v[0] for k, v in dataclasses.asdict(without).items()
                                     if k != "motion_blur_px_per_mps"}))
    frame = drivers[1].sim.render(160, 120)
    n, start = 2000, time.perf_counter()
    for _ in range(n):
        effects.blur(frame, 2.0)
    yield "sim_motion_blur_us_per_frame", (time.perf_counter() - start) / n * 1e6, "us"
