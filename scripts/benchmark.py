#!/usr/bin/env python3
"""Benchmarks of the workspace, one JSON line per figure.

    scripts/benchmark.py SUITE [options]        e.g. scripts/benchmark.py sim --frames 3000

Each line reads {"benchmark": NAME, "value": NUMBER, "unit": UNIT} (NUMBER is null for a
figure that was not reached, e.g. train_minutes_to_full_lap). Suites and
their benchmarks register themselves below (see "REGISTRATION POINT"). A
benchmark marked one_core runs pinned to CPU 0 (os.sched_setaffinity), as the
speed floors in the issues are stated for one core; --all-cores lifts that.
Run with the workspace's venv: .venv/bin/python scripts/benchmark.py sim
"""
import argparse
import contextlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, Tuple

ROOT = Path(__file__).resolve().parents[1]

Figure = Tuple[str, float, str]  # (benchmark name, value, unit)


@dataclass(frozen=True)
class Benchmark:
    """One registered benchmark: a function of the parsed args yielding figures."""

    name: str  # the main figure's name
    run: Callable[[argparse.Namespace], Iterable[Figure]]
    one_core: bool  # pin to CPU 0 while it runs


@dataclass
class Suite:
    """A subcommand: its help, its extra options and its benchmarks in run order."""

    help: str
    add_options: Callable[[argparse.ArgumentParser], None]
    benchmarks: Dict[str, Benchmark]


SUITES: Dict[str, Suite] = {}


def suite(name, help, add_options=lambda parser: None):
    """Declare a suite (a subcommand) with a function adding its options."""
    SUITES[name] = Suite(help=help, add_options=add_options, benchmarks={})


def extend_suite(name, help, add_options, first_options=lambda parser: None):
    """Add options to a suite that several benchmark files share: declare it (with
    `first_options` and `add_options`) if no file has yet, else chain `add_options`."""
    shared = SUITES.get(name)
    if shared is None:
        def first(parser):
            first_options(parser)
            add_options(parser)
        suite(name, help, first)
        return
    earlier = shared.add_options

    def both(parser):
        earlier(parser)
        add_options(parser)
    shared.add_options = both


def benchmark(suite_name, name, one_core=True):
    """Decorator registering `fn(args) -> iterable of (name, value, unit)` in a suite."""
    def register(fn):
        SUITES[suite_name].benchmarks[name] = Benchmark(name=name, run=fn, one_core=one_core)
        return fn
    return register


def add_library_paths():
    """Import the workspace's libraries from their source folders (no catkin build needed)."""
    for ws in ("simulation_ws", "robot_ws"):
        for src in sorted((ROOT / ws / "src").glob("*/src")):
            if str(src) not in sys.path:
                sys.path.insert(0, str(src))


