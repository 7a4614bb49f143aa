"""Camera models: projection matches OpenCV, calibrations round-trip, files fail clearly."""
import math

import cv2
import numpy as np
import pytest

from deepracer_camera import FrameSource
from deepracer_camera.lens import (CalibrationError, CameraModel, default_camera, load_calibration,
                                   pinhole, preprocess, save_calibration)

FISHEYE = CameraModel("fisheye", 640, 480, 300.0, 302.0, 322.0, 236.0, (-0.03, 0.012, -0.004, 0.0007))
STANDARD = CameraModel("standard", 640, 480, 420.0, 418.0, 318.0, 242.0, (-0.28, 0.09, 0.001, -0.0007, -0.012))


def points_in_view(camera, n=500, seed=0):
    """3D optical-frame points whose pixels lie inside the image."""
    rng = np.random.default_rng(seed)
    px = np.stack([rng.uniform(0, camera.width - 1, n), rng.uniform(0, camera.height - 1, n)], axis=1)
    rays = camera.unproject(px)
    return rays * rng.uniform(0.2, 5.0, (n, 1)), px


@pytest.mark.parametrize("camera", [FISHEYE, STANDARD, pinhole(math.radians(65), 160, 120)],
                         ids=["fisheye", "standard", "pinhole"])
def test_round_trip_within_half_pixel(camera):
    points, px = points_in_view(camera)
    back = camera.project(points)
    assert np.abs(back - px).max() < 0.5
    rays = camera.unproject(camera.project(points))
    assert np.allclose(rays, points / np.linalg.norm(points, axis=1, keepdims=True), atol=1e-6)


def test_projection_matches_opencv():
    points, _ = points_in_view(FISHEYE, 200, seed=1)
    ours = FISHEYE.project(points)
    cv_fish, _ = cv2.fisheye.projectPoints(points.reshape(-1, 1, 3), np.zeros(3), np.zeros(3),
                                           FISHEYE.K, FISHEYE.D)
    assert np.abs(ours - cv_fish.reshape(-1, 2)).max() < 1e-6
    points, _ = points_in_view(STANDARD, 200, seed=2)
    cv_std, _ = cv2.projectPoints(points, np.zeros(3), np.zeros(3), STANDARD.K, STANDARD.D)
    assert np.abs(STANDARD.project(points) - cv_std.reshape(-1, 2)).max() < 1e-6


def test_default_camera_is_the_wide_angle_lens():
    camera = default_camera()
    assert camera.model == "fisheye" and camera.width * 3 == camera.height * 4
    assert math.degrees(camera.horizontal_fov()) == pytest.approx(120.0, abs=1.0)
    small = camera.scaled(160, 120)
    assert math.degrees(small.horizontal_fov()) == pytest.approx(120.0, abs=1.0)
    rays = camera.pixel_rays(160, 120)
    assert rays.shape == (120, 160, 3) and rays.dtype == np.float32
    assert np.allclose(np.linalg.norm(rays, axis=2), 1.0, atol=1e-5)
    assert rays[:, :80, 0].max() < 0 < rays[:, 80:, 0].min()  # left half looks left


def test_save_load_round_trip(tmp_path):
    save_calibration(FISHEYE, tmp_path / "car.json")
    assert load_calibration(tmp_path / "car.json") == FISHEYE


ROS_YAML = """image_width: 640
image_height: 480
camera_name: deepracer
camera_matrix: {rows: 3, cols: 3, data: [300.0, 0, 322.0, 0, 302.0, 236.0, 0, 0, 1]}
distortion_model: equidistant
distortion_coefficients: {rows: 1, cols: 4, data: [-0.03, 0.012, -0.004, 0.0007]}
rectification_matrix: {rows: 3, cols: 3, data: [1, 0, 0, 0, 1, 0, 0, 0, 1]}
projection_matrix: {rows: 3, cols: 4, data: [300.0, 0, 322.0, 0, 0, 302.0, 236.0, 0, 0, 0, 1, 0]}
"""


def test_ros_camera_info_yaml(tmp_path):
    (tmp_path / "ost.yaml").write_text(ROS_YAML)
    assert load_calibration(tmp_path / "ost.yaml") == FISHEYE


@pytest.mark.parametrize("name, text, key", [
    ("extra.json", '{"model": "fisheye", "image_width": 640, "image_height": 480, "K": '
     '[[300,0,320],[0,300,240],[0,0,1]], "D": [0,0,0,0], "focal": 3}', "focal"),
    ("k.json", '{"model": "fisheye", "image_width": 640, "image_height": 480, "K": [1, 2], "D": []}', "K"),
    ("d.json", '{"model": "fisheye", "image_width": 640, "image_height": 480, "K": '
     '[[300,0,320],[0,300,240],[0,0,1]], "D": [0.1]}', "D"),
    ("w.json", '{"model": "fisheye", "image_width": -1, "image_height": 480, "K": [], "D": []}',
     "image_width"),
    ("m.json", '{"model": "kannala", "image_width": 640, "image_height": 480, "K": []}', "model"),
    ("missing.json", '{"model": "pinhole", "image_width": 640, "image_height": 480}', "K"),
    ("ros.yaml", ROS_YAML.replace("equidistant", "fov"), "distortion_model"),
    ("ros2.yaml", ROS_YAML.replace("camera_name", "camera_nam"), "camera_nam"),
    ("broken.json", '{"model": ', "JSON"),
])
def test_malformed_calibration_names_file_and_key(tmp_path, name, text, key):
    (tmp_path / name).write_text(text)
    with pytest.raises(CalibrationError) as err:
        load_calibration(tmp_path / name)
    assert name in str(err.value) and key in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CalibrationError, match="nope.json"):
        load_calibration(tmp_path / "nope.json")


def test_camera_node_source_uses_the_shared_preprocess(tmp_path):
    """A native 640x480 frame read by the car's camera source equals `preprocess` of it."""
    rng = np.random.default_rng(3)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (5, 5), 2)
    (tmp_path / "frames").mkdir()
    cv2.imwrite(str(tmp_path / "frames" / "f0.png"), frame)
    source = FrameSource(str(tmp_path / "frames"))
    shared = preprocess(frame)
    assert shared.shape == (120, 160, 3)
    assert np.array_equal(source.read(), shared)
    assert np.array_equal(preprocess(frame[:, :, 0]), preprocess(cv2.cvtColor(frame[:, :, 0],
                                                                              cv2.COLOR_GRAY2BGR)))


def test_resolve_camera_takes_a_shipped_name_or_a_file(tmp_path):
    from deepracer_camera.lens import resolve_camera, shipped_lenses
    assert "deepracer_wide_angle" in shipped_lenses()
    assert resolve_camera(" deepracer_wide_angle ") == default_camera()
    path = tmp_path / "mine.json"
    save_calibration(STANDARD, path)
    assert resolve_camera(str(path)) == STANDARD
    with pytest.raises(CalibrationError, match=r"wide_angel: no such calibration file and not a "
                                               r"shipped lens \(shipped: deepracer_wide_angle"):
        resolve_camera("wide_angel")
