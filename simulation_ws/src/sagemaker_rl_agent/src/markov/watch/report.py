"""The log analysis report: one self-contained HTML file (images embedded as data: URLs).

Sections: a summary (episodes and steps of the training sim traces, as
deepracer-utils counts them: one episode per (iteration, episode) pair, one step
per trace row), per-iteration reward and completion, heat maps of positions
coloured by reward and by speed, actions per track section, the fastest and
slowest sections, why episodes ended, each evaluation lap's trace, and what is
missing or damaged in the store.
"""
from __future__ import annotations

import base64
import html
import io
from collections import Counter, defaultdict
from typing import Dict, List, Optional

import numpy as np

from markov.watch.plots import training_png
from markov.watch.store_data import StoreData

N_SECTIONS = 10


def find_world(track_len: float, tolerance: float = 0.02) -> Optional[str]:
    """The shipped route whose centre line is `track_len` m long (within `tolerance`), if one."""
    from deepracer_simulation.routes import list_worlds, load_route
    best = None
    for world in list_worlds():
        try:
            centre = load_route(world)[:, 0:2]
        except ValueError:
            continue
        length = float(np.sum(np.hypot(*np.diff(centre, axis=0).T)))
        if abs(length - track_len) <= tolerance and (best is None or abs(length - track_len) < best[0]):
            best = (abs(length - track_len), world)
    return best[1] if best else None


def _track_outline(world: Optional[str]):
    if not world:
        return None
    from deepracer_simulation.routes import load_route
    return load_route(world)


