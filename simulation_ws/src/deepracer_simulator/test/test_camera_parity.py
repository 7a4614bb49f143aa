"""A frame goes through the car's camera path and the simulator's identically: the
simulator's native-size (640x480) wide-angle frame, saved as an image and read by the car
camera node's FrameSource (deepracer_camera.source, `preprocess`), equals the 160x120 frame
the simulator publishes (library `camera_image` and simulator_node's image message)."""
import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from deepracer_simulator import Simulator

# robot_ws's camera library (the car's lens and camera source); the simulator shares it.
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "robot_ws/src/camera_pkg/src"))
from deepracer_camera.lens import default_camera  # noqa: E402
from deepracer_camera.source import FrameSource  # noqa: E402

NODE_PATH = Path(__file__).resolve().parents[1] / "nodes" / "simulator_node"


def car_camera_frame(native_rgb, folder) -> np.ndarray:
    """What the car's camera node publishes (BGR 160x120) for a sensor frame `native_rgb`."""
    cv2.imwrite(str(folder / "frame.png"), native_rgb[:, :, ::-1])  # lossless
    source = FrameSource(str(folder), loop=False)
    try:
        return source.read()
    finally:
        source.close()


@pytest.mark.parametrize("s", [0.0, 7.0])
def test_the_simulator_frame_is_the_car_camera_frame_of_its_native_render(reinvent, car, tmp_path, s):
    sim = Simulator(reinvent, car, seed=0, lens=default_camera())
    sim.reset(*reinvent.pose_at(s))
    native = sim.render(640, 480)
    published = sim.camera_image(160, 120)
    expected = car_camera_frame(native, tmp_path)
    assert published.shape == expected.shape == (120, 160, 3)
    assert np.array_equal(published[:, :, ::-1], expected)
    # not trivially equal: the direct 160x120 lens render (no area averaging) differs
    assert not np.array_equal(sim.render(160, 120), published)


def test_simulator_node_publishes_the_car_camera_frame(reinvent, tmp_path, monkeypatch):
    pytest.importorskip("rospy")
    pytest.importorskip("deepracer_msgs", reason="build and source simulation_ws (deepracer_msgs)")
    import rospy
    loader = importlib.machinery.SourceFileLoader("simulator_node_parity", str(NODE_PATH))
    node = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(node)
    monkeypatch.setenv("CAMERA_CALIBRATION", "deepracer_wide_angle")  # the param's default
    settings = node.read_settings(lambda name, default: default)
    assert settings.camera_calibration == "deepracer_wide_angle"
    sim = node.build_simulator(settings)
    assert sim.lens == default_camera()
    sim.reset(*reinvent.pose_at(7.0))
    fake = types.SimpleNamespace(sim=sim, settings=settings, frame_id="camera", rgb=np.empty((120, 160, 3), np.uint8))
    msg = node.SimulatorNode.image(fake, rospy.Time(0))
    published = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.width, 3)
    assert msg.encoding == "rgb8"
    expected = car_camera_frame(sim.render(640, 480), tmp_path)
    assert np.array_equal(published[:, :, ::-1], expected)
    bad = node.read_settings(lambda name, default: str(tmp_path / "nope.yaml") if name == "camera_calibration" else default)
    with pytest.raises(ValueError, match=r"nope\.yaml: no such calibration file"):
        node.build_simulator(bad)


def test_simulator_node_randomization_file_param_takes_a_preset_or_file(tmp_path, monkeypatch):
    pytest.importorskip("rospy")
    pytest.importorskip("deepracer_msgs", reason="build and source simulation_ws (deepracer_msgs)")
    loader = importlib.machinery.SourceFileLoader("simulator_node_randomization", str(NODE_PATH))
    node = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(node)
    monkeypatch.delenv("RANDOMIZATION_FILE", raising=False)
    assert node.read_settings(lambda name, default: default).randomization_file == ""
    monkeypatch.setenv("RANDOMIZATION_FILE", "standard")  # the param's default

    def settings(**params):
        return node.read_settings(lambda name, default: params.get(name, default))

    sim = node.build_simulator(settings(seed="7"))
    assert sim.randomization.enabled and sim.randomization.ranges.latency_prob == (0.0, 0.3)
    again = node.build_simulator(settings(seed="7"))
    assert sim.effects.__dict__ == again.effects.__dict__  # deterministic per ~seed
    plain = node.build_simulator(settings(randomization_file="none"))
    assert not plain.randomization.enabled
    bad = tmp_path / "r.json"
    bad.write_text('{"latency_prob": [0.5, 0.1]}')
    with pytest.raises(ValueError, match=r"r\.json: latency_prob range is reversed"):
        node.build_simulator(settings(randomization_file=str(bad)))
