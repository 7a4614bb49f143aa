"""randomization.json: presets load, strict errors name file and key, draws are seeded and in range."""
import json

import numpy as np
import pytest

from deepracer_simulator.randomization import RandomizationError, RandomizationSpec
from deepracer_simulator.randomization_file import (PRESETS, RandomizationRanges, draw,
                                                    load_randomization, to_spec)


def test_presets_load_and_grow():
    ranges = {name: load_randomization(name) for name in PRESETS}
    assert ranges["none"] == RandomizationRanges()
    assert not to_spec(ranges["none"]).enabled and to_spec(ranges["standard"]).enabled
    assert isinstance(to_spec(ranges["strong"]), RandomizationSpec)
    for key in ("noise_sigma", "speed_gain", "grip", "mount_pitch_deg"):
        std, strong = getattr(ranges["standard"], key), getattr(ranges["strong"], key)
        assert strong[0] <= std[0] and std[1] <= strong[1] and std[0] < std[1], key


def test_heldout_is_at_least_as_wide_as_strong_and_wider_in_appearance():
    strong, heldout = load_randomization("strong"), load_randomization("heldout")
    from deepracer_simulator.randomization_file import WORLD_KEYS
    keys = [key for key, _ in draw(strong, np.random.default_rng(0)).values] + list(WORLD_KEYS)
    for key in keys:
        (s_low, s_high), (h_low, h_high) = getattr(strong, key), getattr(heldout, key)
        if key == "scene_seed":  # unseen rooms: disjoint from every training preset's scenes
            assert all(h_low > getattr(load_randomization(p), key)[1] for p in ("standard", "strong"))
            continue
        assert h_low <= s_low and s_high <= h_high, key
    for key in ("light_level", "noise_sigma", "colour_jitter", "motion_blur_px_per_mps", "jpeg_quality"):
        assert getattr(heldout, key) != getattr(strong, key), key


def test_draw_is_deterministic_per_seed():
    ranges = load_randomization("standard")
    a = draw(ranges, np.random.default_rng(7))
    assert a == draw(ranges, np.random.default_rng(7))
    assert a != draw(ranges, np.random.default_rng(8))


def test_sampled_extremes_stay_in_range():
    ranges = load_randomization("strong")
    rng = np.random.default_rng(0)
    draws = [draw(ranges, rng) for _ in range(2000)]
    for key, _ in draws[0].values:
        low, high = getattr(ranges, key)
        values = np.array([d[key] for d in draws])
        assert low <= values.min() and values.max() <= high, key
        assert values.min() < low + 0.02 * (high - low) and values.max() > high - 0.02 * (high - low), key


@pytest.mark.parametrize("content, key, words", [
    ({"light_levl": [0.5, 1.5]}, "light_levl", "unknown key"),
    ({"speed_gain": [1.2, 0.8]}, "speed_gain", "reversed"),
    ({"noise_sigma": [-1.0, 3.0]}, "noise_sigma", "negative"),
    ({"grip": 0.9}, "grip", "pair"),
    ({"jpeg_quality": [50, 120]}, "jpeg_quality", "at most"),
])
def test_malformed_file_names_file_and_key(tmp_path, content, key, words):
    path = tmp_path / "randomization.json"
    path.write_text(json.dumps(content))
    with pytest.raises(RandomizationError) as err:
        load_randomization(path)
    assert str(path) in str(err.value) and key in str(err.value) and words in str(err.value)


def test_broken_json_and_missing_file(tmp_path):
    (tmp_path / "bad.json").write_text('{"grip": [0.9, 1.0],\n "speed_gain": }')
    with pytest.raises(RandomizationError, match=r"bad.json: not valid JSON: line 2"):
        load_randomization(tmp_path / "bad.json")
    with pytest.raises(RandomizationError, match="nope.json.*presets none, standard, strong"):
        load_randomization(tmp_path / "nope.json")