def _png(fig) -> str:
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _img(src: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="{src}">'


def _new_figure(w=7.0, h=5.0):
    from markov.watch.plots import _figure
    Figure = _figure()
    return Figure(figsize=(w, h), dpi=90)


def _draw_track(ax, route):
    if route is None:
        return
    for cols, style in (((0, 1), dict(color="#bbbbbb", lw=0.8, ls="--")),
                        ((2, 3), dict(color="#444444", lw=1.2)), ((4, 5), dict(color="#444444", lw=1.2))):
        ax.plot(route[:, cols[0]], route[:, cols[1]], **style)


def _heatmap(rows, key, label, route, cmap) -> str:
    fig = _new_figure()
    ax = fig.subplots()
    _draw_track(ax, route)
    xs = np.array([r["X"] for r in rows]); ys = np.array([r["Y"] for r in rows])
    vs = np.array([r[key] for r in rows])
    sc = ax.scatter(xs, ys, c=vs, s=6, cmap=cmap)
    fig.colorbar(sc, ax=ax, label=label)
    ax.set_aspect("equal"); ax.set_title(f"Positions coloured by {label}", fontsize=10)
    ax.set_xlabel("x (m)"); ax.set_ylabel("y (m)")
    fig.tight_layout()
    return _img(_png(fig), f"heat map by {label}")


def _sections(rows, n_waypoints) -> Dict[int, List[dict]]:
    out = defaultdict(list)
    for r in rows:
        out[min(N_SECTIONS - 1, r["closest_waypoint"] * N_SECTIONS // max(n_waypoints, 1))].append(r)
    return out


def _table(headers, body, table_id="") -> str:
    attr = f' id="{table_id}"' if table_id else ""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in body)
    return f"<table{attr}><tr>{head}</tr>{rows}</table>"


def _episode_ends(rows) -> Counter:
    last = {}
    for r in rows:
        last[(r.get("iteration", 0), r["episode"])] = r["episode_status"]
    return Counter(last.values())


def _evaluation_section(data: StoreData, route) -> str:
    if not data.evaluations:
        return "<p>No evaluation run in the store.</p>"
    parts = []
    for stamp in sorted(data.evaluations):
        run = data.evaluations[stamp]
        trials = defaultdict(list)
        for r in run.trace:
            trials[r["episode"]].append(r)
        body = []
        for ep, rows in sorted(trials.items()):
            status = rows[-1]["episode_status"]
            lap = (f"{rows[-1]['tstamp'] - rows[0]['tstamp'] + 1 / 15:.2f} s"
                   if status == "lap_complete" else "-")
            body.append([ep + 1, len(rows), f"{rows[-1]['progress']:.1f}", status, lap])
        parts.append(f"<h3>evaluation-{stamp}</h3>" + _table(
            ["trial", "steps", "progress %", "ended", "lap time (trace)"], body))
        metrics = [[m.get("trial"), m.get("completion_percentage"), m.get("episode_status"),
                    m.get("elapsed_time_in_milliseconds"), m.get("reset_count")] for m in run.metrics]
        if metrics:
            parts.append(_table(["trial", "completion %", "status", "elapsed ms", "resets"], metrics))
        if trials:
            fig = _new_figure(7, 5)
            ax = fig.subplots()
            _draw_track(ax, route)
            for ep, rows in sorted(trials.items()):
                ax.plot([r["X"] for r in rows], [r["Y"] for r in rows], lw=1.5, label=f"trial {ep + 1}")
            ax.set_aspect("equal"); ax.legend(fontsize=8)
            ax.set_title(f"evaluation-{stamp}: each trial's trace", fontsize=10)
            fig.tight_layout()
            parts.append(_img(_png(fig), f"evaluation {stamp} traces"))
    return "".join(parts)


def render_report(data: StoreData, world: Optional[str] = None) -> str:
    """The HTML text of the report of `data` (from `load_store_data`)."""
    rows = data.training_rows
    if world is None and (rows or data.evaluations):
        sample = rows[0] if rows else next((r.trace[0] for r in data.evaluations.values()
                                            if r.trace), None)
        world = find_world(sample["track_len"]) if sample else None
    route = _track_outline(world)
    parts = [f"<h1>Training analysis</h1><p>{html.escape(data.where)}"
             f"{' on ' + html.escape(world) if world else ''}</p>"]
    summary = [["iterations (metrics)", len(data.iterations)],
               ["training episodes (sim traces)", data.training_episodes()],
               ["training steps (sim traces)", data.training_steps()],
               ["metrics entries", len(data.metrics)],
               ["evaluation runs", len(data.evaluations)]]
    parts.append(_table(["", "value"], summary, "summary"))
    parts.append(f'<p id="counts" data-episodes="{data.training_episodes()}" '
                 f'data-steps="{data.training_steps()}"></p>')
    if data.problems:
        parts.append("<h2>Missing or damaged</h2><ul id='problems'>" + "".join(
            f"<li>{html.escape(p)}</li>" for p in data.problems) + "</ul>")
    parts.append("<h2>Reward and completion per iteration</h2>")
    parts.append(_img("data:image/png;base64," + base64.b64encode(
        training_png(data.iterations, data.where)).decode(), "training graph")
        if data.iterations else "<p>No training metrics: no per-iteration graph.</p>")
    if rows:
        parts.append("<h2>Where on the track</h2>")
        parts.append(_heatmap(rows, "reward", "reward", route, "viridis"))
        parts.append(_heatmap(rows, "throttle", "speed (m/s)", route, "plasma"))
        n_wp = len(route) if route is not None else max(r["closest_waypoint"] for r in rows) + 1
        sections = _sections(rows, n_wp)
        actions = sorted({r["action"] for r in rows})
        parts.append(f"<h2>Actions per track section</h2><p>{N_SECTIONS} sections of equal "
                     f"waypoint count from the start line; counts of steps.</p>")
        parts.append(_table(["section"] + [f"action {a}" for a in actions], [
            [s] + [sum(r["action"] == a for r in sections[s]) for a in actions]
            for s in sorted(sections)], "actions"))
        speed = sorted(((float(np.mean([r["throttle"] for r in v])), s, len(v))
                        for s, v in sections.items()), reverse=True)
        parts.append("<h2>Fastest and slowest sections</h2><p>Mean commanded speed of the steps in "
                     "each section.</p>")
        parts.append(_table(["section", "mean speed (m/s)", "steps", ""], [
            [s, f"{v:.2f}", n, "fastest" if i == 0 else "slowest" if i == len(speed) - 1 else ""]
            for i, (v, s, n) in enumerate(speed)], "sections"))
        ends = _episode_ends(rows)
        parts.append("<h2>Why episodes ended (training)</h2>")
        parts.append(_table(["episode status", "episodes"], ends.most_common(), "ends"))
    else:
        parts.append("<p>No training sim trace: no heat maps, actions, sections or episode ends.</p>")
    parts.append("<h2>Evaluation laps</h2>")
    parts.append(_evaluation_section(data, route))
    style = ("body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:"
             "collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 8px}img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>DeepRacer training analysis"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
