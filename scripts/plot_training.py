#!/usr/bin/env python3
"""Draw a model's training graph: <prefix>/plots/training.png and training.csv.

    scripts/plot_training.py STORE_OR_PREFIX [--out DIR]

STORE_OR_PREFIX: s3://bucket/prefix, a model folder (holding model/, metrics/ ...),
or a prefix of the store the environment names (MODEL_S3_BUCKET / LOCAL_MODEL_STORE),
as the training uses it. The files are written into the store (through the store
API, so S3 works too) and, with --out, also into DIR. What is missing or damaged
(no metrics, a half-written trace line, an empty prefix) is printed, one line each;
the exit code is 1 when nothing could be plotted.
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import markov  # noqa: F401  (a sourced workspace provides it)
except ImportError:
    sys.path.append(str(ROOT / "simulation_ws" / "src" / "sagemaker_rl_agent" / "src"))

from markov.store import StoreError  # noqa: E402
from markov.watch.location import open_store  # noqa: E402
from markov.watch.plots import CSV_KEY, PLOT_KEY, plot_store  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("location", metavar="STORE_OR_PREFIX")
    parser.add_argument("--out", type=Path, help="also copy the PNG and CSV into this folder")
    args = parser.parse_args(argv)
    try:
        store = open_store(args.location)
        data = plot_store(store)
    except (StoreError, ValueError, OSError) as err:
        print(f"plot_training.py: {err}", file=sys.stderr)
        return 1
    for problem in data.problems:
        print(f"plot_training.py: {problem}", file=sys.stderr)
    if data.empty:
        return 1
    for key in (PLOT_KEY, CSV_KEY):
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / Path(key).name).write_bytes(store.get_bytes(key))
        print(f"wrote {store.describe(key)}")
    print(f"{len(data.iterations)} iteration(s), {len(data.metrics)} metrics entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