def best_rate(loop, repeats) -> float:
    """Highest items/s over `repeats` runs of `loop()` (which returns items done)."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        items = loop()
        best = max(best, items / (time.perf_counter() - start))
    return best


def positive_int(text) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


# ============================================================================ suite sim
def _sim_options(parser):
    parser.add_argument("--world", default="reinvent_base", help="WORLD_NAME to drive on")
    parser.add_argument("--frames", type=positive_int, default=3000, help="camera frames per repeat")
    parser.add_argument("--repeats", type=positive_int, default=3, help="repeats; the best one is reported")


suite("sim", "the simulator: in-process stepping (and, once registered, the ROS lockstep)", _sim_options)


class _InprocessDriver:
    """Drives a Simulator as an env does: command, one frame, 160x120 image, wheel check.

    Commands are random (fixed seed, drawn up front); an episode restarts at the
    next start point once no wheel is on the track or after 150 frames.
    """

    def __init__(self, world, frames):
        import numpy as np
        from deepracer_simulation.car_model import load_car_model
        from deepracer_simulation.routes import load_route
        from deepracer_simulation.track import Track
        from deepracer_simulator import Simulator

        self.track = Track(load_route(world), name=world)
        car = load_car_model()
        self.sim = Simulator(self.track, car, seed=0)
        rng = np.random.default_rng(0)
        limit = car.geometry.max_steering_angle
        self.steering = rng.uniform(-limit, limit, frames).tolist()
        self.speed = rng.uniform(0.5, 3.0, frames).tolist()
        self.starts = [self.track.pose_at(s) for s in np.linspace(0, self.track.length, 20, endpoint=False)]
        self.image = np.empty((120, 160, 3), dtype=np.uint8)
        self.frames = frames

    def run(self, timers=None) -> int:
        """Drive `frames` frames; with `timers` (a list of 3 floats) add per-part seconds."""
        sim, clock, episode, start = self.sim, time.perf_counter, 0, 0
        sim.reset(*self.starts[0])
        for i in range(self.frames):
            t0 = clock()
            sim.set_drive(self.steering[i], self.speed[i])
            sim.step_frame()
            t1 = clock()
            sim.render(160, 120, out=self.image)
            t2 = clock()
            on_track = sim.wheels_on_track()
            t3 = clock()
            if timers is not None:
                timers[0] += t1 - t0
                timers[1] += t2 - t1
                timers[2] += t3 - t2
            episode += 1
            if not on_track.any() or episode >= 150:
                start, episode = (start + 1) % len(self.starts), 0
                sim.reset(*self.starts[start])
        return self.frames


@benchmark("sim", "sim_inprocess_steps_per_s")
def sim_inprocess_steps_per_s(args):
    """Simulator steps per second: physics substeps + 160x120 RGB render + wheel checks."""
    driver = _InprocessDriver(args.world, args.frames)
    driver.run()  # warm-up: caches, ray tables
    yield "sim_inprocess_steps_per_s", best_rate(driver.run, args.repeats), "steps/s"
    timers = [0.0, 0.0, 0.0]
    driver.run(timers)
    for part, seconds in zip(("physics", "render", "wheels"), timers):
        yield f"sim_inprocess_{part}_us_per_step", seconds / args.frames * 1e6, "us"


# ============================================================================ REGISTRATION POINT
# Add further benchmarks here, each a generator of (name, value, unit) figures:
#   - suite "sim": the ROS lockstep benchmark (@benchmark("sim", "sim_ros_lockstep_steps_per_s"));
#   - new suites "env", "train", "car": declare with suite(name, help, add_options) first.
# Import heavy libraries inside the benchmark function, not at module level.
# New suites may also live in their own file under scripts/benchmarks/ (see load_suite_modules).


@benchmark("sim", "sim_ros_lockstep_steps_per_s")
def sim_ros_lockstep_steps_per_s(args):
    """Lockstep steps/s through ROS: a RosBackend client calls advance_frame on simulator_node.

    A private master and the node run as subprocesses (pinned with this process
    unless --all-cores); every step sends a random command and receives the
    160x120 RGB image and the pose. Episodes restart as in the in-process figure.
    Needs simulation_ws built and sourced.
    """
    import numpy as np
    try:
        from deepracer_simulation.car_model import load_car_model
        from deepracer_simulation.routes import load_route
        from deepracer_simulation.track import Track
        from markov_ros.backend import RosBackend
        from markov_ros.local_simulator import LocalSimulator
    except ImportError as err:
        raise ImportError(f"{err} (source simulation_ws/install/setup.bash first)") from err

    track, car = Track(load_route(args.world), name=args.world), load_car_model()
    rng = np.random.default_rng(0)
    limit = car.geometry.max_steering_angle
    steering = rng.uniform(-limit, limit, args.frames).tolist()
    speed = rng.uniform(0.5, 3.0, args.frames).tolist()
    starts = [track.pose_at(s) for s in np.linspace(0, track.length, 20, endpoint=False)]

    def drive(backend, frames):
        episode, start = 0, 0
        backend.reset(*starts[0])
        for i in range(frames):
            frame = backend.step(steering[i], speed[i])
            episode += 1
            if not any(frame.wheels_on_track) or episode >= 150:
                start, episode = (start + 1) % len(starts), 0
                backend.reset(*starts[start])
        return frames

    with LocalSimulator({"world_name": args.world}) as sim:
        os.environ["ROS_MASTER_URI"] = sim.master_uri
        backend = RosBackend(track, car, timeout=30.0)
        drive(backend, min(args.frames, 300))  # warm-up: connections, ray tables
        rate = best_rate(lambda: drive(backend, args.frames), args.repeats)
        backend.close()
    yield "sim_ros_lockstep_steps_per_s", rate, "steps/s"


# ============================================================================ suite env
def _env_options(parser):
    parser.add_argument("--world", default="reinvent_base", help="WORLD_NAME to drive on")
    parser.add_argument("--steps", type=int, default=3000, help="env steps per repeat")
    parser.add_argument("--repeats", type=int, default=3, help="repeats; the best one is reported")


suite("env", "the gym env: DeepRacerRacetrackEnv steps over the in-process backend", _env_options)


class _EnvDriver:
    """Steps DeepRacerRacetrackEnv as training does: reward params, reward, sim trace (no echo).

    A pure-pursuit driver chooses among the shipped discrete actions, so episodes
    run to lap completion (about 260 steps on reinvent_base); resets are counted
    in the env's time, the driver's own time is not.
    """

    def __init__(self, world, steps):
        from markov.envs import DeepRacerRacetrackEnv
        from markov.envs.pure_pursuit import PurePursuit

        self.env = DeepRacerRacetrackEnv(world)
        self.driver = PurePursuit(self.env.model_metadata.action_space,
                                  self.env.car.geometry.wheelbase)
        self.steps = steps

    def run(self, timers=None) -> float:
        """Env seconds for `steps` steps; `timers` [backend, driver] accumulates seconds."""
        from markov.sim_trace import SimTraceWriter

        env, driver, clock = self.env, self.driver, time.perf_counter
        env.sim_trace = SimTraceWriter(echo=False)
        backend_step = env.backend.step
        if timers is not None:
            def timed_step(steering, speed):
                start = clock()
                frame = backend_step(steering, speed)
                timers[0] += clock() - start
                return frame
            env.backend.step = timed_step
        env_seconds, driver_seconds = 0.0, 0.0
        start = clock()
        _, info = env.reset(seed=0)
        env_seconds += clock() - start
        for _ in range(self.steps):
            t0 = clock()
            action = driver(info["reward_params"])
            t1 = clock()
            _, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                _, info = env.reset()
            env_seconds += clock() - t1
            driver_seconds += t1 - t0
        if timers is not None:
            del env.backend.step
            timers[1] += driver_seconds
        return env_seconds


@benchmark("env", "env_inprocess_steps_per_s")
def env_inprocess_steps_per_s(args):
    """Env steps per second (resets included), and the split: backend vs the env's own work."""
    runner = _EnvDriver(args.world, args.steps)
    runner.run()  # warm-up: caches, ray tables
    best = min(runner.run() for _ in range(args.repeats))
    yield "env_inprocess_steps_per_s", args.steps / best, "steps/s"
    timers = [0.0, 0.0]
    env_seconds = runner.run(timers)
    per_step = 1e6 / args.steps
    yield "env_inprocess_backend_us_per_step", timers[0] * per_step, "us"
    yield "env_inprocess_overhead_us_per_step", (env_seconds - timers[0]) * per_step, "us"
    yield "env_inprocess_driver_us_per_step", timers[1] * per_step, "us"


