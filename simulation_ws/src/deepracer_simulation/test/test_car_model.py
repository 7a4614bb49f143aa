"""The racecar URDF renders, passes check_urdf, and yields the expected geometry and camera."""
import math
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import xacro

from deepracer_simulation.car_model import CarModelError, load_car_model

URDF_DIR = Path(__file__).resolve().parents[1] / "urdf"
XACRO = URDF_DIR / "racecar.xacro"


@pytest.fixture(scope="module")
def model():
    return load_car_model(XACRO)


@pytest.fixture(scope="module")
def rendered():
    return xacro.process_file(str(XACRO)).toxml()


@pytest.mark.skipif(shutil.which("check_urdf") is None, reason="liburdfdom-tools not installed")
def test_rendered_urdf_passes_check_urdf(rendered, tmp_path):
    urdf = tmp_path / "racecar.urdf"
    urdf.write_text(rendered)
    result = subprocess.run(["check_urdf", str(urdf)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "root Link: base_link" in result.stdout


def test_geometry_is_the_1_18_car(model):
    geometry = model.geometry
    assert geometry.wheelbase == pytest.approx(0.165)
    assert geometry.track == pytest.approx(0.12)
    assert geometry.wheel_radius == pytest.approx(0.03)
    assert 0.015 < geometry.wheel_width < 0.04
    assert geometry.max_steering_angle == pytest.approx(math.radians(30), abs=1e-12)
    assert math.radians(30) < geometry.hinge_limit < math.radians(40)
    assert 1.0 < geometry.mass < 2.5
    assert geometry.front_point_offset == 0.14


def test_wheel_positions_follow_the_joint_chain(model):
    expected = [[0.165, 0.06], [0.165, -0.06], [0.0, 0.06], [0.0, -0.06]]
    np.testing.assert_allclose(model.geometry.wheel_positions, expected, atol=1e-12)
    assert not model.geometry.wheel_positions.flags.writeable


def test_camera_spec(model):
    camera = model.camera
    assert 0.09 <= camera.z <= 0.12
    assert 0.0 < camera.x < model.geometry.wheelbase + 0.05
    assert camera.y == pytest.approx(0.0)
    assert camera.pitch == pytest.approx(math.radians(15), abs=1e-9)
    assert (camera.hfov, camera.width, camera.height, camera.rate_hz) == (1.13, 640, 480, 15.0)
    assert camera.frame_id == "camera_link_optical"


def test_gazebo_plugins_publish_the_expected_topics(rendered):
    assert "<robotNamespace>/racecar</robotNamespace>" in rendered
    assert "<cameraName>camera/zed</cameraName>" in rendered
    assert "<imageTopicName>rgb/image_rect_color</imageTopicName>" in rendered
    assert rendered.count("<transmission ") == 6


def test_model_is_cached_by_path(model):
    assert load_car_model(str(XACRO)) is model


def _variant(tmp_path, old, new):
    """A copy of the xacro files with one edit to racecar.xacro or its includes."""
    texts = {source.name: source.read_text() for source in URDF_DIR.iterdir()}
    assert any(old in text for text in texts.values()), f"{old!r} not in {URDF_DIR}"
    for name, text in texts.items():
        (tmp_path / name).write_text(text.replace(old, new))
    return tmp_path / "racecar.xacro"


def test_missing_hinge_joint_is_named(rendered, tmp_path):
    robot = ET.fromstring(rendered)
    robot.remove(robot.find("joint[@name='right_steering_hinge_joint']"))
    path = tmp_path / "no_hinge.urdf"
    path.write_text(ET.tostring(robot, encoding="unicode"))
    with pytest.raises(CarModelError, match="right_steering_hinge_joint") as info:
        load_car_model(path)
    assert str(path) in str(info.value)


def test_missing_camera_sensor_is_named(tmp_path):
    path = _variant(tmp_path, '<xacro:include filename="racecar.gazebo"/>', "")
    with pytest.raises(CarModelError, match="camera sensor"):
        load_car_model(path)


def test_geometry_changes_with_the_urdf(tmp_path):
    path = _variant(tmp_path, 'name="wheelbase" value="0.165"', 'name="wheelbase" value="0.2"')
    geometry = load_car_model(path).geometry
    assert geometry.wheelbase == pytest.approx(0.2)
    assert geometry.max_steering_angle == pytest.approx(math.radians(30), abs=1e-12)


def test_bad_xacro_and_missing_file_raise_car_model_error(tmp_path):
    path = _variant(tmp_path, '"${radians(30)}"', '"${undefined_thing}"')
    with pytest.raises(CarModelError, match="undefined_thing"):
        load_car_model(path)
    with pytest.raises(CarModelError, match="no such"):
        load_car_model(tmp_path / "absent.xacro")
