"""Sim-to-real figures in the `sim` suite: the in-process simulator through the car's
wide-angle lens (deepracer_camera.lens.default_camera), measured beside the flat
pinhole figure in the same run so that their ratio holds under any load."""


@bench.benchmark("sim", "sim_inprocess_wide_steps_per_s")
def sim_inprocess_wide_steps_per_s(args):
    """Steps/s as sim_inprocess_steps_per_s (physics + 160x120 RGB + wheels), wide-angle lens."""
    from deepracer_camera.lens import default_camera
    from deepracer_simulator import Simulator

    flat = bench._InprocessDriver(args.world, args.frames)
    wide = bench._InprocessDriver(args.world, args.frames)
    wide.sim = Simulator(wide.track, wide.sim.car, seed=0, lens=default_camera())
    flat.run()
    wide.run()  # warm-up: ray tables
    flat_rate = bench.best_rate(flat.run, args.repeats)
    wide_rate = bench.best_rate(wide.run, args.repeats)
    yield "sim_inprocess_wide_steps_per_s", wide_rate, "steps/s"
    yield "sim_inprocess_wide_flat_reference_steps_per_s", flat_rate, "steps/s"
    yield "sim_inprocess_wide_vs_flat_ratio", wide_rate / flat_rate, "ratio"


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

    flat = bench._InprocessDriver(args.world, args.frames)
    native = bench._InprocessDriver(args.world, args.frames)
    native.sim = _CameraImageSim(Simulator(native.track, native.sim.car, seed=0, lens=default_camera()))
    flat.run()
    native.run()  # warm-up: ray tables
    flat_rate = bench.best_rate(flat.run, args.repeats)
    native_rate = bench.best_rate(native.run, args.repeats)
    yield "sim_inprocess_wide_native_steps_per_s", native_rate, "steps/s"
    yield "sim_inprocess_wide_native_flat_reference_steps_per_s", flat_rate, "steps/s"
    yield "sim_inprocess_wide_native_vs_flat_ratio", native_rate / flat_rate, "ratio"
