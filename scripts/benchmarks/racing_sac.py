"""Benchmark race_sac_easy_track of suite race: SAC with a continuous action space learns
to lap easy_track, then 3 laps from the start line.

    nice -n 10 scripts/benchmark.py race --only race_sac_easy_track --seed 0 \
        [--sac-minutes 30] [--sac-full-laps 3] [--keep-model PATH] [--sac-algorithm clipped_ppo]

Setup (scripts/benchmarks/race_setup_sac): `training_algorithm: sac`, steering
-30..30 degrees and speed 1-2 m/s continuous, DEEP_CONVOLUTIONAL_NETWORK, the
shipped centre-line reward, discount 0.99, 10 episodes per iteration; training
stops once every evaluation lap is complete in --sac-full-laps (3) consecutive
iterations (STOP_AFTER_FULL_LAPS) or after --sac-minutes. `--keep-model PATH` copies the
best checkpoint's car package (model.tar.gz) to PATH (the sim-to-real loop test's
SAC model, robot_ws/src/deepracer_bringup/test/data/easy_track_sac_model.tar.gz, is
made this way). `--sac-algorithm clipped_ppo` trains the same continuous setup with
PPO instead (the shipped hyperparameters.json) for comparison; its figures are named
`continuous_ppo_*` instead of `sac_*`.
"""
from pathlib import Path

SAC_SETUP_DIR = Path(__file__).resolve().parent / "race_setup_sac"


def _sac_options(parser):
    parser.add_argument("--sac-minutes", type=float, default=30.0,
                        help="race_sac_easy_track: training budget, wall-clock minutes")
    parser.add_argument("--sac-algorithm", choices=("sac", "clipped_ppo"), default="sac",
                        help="race_sac_easy_track: train with SAC or, for comparison, continuous PPO")
    parser.add_argument("--sac-full-laps", type=int, default=3,
                        help="race_sac_easy_track: STOP_AFTER_FULL_LAPS of the training")
    parser.add_argument("--keep-model", default="",
                        help="race_sac_easy_track: copy the car package model.tar.gz to this path")


bench.extend_suite("race", "racing: train a racing setup, evaluate laps against the track's limit",
                   _sac_options,
                   first_options=lambda parser: parser.add_argument("--seed", type=int, default=0))


def sac_environ(args, store_dir) -> dict:
    """The worker environment of the SAC benchmark run (or of continuous PPO on the same setup)."""
    import json

    metadata, hyperparameters = SAC_SETUP_DIR / "model_metadata.json", ""
    if getattr(args, "sac_algorithm", "sac") == "sac":
        hyperparameters = str(SAC_SETUP_DIR / "hyperparameters.json")
    else:
        data = json.loads(metadata.read_text())
        data["training_algorithm"] = args.sac_algorithm
        metadata = Path(store_dir) / "model_metadata.json"
        metadata.write_text(json.dumps(data, indent=4))
    return {"WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": str(Path(store_dir) / "store"),
            "MODEL_METADATA_FILE": str(metadata), "HYPERPARAMETERS_FILE": hyperparameters,
            "TRAINING_SEED": str(args.seed), "MAX_TRAINING_MINUTES": str(args.sac_minutes),
            "STOP_AFTER_FULL_LAPS": str(args.sac_full_laps), "NUMBER_OF_TRIALS": "3",
            "PROGRESS_BAR": "false", "EVALUATION_MAX_RESETS": "0"}


@bench.benchmark("race", "race_sac_easy_track", one_core=False)
def race_sac_easy_track(args):
    """sac_minutes_to_full_lap (wall-clock minutes until an iteration's 5 evaluation
    episodes all completed their lap; null if never), sac_training_steps, sac_complete_laps
    (of 3 from the start line with the best checkpoint), sac_best_lap_s, sac_mean_lap_s."""
    import os
    import shutil
    import sys
    import tempfile

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.workers.evaluation import EvaluationWorker
    from markov.workers.progress import Progress
    from markov.workers.settings import evaluation_settings, training_settings
    from markov.workers.training import TrainingWorker

    with tempfile.TemporaryDirectory(prefix="race_sac_benchmark.") as tmp:
        environ = sac_environ(args, tmp)
        summary = TrainingWorker(training_settings(environ),
                                 progress=Progress("train", stream=sys.stderr, bar=False)).run()
        evaluation = EvaluationWorker(evaluation_settings(environ),
                                      progress=Progress("evaluation", stream=sys.stderr)).run()
        if args.keep_model:
            Path(args.keep_model).parent.mkdir(parents=True, exist_ok=True)
            package = Path(environ["LOCAL_MODEL_STORE"]) / "rl-deepracer-sagemaker" / "model.tar.gz"
            shutil.copyfile(package, args.keep_model)
            print(f"kept {summary.best_checkpoint}'s car package as {args.keep_model}",
                  file=sys.stderr)
    r, name = evaluation.race, "sac" if args.sac_algorithm == "sac" else "continuous_ppo"
    yield f"{name}_minutes_to_full_lap", summary.minutes_to_full_lap, "min"
    yield f"{name}_training_steps", summary.steps, "steps"
    yield f"{name}_complete_laps", r.complete_laps, "laps"
    yield f"{name}_best_lap_s", r.best_lap_s, "s"
    yield f"{name}_mean_lap_s", r.mean_lap_s, "s"
