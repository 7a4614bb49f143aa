"""Camera models: pinhole, OpenCV fisheye (equidistant, k1..k4) and OpenCV standard
(plumb_bob, k1 k2 p1 p2 k3), with intrinsics read from a calibration file.

This module lives in robot_ws (camera_pkg's library) because the car needs it
without the simulator; the simulator imports it when robot_ws is sourced, so
that both sides share one lens model and one preprocessing function
(`preprocess`, the native-aspect frame -> 160x120 step of the car's camera node).

Coordinates: the camera optical frame has x right, y down, z forward (OpenCV).
Pixel coordinates are OpenCV's: (0, 0) is the centre of the top-left pixel.

Calibration files (JSON or YAML, chosen by the suffix):
- the output of `cv2.fisheye.calibrate` / `cv2.calibrateCamera` written as
  {"model": "fisheye"|"standard"|"pinhole", "image_width", "image_height",
   "K": 3x3 list, "D": list}; `camera_name` and `rms` are accepted and ignored;
- a ROS `camera_info` YAML (camera_calibration's output): image_width,
  image_height, camera_name, camera_matrix, distortion_model
  (equidistant | plumb_bob), distortion_coefficients, rectification_matrix,
  projection_matrix.
Unknown keys and malformed values raise CalibrationError naming the file and the key.
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

FRAME_WIDTH, FRAME_HEIGHT = 160, 120  # pixels, what the model sees
MODELS = ("pinhole", "fisheye", "standard")
DEFAULT_CALIBRATION = Path(__file__).with_name("data") / "deepracer_wide_angle.json"
_N_COEFFS = {"pinhole": (0,), "fisheye": (4,), "standard": (4, 5, 8)}
_ROS_MODELS = {"equidistant": "fisheye", "plumb_bob": "standard", "rational_polynomial": "standard"}
_PLAIN_KEYS = {"model", "image_width", "image_height", "K", "D", "camera_name", "rms"}
_ROS_KEYS = {"image_width", "image_height", "camera_name", "camera_matrix", "distortion_model",
             "distortion_coefficients", "rectification_matrix", "projection_matrix"}


class CalibrationError(ValueError):
    """A calibration file or camera model that cannot be used; the message names file and key."""


@dataclass(frozen=True)
class CameraModel:
    """Intrinsics and distortion of one camera at its native (calibration) resolution."""

    model: str  # "pinhole" | "fisheye" | "standard"
    width: int  # px, native image width the intrinsics refer to
    height: int  # px, native image height
    fx: float  # px, focal length along x
    fy: float  # px, focal length along y
    cx: float  # px, principal point x (OpenCV pixel-centre convention)
    cy: float  # px, principal point y
    dist: tuple = ()  # fisheye: k1..k4; standard: k1 k2 p1 p2 [k3 [k4 k5 k6]]

    def __post_init__(self):
        if self.model not in MODELS:
            raise CalibrationError(f"camera model {self.model!r}: expected one of {', '.join(MODELS)}")
        if len(self.dist) not in _N_COEFFS[self.model]:
            raise CalibrationError(f"{self.model} model: expected {_N_COEFFS[self.model]} distortion "
                                   f"coefficients, got {len(self.dist)}")
        if not (self.width > 0 and self.height > 0 and self.fx > 0 and self.fy > 0):
            raise CalibrationError(f"camera model needs positive size and focal lengths, got {self}")

    @property
    def K(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], np.float64)

    @property
    def D(self) -> np.ndarray:
        return np.array(self.dist, np.float64)

    def scaled(self, width, height) -> "CameraModel":
        """The same lens at another resolution of the same sensor (pixel-area scaling)."""
        sx, sy = width / self.width, height / self.height
        return CameraModel(self.model, width, height, self.fx * sx, self.fy * sy,
                           (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5, self.dist)

    # -- projection -----------------------------------------------------------------------
    def distort(self, a, b) -> tuple:
        """Normalised undistorted coordinates (x/z, y/z) -> distorted normalised coordinates."""
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if self.model == "pinhole":
            return a, b
        if self.model == "fisheye":
            r = np.hypot(a, b)
            theta = np.arctan(r)
            k1, k2, k3, k4 = self.dist
            t2 = theta * theta
            theta_d = theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))))
            scale = np.where(r > 1e-12, theta_d / np.maximum(r, 1e-12), 1.0)
            return a * scale, b * scale
        d = list(self.dist) + [0.0] * (8 - len(self.dist))
        k1, k2, p1, p2, k3, k4, k5, k6 = d
        r2 = a * a + b * b
        radial = (1 + r2 * (k1 + r2 * (k2 + r2 * k3))) / (1 + r2 * (k4 + r2 * (k5 + r2 * k6)))
        return (a * radial + 2 * p1 * a * b + p2 * (r2 + 2 * a * a),
                b * radial + p1 * (r2 + 2 * b * b) + 2 * p2 * a * b)

    def undistort(self, xd, yd, iterations=20) -> tuple:
        """Distorted normalised coordinates -> undistorted ones (x/z, y/z), by fixed-point/Newton."""
        xd, yd = np.asarray(xd, np.float64), np.asarray(yd, np.float64)
        if self.model == "pinhole":
            return xd, yd
        if self.model == "fisheye":
            theta_d = np.clip(np.hypot(xd, yd), 0.0, math.pi / 2)
            k1, k2, k3, k4 = self.dist
            theta = theta_d.copy()
            for _ in range(iterations):  # Newton on theta*(1+k1 t^2+...) - theta_d = 0
                t2 = theta * theta
                f = theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4)))) - theta_d
                if not np.abs(f).max(initial=0.0) > 1e-13:  # converged: 3e-11 px (Newton: ~4 steps)
                    break
                df = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))
                theta = theta - f / df
            r = np.tan(theta)
            scale = np.where(theta_d > 1e-12, r / np.maximum(theta_d, 1e-12), 1.0)
            return xd * scale, yd * scale
        a, b = xd.copy(), yd.copy()
        for _ in range(iterations):  # fixed point, as cv2.undistortPoints does
            da, db = self.distort(a, b)
            a, b = a - (da - xd), b - (db - yd)
        return a, b

    def project(self, points) -> np.ndarray:
        """(n, 3) points in the optical frame (z > 0) -> (n, 2) pixel coordinates."""
        p = np.asarray(points, np.float64).reshape(-1, 3)
        xd, yd = self.distort(p[:, 0] / p[:, 2], p[:, 1] / p[:, 2])
        return np.stack([self.fx * xd + self.cx, self.fy * yd + self.cy], axis=1)

    def unproject(self, pixels) -> np.ndarray:
        """(n, 2) pixel coordinates -> (n, 3) unit rays in the optical frame."""
        q = np.asarray(pixels, np.float64).reshape(-1, 2)
        a, b = self.undistort((q[:, 0] - self.cx) / self.fx, (q[:, 1] - self.cy) / self.fy)
        rays = np.stack([a, b, np.ones_like(a)], axis=1)
        return rays / np.linalg.norm(rays, axis=1, keepdims=True)

    def pixel_rays(self, width=None, height=None) -> np.ndarray:
        """(height, width, 3) float32 unit ray of every pixel centre, at width x height of this
        sensor (default: native). A renderer computes this once per camera and image size."""
        cam = self if width is None else self.scaled(width, height)
        u, v = np.meshgrid(np.arange(cam.width, dtype=np.float64),
                           np.arange(cam.height, dtype=np.float64))
        rays = cam.unproject(np.stack([u.ravel(), v.ravel()], axis=1))
        return rays.reshape(cam.height, cam.width, 3).astype(np.float32)

    def horizontal_fov(self) -> float:
        """Full horizontal field of view (rad) through the principal row."""
        edges = self.unproject([[-0.5, self.cy], [self.width - 0.5, self.cy]])
        return float(math.atan2(-edges[0, 0], edges[0, 2]) + math.atan2(edges[1, 0], edges[1, 2]))


def pinhole(hfov, width, height) -> CameraModel:
    """The ideal pinhole of today's simulator: square pixels, centred, `hfov` rad across `width`."""
    f = (width / 2.0) / math.tan(hfov / 2.0)
    return CameraModel("pinhole", width, height, f, f, width / 2.0 - 0.5, height / 2.0 - 0.5, ())


