"""The training graph: `<prefix>/plots/training.png` and `training.csv`, in the console's style.

Per iteration: mean reward and mean progress of the training episodes, mean
evaluation completion, and the best evaluation lap time when there is one (a
lap is an evaluation entry with completion_percentage 100; its time is
elapsed_time_in_milliseconds). matplotlib draws off-screen (Agg); files go into
the store through the store API, so an S3 store gets them as well.
"""
from __future__ import annotations

import io
from typing import List, Optional, Sequence

from markov.watch.store_data import (Iteration, StoreData, _entry_problem, group_iterations,
                                     load_store_data)

PLOT_KEY = "plots/training.png"
CSV_KEY = "plots/training.csv"
CSV_COLUMNS = ("iteration", "training_episodes", "mean_reward", "mean_progress",
               "eval_episodes", "eval_completion", "best_lap_time_s")


def _fmt(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.4f}"


def training_csv(iterations: Sequence[Iteration]) -> str:
    """The graph's data, one row per iteration (empty cells where there is no value)."""
    lines = [",".join(CSV_COLUMNS)]
    for it in iterations:
        lines.append(",".join([str(it.number), str(len(it.training)), _fmt(it.mean_reward),
                               _fmt(it.mean_progress), str(len(it.evaluation)),
                               _fmt(it.eval_completion), _fmt(it.best_lap_time)]))
    return "\n".join(lines) + "\n"


def _figure():
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # no pyplot: no global state, thread safe
    return Figure


def training_png(iterations: Sequence[Iteration], title: str = "", dpi: int = 100) -> bytes:
    """PNG bytes of the training graph (an empty-state picture when there is no iteration)."""
    Figure = _figure()
    fig = Figure(figsize=(9, 6.5), dpi=dpi)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    xs = [it.number for it in iterations]

    def series(attr):
        pts = [(it.number, getattr(it, attr)) for it in iterations if getattr(it, attr) is not None]
        return [p[0] for p in pts], [p[1] for p in pts]

    x, y = series("mean_reward")
    top.plot(x, y, "-o", color="#2e7d32", ms=3, label="Average reward (training)")
    top.set_ylabel("Reward")
    right = top.twinx()
    x, y = series("mean_progress")
    right.plot(x, y, "-o", color="#1565c0", ms=3, label="Average percentage completion (training)")
    x, y = series("eval_completion")
    right.plot(x, y, "-o", color="#ef6c00", ms=3,
               label="Average percentage completion (evaluating)")
    right.set_ylim(0, 105)
    right.set_ylabel("Percentage track completion")
    handles = top.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    fig.legend(handles, [h.get_label() for h in handles], loc="upper center", ncol=2,
               fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0.955))
    top.grid(alpha=0.3)
    fig.suptitle(title or "Reward graph", fontsize=10, y=0.995)
    x, y = series("best_lap_time")
    if x:
        bottom.plot(x, y, "-o", color="#6a1b9a", ms=3)
        best = min(y)
        bottom.set_title(f"Best evaluation lap time per iteration (best {best:.2f} s)", fontsize=9)
    else:
        bottom.text(0.5, 0.5, "no complete evaluation lap yet", ha="center", va="center",
                    transform=bottom.transAxes, color="#666666")
        bottom.set_title("Best evaluation lap time per iteration", fontsize=9)
    bottom.set_ylabel("Lap time (s)")
    bottom.set_xlabel("Iteration")
    bottom.grid(alpha=0.3)
    from matplotlib.ticker import MaxNLocator
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not xs:
        top.text(0.5, 0.5, "no training metrics", ha="center", va="center",
                 transform=top.transAxes, color="#666666")
    else:
        top.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def write_training_plot(store, entries: Optional[List[dict]] = None) -> List[str]:
    """Write `plots/training.png` and `plots/training.csv` into `store`; return the keys.

    entries: TrainingMetrics entries (the training worker passes what it holds);
    None reads metrics/TrainingMetrics.json from the store.
    """
    if entries is None:
        data = load_store_data(store, evaluations=False)
        iterations = data.iterations
    else:
        iterations = group_iterations([e for e in entries if not _entry_problem(
            e, ("phase", "reward_score", "completion_percentage", "elapsed_time_in_milliseconds"))])
    store.put_bytes(training_csv(iterations).encode(), CSV_KEY)
    store.put_bytes(training_png(iterations, store.describe()), PLOT_KEY)
    return [PLOT_KEY, CSV_KEY]


def plot_store(store) -> StoreData:
    """Read `store` and write its training graph into it; return what was read (with problems)."""
    data = load_store_data(store, evaluations=False)
    if not data.empty:
        store.put_bytes(training_csv(data.iterations).encode(), CSV_KEY)
        store.put_bytes(training_png(data.iterations, data.where), PLOT_KEY)
    return data
