"""Domain randomization: off by default, seeded, within its ranges."""
import numpy as np
import pytest

from deepracer_simulator.randomization import (NOMINAL, NoiseSource, RandomizationError, RandomizationSpec,
                                               SceneVariation, palette, sample)
from deepracer_simulator.raster import LABEL_NAMES, TrackColours


def test_disabled_spec_draws_nothing():
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    assert sample(RandomizationSpec(), rng) is NOMINAL
    assert sample(None, rng) is NOMINAL
    assert rng.bit_generator.state == before
    assert np.array_equal(palette(TrackColours(), NOMINAL), TrackColours().palette())


def test_enabled_spec_draws_within_ranges_and_repeats_with_the_seed():
    spec = RandomizationSpec(enabled=True, light_level=(0.5, 0.6), road_jitter=5, noise_sigma=(1.0, 2.0))
    draws = [sample(spec, np.random.default_rng(seed)) for seed in range(50)]
    assert all(0.5 <= d.light_level <= 0.6 and 1.0 <= d.noise_sigma <= 2.0 for d in draws)
    road = LABEL_NAMES.index("road")
    assert all(max(abs(c) for c in d.colour_offsets[road]) <= 5 for d in draws)
    assert len({d.light_level for d in draws}) == 50
    assert sample(spec, np.random.default_rng(7)) == sample(spec, np.random.default_rng(7))


def test_palette_applies_light_then_clips():
    colours = TrackColours(road=(100, 200, 250))
    dim = palette(colours, SceneVariation(light_level=0.5))
    assert dim[LABEL_NAMES.index("road")].tolist() == [50, 100, 125]
    bright = palette(colours, SceneVariation(light_level=2.0))
    assert bright[LABEL_NAMES.index("road")].tolist() == [200, 255, 255]


def test_noise_has_its_sigma_and_saturates():
    rng = np.random.default_rng(0)
    grey = np.full((120, 160, 3), 128, dtype=np.uint8)
    noisy = NoiseSource(5.0, rng).apply(grey.copy())
    assert np.std(noisy.astype(float)) == pytest.approx(5.0, rel=0.05)
    white = NoiseSource(5.0, rng).apply(np.full((120, 160), 255, dtype=np.uint8))
    assert white.max() == 255 and white.mean() < 254  # clipped, not wrapped round to 0-ish
    assert white.min() > 200
    untouched = NoiseSource(0.0, rng).apply(grey.copy())
    assert np.array_equal(untouched, grey)


def test_a_large_view_leaves_the_agents_frames_as_they_were(reinvent, car):
    """A 640x480 render between steps (a video's frame) draws its noise apart: the 160x120
    frames and the episode draws that follow are the same as without it."""
    from deepracer_simulator import Simulator
    spec = RandomizationSpec(enabled=True, noise_sigma=(4.0, 4.0))
    plain, watched = (Simulator(reinvent, car, seed=3, randomization=spec) for _ in range(2))
    for episode in range(2):
        for sim in (plain, watched):
            sim.reset(*reinvent.pose_at(2.0 * episode))
        for _ in range(3):
            for sim in (plain, watched):
                sim.set_drive(0.1, 1.0)
                sim.step_frame()
            view = watched.render(640, 480)
            assert view.std() > 0
            assert np.array_equal(plain.render(160, 120), watched.render(160, 120))
    assert plain.variation == watched.variation


@pytest.mark.parametrize("field, value", [("light_level", (1.2, 0.8)), ("noise_sigma", (-1.0, 2.0)),
                                          ("road_jitter", 300), ("light_level", "bright")])
def test_bad_spec_names_the_field(field, value):
    with pytest.raises(RandomizationError, match=f"RandomizationSpec.{field}"):
        RandomizationSpec(**{field: value})