def preprocess(frame, width=FRAME_WIDTH, height=FRAME_HEIGHT) -> np.ndarray:
    """The one preprocessing step of the car's camera node and the simulator: a frame at the
    sensor's native aspect (gray, BGR or BGRA uint8) -> BGR uint8 (height, width, 3),
    resized with area averaging."""
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    elif frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    if frame.shape[:2] != (height, width):
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(frame)


# -- calibration files ------------------------------------------------------------------------
def _read_mapping(path):
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read the calibration file ({exc.strerror})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml
            data = yaml.safe_load(text)
    except (ValueError, Exception) as exc:  # json.JSONDecodeError, yaml.YAMLError
        raise CalibrationError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'YAML'}: "
                               f"{exc}") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: expected a mapping of calibration keys at the top level")
    return data


def _matrix(path, key, value, rows, cols):
    """A rows x cols matrix from a nested list, a flat list or a ROS {rows, cols, data} map."""
    if isinstance(value, dict):
        extra = set(value) - {"rows", "cols", "data"}
        if extra:
            raise CalibrationError(f"{path}: unknown key {key}.{sorted(extra)[0]!r}")
        value = value.get("data")
    try:
        arr = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        raise CalibrationError(f"{path}: {key} must be numbers, got {value!r}") from None
    if rows is not None and arr.size != rows * cols:
        raise CalibrationError(f"{path}: {key} must have {rows}x{cols} numbers, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise CalibrationError(f"{path}: {key} has non-finite values")
    return arr.reshape(-1) if rows is None else arr.reshape(rows, cols)


def _positive_int(path, data, key):
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CalibrationError(f"{path}: {key} must be a positive integer, got {value!r}")
    return value


def load_calibration(path) -> CameraModel:
    """A CameraModel from a cv2-calibrate JSON/YAML or a ROS camera_info YAML."""
    path = Path(path)
    data = _read_mapping(path)
    ros = "camera_matrix" in data or "distortion_model" in data
    allowed = _ROS_KEYS if ros else _PLAIN_KEYS
    for key in data:
        if key not in allowed:
            raise CalibrationError(f"{path}: unknown key {key!r} (accepted: {', '.join(sorted(allowed))})")
    required = (("image_width", "image_height", "camera_matrix", "distortion_model",
                 "distortion_coefficients") if ros else ("model", "image_width", "image_height", "K"))
    for key in required:
        if key not in data:
            raise CalibrationError(f"{path}: missing key {key!r}")
    width, height = _positive_int(path, data, "image_width"), _positive_int(path, data, "image_height")
    if ros:
        name = data["distortion_model"]
        if name not in _ROS_MODELS:
            raise CalibrationError(f"{path}: distortion_model {name!r} not supported "
                                   f"(accepted: {', '.join(_ROS_MODELS)})")
        model = _ROS_MODELS[name]
        K = _matrix(path, "camera_matrix", data["camera_matrix"], 3, 3)
        D = _matrix(path, "distortion_coefficients", data["distortion_coefficients"], None, None)
    else:
        model = data["model"]
        if model not in MODELS:
            raise CalibrationError(f"{path}: model {model!r} not supported (accepted: {', '.join(MODELS)})")
        K = _matrix(path, "K", data["K"], 3, 3)
        D = _matrix(path, "D", data.get("D", []), None, None)
    dkey = "distortion_coefficients" if ros else "D"
    if model == "pinhole" and np.any(D):
        raise CalibrationError(f"{path}: {dkey} must be empty or zero for a pinhole model")
    dist = () if model == "pinhole" else tuple(float(v) for v in D)
    if len(dist) not in _N_COEFFS[model]:
        raise CalibrationError(f"{path}: {dkey} must have {' or '.join(map(str, _N_COEFFS[model]))} "
                               f"values for the {model} model, got {len(dist)}")
    kkey = "camera_matrix" if ros else "K"
    if not (K[0, 0] > 0 and K[1, 1] > 0 and K[0, 1] == 0 and K[1, 0] == 0 and np.allclose(K[2], [0, 0, 1])):
        raise CalibrationError(f"{path}: {kkey} must be [[fx,0,cx],[0,fy,cy],[0,0,1]] with fx, fy > 0")
    return CameraModel(model, width, height, float(K[0, 0]), float(K[1, 1]),
                       float(K[0, 2]), float(K[1, 2]), dist)


def save_calibration(model, path) -> None:
    """Writes `model` as a cv2-calibrate style JSON file that load_calibration reads back."""
    Path(path).write_text(json.dumps({
        "model": model.model, "image_width": model.width, "image_height": model.height,
        "K": model.K.tolist(), "D": list(model.dist)}, indent=2) + "\n")


def default_camera() -> CameraModel:
    """The shipped nominal calibration of the DeepRacer's wide-angle camera."""
    return load_calibration(DEFAULT_CALIBRATION)


def shipped_lenses() -> tuple:
    """Names of the calibrations shipped in deepracer_camera/data (file stems)."""
    return tuple(sorted(p.stem for p in DEFAULT_CALIBRATION.parent.glob("*.json")))


def resolve_camera(value) -> CameraModel:
    """The CameraModel named by `value`: a shipped lens name (e.g. "deepracer_wide_angle")
    or a calibration file path (raises CalibrationError naming the value or file and key)."""
    text = str(value).strip()
    if text in shipped_lenses():
        return load_calibration(DEFAULT_CALIBRATION.with_name(text + ".json"))
    if not text or not Path(text).is_file():
        raise CalibrationError(f"{text or repr(text)}: no such calibration file and not a shipped "
                               f"lens (shipped: {', '.join(shipped_lenses())})")
    return load_calibration(text)
