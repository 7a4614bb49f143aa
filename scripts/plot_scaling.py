#!/usr/bin/env python3
"""Draw docs/scaling.md's graph from `scripts/benchmark.py rollout` JSON lines.

    .venv/bin/python scripts/benchmark.py rollout --sweep 1,2,4,8,16 > rollout.jsonl
    .venv/bin/python scripts/plot_scaling.py rollout.jsonl docs/images/scaling.png ["NOTE"]

NOTE (optional) goes under the titles, e.g. the load average of the run.

Left: rollout_steps_per_s_envs_<N> against N (one worker, one core) and, when
present, rollout_steps_per_s_<W>workers against W x the default envs. Right: steps/s
against rollout workers (1: rollout_steps_per_s_vec, on one core; W: the W-worker
figure), played back to back and in iterations of 20 episodes (the *_iterations
figures) when present.
"""
import json
import re
import sys


def main(argv) -> int:
    if len(argv) not in (3, 4):
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
    fig, (ax, by_workers) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
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
    _plot_workers(by_workers, figures, per)
    if len(argv) == 4:
        import textwrap
        fig.suptitle(textwrap.fill(argv[3], 130), fontsize=9, y=0.01, va="bottom")
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(argv[2])
    print(argv[2])
    return 0


def _plot_workers(ax, figures, per):
    """Steps/s against the number of rollout workers (each with `per` envs)."""
    for suffix, style, label in (("", "o-", "back to back"),
                                 ("_iterations", "s--", "iterations of 20 episodes")):
        points = [(1, figures.get(f"rollout_steps_per_s_vec{suffix}"))] + sorted(
            (int(m.group(1)), v) for k, v in figures.items()
            if (m := re.fullmatch(rf"rollout_steps_per_s_(\d+)workers{suffix}", k)))
        points = [(w, v) for w, v in points if v is not None]
        if points:
            ax.plot([w for w, _ in points], [v for _, v in points], style, label=label)
    ax.set_xlabel(f"rollout workers ({per} envs each; 1: in-process, one core)")
    ax.set_ylabel("env steps / s (rollout only)")
    ax.set_xticks(sorted({1, 2} | {int(m.group(1)) for k in figures
                                   if (m := re.fullmatch(r"rollout_steps_per_s_(\d+)workers", k))}))
    ax.set_ylim(bottom=0)
    ax.set_title("Rollout throughput against workers")
    ax.grid(True, alpha=0.3)
    ax.legend()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
