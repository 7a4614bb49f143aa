"""Episode metrics JSON files in the DeepRacer console's format.

TrainingMetrics.json: `{"metrics": [...], "version": 2.0, "best_model_metric": "progress"}`
with one entry per episode; EvaluationMetrics-<stamp>.json: `{"metrics": [...]}` with
one entry per trial. Times are integer milliseconds since the epoch; files are
replaced atomically (temporary file + os.replace) on every `write`.
"""
import json
import os
import tempfile
import time
from pathlib import Path
from typing import List, Optional

from markov.rules import CRASHED, IMMOBILIZED, OFF_TRACK, REVERSED

METRICS_VERSION = 2.0
BEST_MODEL_METRICS = ("progress", "reward", "lap_time")
PHASES = ("training", "evaluation")
# sim-trace status -> the label the console shows in metrics files
STATUS_LABELS = {"in_progress": "In progress", "lap_complete": "Lap complete",
                 "off_track": "Off track", "crashed": "Crashed", "immobilized": "Immobilized",
                 "reversed": "Reversed", "time_up": "Time Up"}
RESET_STATUSES = (CRASHED, IMMOBILIZED, OFF_TRACK, REVERSED)


def atomic_write_text(path, text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same folder and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch."""
    return int(round(time.time() * 1000.0))


def status_label(status: str) -> str:
    """The metrics label of a sim-trace episode status ('off_track' -> 'Off track')."""
    try:
        return STATUS_LABELS[status]
    except KeyError:
        raise ValueError(f"unknown episode status {status!r}; expected one of "
                         f"{', '.join(STATUS_LABELS)}") from None


def _times(start_time_ms: int, end_time_ms: Optional[int]) -> dict:
    end = now_ms() if end_time_ms is None else int(end_time_ms)
    return {"metric_time": end, "start_time": int(start_time_ms),
            "elapsed_time_in_milliseconds": end - int(start_time_ms)}


class TrainingMetrics:
    """metrics/TrainingMetrics.json: one entry per training or evaluation episode."""

    def __init__(self, path, best_model_metric: str = "progress"):
        if best_model_metric not in BEST_MODEL_METRICS:
            raise ValueError(f"best_model_metric {best_model_metric!r} is not one of "
                             f"{BEST_MODEL_METRICS}")
        self.path = Path(path)
        self.best_model_metric = best_model_metric
        self.entries: List[dict] = []

    def add_episode(self, *, episode: int, trial: int, reward: float, progress: float,
                    status: str, start_time_ms: int, end_time_ms: Optional[int] = None,
                    phase: str = "training", lap_time_s: Optional[float] = None) -> dict:
        """Record one finished episode; `end_time_ms` defaults to now. Returns the entry.

        episode: 1-based training episode count; trial: 1-based episode index within
        the current training round; reward: the episode's total reward; progress: %;
        lap_time_s: simulated lap time of a complete lap (adds lap_time_in_milliseconds).
        """
        if phase not in PHASES:
            raise ValueError(f"phase {phase!r} is not one of {PHASES}")
        entry = {"reward_score": int(round(reward))}
        entry.update(_times(start_time_ms, end_time_ms))
        entry.update({"episode": int(episode), "trial": int(trial), "phase": phase,
                      "completion_percentage": int(progress),
                      "episode_status": status_label(status)})
        if lap_time_s is not None:
            entry["lap_time_in_milliseconds"] = int(round(lap_time_s * 1000.0))
        self.entries.append(entry)
        return entry

    def to_dict(self) -> dict:
        return {"metrics": self.entries, "version": METRICS_VERSION,
                "best_model_metric": self.best_model_metric}

    def write(self) -> Path:
        """Replace the file with every entry so far."""
        return atomic_write_text(self.path, json.dumps(self.to_dict()))


class EvaluationMetrics:
    """The store's metrics/EvaluationMetrics-<stamp>.json: one entry per trial."""

    def __init__(self, path):
        self.path = Path(path)
        self.entries: List[dict] = []
        self.race: Optional[dict] = None  # markov.laptime.RaceSummary.to_dict() of the run, if set
        self._resets = dict.fromkeys(RESET_STATUSES, 0)

    def count_reset(self, status: str) -> None:
        """Count a mid-trial reset (the car put back on the track and the trial going on)."""
        if status not in self._resets:
            raise ValueError(f"{status!r} is not a reset status; expected one of {RESET_STATUSES}")
        self._resets[status] += 1

    def add_trial(self, *, progress: float, status: str, start_time_ms: int,
                  end_time_ms: Optional[int] = None, lap_time_s: Optional[float] = None) -> dict:
        """Record one finished trial; its final status counts as a reset when it is one.

        lap_time_s: simulated lap time (penalties included) of a complete lap; adds
        lap_time_in_milliseconds to the entry.
        """
        label = status_label(status)
        if status in self._resets:
            self._resets[status] += 1
        counts = {"crash_count": self._resets[CRASHED],
                  "immobilized_count": self._resets[IMMOBILIZED],
                  "off_track_count": self._resets[OFF_TRACK],
                  "reversed_count": self._resets[REVERSED]}
        entry = {"completion_percentage": int(progress)}
        entry.update(_times(start_time_ms, end_time_ms))
        entry["episode_status"] = label
        entry.update(counts)
        entry["reset_count"] = sum(counts.values())
        entry["trial"] = len(self.entries) + 1
        if lap_time_s is not None:
            entry["lap_time_in_milliseconds"] = int(round(lap_time_s * 1000.0))
        self.entries.append(entry)
        self._resets = dict.fromkeys(RESET_STATUSES, 0)
        return entry

    def to_dict(self) -> dict:
        if self.race is None:
            return {"metrics": self.entries}
        return {"metrics": self.entries, "race": self.race}

    def write(self) -> Path:
        """Replace the file with every trial so far."""
        return atomic_write_text(self.path, json.dumps(self.to_dict()))
