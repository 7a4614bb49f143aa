"""Race types (issue 14): the simulator with obstacles and a stereo camera pair.

Adds `sim_inprocess_obstacles_stereo_steps_per_s` to the `sim` suite:
  .venv/bin/python scripts/benchmark.py sim --only sim_inprocess_obstacles_stereo_steps_per_s
"""
import sys
import time


class _RaceDriver:
    """Drives a RaceSimulator as an env would: command, one frame (bot cars, crash check),
    two 160x120 grey views with the objects drawn, wheel check. 3 fixed obstacles on
    OBJECT_AVOIDANCE; an episode restarts after a crash, off track or 150 frames."""

    def __init__(self, world, frames):
        import numpy as np
        from deepracer_simulation.car_model import load_car_model
        from deepracer_simulation.routes import load_route
        from deepracer_simulation.track import Track
        from deepracer_simulator import Simulator
        from deepracer_simulator.objects import RaceConfig
        from deepracer_simulator.race import RaceSimulator

        track = Track(load_route(world), name=world)
        car = load_car_model()
        config = RaceConfig(race_type="OBJECT_AVOIDANCE", number_of_obstacles=3)
        self.race = RaceSimulator(Simulator(track, car, seed=0), config, ("STEREO_CAMERAS",))
        self.rng = np.random.default_rng(0)
        limit = car.geometry.max_steering_angle
        self.steering = (self.rng.uniform(-limit, limit, frames) * 0.3).tolist()
        self.speed = self.rng.uniform(0.5, 3.0, frames).tolist()
        self.starts = [track.pose_at(s) for s in np.linspace(0, track.length, 20, endpoint=False)]
        self.views = np.empty((120, 160, 2), np.uint8)
        self.frames = frames

    def run(self) -> int:
        race, sim, episode, start = self.race, self.race.sim, 0, 0
        race.reset(*self.starts[0], self.rng)
        for i in range(self.frames):
            sim.set_drive(self.steering[i], self.speed[i])
            race.step_frame()
            race.camera_views(160, 120, out=self.views)
            on_track = sim.wheels_on_track()
            episode += 1
            if race.crashed or not on_track.any() or episode >= 150:
                start, episode = (start + 1) % len(self.starts), 0
                race.reset(*self.starts[start], self.rng)
        return self.frames


@bench.benchmark("sim", "sim_inprocess_obstacles_stereo_steps_per_s")  # noqa: F821 (bench is injected)
def sim_inprocess_obstacles_stereo_steps_per_s(args):
    """Steps/s with 3 obstacles and STEREO_CAMERAS (two grey views with the boxes drawn)."""
    driver = _RaceDriver(args.world, args.frames)
    driver.run()  # warm-up: ray tables
    yield "sim_inprocess_obstacles_stereo_steps_per_s", bench.best_rate(driver.run, args.repeats), "steps/s"  # noqa: F821


# ============================================================================ suite race
def _race_options(parser):
    parser.add_argument("--world", default="reinvent_base", help="WORLD_NAME to train on")
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget per race, minutes")
    parser.add_argument("--seed", type=int, default=0, help="TRAINING_SEED")
    parser.add_argument("--trials", type=int, default=3, help="evaluation laps after training")
    parser.add_argument("--hyperparameters", default="", help="hyperparameters.json ('' = shipped)")


bench.suite("race", "race types: train and evaluate object avoidance (stereo) and head-to-head",  # noqa: F821
            _race_options)


