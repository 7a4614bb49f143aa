"""Per-step sim traces: `SIM_TRACE_LOG:` lines and `<iteration>-iteration.csv` files.

One line per step with the 19 columns below (yaw and steer in degrees, done and
all_wheels_on_track as True/False, tstamp = simulated seconds, wall_clock =
seconds since the epoch). The CSV holds a header row of the column names and the
same lines. For a continuous action space the env logs action -1 (steer and
throttle carry the values), which keeps every column a single number.
"""
import sys
import time
from pathlib import Path
from typing import List

from markov.metrics import atomic_write_text

SIM_TRACE_PREFIX = "SIM_TRACE_LOG:"
SIM_TRACE_COLUMNS = (
    "episode", "steps", "X", "Y", "yaw", "steer", "throttle", "action", "reward", "done",
    "all_wheels_on_track", "progress", "closest_waypoint", "track_len", "tstamp",
    "episode_status", "pause_duration", "obstacle_crash_counter", "wall_clock",
)
CSV_HEADER = ",".join(SIM_TRACE_COLUMNS)
LINE_FORMAT = ("%d,%d,%.4f,%.4f,%.4f,%.2f,%.2f,%d,%.4f,%s,%s,%.4f,%d,%.2f,%.3f,%s,%.2f,%d,%.3f")
_clock = time.time


def format_sim_trace(episode, steps, x, y, yaw_deg, steer_deg, throttle, action, reward, done,
                     all_wheels_on_track, progress, closest_waypoint, track_len, tstamp,
                     episode_status, pause_duration=0.0, obstacle_crash_counter=0,
                     wall_clock=None) -> str:
    """One trace line without the prefix; wall_clock defaults to now."""
    return LINE_FORMAT % (episode, steps, x, y, yaw_deg, steer_deg, throttle, action, reward,
                          "True" if done else "False", "True" if all_wheels_on_track else "False",
                          progress, closest_waypoint, track_len, tstamp, episode_status,
                          pause_duration, obstacle_crash_counter,
                          _clock() if wall_clock is None else wall_clock)


def iteration_csv_name(iteration: int) -> str:
    """'<iteration>-iteration.csv', the file name log-analysis tools expect."""
    return f"{int(iteration)}-iteration.csv"


def parse_sim_trace(line: str) -> dict:
    """A trace line (with or without the prefix) back as a dict of typed values."""
    if line.startswith(SIM_TRACE_PREFIX):
        line = line[len(SIM_TRACE_PREFIX):]
    parts = line.rstrip("\n").split(",")
    if len(parts) != len(SIM_TRACE_COLUMNS):
        raise ValueError(f"a sim trace line has {len(SIM_TRACE_COLUMNS)} columns, "
                         f"got {len(parts)}: {line!r}")
    row = dict(zip(SIM_TRACE_COLUMNS, parts))
    for key in ("episode", "steps", "action", "closest_waypoint", "obstacle_crash_counter"):
        row[key] = int(row[key])
    for key in ("X", "Y", "yaw", "steer", "throttle", "reward", "progress", "track_len",
                "tstamp", "pause_duration", "wall_clock"):
        row[key] = float(row[key])
    for key in ("done", "all_wheels_on_track"):
        row[key] = row[key] == "True"
    return row


class SimTraceWriter:
    """Collects one iteration's trace lines in memory; `flush_iteration` writes the CSV.

    echo: also print each line, prefixed with SIM_TRACE_LOG:, to stdout (or `stream`).
    """

    def __init__(self, echo: bool = False, stream=None):
        self.echo = echo
        self._stream = stream
        self._lines: List[str] = []

    def log(self, episode, steps, x, y, yaw_deg, steer_deg, throttle, action, reward, done,
            all_wheels_on_track, progress, closest_waypoint, track_len, tstamp, episode_status,
            pause_duration=0.0, obstacle_crash_counter=0, wall_clock=None) -> str:
        """Record one step (see the module doc for units); returns the line."""
        line = format_sim_trace(episode, steps, x, y, yaw_deg, steer_deg, throttle, action, reward,
                                done, all_wheels_on_track, progress, closest_waypoint, track_len,
                                tstamp, episode_status, pause_duration, obstacle_crash_counter,
                                wall_clock)
        self._lines.append(line)
        if self.echo:
            (self._stream or sys.stdout).write(SIM_TRACE_PREFIX + line + "\n")
        return line

    @property
    def lines(self) -> List[str]:
        """The lines recorded since the last flush (a copy)."""
        return list(self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def take_lines(self) -> List[str]:
        """The lines recorded since the last flush or take, which the writer then forgets."""
        lines, self._lines = self._lines, []
        return lines

    def extend(self, lines) -> None:
        """Append lines recorded elsewhere (e.g. by the writer of another env), echoing them."""
        for line in lines:
            self._lines.append(line)
            if self.echo:
                (self._stream or sys.stdout).write(SIM_TRACE_PREFIX + line + "\n")

    def flush_iteration(self, path) -> Path:
        """Write the header and the recorded lines to `path` atomically, then forget them."""
        text = CSV_HEADER + "\n" + "".join(line + "\n" for line in self._lines)
        written = atomic_write_text(path, text)
        self._lines.clear()
        return written
