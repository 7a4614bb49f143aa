"""Evaluation videos: one H.264 MP4 per trial, 640x480, 15 frames per simulated second.

Each env step (one camera frame, 1/15 s of simulated time) adds one video frame:
the camera view at 640x480 (the simulator's own render at that size with the
in-process backend; the 160x120 camera frame scaled up with the ros backend,
which only publishes that), an overlay (lap time, progress, speed, steering,
action, reward, resets) and an inset track map with the car's trace so far.
Encoding: ffmpeg's libx264 through imageio-ffmpeg (its wheel ships the binary).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 640, 480, 15
INSET = 170  # px, side of the inset map
RESET_STATUSES = ("off_track", "immobilized", "reversed", "crashed")


class _Inset:
    """The track drawn once into a small image, and a world -> pixel transform."""

    def __init__(self, track, size: int = INSET, margin: int = 8):
        pts = np.vstack([track.left_edge, track.right_edge])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        self.scale = (size - 2 * margin) / float(max(hi - lo))
        self.lo, self.size, self.margin = lo, size, margin
        self.base = np.full((size, size, 3), 40, np.uint8)
        for edge in (track.left_edge, track.right_edge):
            cv2.polylines(self.base, [self.pixels(edge)], track.closed, (230, 230, 230), 1,
                          cv2.LINE_AA)

    def pixels(self, xy) -> np.ndarray:
        xy = (np.asarray(xy, float) - self.lo) * self.scale + self.margin
        return np.stack([xy[:, 0], self.size - xy[:, 1]], axis=1).round().astype(np.int32)


def _speed_colour(speed: float, top: float = 4.0):
    t = max(0.0, min(1.0, speed / top))
    return (int(255 * t), int(80 + 120 * (1 - t)), int(255 * (1 - t)))  # RGB: blue slow, red fast


class TrialVideo:
    """Writes one trial's frames to `path` as H.264 (yuv420p) at 15 fps; `on_frame`, when
    given, also gets each finished 640x480 RGB frame (e.g. to write a GIF beside it)."""

    def __init__(self, path, track, title: str = "", on_frame=None):
        import imageio_ffmpeg

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.inset = _Inset(track)
        self.title, self.on_frame = title, on_frame
        self.trace: List[tuple] = []
        self.frames, self.resets, self._last_status = 0, 0, "in_progress"
        self._writer = imageio_ffmpeg.write_frames(
            str(self.path), (WIDTH, HEIGHT), fps=FPS, codec="libx264", pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p", macro_block_size=16, quality=None,
            output_params=["-crf", "23", "-preset", "veryfast"], ffmpeg_log_level="error")
        self._writer.send(None)

    def add(self, camera: np.ndarray, *, x, y, speed, steer, action, reward, progress, tstamp,
            status, start_tstamp) -> None:
        """Add the frame of one step (camera: uint8 RGB, any size; it is scaled to 640x480)."""
        if camera.shape[:2] != (HEIGHT, WIDTH):
            camera = cv2.resize(camera, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
        frame = np.ascontiguousarray(camera, dtype=np.uint8).copy()
        if status in RESET_STATUSES and self._last_status not in RESET_STATUSES:
            self.resets += 1
        self._last_status = status
        self.trace.append((x, y, speed))
        self._overlay(frame, [
            f"lap time {tstamp - start_tstamp + 1.0 / FPS:6.2f} s",
            f"progress {progress:5.1f} %", f"speed {speed:4.2f} m/s",
            f"steering {steer:+5.1f} deg", f"action {action}", f"reward {reward:7.3f}",
            f"resets {self.resets}"], status)
        self._draw_inset(frame)
        self._writer.send(frame.tobytes())
        if self.on_frame is not None:
            self.on_frame(frame)
        self.frames += 1

    def _overlay(self, frame, lines, status):
        box = frame[8:8 + 18 * len(lines) + 28, 8:230]
        box[:] = (box * 0.45).astype(np.uint8)
        if self.title:
            cv2.putText(frame, self.title, (14, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (255, 220, 120), 1, cv2.LINE_AA)
        for i, text in enumerate(lines):
            cv2.putText(frame, text, (14, 46 + 18 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (255, 255, 255), 1, cv2.LINE_AA)
        if status != "in_progress":
            cv2.putText(frame, status.replace("_", " "), (WIDTH // 2 - 70, HEIGHT - 24),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 90, 60), 2, cv2.LINE_AA)

    def _draw_inset(self, frame):
        inset = self.inset.base.copy()
        pts = self.inset.pixels([(x, y) for x, y, _ in self.trace])
        for (p, q), (_, _, v) in zip(zip(pts[:-1], pts[1:]), self.trace[1:]):
            cv2.line(inset, tuple(int(c) for c in p), tuple(int(c) for c in q), _speed_colour(v), 2)
        cv2.circle(inset, tuple(int(c) for c in pts[-1]), 4, (255, 255, 0), -1)
        frame[HEIGHT - INSET - 8:HEIGHT - 8, WIDTH - INSET - 8:WIDTH - 8] = inset

    def close(self) -> Path:
        """Finish the file (ffmpeg flushes and exits); returns its path."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.path


class VideoRecorder:
    """Records the trials of an evaluation: `start(trial)`, `on_step(...)` per step, `finish()`.

    env: the DeepRacerRacetrackEnv being driven; the camera view is read from its
    backend's simulator at 640x480 when it has one, else its last camera frame.
    title: the overlay's first line ("{trial}" is the trial number); on_frame: see TrialVideo.
    """

    def __init__(self, env, folder, title: str = "trial {trial}", on_frame=None):
        self.env, self.folder = env, Path(folder)
        self.title, self.on_frame = title, on_frame
        self.video: Optional[TrialVideo] = None
        self.written: List[Path] = []
        self._start = None

    def start(self, trial: int) -> None:
        self.video = TrialVideo(self.folder / f"trial-{trial}.mp4", self.env.track,
                                title=self.title.format(trial=trial), on_frame=self.on_frame)
        self._start = None

    def camera(self) -> np.ndarray:
        simulator = getattr(self.env.backend, "simulator", None)
        if simulator is not None:
            return simulator.render(WIDTH, HEIGHT)
        return self.env._image  # the ros backend publishes only the 160x120 camera frame

    def on_step(self, x, y, steer, throttle, action, reward, progress, tstamp, status) -> None:
        if self.video is None:
            return
        if self._start is None:
            self._start = tstamp  # the trial's first step
        self.video.add(self.camera(), x=x, y=y, speed=throttle, steer=steer, action=action,
                       reward=reward, progress=progress, tstamp=tstamp, status=status,
                       start_tstamp=self._start)

    def finish(self) -> Optional[Path]:
        if self.video is None:
            return None
        path = self.video.close()
        self.video = None
        self.written.append(path)
        return path

    def close(self) -> None:
        self.finish()
