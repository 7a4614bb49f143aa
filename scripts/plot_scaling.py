#!/usr/bin/env python3
"""Draw docs/scaling.md's graph from `scripts/benchmark.py rollout` JSON lines.

    .venv/bin/python scripts/benchmark.py rollout --sweep 1,2,4,8,16 > rollout.jsonl
    .venv/bin/python scripts/plot_scaling.py rollout.jsonl docs/images/scaling.png

Plots rollout_steps_per_s_envs_<N> against N (one worker, one core) and, when
present, rollout_steps_per_s_<W>workers against W x the default envs.
"""
import json
import re
import sys


def main(argv) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figures = {}
    with open(argv[1]) as lines:
        for line in lines:
            if line.startswith("{"):
                row = json.loads(line)
                figures[row["benchmark"]] = row["value"]
    envs = sorted((int(m.group(1)), v) for k, v in figures.items()
                  if (m := re.fullmatch(r"rollout_steps_per_s_envs_(\d+)", k)))
    if not envs:
        print(f"{argv[1]}: no rollout_steps_per_s_envs_<N> figures (run with --sweep)",
              file=sys.stderr)
        return 1
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.plot([n for n, _ in envs], [v for _, v in envs], "o-", label="1 worker, N envs (one core)")
    workers = sorted((int(m.group(1)), v) for k, v in figures.items()
                     if (m := re.fullmatch(r"rollout_steps_per_s_(\d+)workers", k)))
    per = int(figures.get("rollout_envs_per_worker", 8))
    if workers:
        ax.plot([w * per for w, _ in workers], [v for _, v in workers], "s--",
                label=f"W Ray workers x {per} envs")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("envs stepped together (total)")
    ax.set_ylabel("env steps / s (rollout only)")
    ax.set_title("Rollout throughput, shipped network, reinvent_base")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(argv[2])
    print(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
