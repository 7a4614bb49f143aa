"""The engine runs stereo and LIDAR models (one input per sensor) like TensorFlow does."""
import json

import numpy as np
import pytest

from deepracer_inference import InferenceEngine
from deepracer_inference.engine import InferenceError
from model_optimizer import convert
from model_optimizer.sample_model import write_sample_model
from model_optimizer.sensors import input_name


def _frozen_output(pb, feed):
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(pb.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        return session.run("main_level/agent/main/online/network_1/ppo_head_0/policy:0",
                           {f"{input_name(k)}:0": v for k, v in feed.items()})[0]


@pytest.fixture(scope="module")
def stereo_lidar_ir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stereo_lidar")
    pb = write_sample_model(folder / "model.pb", 3, sensors=["STEREO_CAMERAS", "SECTOR_LIDAR"])
    (folder / "model_metadata.json").write_text(json.dumps({
        "action_space": [{"steering_angle": s, "speed": 1.0} for s in (-30, 0, 30)],
        "sensor": ["STEREO_CAMERAS", "SECTOR_LIDAR"]}))
    xml, _ = convert(pb, folder / "ir")
    return pb, xml


def test_stereo_and_sector_lidar_inputs(stereo_lidar_ir):
    pb, xml = stereo_lidar_ir
    engine = InferenceEngine(xml)
    assert set(engine.sensors) == {"STEREO_CAMERAS", "SECTOR_LIDAR"}
    rng = np.random.default_rng(0)
    left, right = (rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(2))
    sectors = np.array([0, 1, 0, 0, 1, 0, 0, 0], np.float32)
    got = engine.infer_stereo(left, right, sectors)
    import cv2

    pair = np.stack([cv2.cvtColor(left, cv2.COLOR_BGR2GRAY), cv2.cvtColor(right, cv2.COLOR_BGR2GRAY)],
                    axis=2)[None].astype(np.float32)
    want = _frozen_output(pb, {"STEREO_CAMERAS": pair, "SECTOR_LIDAR": sectors[None]})
    np.testing.assert_allclose(got, want, atol=1e-5)
    with pytest.raises(InferenceError, match="inputs are for sensors"):
        engine.infer_inputs({"STEREO_CAMERAS": pair})
