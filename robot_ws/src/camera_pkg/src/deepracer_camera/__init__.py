"""The car's camera: frames from a device, a video file, a stream or an image folder, at 160x120."""
from deepracer_camera.source import CameraError, FrameSource, fit_frame, parse_source

__all__ = ["CameraError", "FrameSource", "fit_frame", "parse_source"]
