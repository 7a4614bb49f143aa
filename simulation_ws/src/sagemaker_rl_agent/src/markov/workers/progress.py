"""What the workers tell the user: the configuration once, one line per iteration or trial.

Lines go to `stream` (stdout by default, flushed each time, so roslaunch shows
them at once). The per-episode tqdm bar goes to stderr and only when stderr is
a terminal.
"""
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class IterationReport:
    """The figures of one training iteration."""

    iteration: int  # checkpoint number written by this iteration
    episodes: int  # training episodes so far
    mean_reward: float  # mean total reward of this iteration's training episodes
    mean_progress: float  # their mean progress, %
    full_lap_pct: float  # % of them that completed the lap
    eval_progress: Optional[float]  # mean progress of the greedy evaluation episodes, %
    eval_laps: str  # e.g. "3/5" evaluation laps completed
    steps_per_s: float  # env steps per second while playing (policy + simulator)
    update_s: float  # seconds spent in the PPO update
    samples_per_s: float  # update throughput: samples x epochs per second
    checkpoint: str  # the checkpoint saved
    best: bool  # whether it became the best checkpoint
    race: Optional[str] = None  # the evaluation's markov.laptime.RaceSummary.line(), if any


class Progress:
    """Prints the user-facing lines of a worker; `name` prefixes them ("training")."""

    def __init__(self, name: str, stream=None, bar: bool = True):
        self.name, self.stream, self.bar = name, stream or sys.stdout, bar

    def line(self, text: str) -> None:
        self.stream.write(f"[{self.name}] {text}\n")
        self.stream.flush()

    def configuration(self, lines) -> None:
        self.line("configuration:")
        for text in lines:
            self.line(f"  {text}")

    def iteration(self, r: IterationReport) -> None:
        evaluation = "-" if r.eval_progress is None else f"{r.eval_progress:5.1f}% ({r.eval_laps} laps)"
        self.line(f"iteration {r.iteration:3d} | episodes {r.episodes:5d} | "
                  f"reward {r.mean_reward:8.2f} | progress {r.mean_progress:5.1f}% | "
                  f"full laps {r.full_lap_pct:5.1f}% | eval {evaluation} | "
                  f"{r.steps_per_s:6.1f} steps/s | update {r.update_s:5.1f} s "
                  f"({r.samples_per_s:.0f} samples/s) | {r.checkpoint}{' (best)' if r.best else ''}")
        if r.race:
            self.line(f"iteration {r.iteration:3d} | race: {r.race}")

    def episode_bar(self, total: int, description: str):
        """A tqdm bar over `total` episodes on stderr; a no-op object when not wanted."""
        if self.bar and sys.stderr.isatty():
            from tqdm import tqdm
            return tqdm(total=total, desc=description, unit="ep", leave=False, file=sys.stderr)
        return _NoBar()


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix_str(self, text):
        pass

    def close(self):
        pass


class StopRequest:
    """Set by SIGINT/SIGTERM (or `set()`): the worker stops cleanly at the next safe point.

    `install()` is for the main thread of a worker process; a second SIGINT raises
    KeyboardInterrupt at once.
    """

    def __init__(self):
        self._event = threading.Event()
        self.reason = ""
        self._previous = {}

    def __call__(self) -> bool:
        return self._event.is_set()

    def set(self, reason: str = "stop requested") -> None:
        self.reason = self.reason or reason
        self._event.set()

    def install(self, progress: Optional[Progress] = None) -> "StopRequest":
        def handler(signum, _frame):
            name = signal.Signals(signum).name
            if self() and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.set(name)
            if progress is not None:
                progress.line(f"{name}: stopping after saving the current state "
                              f"(Ctrl-C again to abort at once)")
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, handler)
        return self

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
