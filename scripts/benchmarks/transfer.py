"""The transfer check (issue 10): a model on appearance seeds and tracks it never saw.

    scripts/benchmark.py transfer --model PATH_OR_STORE [--trials 3] [--tracks A,B]
        [--conditions nominal,standard,heldout] [--camera deepracer_wide_angle]
    scripts/benchmark.py transfer_train [--world reinvent_base] [--randomization standard]
        [--minutes 60] [--seed 0] [--keep DIR]

`transfer` prints transfer_completion_pct (mean completion over conditions and tracks),
transfer_laps_complete_pct, one transfer_<condition>_completion_pct per condition and one
transfer_<condition>_<track>_completion_pct per pair (markov.workers.transfer).
PATH_OR_STORE: a model folder (holding model/), a prefix of the local store
(LOCAL_MODEL_STORE, default models/) or s3://BUCKET/PREFIX (S3_ENDPOINT_URL, credentials
from the environment).

`transfer_train` trains from scratch with the shipped files (in-process, both cores,
until --stop-after-full-laps (3) or --minutes), RANDOMIZATION_FILE=--randomization ('' = the shipped
default, standard) and the default camera, then runs the transfer check on the best
checkpoint: train_minutes (wall clock of the training) and the transfer figures.
"""
import os
import sys


def _csv(text):
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _options(parser):
    parser.add_argument("--model", required=True, help="model folder, local store prefix or s3://BUCKET/PREFIX")
    _check_options(parser)


def _check_options(parser):
    parser.add_argument("--trials", type=bench.positive_int, default=3, help="laps per condition and track")
    parser.add_argument("--tracks", type=_csv, default=None,
                        help="comma-separated tracks (default: markov.workers.transfer.DEFAULT_TRACKS)")
    parser.add_argument("--conditions", type=_csv, default=None,
                        help="comma-separated conditions of nominal, standard, heldout (default: all)")
    parser.add_argument("--camera", default="deepracer_wide_angle",
                        help="CAMERA_CALIBRATION the model was trained with (pinhole, a lens name or file)")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best")


bench.suite("transfer", "the transfer check: a model on held-out appearance seeds and unseen tracks",
            _options)


def _check(args, store):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.workers import transfer

    report = transfer.run_transfer(
        store, tracks=args.tracks or transfer.DEFAULT_TRACKS,
        conditions=args.conditions or tuple(transfer.CONDITIONS), trials=args.trials,
        camera_calibration=args.camera, checkpoint=args.checkpoint,
        log=lambda line: print(line, file=sys.stderr, flush=True))
    return report.figures()


@bench.benchmark("transfer", "transfer_completion_pct", one_core=False)
def transfer_completion_pct(args):
    """Completion of the model's laps per condition and track (markov.workers.transfer)."""
    from markov.watch.location import open_store
    yield from _check(args, open_store(args.model))


def _train_options(parser):
    parser.add_argument("--world", default="reinvent_base", help="WORLD_NAME to train on")
    parser.add_argument("--randomization", default="", help="RANDOMIZATION_FILE ('' = the shipped default)")
    parser.add_argument("--minutes", type=float, default=60.0, help="training budget, wall-clock minutes")
    parser.add_argument("--seed", type=int, default=0, help="TRAINING_SEED")
    parser.add_argument("--stop-after-full-laps", type=int, default=3,
                        help="STOP_AFTER_FULL_LAPS (0: train the whole --minutes)")
    parser.add_argument("--keep", default="", help="keep the model store in this folder (else a temporary one)")
    _check_options(parser)


bench.suite("transfer_train", "train from scratch with the shipped defaults, then the transfer check",
            _train_options)


@bench.benchmark("transfer_train", "train_minutes", one_core=False)
def transfer_train(args):
    """Train (shipped files and defaults, --randomization), then the transfer check."""
    import tempfile
    import time
    from pathlib import Path

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.workers.progress import Progress
    from markov.workers.settings import training_settings
    from markov.workers.training import TrainingWorker

    with tempfile.TemporaryDirectory(prefix="transfer_train.") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        environ = {"WORLD_NAME": args.world, "LOCAL_MODEL_STORE": str(root), "MODEL_S3_PREFIX": "transfer",
                   "TRAINING_SEED": str(args.seed), "MAX_TRAINING_MINUTES": str(args.minutes),
                   "PROGRESS_BAR": "false", "CAMERA_CALIBRATION": args.camera,
                   "STOP_AFTER_FULL_LAPS": str(args.stop_after_full_laps)}
        if args.randomization:
            environ["RANDOMIZATION_FILE"] = args.randomization
        settings = training_settings(environ)
        start = time.monotonic()
        summary = TrainingWorker(settings, progress=Progress("train", stream=sys.stderr, bar=False)).run()
        yield "train_minutes", (time.monotonic() - start) / 60.0, "min"
        yield "train_minutes_to_full_lap", summary.minutes_to_full_lap, "min"
        yield from _check(args, settings.store.make_store())
