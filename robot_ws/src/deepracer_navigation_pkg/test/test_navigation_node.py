"""navigation_node without a ROS master: an action space loaded mid-message does not change its mapping."""
import types
from pathlib import Path

import pytest

from deepracer_navigation import Navigator
from model_optimizer import ActionSpace

rospy = pytest.importorskip("rospy")

NODE_PATH = Path(__file__).resolve().parents[1] / "nodes" / "navigation_node"
SPACES = {"a.tar.gz": ActionSpace("discrete", actions=((-30.0, 1.0), (0.0, 2.0), (30.0, 1.0))),
          "b.tar.gz": ActionSpace("continuous", steering_range=(-15.0, 15.0), speed_range=(0.5, 4.0))}


class Publisher:
    """Records what the node publishes."""

    def __init__(self, *args, **kwargs):
        self.sent = []

    def publish(self, msg):
        self.sent.append(msg)


@pytest.fixture
def node_module(monkeypatch, load_node_script):
    stand_ins = {"msg": {"InferResultsArray": types.SimpleNamespace, "ServoCtrlMsg": types.SimpleNamespace},
                 "srv": {"LoadModel": object, "LoadModelResponse": types.SimpleNamespace}}
    module = load_node_script(NODE_PATH, "navigation_node_under_test", **stand_ins)
    monkeypatch.setattr(rospy, "Publisher", Publisher)
    monkeypatch.setattr(module, "read_metadata", lambda model_path, metadata_path: (
        types.SimpleNamespace(path=model_path, action_space=SPACES[model_path])))
    return module


class Results(list):
    """InferResultsArray.results that runs `during_read` when the node reads them."""

    def __init__(self, probs, during_read=None):
        super().__init__(types.SimpleNamespace(class_prob=p) for p in probs)
        self.during_read = during_read

    def __iter__(self):
        if self.during_read:
            self.during_read()
        return super().__iter__()


def test_an_action_space_loaded_during_a_message_does_not_change_its_mapping(node_module):
    node = node_module.NavigationNode(throttle_scale=1.0)
    node.load("a.tar.gz")
    discrete = types.SimpleNamespace(action_space_type="discrete",
                                     results=Results([0.1, 0.2, 0.7], lambda: node.load("b.tar.gz")))
    continuous = types.SimpleNamespace(action_space_type="continuous", results=Results([1.0, 1.0]))

    node.on_results(discrete)  # checked and mapped with a, while b is loaded
    node.on_results(continuous)  # mapped with b

    first, second = [(m.angle, m.throttle) for m in node.publisher.sent]
    assert first == pytest.approx(Navigator(SPACES["a.tar.gz"])([0.1, 0.2, 0.7]))
    assert first == pytest.approx((1.0, 0.8))  # 30 deg of 30; 1 m/s of 2: x = 0.5
    assert second == pytest.approx((1.0, 1.0))  # 15 deg of 15; 4 m/s of 4
