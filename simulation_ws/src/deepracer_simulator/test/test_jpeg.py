"""The emulated JPEG round trip (deepracer_simulator.jpeg) against cv2's libjpeg."""
import dataclasses

import cv2
import numpy as np
import pytest

from deepracer_simulator.jpeg import JpegEmulator, jpeg_roundtrip, scaled_quant_table, STD_LUMA_QT


def _cv2_roundtrip(rgb, quality):
    ok, data = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[:, :, ::-1]


@pytest.fixture(scope="module")
def frames(reinvent, car):
    """Frames of the realistic world (standard preset, wide-angle lens) and one of noise."""
    from deepracer_camera.lens import default_camera
    from deepracer_simulator import Simulator
    from deepracer_simulator.randomization_file import load_randomization, to_spec
    ranges = dataclasses.replace(load_randomization("standard"), jpeg_quality=(100, 100))
    sim = Simulator(reinvent, car, seed=5, lens=default_camera(), randomization=to_spec(ranges))
    shots = []
    for s in (0.0, 4.0, 9.5):
        sim.reset(*reinvent.pose_at(s))
        shots.append(sim.render(160, 120).copy())
    shots.append(np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8))
    return shots


@pytest.mark.parametrize("quality", [20, 60, 75, 90, 95])
def test_round_trip_has_the_artefacts_of_libjpeg(frames, quality):
    for k, rgb in enumerate(frames):
        ours, theirs = jpeg_roundtrip(rgb, quality), _cv2_roundtrip(rgb, quality)
        assert ours.shape == rgb.shape and ours.dtype == np.uint8
        # the float DCT's +-1 level; pure noise (the last frame) has the most coefficients on edges
        assert np.abs(ours.astype(int) - theirs).mean() < (0.6 if k < 3 else 1.0)
        rms = [np.sqrt(((a.astype(float) - rgb) ** 2).mean()) for a in (ours, theirs)]
        assert rms[0] == pytest.approx(rms[1], rel=0.03), (quality, rms)


def test_round_trip_in_place_is_deterministic_and_100_is_untouched(frames):
    rgb = frames[1]
    once = jpeg_roundtrip(rgb, 70)
    inplace = rgb.copy()
    assert jpeg_roundtrip(inplace, 70, out=inplace) is inplace
    assert np.array_equal(inplace, once) and np.array_equal(jpeg_roundtrip(rgb, 70), once)
    assert np.array_equal(jpeg_roundtrip(rgb, 100), rgb)


def test_other_sizes_and_refusal_of_the_rest():
    rgb = np.random.default_rng(2).integers(0, 256, (56, 96, 3), dtype=np.uint8)
    rgb = cv2.GaussianBlur(rgb, (5, 5), 2.0)  # some structure, as a camera frame has
    assert np.abs(jpeg_roundtrip(rgb, 80).astype(int) - _cv2_roundtrip(rgb, 80)).mean() < 0.6
    for h, w in ((121, 160), (120, 168)):
        with pytest.raises(ValueError, match="multiple of 8"):
            JpegEmulator(h, w)


def test_quality_scaling_is_libjpegs():
    assert scaled_quant_table(STD_LUMA_QT, 50)[0, 0] == 16  # the table itself at 50
    assert scaled_quant_table(STD_LUMA_QT, 100).max() == 1
    assert scaled_quant_table(STD_LUMA_QT, 10)[0, 0] == 80  # 5000 / 10 = 500 %