# ============================================================================ suite car
def _car_options(parser):
    parser.add_argument("--car-frames", type=int, default=2000, help="frames per repeat")
    parser.add_argument("--repeats", type=int, default=3, help="repeats; the best one is reported")


suite("car", "the car: OpenVINO inference per frame, camera-to-servo latency through ROS", _car_options)


def _car_model(folder, n_actions=5):
    """model.tar.gz of a freshly initialised DEEP_CONVOLUTIONAL_NETWORK_SHALLOW PPO policy."""
    from markov.export import freeze_policy
    from markov.ppo.policy import PPOPolicy
    from model_optimizer import pack_model

    folder = Path(folder)
    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=n_actions, seed=0)
    pb = freeze_policy(policy, folder / "agent" / "model.pb")
    metadata = folder / "model_metadata.json"
    metadata.write_text(json.dumps({"action_space": [
        {"steering_angle": -30 + 60 * i / (n_actions - 1), "speed": 1.0} for i in range(n_actions)],
        "sensor": ["FRONT_FACING_CAMERA"], "action_space_type": "discrete"}))
    return pack_model(pb, metadata, folder / "model.tar.gz")


@benchmark("car", "car_openvino_ms_per_frame")
def car_openvino_ms_per_frame(args):
    """ms per 160x120 BGR frame: grey + resize check + OpenVINO FP32 inference, 1 thread.

    The model is the trainer's DEEP_CONVOLUTIONAL_NETWORK_SHALLOW exported to model.pb
    and converted to IR; the mean of the best repeat, and the 99th percentile frame.
    """
    import tempfile

    import numpy as np
    from deepracer_camera.synthetic import road_frames
    from deepracer_inference import InferenceEngine
    from model_optimizer import ensure_ir

    with tempfile.TemporaryDirectory(prefix="car_benchmark.") as tmp:
        engine = InferenceEngine(ensure_ir(_car_model(tmp), Path(tmp) / "ir"), num_threads=1)
    frames = road_frames(16, seed=0)
    times = np.empty(args.car_frames)

    def run():
        clock = time.perf_counter
        for i in range(args.car_frames):
            start = clock()
            engine.infer(frames[i % len(frames)])
            times[i] = clock() - start
        return args.car_frames

    run()  # warm-up
    best, best_times = 0.0, times.copy()
    for _ in range(args.repeats):
        rate = best_rate(run, 1)
        if rate > best:
            best, best_times = rate, times.copy()
    yield "car_openvino_ms_per_frame", 1e3 / best, "ms"
    yield "car_openvino_ms_per_frame_p99", float(np.percentile(best_times, 99)) * 1e3, "ms"


