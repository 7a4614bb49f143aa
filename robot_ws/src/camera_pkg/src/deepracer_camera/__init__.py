"""The car's camera: frames from a device, a video file, a stream or an image folder, at 160x120."""
from deepracer_camera.lens import CalibrationError, CameraModel, load_calibration, preprocess
from deepracer_camera.source import CameraError, FrameSource, fit_frame, parse_source

__all__ = ["CalibrationError", "CameraModel", "load_calibration", "preprocess", "CameraError", "FrameSource", "fit_frame", "parse_source"]
