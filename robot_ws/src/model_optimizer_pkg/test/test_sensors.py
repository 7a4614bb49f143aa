"""Stereo and LIDAR models: converted with one input per sensor; a metadata/network mismatch refused."""
import json

import numpy as np
import pytest

from model_optimizer import convert
from model_optimizer.archive import ModelError
from model_optimizer.sample_model import write_sample_model
from model_optimizer.sensors import input_name, model_inputs, sensor_problem

ACTIONS = [{"steering_angle": s, "speed": 1.0} for s in (-30, 0, 30)]


def _metadata(path, sensors):
    path.write_text(json.dumps({"action_space": ACTIONS, "sensor": sensors}))
    return path


def test_input_names_are_deepracers():
    assert input_name("STEREO_CAMERAS") == \
        "main_level/agent/main/online/network_0/STEREO_CAMERAS/STEREO_CAMERAS"
    assert model_inputs(["STEREO_CAMERAS", "SECTOR_LIDAR"]) == [
        (input_name("STEREO_CAMERAS"), [1, 120, 160, 2]), (input_name("SECTOR_LIDAR"), [1, 8])]
    assert sensor_problem(["FRONT_FACING_CAMERA", "LIDAR"]) == ""


def test_stereo_lidar_model_converts_and_matches_tensorflow(tmp_path):
    import openvino as ov
    import tensorflow as tf

    sensors = ["STEREO_CAMERAS", "LIDAR"]
    pb = write_sample_model(tmp_path / "model.pb", 3, sensors=sensors)
    _metadata(tmp_path / "model_metadata.json", sensors)
    xml, _ = convert(pb, tmp_path / "ir")
    rng = np.random.default_rng(0)
    stereo = rng.uniform(0, 255, (1, 120, 160, 2)).astype(np.float32)
    ranges = rng.uniform(0.15, 1.0, (1, 64)).astype(np.float32)
    compiled = ov.Core().compile_model(str(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    feed = {}
    for port in compiled.inputs:
        names = port.get_names()
        feed[port] = stereo if any("STEREO" in n for n in names) else ranges
    got = compiled(feed)[compiled.output(0)]
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(pb.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        want = session.run(convert.__globals__["OUTPUT_NAME"] + ":0",
                           {input_name("STEREO_CAMERAS") + ":0": stereo, input_name("LIDAR") + ":0": ranges})
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("graph_sensors, metadata_sensors", [
    (["FRONT_FACING_CAMERA"], ["STEREO_CAMERAS"]),
    (["STEREO_CAMERAS"], ["FRONT_FACING_CAMERA"]),
    (["STEREO_CAMERAS", "LIDAR"], ["STEREO_CAMERAS"]),
    (["FRONT_FACING_CAMERA", "SECTOR_LIDAR"], ["FRONT_FACING_CAMERA", "LIDAR"]),
])
def test_metadata_sensors_not_matching_the_network_are_refused(tmp_path, graph_sensors,
                                                                metadata_sensors):
    pb = write_sample_model(tmp_path / "model.pb", 3, sensors=graph_sensors)
    meta = _metadata(tmp_path / "model_metadata.json", metadata_sensors)
    with pytest.raises(ModelError) as error:
        convert(pb, tmp_path / "ir")
    message = str(error.value)
    assert str(pb) in message and str(meta) in message
    assert "do not match" in message and str(metadata_sensors) in message
    assert not (tmp_path / "ir" / "model.xml").exists()