@contextlib.contextmanager
def _car_launch(folder):
    """car.launch (camera off) on a private master with a fresh model and a temporary sysfs
    tree; sets this process's ROS_MASTER_URI to it and yields once the master is up."""
    import signal
    import socket
    import subprocess

    import rosgraph

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chip = Path(folder) / "sysfs" / "pwmchip0"
    for channel in ("pwm0", "pwm1"):
        (chip / channel).mkdir(parents=True)
    model = _car_model(folder)
    os.environ.update(ROS_MASTER_URI=f"http://127.0.0.1:{port}", ROS_IP="127.0.0.1")
    os.environ.pop("ROS_HOSTNAME", None)
    log_path = Path(folder) / "roslaunch.log"
    with open(log_path, "w") as log:
        launch = subprocess.Popen(
            ["roslaunch", "-p", str(port), "deepracer_bringup", "car.launch", f"model_path:={model}",
             "camera:=false", f"pwm_root:={chip.parent}", f"cache_dir:={folder}/cache"],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        master, deadline = rosgraph.Master("/car_benchmark"), time.monotonic() + 60
        while not master.is_online():
            if launch.poll() is not None or time.monotonic() > deadline:
                raise OSError(f"roslaunch started no master; see {log_path}")
            time.sleep(0.1)
        yield launch, log_path
    finally:
        launch.send_signal(signal.SIGINT)
        try:
            launch.wait(timeout=30)
        except subprocess.TimeoutExpired:
            launch.kill()


@benchmark("car", "car_camera_to_servo_ms_p50", one_core=False)
def car_camera_to_servo_ms_p50(args):
    """ms from a camera image published to its servo command received, through ROS.

    car.launch (camera off; inference, navigation, ctrl, servo on a temporary sysfs
    tree) runs on a private master; this process is the camera and sends one
    160x120 frame at a time, waiting for /ctrl_pkg/servo_msg before the next.
    Needs robot_ws built and sourced. All cores (the nodes are separate processes).
    """
    import tempfile
    import threading

    import numpy as np
    try:
        import rospy
        from deepracer_interfaces.msg import ServoCtrlMsg
        from sensor_msgs.msg import Image
    except ImportError as err:
        raise ImportError(f"{err} (source robot_ws/install/setup.bash first)") from err
    from deepracer_camera.synthetic import road_frames

    images = [Image(height=120, width=160, encoding="bgr8", step=480, data=frame.tobytes())
              for frame in road_frames(16, seed=0)]
    received = threading.Event()
    with tempfile.TemporaryDirectory(prefix="car_benchmark.") as tmp, _car_launch(tmp) as (launch, log):
        rospy.init_node("car_benchmark", anonymous=True, disable_signals=True)
        rospy.Subscriber("/ctrl_pkg/servo_msg", ServoCtrlMsg, lambda _msg: received.set(), queue_size=10)
        camera = rospy.Publisher("/camera_pkg/video_mjpeg", Image, queue_size=1)

        def ping(msg, timeout):
            """Seconds from publishing `msg` to the next servo command, or None."""
            received.clear()
            start = time.perf_counter()
            msg.header.stamp = rospy.Time.now()
            camera.publish(msg)
            return time.perf_counter() - start if received.wait(timeout) else None

        deadline = time.monotonic() + 120
        while ping(images[0], 1.0) is None:  # the model conversion, the connections
            if launch.poll() is not None or time.monotonic() > deadline:
                raise OSError(f"car.launch did not answer; see {log}")
        for i in range(20):  # warm-up
            ping(images[i % len(images)], 5.0)
        latencies = []
        for i in range(max(50, args.car_frames // 10)):
            seconds = ping(images[i % len(images)], 5.0)
            if seconds is None:
                raise OSError("a frame got no servo command within 5 s")
            latencies.append(seconds)
            time.sleep(0.005)
        rospy.signal_shutdown("benchmark done")
    yield "car_camera_to_servo_ms_p50", float(np.percentile(latencies, 50)) * 1e3, "ms"
    yield "car_camera_to_servo_ms_p90", float(np.percentile(latencies, 90)) * 1e3, "ms"


# ============================================================================ suite train
def _train_options(parser):
    parser.add_argument("--world", default="easy_track", help="WORLD_NAME to train on")
    parser.add_argument("--minutes", type=float, default=30.0, help="training budget, wall-clock minutes")
    parser.add_argument("--seed", type=int, default=0, help="TRAINING_SEED")
    parser.add_argument("--hyperparameters", default="", help="hyperparameters.json ('' = shipped defaults)")
    parser.add_argument("--trials", type=positive_int, default=3, help="evaluation laps after training")
    parser.add_argument("--envs-per-worker", default="", help="ENVS_PER_WORKER ('' = the shipped default)")
    parser.add_argument("--rollout-workers", default="", help="ROLLOUT_WORKERS ('' = the shipped default)")
    parser.add_argument("--stop-after-full-laps", default="",
                        help="STOP_AFTER_FULL_LAPS ('' = the shipped default, 3; 1: stop at the "
                             "first full-lap evaluation; 0: train the whole --minutes)")


suite("train", "training: the PPO loop with the shipped defaults, then an evaluation", _train_options)


@benchmark("train", "train_minutes_to_full_lap", one_core=False)
def train_minutes_to_full_lap(args):
    """Train from scratch for at most --minutes (both cores, in-process simulator, shipped
    user files) into a temporary local store, then evaluate the best checkpoint.

    train_minutes_to_full_lap: wall-clock minutes from the start until the greedy
    evaluation after an iteration first completed every lap (null if never);
    train_minutes_to_stable_laps: the training's wall-clock minutes when it stopped because
    every evaluation lap was complete in consecutive iterations (null if it ran out of time);
    train_final_eval_completion_pct: mean completion of --trials laps from the start
    line with the best checkpoint; the rollout and update throughputs of the run.
    Training stops early once every evaluation lap is complete in 3 iterations.
    """
    import tempfile

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.workers.evaluation import EvaluationWorker
    from markov.workers.progress import Progress
    from markov.workers.settings import evaluation_settings, training_settings
    from markov.workers.training import TrainingWorker

    with tempfile.TemporaryDirectory(prefix="train_benchmark.") as tmp:
        environ = {"WORLD_NAME": args.world, "LOCAL_MODEL_STORE": tmp, "TRAINING_SEED": str(args.seed),
                   "MAX_TRAINING_MINUTES": str(args.minutes), "NUMBER_OF_TRIALS": str(args.trials),
                   "HYPERPARAMETERS_FILE": args.hyperparameters, "PROGRESS_BAR": "false"}
        for name, value in (("ENVS_PER_WORKER", args.envs_per_worker),
                            ("ROLLOUT_WORKERS", args.rollout_workers),
                            ("STOP_AFTER_FULL_LAPS", args.stop_after_full_laps)):
            if value:
                environ[name] = value
        progress = Progress("train", stream=sys.stderr, bar=False)
        started = time.monotonic()
        summary = TrainingWorker(training_settings(environ), progress=progress).run()
        training_minutes = (time.monotonic() - started) / 60.0
        evaluation = EvaluationWorker(evaluation_settings(environ),
                                      progress=Progress("evaluation", stream=sys.stderr)).run()
    yield "train_minutes_to_full_lap", summary.minutes_to_full_lap, "min"
    stable = summary.stop_reason.startswith("every evaluation lap complete")
    yield "train_minutes_to_stable_laps", training_minutes if stable else None, "min"
    yield "train_iterations", summary.iterations, "iterations"
    completion = sum(t.progress for t in evaluation.trials) / len(evaluation.trials)
    yield "train_final_eval_completion_pct", completion, "%"
    yield "train_rollout_steps_per_s", summary.rollout_steps_per_s, "steps/s"
    yield "train_update_samples_per_s", summary.update_samples_per_s, "samples/s"


# ============================================================================ main
@contextlib.contextmanager
def pinned_to_one_core(enabled):
    """Pin this process to CPU 0 for the duration (no-op when not enabled)."""
    if not enabled:
        yield
        return
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        yield
    finally:
        os.sched_setaffinity(0, saved)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run a benchmark suite; print JSON lines.")
    subparsers = parser.add_subparsers(dest="suite", required=True, metavar="SUITE")
    for name, entry in SUITES.items():
        sub = subparsers.add_parser(name, help=entry.help)
        sub.add_argument("--only", action="append", choices=sorted(entry.benchmarks),
                         help="run only this benchmark (repeatable)")
        sub.add_argument("--all-cores", action="store_true", help="do not pin to one core")
        entry.add_options(sub)
    return parser.parse_args(argv)


def load_suite_modules(folder=Path(__file__).resolve().parent / "benchmarks"):
    """Run every `scripts/benchmarks/*.py`: each registers its suites and benchmarks.

    Such a file is run with `bench` (this module) in its globals and calls
    `bench.suite(...)` and `@bench.benchmark(...)` as the suites below do; it may
    also add benchmarks to a suite declared here (e.g. "sim"). Heavy imports go
    inside the benchmark functions.
    """
    import runpy
    import types

    this = types.SimpleNamespace(**globals())
    for path in sorted(folder.glob("*.py")):
        if not path.name.startswith("_"):
            runpy.run_path(str(path), init_globals={"bench": this}, run_name=f"benchmarks.{path.stem}")


def main(argv=None) -> int:
    load_suite_modules()
    args = parse_args(argv)
    add_library_paths()
    chosen = SUITES[args.suite].benchmarks
    for name in args.only or list(chosen):
        entry = chosen[name]
        try:
            with pinned_to_one_core(entry.one_core and not args.all_cores):
                for figure, value, unit in entry.run(args):
                    if value is not None and not math.isfinite(value):  # None: not reached (null)
                        raise ValueError(f"benchmark {figure} produced a non-finite value {value!r}")
                    value = None if value is None else round(float(value), 3)
                    print(json.dumps({"benchmark": figure, "value": value, "unit": unit}), flush=True)
        except (ValueError, OSError, ImportError) as err:
            print(f"benchmark.py: {name} failed: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
