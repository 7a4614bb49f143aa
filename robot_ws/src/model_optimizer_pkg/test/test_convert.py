"""model.pb / model.tar.gz -> OpenVINO IR: outputs match the frozen graph, bad models fail clearly."""
import os

import numpy as np
import pytest

from deepracer_inference import InferenceEngine
from model_optimizer import (INPUT_NAME, ModelError, convert, ensure_ir, pack_model)
from model_optimizer.sample_model import write_sample_model

ACTIONS = [(-30, 0.6), (-15, 1.0), (0, 1.5), (15, 1.0), (30, 0.6)]  # what write_metadata writes


@pytest.fixture(scope="module")
def shallow_model(tmp_path_factory, write_metadata):
    """A DEEP_CONVOLUTIONAL_NETWORK_SHALLOW-sized random policy with its metadata beside it."""
    folder = tmp_path_factory.mktemp("shallow")
    write_metadata(folder / "model_metadata.json")
    return write_sample_model(folder / "model.pb", len(ACTIONS), network="shallow", seed=1)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, write_metadata):
    folder = tmp_path_factory.mktemp("tiny")
    write_metadata(folder / "model_metadata.json")
    return write_sample_model(folder / "model.pb", len(ACTIONS), seed=2)


@pytest.mark.parametrize("precision, tolerance", [("FP32", 1e-5), ("FP16", 1e-2)])
def test_ir_matches_the_frozen_graph(shallow_model, road_observations, frozen_graph, tmp_path,
                                     precision, tolerance):
    xml_path, bin_path = convert(shallow_model, tmp_path, precision)
    assert xml_path == tmp_path / "model.xml" and bin_path.is_file()
    assert (tmp_path / "model_metadata.json").read_text() == \
        (shallow_model.parent / "model_metadata.json").read_text()
    reference, engine = frozen_graph(shallow_model), InferenceEngine(xml_path)
    expected = np.array([reference(obs) for obs in road_observations])
    actual = np.array([engine.infer_observation(obs) for obs in road_observations])
    assert np.abs(actual - expected).max() <= tolerance
    # the comparison means something: the policy's choice depends on the image
    assert expected.std(axis=0).max() > 0.05 and len(set(expected.argmax(1))) > 1
    if precision == "FP16":  # weights stored in half precision: about half the size
        assert bin_path.stat().st_size < 0.6 * (shallow_model.stat().st_size)


def test_continuous_model(tmp_path, road_observations, write_metadata, frozen_graph):
    write_metadata(tmp_path / "model_metadata.json", continuous=True)
    pb = write_sample_model(tmp_path / "model.pb", 2, continuous=True, seed=4)
    xml_path, _ = convert(pb, tmp_path / "ir")
    reference, engine = frozen_graph(pb), InferenceEngine(xml_path)
    for obs in road_observations[:4]:
        out = engine.infer_observation(obs)
        assert out.shape == (2,) and np.all(np.abs(out) <= 1.0)
        np.testing.assert_allclose(out, reference(obs), atol=1e-5)


def test_car_package_round_trip(tiny_model, tmp_path, road_observations, frozen_graph):
    archive = pack_model(tiny_model, tiny_model.parent / "model_metadata.json", tmp_path / "model.tar.gz")
    xml_path, _ = convert(archive, tmp_path / "ir")
    assert sorted(p.name for p in (tmp_path / "ir").iterdir()) == ["model.bin", "model.xml",
                                                                    "model_metadata.json"]
    np.testing.assert_allclose(InferenceEngine(xml_path).infer_observation(road_observations[0]),
                               frozen_graph(tiny_model)(road_observations[0]), atol=1e-5)


def _graph_with_names(path, input_name, output_name):
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        image = tf.compat.v1.placeholder(tf.float32, [1, 120, 160, 1], name=input_name)
        tf.nn.softmax(tf.reduce_mean(image, axis=[1, 2]) * tf.ones([1, len(ACTIONS)]), name=output_name)
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


@pytest.mark.parametrize("input_name, output_name, missing", [
    ("image", "main_level/agent/main/online/network_1/ppo_head_0/policy", "input node " + INPUT_NAME),
    (INPUT_NAME, "policy", "output node main_level/agent/main/online/network_1/ppo_head_0/policy"),
])
def test_missing_contract_node_is_named(tmp_path, write_metadata, input_name, output_name, missing):
    write_metadata(tmp_path / "model_metadata.json")
    pb = _graph_with_names(tmp_path / "model.pb", input_name, output_name)
    with pytest.raises(ModelError) as error:
        convert(pb, tmp_path / "ir")
    assert str(pb) in str(error.value) and f"the graph has no {missing}" in str(error.value)
    assert not (tmp_path / "ir" / "model.xml").exists()


def test_not_a_graph(tmp_path, write_metadata):
    write_metadata(tmp_path / "model_metadata.json")
    pb = tmp_path / "model.pb"
    pb.write_bytes(b"\x00\x01 this is not a protobuf \xff" * 10)
    with pytest.raises(ModelError, match=rf"{pb}: not a TensorFlow frozen graph"):
        convert(pb, tmp_path / "ir")


def test_action_count_mismatch_names_both_numbers_and_the_metadata(tiny_model, tmp_path,
                                                                   write_metadata):
    metadata = write_metadata(tmp_path / "three.json", ACTIONS[:3])
    with pytest.raises(ModelError) as error:
        convert(tiny_model, tmp_path / "ir", metadata_path=metadata)
    message = str(error.value)
    assert "outputs 5 values" in message and "lists 3 actions" in message and str(metadata) in message
    continuous = write_metadata(tmp_path / "continuous.json", continuous=True)
    with pytest.raises(ModelError, match=rf"outputs 5 values .* continuous action space of {continuous} needs 2"):
        convert(tiny_model, tmp_path / "ir", metadata_path=continuous)


def test_archive_without_graph(tmp_path, tiny_model):
    import tarfile

    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tiny_model.parent / "model_metadata.json", arcname="model_metadata.json")
    with pytest.raises(ModelError, match=rf"{archive}: the archive has no agent/model.pb"):
        convert(archive, tmp_path / "ir")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"junk")
    with pytest.raises(ModelError, match=rf"{broken}: not a readable tar.gz archive"):
        convert(broken, tmp_path / "ir", metadata_path=tiny_model.parent / "model_metadata.json")


def test_bad_precision(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="precision must be one of FP32, FP16, got 'INT8'"):
        convert(tiny_model, tmp_path, "INT8")


def test_ensure_ir_converts_once_per_model_and_precision(tiny_model, tmp_path):
    cache = tmp_path / "cache"
    first = ensure_ir(tiny_model, cache)
    stamp = os.stat(first).st_mtime_ns
    again = ensure_ir(tiny_model, cache)
    assert again == first and os.stat(again).st_mtime_ns == stamp
    half = ensure_ir(tiny_model, cache, "FP16")
    assert half.parent != first.parent and half.parent.name.startswith("model-FP16-")
    assert ensure_ir(first, cache) == first  # an IR is used as it is
    assert sorted(p.name for p in cache.iterdir()) == sorted([first.parent.name, half.parent.name])
