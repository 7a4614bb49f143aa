"""The camera model: rays, horizon and ground hits, checked against a forward projection."""
import dataclasses
import math

import numpy as np
import pytest

from deepracer_simulator.camera import CameraError, focal_length, ground_rays, vertical_fov


def _project(camera, width, height, gx, gy):
    """Pixel (u, v) where the car-frame ground point (gx, gy, 0) appears."""
    f = focal_length(camera.hfov, width)
    p = camera.pitch
    w = np.stack([gx - camera.x, gy - camera.y, np.full_like(gx, -camera.z)], axis=-1)
    forward = w @ np.array([math.cos(p), 0.0, -math.sin(p)])
    right = w @ np.array([0.0, -1.0, 0.0])
    down = w @ np.array([-math.sin(p), 0.0, -math.cos(p)])
    return width / 2 + f * right / forward, height / 2 + f * down / forward


@pytest.mark.parametrize("size", [(160, 120), (640, 480)])
def test_ground_hits_project_back_onto_their_pixels(car, size):
    width, height = size
    rays = ground_rays(car.camera, width, height)
    u, v = _project(car.camera, width, height, rays.x.astype(float), rays.y.astype(float))
    rows, cols = np.divmod(np.arange(rays.x.size), width)
    assert np.allclose(u, cols + 0.5, atol=1e-3)
    assert np.allclose(v, rows + rays.first_ground_row + 0.5, atol=1e-3)


def test_bottom_centre_distance_from_pitch_and_fov(car):
    cam = car.camera
    rays = ground_rays(cam, 160, 120)
    below_axis = math.atan((120 - 0.5 - 60) / focal_length(cam.hfov, 160))
    expected = cam.z / math.tan(cam.pitch + below_axis)
    bottom_centre = rays.x[-80]  # last row, column 80 (just right of centre)
    assert bottom_centre - cam.x == pytest.approx(expected, rel=1e-5)


def test_horizon_row_from_pitch_and_vertical_fov(car):
    cam = car.camera
    rays = ground_rays(cam, 160, 120)
    vfov = vertical_fov(cam.hfov, 160, 120)
    expected = 60 - 60 * math.tan(cam.pitch) / math.tan(vfov / 2)
    assert rays.horizon_row == pytest.approx(expected)
    assert expected <= rays.first_ground_row <= expected + 2  # the far clip shaves < 2 rows
    assert (rays.x - cam.x).max() <= cam.far


def test_camera_looking_up_sees_no_ground(car):
    up = dataclasses.replace(car.camera, pitch=-1.0)
    rays = ground_rays(up, 160, 120)
    assert rays.first_ground_row == 120 and rays.x.size == 0


@pytest.mark.parametrize("change, match", [({"hfov": 0.0}, "hfov"), ({"hfov": 4.0}, "hfov"),
                                           ({"z": -0.1}, "z")])
def test_bad_camera_is_rejected(car, change, match):
    with pytest.raises(CameraError, match=match):
        ground_rays(dataclasses.replace(car.camera, **change), 160, 120)


def test_bad_image_size_is_rejected(car):
    with pytest.raises(CameraError, match="image size"):
        ground_rays(car.camera, 0, 120)
