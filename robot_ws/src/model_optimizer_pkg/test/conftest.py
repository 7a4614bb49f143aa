"""Shared helpers of the model optimizer tests: metadata files and frozen-graph references."""
import json

import numpy as np
import pytest

from model_optimizer import INPUT_NAME, OUTPUT_NAME

ACTIONS = [(-30, 0.6), (-15, 1.0), (0, 1.5), (15, 1.0), (30, 0.6)]  # (steering deg, speed m/s)


def _write_metadata(path, actions=ACTIONS, continuous=False):
    """Write model_metadata.json at `path` for discrete `actions` or a continuous space."""
    space = ({"steering_angle": {"low": -30, "high": 30}, "speed": {"low": 0.5, "high": 2.0}}
             if continuous else [{"steering_angle": s, "speed": v} for s, v in actions])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"action_space": space, "sensor": ["FRONT_FACING_CAMERA"],
                                "action_space_type": "continuous" if continuous else "discrete"}))
    return path


@pytest.fixture(scope="session")
def write_metadata():
    """`write_metadata(path, actions=ACTIONS (5), continuous=False) -> path`."""
    return _write_metadata


class FrozenGraph:
    """A model.pb run by TensorFlow (the reference the IR is compared with)."""

    def __init__(self, pb_path):
        import tensorflow as tf

        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(pb_path.read_bytes())
        graph = tf.Graph()
        with graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
        self.session = tf.compat.v1.Session(graph=graph)

    def __call__(self, observation):
        return self.session.run(f"{OUTPUT_NAME}:0", {f"{INPUT_NAME}:0": observation})[0]


@pytest.fixture(scope="session")
def frozen_graph():
    """`frozen_graph(pb_path)(observation) -> output`: the TensorFlow reference."""
    return FrozenGraph


@pytest.fixture(scope="session")
def road_observations():
    """Simulator-like camera frames, preprocessed as the car does: float32 [1, 120, 160, 1]."""
    from deepracer_camera.synthetic import road_frames
    from deepracer_inference import preprocess

    return [preprocess(frame) for frame in road_frames(8, seed=11)] + [
        preprocess(np.full((120, 160, 3), 255, np.uint8)), preprocess(np.zeros((120, 160, 3), np.uint8))]
