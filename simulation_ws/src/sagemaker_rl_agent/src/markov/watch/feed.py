"""The live feed a training writes for `scripts/viewer.py`, only while someone watches.

Layout of the feed folder (`feed_dir`), which the viewer creates (the training
writes nothing while it does not exist): the viewer touches `watching` while a
browser is polling it; the training checks that file's age at most once a
second and, only when it is fresh, writes `state.json` (car pose, speed,
progress, reward, episode, step, world) and `camera.jpg` (640x480) and
`policy.png` (the 160x120 grayscale observation) at most `rate_hz` times a
second, each through a temporary file and os.replace. `episodes.jsonl` gets one
line per finished episode (reward, progress, status) while the folder exists:
it is what the charts show and costs one short append per episode. Nothing here ever blocks
on the viewer: no sockets, no locks, and write errors are ignored.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Optional

WATCHING = "watching"  # touched by the viewer while a browser polls
FRESH_S = 3.0  # s, how recent `watching` must be
CHECK_EVERY_S = 1.0  # s, how often the training looks at `watching`


def feed_dir(local_root: str, prefix: str) -> Path:
    """`<LOCAL_MODEL_STORE or <project>/models>/.live/<prefix>`: the feed of model `prefix`."""
    if not local_root:
        from markov.workers.settings import project_root
        local_root = str(project_root() / "models")
    return Path(local_root) / ".live" / prefix


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class LiveFeed:
    """Tee of the env's sim trace: passes every line on to `trace` and feeds the viewer.

    Give the env `LiveFeed(trace, folder, world)` as its sim_trace, then set
    `feed.env = env` so the feed can grab the camera frames when watched.
    """

    def __init__(self, trace, folder, world: str, rate_hz: float = 5.0, clock=time.monotonic,
                 episodes_only: bool = False):
        self.trace, self.folder, self.world = trace, Path(folder), world
        self.episodes_only = episodes_only  # the other envs of a vectorized worker: their
        #                                     episodes, not the live car and camera
        self.env = None
        self.period, self.clock = 1.0 / rate_hz, clock
        self.watched, self._checked, self._written = False, -1e9, -1e9
        self._episode_reward, self.present = 0.0, False

    def __getattr__(self, name):  # flush_iteration, lines, echo... of the wrapped trace
        return getattr(self.trace, name)

    def __len__(self):
        return len(self.trace)

    def __bool__(self):  # a feed is a feed even before its first line
        return True

    def log(self, episode, steps, x, y, yaw, steer, throttle, action, reward, done, on_track,
            progress, closest_waypoint, track_len, tstamp, status, *rest, **kwargs):
        line = self.trace.log(episode, steps, x, y, yaw, steer, throttle, action, reward, done,
                              on_track, progress, closest_waypoint, track_len, tstamp, status,
                              *rest, **kwargs)
        self._episode_reward = (0.0 if steps == 1 else self._episode_reward) + reward
        now = self.clock()
        if now - self._checked >= CHECK_EVERY_S:  # the folder exists once a viewer made it
            self._checked, self.present = now, self.folder.is_dir()
            self.watched = self.present and self._is_watched()
        if not self.present:
            return line
        try:
            if done:
                with open(self.folder / "episodes.jsonl", "a") as out:
                    out.write(json.dumps({"episode": episode, "reward": self._episode_reward,
                                          "progress": progress, "status": status,
                                          "steps": steps}) + "\n")
            if self.watched and not self.episodes_only and now - self._written >= self.period:
                self._written = now
                self._write(dict(episode=episode, steps=steps, x=x, y=y, yaw=yaw, steer=steer,
                                 speed=throttle, action=action, reward=reward,
                                 episode_reward=self._episode_reward, progress=progress,
                                 status=status, tstamp=tstamp, world=self.world))
        except OSError:
            pass
        return line

    def _is_watched(self) -> bool:
        try:
            return time.time() - (self.folder / WATCHING).stat().st_mtime < FRESH_S
        except OSError:
            return False

    def _write(self, state: dict) -> None:
        import cv2
        try:
            self._write_frames(cv2)
        except (ValueError, AttributeError, TypeError, cv2.error):
            pass  # a camera the feed cannot show (another sensor layout): state only
        state["wall_clock"] = time.time()
        _replace(self.folder / "state.json", json.dumps(state).encode())

    def _write_frames(self, cv2) -> None:
        env = self.env
        if env is not None:
            simulator = getattr(env.backend, "simulator", None)
            image = env._image
            if image is not None:
                gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
                _replace(self.folder / "policy.png", cv2.imencode(".png", gray)[1].tobytes())
                big = simulator.render(640, 480) if simulator is not None else cv2.resize(
                    image, (640, 480))
                _replace(self.folder / "camera.jpg", cv2.imencode(
                    ".jpg", cv2.cvtColor(big, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])[1]
                    .tobytes())


def make_feed(trace, settings) -> Optional[LiveFeed]:
    """The training's feed (settings: TrainingSettings); idle until a viewer makes its folder."""
    return LiveFeed(trace, feed_dir(settings.store.local_root, settings.store.prefix),
                    settings.world_name)
