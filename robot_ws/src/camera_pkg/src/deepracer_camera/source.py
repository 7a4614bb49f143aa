"""Camera frames as BGR uint8 (120, 160, 3), from OpenCV capture or an image folder.

A source is a device index ("0" or 0), a video file, a stream URL (rtsp://, http://...)
or a folder of images (read in name order). Files and folders loop when `loop` is set.
"""
from pathlib import Path

import cv2
import numpy as np

from deepracer_camera.lens import preprocess

FRAME_WIDTH, FRAME_HEIGHT = 160, 120  # pixels, what the model sees
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


class CameraError(ValueError):
    """A camera source that cannot be opened or read; the message names it."""


def parse_source(source):
    """An int device index for "0", "1"...; the string (path or URL) otherwise."""
    if isinstance(source, int):
        return source
    text = str(source).strip()
    if not text:
        raise CameraError("empty camera source: give a device index, a file, a URL or a folder")
    return int(text) if text.isdigit() else text


def fit_frame(frame, width=FRAME_WIDTH, height=FRAME_HEIGHT) -> np.ndarray:
    """The frame as BGR uint8 (height, width, 3): the shared `lens.preprocess` step."""
    return preprocess(frame, width, height)


class FrameSource:
    """Reads frames from `source`; `read()` returns the next BGR frame at (height, width)."""

    def __init__(self, source, loop=True, width=FRAME_WIDTH, height=FRAME_HEIGHT):
        self.source = parse_source(source)
        self.loop, self.width, self.height = loop, width, height
        self._files, self._index, self._capture = None, 0, None
        if isinstance(self.source, str) and Path(self.source).is_dir():
            self._files = sorted(p for p in Path(self.source).iterdir()
                                 if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self._files:
                raise CameraError(f"{self.source}: no {'/'.join(IMAGE_SUFFIXES)} images in the folder")
        else:
            self._open_capture()

    def _open_capture(self):
        is_path = isinstance(self.source, str) and "://" not in self.source
        if is_path and not Path(self.source).exists():
            raise CameraError(f"{self.source}: no such file, folder or device")
        self._capture = cv2.VideoCapture(self.source)
        if not self._capture.isOpened():
            raise CameraError(f"{self.source}: OpenCV cannot open it as a camera, video or stream")

    @property
    def is_file(self) -> bool:
        """True for a folder or a video file (finite, can loop), False for a device or a stream."""
        return self._files is not None or (isinstance(self.source, str) and Path(self.source).is_file())

    def read(self) -> np.ndarray:
        """The next frame; raises CameraError at the end of a non-looping file or on a read error."""
        if self._files is not None:
            return self._read_file()
        ok, frame = self._capture.read()
        if not ok and self.loop and self.is_file:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraError(f"{self.source}: no more frames" if self.is_file
                              else f"{self.source}: cannot read a frame")
        return fit_frame(frame, self.width, self.height)

    def _read_file(self) -> np.ndarray:
        if self._index >= len(self._files):
            if not self.loop:
                raise CameraError(f"{self.source}: no more frames")
            self._index = 0
        path = self._files[self._index]
        self._index += 1
        frame = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if frame is None:
            raise CameraError(f"{path}: not a readable image")
        if frame.dtype != np.uint8:
            raise CameraError(f"{path}: expected 8-bit pixels, got {frame.dtype}")
        return fit_frame(frame, self.width, self.height)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None
