#!/usr/bin/env python3
"""Write a self-contained HTML analysis report of a model's metrics and sim traces.

    scripts/analyze.py STORE_OR_PREFIX [-o report.html] [--world WORLD_NAME]

STORE_OR_PREFIX as for scripts/plot_training.py (s3://bucket/prefix, a model folder,
or a prefix of the store the environment names). The track is found from the
traces' track_len unless --world names it. Missing or damaged files are listed
(on stderr and in the report); what can be drawn is drawn. Exit code 1 when the
store holds nothing at all.
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import markov  # noqa: F401  (a sourced workspace provides it)
except ImportError:
    for src in sorted((ROOT / "simulation_ws" / "src").glob("*/src")):
        sys.path.append(str(src))

from markov.metrics import atomic_write_text  # noqa: E402
from markov.store import StoreError  # noqa: E402
from markov.watch.location import open_store  # noqa: E402
from markov.watch.report import render_report  # noqa: E402
from markov.watch.store_data import load_store_data  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("location", metavar="STORE_OR_PREFIX")
    parser.add_argument("-o", "--output", type=Path, default=Path("analysis.html"))
    parser.add_argument("--world", help="WORLD_NAME of the track (default: found from track_len)")
    args = parser.parse_args(argv)
    try:
        data = load_store_data(open_store(args.location))
    except (StoreError, ValueError, OSError) as err:
        print(f"analyze.py: {err}", file=sys.stderr)
        return 1
    for problem in data.problems:
        print(f"analyze.py: {problem}", file=sys.stderr)
    if data.empty:
        return 1
    atomic_write_text(args.output, render_report(data, args.world))
    print(f"wrote {args.output}: {data.training_episodes()} training episodes, "
          f"{data.training_steps()} steps, {len(data.evaluations)} evaluation run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