def _train_and_evaluate(args, race_environ, metadata, reward="reward_object_avoidance.py"):
    """Train (both cores, in-process) into a temporary store, evaluate; (summary, evaluation).
    `args.training_minutes` is set to the training's wall-clock minutes."""
    import os
    import sys
    import tempfile
    import time

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.workers.evaluation import EvaluationWorker
    from markov.workers.progress import Progress
    from markov.workers.settings import evaluation_settings, training_settings
    from markov.workers.training import TrainingWorker

    files = bench.ROOT / "scripts" / "benchmarks" / "race_types_files"  # noqa: F821
    with tempfile.TemporaryDirectory(prefix="race_benchmark.") as tmp:
        environ = {"WORLD_NAME": args.world, "LOCAL_MODEL_STORE": tmp, "TRAINING_SEED": str(args.seed),
                   "MAX_TRAINING_MINUTES": str(args.minutes), "NUMBER_OF_TRIALS": str(args.trials),
                   "HYPERPARAMETERS_FILE": args.hyperparameters, "PROGRESS_BAR": "false",
                   "REWARD_FILE": str(files / reward),
                   "MODEL_METADATA_FILE": str(files / metadata), "EVALUATION_MAX_RESETS": "0",
                   **race_environ}
        start = time.monotonic()
        summary = TrainingWorker(training_settings(environ),
                                 progress=Progress("train", stream=sys.stderr, bar=False)).run()
        args.training_minutes = (time.monotonic() - start) / 60.0
        evaluation = EvaluationWorker(evaluation_settings(environ),
                                      progress=Progress("evaluation", stream=sys.stderr)).run()
    return summary, evaluation


@bench.benchmark("race", "race_oa_stereo_laps_without_crash", one_core=False)  # noqa: F821
def race_oa_stereo_laps_without_crash(args):
    """OBJECT_AVOIDANCE, 3 fixed obstacles, STEREO_CAMERAS: train --minutes, evaluate --trials
    laps (a crash ends a lap: EVALUATION_MAX_RESETS=0). Done when >= 2 of 3."""
    import time

    start = time.monotonic()
    summary, evaluation = _train_and_evaluate(
        args, {"RACE_TYPE": "OBJECT_AVOIDANCE", "NUMBER_OF_OBSTACLES": "3"}, "model_metadata_stereo.json")
    minutes = (time.monotonic() - start) / 60.0
    clean = sum(t.status == "lap_complete" and t.crash_count == 0 for t in evaluation.trials)
    yield "race_oa_stereo_laps_without_crash", clean, f"of {len(evaluation.trials)} laps"
    yield "race_oa_stereo_training_minutes", minutes, "min"
    yield "race_oa_stereo_best_eval_progress_pct", summary.best_eval_progress, "%"


@bench.benchmark("race", "race_h2h_overtakes", one_core=False)  # noqa: F821
def race_h2h_overtakes(args):
    """HEAD_TO_HEAD_RACING, 2 bot cars at 0.5 m/s, front camera, speeds 1.0-1.8 m/s, the
    head-to-head reward (reward_head_to_head.py): train --minutes, evaluate --trials laps (a
    crash ends a lap); the most bot cars passed in one evaluation lap (done when >= 1). Bot
    cars start MIN_DISTANCE_BETWEEN_BOT_CARS (2 m) past the start line and 1 m before it, as
    in DeepRacer; a pass counts once the bot car was >= 0.5 m ahead and then >= 0.5 m behind."""
    summary, evaluation = _train_and_evaluate(
        args, {"RACE_TYPE": "HEAD_TO_HEAD_RACING", "NUMBER_OF_BOT_CARS": "2", "BOT_CAR_SPEED": "0.5"},
        "model_metadata_h2h.json", reward="reward_head_to_head.py")
    minutes = args.training_minutes
    trials = evaluation.trials
    for i, t in enumerate(trials):
        print(f"race_h2h trial {i}: status {t.status}, progress {t.progress:.1f}%, overtakes "
              f"{t.overtakes}, crashes {t.crash_count}", file=sys.stderr)
    yield "race_h2h_overtakes", max(t.overtakes for t in trials), "bot cars passed"
    yield "race_h2h_training_minutes", minutes, "min (training alone)"
    yield "race_h2h_eval_completion_pct", sum(t.progress for t in trials) / len(trials), "%"
    yield "race_h2h_eval_crashed_laps", sum(t.crash_count > 0 or t.status == "crashed" for t in trials), \
        f"of {len(trials)} laps"
