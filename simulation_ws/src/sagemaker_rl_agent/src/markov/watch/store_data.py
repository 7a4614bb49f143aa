"""Read a model store's metrics and sim traces for plots and reports, tolerating damage.

`load_store_data(store)` returns a `StoreData` with what could be read and a list
of `problems`, each naming the key (file) and what is wrong with it: a missing
metrics file or trace folder, a JSON that does not parse, a half-written last
trace line. Nothing here raises on bad content; only a store that cannot be
reached raises (`markov.store.StoreError`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from markov.sim_trace import CSV_HEADER, SIM_TRACE_COLUMNS, parse_sim_trace
from markov.store import NotFoundError, layout

_TRAINING_TRACE_RE = re.compile(r"^training-simtrace/(\d+)-iteration\.csv$")
_EVAL_TRACE_RE = re.compile(r"^evaluation-(\d{14})/evaluation-simtrace/0-iteration\.csv$")
_EVAL_METRICS_RE = re.compile(r"^metrics/EvaluationMetrics-(\d{14})\.json$")


@dataclass
class Iteration:
    """One training iteration as the metrics tell it: its training and evaluation episodes."""

    number: int  # 0-based, in the order of TrainingMetrics.json
    training: List[dict] = field(default_factory=list)  # metrics entries, phase "training"
    evaluation: List[dict] = field(default_factory=list)  # metrics entries, phase "evaluation"

    @property
    def mean_reward(self) -> Optional[float]:
        return _mean([e["reward_score"] for e in self.training])

    @property
    def mean_progress(self) -> Optional[float]:
        return _mean([e["completion_percentage"] for e in self.training])

    @property
    def eval_completion(self) -> Optional[float]:
        return _mean([e["completion_percentage"] for e in self.evaluation])

    @property
    def best_lap_time(self) -> Optional[float]:
        """Fastest complete evaluation lap, s (elapsed_time_in_milliseconds of a 100 % entry)."""
        laps = [e["elapsed_time_in_milliseconds"] / 1000.0 for e in self.evaluation
                if e["completion_percentage"] >= 100]
        return min(laps) if laps else None


@dataclass
class EvaluationRun:
    """One evaluation run (`evaluation-<stamp>`): its metrics entries and trace rows."""

    stamp: str
    metrics: List[dict] = field(default_factory=list)
    trace: List[dict] = field(default_factory=list)


@dataclass
class StoreData:
    """What `load_store_data` could read from one store."""

    where: str  # the store's location, for titles and messages
    metrics: List[dict] = field(default_factory=list)  # TrainingMetrics.json entries
    iterations: List[Iteration] = field(default_factory=list)
    training_traces: Dict[int, List[dict]] = field(default_factory=dict)  # iteration -> rows
    evaluations: Dict[str, EvaluationRun] = field(default_factory=dict)  # stamp -> run
    problems: List[str] = field(default_factory=list)  # what is missing or damaged
    empty: bool = False  # the store holds no object at all (e.g. a wrong S3 prefix)

    @property
    def training_rows(self) -> List[dict]:
        """Every training trace row, each with an added `iteration` key, in iteration order."""
        return [row for n in sorted(self.training_traces) for row in self.training_traces[n]]

    def training_episodes(self) -> int:
        """Distinct (iteration, episode) pairs in the training sim traces."""
        return len({(r["iteration"], r["episode"]) for r in self.training_rows})

    def training_steps(self) -> int:
        return sum(len(rows) for rows in self.training_traces.values())


def _mean(values) -> Optional[float]:
    values = list(values)
    return float(sum(values)) / len(values) if values else None


_ENTRY_FIELDS = {"reward_score": float, "completion_percentage": float,
                 "elapsed_time_in_milliseconds": float}


def parse_training_metrics(raw: bytes, source: str, problems: List[str]) -> List[dict]:
    """Entries of a TrainingMetrics.json; bad entries are skipped with a problem naming them."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        problems.append(f"{source}: not valid JSON ({err}); no training metrics plotted")
        return []
    entries = doc.get("metrics") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        problems.append(f"{source}: no 'metrics' list at the top level; no training metrics plotted")
        return []
    good = []
    for i, entry in enumerate(entries):
        problem = _entry_problem(entry, ("phase",) + tuple(_ENTRY_FIELDS))
        if problem:
            problems.append(f"{source}: metrics[{i}] {problem}; entry skipped")
        else:
            good.append(entry)
    return good


