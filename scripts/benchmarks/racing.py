"""Benchmark race_best_lap_s of suite race: train a racing setup, then 3 laps from the
start line against the track's limit.

    scripts/benchmark.py race --only race_best_lap_s --world reinvent_base --minutes 60 --seed 0
        [--setup default]

The suite "race" is shared with the race types' benchmarks (race_types.py, loaded
before this file: "race_types" sorts before "racing"); this file adds --setup to
its options and this benchmark to it (or declares the suite when it is absent).

Setups: "racing" (scripts/benchmarks/race_setup: discrete PPO, 8 actions up to
4 m/s, a progress-per-step reward, BEST_MODEL_METRIC=lap_time, no early stop,
trained in the world it is timed in: RANDOMIZATION_FILE=none, the flat world)
or "default" (the shipped time-trial files and defaults, BEST_MODEL_METRIC=progress;
it trains in the realistic `standard` world). Both are timed with evaluation's
defaults: RANDOMIZATION_FILE=none and the wide-angle lens.
The limit is the track's minimum-time race line (scripts/raceline.py).
"""
from pathlib import Path

SETUP_DIR = Path(__file__).resolve().parent / "race_setup"


def _setup_option(parser):
    parser.add_argument("--setup", choices=("racing", "default"), default="racing",
                        help="race_best_lap_s: racing (scripts/benchmarks/race_setup) or default "
                             "(the shipped files)")


def _options(parser):
    parser.add_argument("--world", default="reinvent_base", help="WORLD_NAME to train on")
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget, wall-clock minutes")
    parser.add_argument("--seed", type=int, default=0, help="TRAINING_SEED")
    parser.add_argument("--trials", type=bench.positive_int, default=3, help="evaluation laps")


bench.extend_suite("race", "racing: train a racing setup, evaluate laps against the track's limit",
                   _setup_option, first_options=_options)


def race_environ(args, store_dir) -> dict:
    """The worker environment of a race benchmark run (also used by its test)."""
    environ = {"WORLD_NAME": args.world, "LOCAL_MODEL_STORE": str(store_dir),
               "TRAINING_SEED": str(args.seed), "MAX_TRAINING_MINUTES": str(args.minutes),
               "NUMBER_OF_TRIALS": str(args.trials), "PROGRESS_BAR": "false",
               "EVALUATION_MAX_RESETS": "0"}
    if getattr(args, "hyperparameters", ""):
        environ["HYPERPARAMETERS_FILE"] = args.hyperparameters
    if args.setup == "racing":
        environ.update({"MODEL_METADATA_FILE": str(SETUP_DIR / "model_metadata.json"),
                        "REWARD_FILE": str(SETUP_DIR / "reward_function.py"),
                        "BEST_MODEL_METRIC": "lap_time", "STOP_AFTER_FULL_LAPS": "0",
                        "RANDOMIZATION_FILE": "none"})
    return environ


@bench.benchmark("race", "race_best_lap_s", one_core=False)
def race_best_lap_s(args):
    """race_best_lap_s, race_mean_lap_s (null when no lap completes), race_limit_s,
    race_ratio_to_limit (mean / limit), race_complete_laps, race_minutes_to_full_lap
    (wall-clock minutes until an iteration's evaluation first completed every lap)."""
    import os
    import sys
    import tempfile

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.workers.evaluation import EvaluationWorker
    from markov.workers.progress import Progress
    from markov.workers.settings import evaluation_settings, training_settings
    from markov.workers.training import TrainingWorker

    with tempfile.TemporaryDirectory(prefix="race_benchmark.") as tmp:
        environ = race_environ(args, tmp)
        summary = TrainingWorker(training_settings(environ),
                                 progress=Progress("train", stream=sys.stderr, bar=False)).run()
        evaluation = EvaluationWorker(evaluation_settings(environ),
                                      progress=Progress("evaluation", stream=sys.stderr)).run()
    r = evaluation.race
    yield "race_best_lap_s", r.best_lap_s, "s"
    yield "race_mean_lap_s", r.mean_lap_s, "s"
    yield "race_limit_s", r.limit_s, "s"
    yield "race_ratio_to_limit", r.ratio_to_limit, "x"
    yield "race_complete_laps", r.complete_laps, "laps"
    yield "race_minutes_to_full_lap", summary.minutes_to_full_lap, "min"
