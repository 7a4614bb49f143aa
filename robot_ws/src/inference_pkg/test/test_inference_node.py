"""inference_node without a ROS master: a model loaded mid-frame does not relabel the frame's output."""
import types
from pathlib import Path

import numpy as np
import pytest

from model_optimizer import ActionSpace

rospy = pytest.importorskip("rospy")
pytest.importorskip("cv_bridge")
from sensor_msgs.msg import Image  # noqa: E402  (Debian's, beside rospy)

NODE_PATH = Path(__file__).resolve().parents[1] / "nodes" / "inference_node"


class Publisher:
    """Records what the node publishes."""

    def __init__(self, *args, **kwargs):
        self.sent = []

    def publish(self, msg):
        self.sent.append(msg)


class InferResultsArray:
    def __init__(self, action_space_type="", results=()):
        self.action_space_type, self.results = action_space_type, list(results)
        self.header = types.SimpleNamespace(stamp=None)


@pytest.fixture
def node_module(monkeypatch, load_node_script):
    stand_ins = {"msg": {"InferResults": types.SimpleNamespace, "InferResultsArray": InferResultsArray},
                 "srv": {"LoadModel": object, "LoadModelResponse": types.SimpleNamespace}}
    module = load_node_script(NODE_PATH, "inference_node_under_test", **stand_ins)
    monkeypatch.setattr(rospy, "Publisher", Publisher)
    return module


class FakeEngine:
    """An engine with fixed outputs; `during_infer` runs inside infer (another thread's load)."""

    def __init__(self, outputs, during_infer=None):
        self.outputs, self.during_infer = outputs, during_infer
        self.n_outputs = len(outputs)

    def infer(self, frame):
        assert frame.shape == (120, 160, 3)
        if self.during_infer:
            self.during_infer()
        return np.array(self.outputs, np.float32)


def test_a_model_loaded_during_inference_does_not_relabel_the_output(node_module, monkeypatch):
    spaces = {"a.tar.gz": ActionSpace("discrete", actions=((-30.0, 1.0), (0.0, 2.0), (30.0, 1.0))),
              "b.tar.gz": ActionSpace("continuous", steering_range=(-30.0, 30.0), speed_range=(0.5, 2.0))}
    node = node_module.InferenceNode("/nowhere", "FP32", 1)
    engines = {"a.tar.gz.xml": FakeEngine([0.1, 0.7, 0.2], lambda: node.load("b.tar.gz")),
               "b.tar.gz.xml": FakeEngine([0.5, -0.5])}
    monkeypatch.setattr(node_module, "read_metadata", lambda model_path, metadata_path: (
        types.SimpleNamespace(path=model_path, action_space=spaces[model_path])))
    monkeypatch.setattr(node_module, "ensure_ir", lambda model_path, *args: model_path + ".xml")
    monkeypatch.setattr(node_module, "InferenceEngine", lambda xml_path, num_threads: engines[xml_path])
    node.load("a.tar.gz")
    image = Image(height=120, width=160, encoding="bgr8", step=480, data=bytes(120 * 480))
    image.header.stamp = rospy.Time(7, 5)

    node.on_image(image)  # model a runs; model b is loaded meanwhile
    node.on_image(image)  # model b runs

    first, second = node.publisher.sent
    assert first.action_space_type == "discrete" and first.header.stamp == rospy.Time(7, 5)
    assert [r.class_prob for r in first.results] == pytest.approx([0.1, 0.7, 0.2])
    assert second.action_space_type == "continuous"
    assert [r.class_prob for r in second.results] == pytest.approx([0.5, -0.5])


class FakeSensorEngine:
    """A stereo + SECTOR_LIDAR engine recording its inputs."""

    sensors = {"STEREO_CAMERAS": 0, "SECTOR_LIDAR": 1}
    n_outputs = 3

    def __init__(self):
        self.inputs = []

    def infer_inputs(self, inputs):
        self.inputs.append(inputs)
        return np.array([0.2, 0.5, 0.3], np.float32)


def test_a_stereo_lidar_model_waits_for_its_inputs_then_gets_them(node_module, monkeypatch):
    import math

    from sensor_msgs.msg import LaserScan

    warnings = []
    monkeypatch.setattr(rospy, "logwarn_throttle", lambda period, text: warnings.append(text))
    node = node_module.InferenceNode("/nowhere", "FP32", 1)
    engine = FakeSensorEngine()
    node.model = node_module.LoadedModel(engine, "discrete", "model.xml")
    left = Image(height=120, width=160, encoding="bgr8", step=480, data=bytes(120 * 480))
    right = Image(height=120, width=160, encoding="bgr8", step=480, data=bytes([200]) * (120 * 480))
    node.on_image(left)  # no right frame, no scan yet: nothing published
    assert node.publisher.sent == [] and engine.inputs == []
    assert warnings == ["inference_node: waiting for /camera_pkg/video_mjpeg_right"]
    node.on_right_image(right)
    node.on_scan(LaserScan(angle_min=-math.pi, angle_increment=2 * math.pi / 360,
                           ranges=[0.3] * 10 + [float("inf")] * 350))
    node.on_image(left)
    (sent,) = node.publisher.sent
    assert [r.class_prob for r in sent.results] == pytest.approx([0.2, 0.5, 0.3])
    (inputs,) = engine.inputs
    pair = inputs["STEREO_CAMERAS"]
    assert pair.shape == (1, 120, 160, 2) and pair[..., 0].max() == 0 and pair[..., 1].min() == 200
    assert inputs["SECTOR_LIDAR"].shape == (1, 8) and inputs["SECTOR_LIDAR"].sum() >= 1