def _entry_problem(entry, wanted) -> Optional[str]:
    if not isinstance(entry, dict):
        return "is not an object"
    for name in wanted:
        if name not in entry:
            return f"lacks '{name}'"
        if name in _ENTRY_FIELDS and (isinstance(entry[name], bool)
                                      or not isinstance(entry[name], (int, float))):
            return f"'{name}' is not a number ({entry[name]!r})"
    return None


def group_iterations(entries: List[dict]) -> List[Iteration]:
    """Split TrainingMetrics entries into iterations: training episodes, then their evaluation."""
    iterations: List[Iteration] = []
    for entry in entries:
        training = entry.get("phase") != "evaluation"
        if not iterations or (training and iterations[-1].evaluation):
            iterations.append(Iteration(len(iterations)))
        (iterations[-1].training if training else iterations[-1].evaluation).append(entry)
    return iterations


def parse_trace_csv(text: str, source: str, problems: List[str]) -> List[dict]:
    """Rows of a sim trace CSV; a line that does not parse (e.g. a half-written last line)
    is skipped with a problem naming the file and the line number."""
    lines = text.splitlines()
    if not lines:
        problems.append(f"{source}: empty file (no header row)")
        return []
    start = 0
    if lines[0].strip() == CSV_HEADER:
        start = 1
    else:
        problems.append(f"{source}: line 1 is not the header row "
                        f"({len(SIM_TRACE_COLUMNS)} columns starting with 'episode'); "
                        f"reading the lines as data")
    rows = []
    for number, line in enumerate(lines[start:], start + 1):
        if not line.strip():
            continue
        try:
            rows.append(parse_sim_trace(line))
        except ValueError as err:
            last = number == len(lines)
            what = "half-written last line" if last else "unreadable line"
            problems.append(f"{source}: line {number}: {what} skipped ({err})")
    return rows


def _read(store, key, problems, what) -> Optional[bytes]:
    try:
        return store.get_bytes(key)
    except NotFoundError:
        problems.append(f"{store.describe(key)} is missing: no {what}")
        return None


def load_store_data(store, evaluations: bool = True) -> StoreData:
    """Read TrainingMetrics.json, the training sim traces and (if `evaluations`) every
    evaluation run of `store`. Raises `markov.store.StoreError` only if the store
    cannot be reached; a store with no objects at all gets one problem saying so."""
    data = StoreData(store.describe())
    keys = store.list("")
    if not keys:
        data.problems.append(f"{store.describe()} holds no objects: is the prefix right?")
        data.empty = True
        return data
    raw = _read(store, layout.TRAINING_METRICS_KEY, data.problems,
                "training metrics (reward, progress, evaluation per iteration)")
    if raw is not None:
        data.metrics = parse_training_metrics(raw, store.describe(layout.TRAINING_METRICS_KEY),
                                              data.problems)
        data.iterations = group_iterations(data.metrics)
    traces = {int(m.group(1)): k for k in keys for m in [_TRAINING_TRACE_RE.match(k)] if m}
    if not traces:
        data.problems.append(f"{store.describe('training-simtrace/')} has no "
                             f"<iteration>-iteration.csv: no positions, speeds or actions")
    for iteration in sorted(traces):
        text = store.get_bytes(traces[iteration]).decode("utf-8", errors="replace")
        rows = parse_trace_csv(text, store.describe(traces[iteration]), data.problems)
        for row in rows:
            row["iteration"] = iteration
        data.training_traces[iteration] = rows
    if evaluations:
        _load_evaluations(store, keys, data)
    return data


def _load_evaluations(store, keys, data: StoreData) -> None:
    for key in keys:
        for regex, kind in ((_EVAL_TRACE_RE, "trace"), (_EVAL_METRICS_RE, "metrics")):
            match = regex.match(key)
            if not match:
                continue
            run = data.evaluations.setdefault(match.group(1), EvaluationRun(match.group(1)))
            raw = store.get_bytes(key)
            if kind == "trace":
                run.trace = parse_trace_csv(raw.decode("utf-8", errors="replace"),
                                            store.describe(key), data.problems)
                continue
            try:
                doc = json.loads(raw)
                run.metrics = [e for e in doc["metrics"] if isinstance(e, dict)]
            except (ValueError, KeyError, TypeError) as err:
                data.problems.append(f"{store.describe(key)}: unreadable evaluation metrics "
                                     f"({err!r})")
