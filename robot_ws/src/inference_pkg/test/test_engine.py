"""Inference engine: the car's preprocessing matches training, bad models and images fail clearly."""
import cv2
import numpy as np
import pytest

from deepracer_inference import InferenceEngine, preprocess
from deepracer_inference.engine import InferenceError


def test_preprocess_is_the_luma_of_the_frame_as_raw_values():
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    obs = preprocess(bgr)
    assert obs.shape == (1, 120, 160, 1) and obs.dtype == np.float32
    b, g, r = (bgr[..., i].astype(np.float64) for i in range(3))
    luma = 0.299 * r + 0.587 * g + 0.114 * b  # ITU-R BT.601, what cv2 BGR2GRAY computes
    assert np.abs(obs[0, :, :, 0] - luma).max() <= 1.0
    # the simulator's grey observation (cv2 RGB2GRAY of its RGB image) is the same
    assert np.array_equal(obs[0, :, :, 0], cv2.cvtColor(bgr[..., ::-1].copy(), cv2.COLOR_RGB2GRAY))


def test_preprocess_resizes_other_frame_sizes():
    bgr = np.zeros((480, 640, 3), np.uint8)
    bgr[:, 320:] = 200  # right half bright
    obs = preprocess(bgr)[0, :, :, 0]
    assert obs.shape == (120, 160)
    assert obs[:, :79].max() == 0 and obs[:, 81:].min() == pytest.approx(cv2.cvtColor(
        np.full((1, 1, 3), 200, np.uint8), cv2.COLOR_BGR2GRAY)[0, 0])


def test_preprocess_accepts_grey_and_reuses_the_output_buffer():
    grey = np.arange(120 * 160, dtype=np.uint32).reshape(120, 160).astype(np.uint8)
    out = np.empty((1, 120, 160, 1), np.float32)
    assert preprocess(grey, out=out) is out and np.array_equal(out[0, :, :, 0], grey)


@pytest.mark.parametrize("image", [np.zeros((120, 160, 3), np.float32), np.zeros((120, 160, 4), np.uint8),
                                   np.zeros((120,), np.uint8)])
def test_preprocess_rejects_other_images(image):
    with pytest.raises(InferenceError, match="expected a uint8 BGR"):
        preprocess(image)


def test_engine_names_a_missing_or_broken_model(tmp_path):
    with pytest.raises(InferenceError, match=rf"{tmp_path / 'nope.xml'}: no such model file"):
        InferenceEngine(tmp_path / "nope.xml")
    broken = tmp_path / "broken.xml"
    broken.write_text("<net>")
    with pytest.raises(InferenceError, match=rf"{broken}: not an OpenVINO IR"):
        InferenceEngine(broken)


def test_engine_rejects_a_model_with_another_input_shape(tmp_path):
    import openvino as ov
    import openvino.opset13 as ops

    image = ops.parameter([1, 84, 84, 1], np.float32)
    ov.save_model(ov.Model([ops.relu(image)], [image]), str(tmp_path / "other.xml"))
    expected = r"expected one input of shape \[1, 120, 160, 1\], got \['\[1,84,84,1\]'\]"
    with pytest.raises(InferenceError, match=expected):
        InferenceEngine(tmp_path / "other.xml")


def test_engine_runs_a_frame(tmp_path):
    import openvino as ov
    import openvino.opset13 as ops

    image = ops.parameter([1, 120, 160, 1], np.float32)
    mean = ops.reduce_mean(image, np.array([1, 2, 3]), keep_dims=False)  # (1,)
    out = ops.concat([mean, ops.multiply(mean, np.float32(2.0))], 0)  # (2,) -> reshape (1, 2)
    ov.save_model(ov.Model([ops.reshape(out, np.array([1, 2]), False)], [image]), str(tmp_path / "m.xml"))
    engine = InferenceEngine(tmp_path / "m.xml")
    assert engine.n_outputs == 2
    np.testing.assert_allclose(engine.infer(np.full((120, 160, 3), 100, np.uint8)), [100.0, 200.0], rtol=1e-6)
