"""Domain randomization as data: ranges sampled once per reset from a numpy Generator.

A `RandomizationSpec` says how much the scene may vary; `sample(spec, rng)`
draws one `SceneVariation` (a light level, a colour offset per surface and a
camera noise level) that `palette` and `NoiseSource` apply. With the spec
disabled (the default) a sample is the identity: no change, no noise.
"""
from dataclasses import dataclass

import numpy as np
from numba import njit

from .raster import LABEL_NAMES


class RandomizationError(ValueError):
    """A randomization range is malformed."""


@dataclass(frozen=True)
class RandomizationSpec:
    """Ranges of the per-episode scene variation."""

    enabled: bool = False  # master switch; off = the nominal scene, no noise
    light_level: tuple = (0.75, 1.25)  # multiplier range applied to every colour
    road_jitter: int = 12  # +- per RGB channel added to the road colour
    line_jitter: int = 20  # +- per channel for the border and centre lines
    ground_jitter: int = 30  # +- per channel for the ground around the track
    background_jitter: int = 40  # +- per channel for the walls / sky
    noise_sigma: tuple = (0.0, 6.0)  # range of the camera's Gaussian noise std (grey levels)
    # the randomization.json ranges this spec came from (to_spec), or None; the simulator
    # draws the keys beyond appearance from them (episode_effects)
    ranges: object = None

    def __post_init__(self):
        for name in ("light_level", "noise_sigma"):
            low, high = _pair(self, name)
            if not 0.0 <= low <= high:
                raise RandomizationError(f"RandomizationSpec.{name} must be 0 <= low <= high, "
                                         f"got {(low, high)}")
        for name in ("road_jitter", "line_jitter", "ground_jitter", "background_jitter"):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and 0 <= value <= 255):
                raise RandomizationError(f"RandomizationSpec.{name} must be an integer in 0-255, "
                                         f"got {value!r}")


def _pair(spec, name):
    value = getattr(spec, name)
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise RandomizationError(f"RandomizationSpec.{name} must be a (low, high) pair, "
                                 f"got {value!r}") from None
    return low, high


@dataclass(frozen=True)
class SceneVariation:
    """One drawn variation of the scene."""

    light_level: float = 1.0  # multiplier on every colour
    colour_offsets: tuple = ((0, 0, 0),) * len(LABEL_NAMES)  # RGB offset per label, label order
    noise_sigma: float = 0.0  # grey levels, std of the per-pixel camera noise


NOMINAL = SceneVariation()


def sample(spec, rng) -> SceneVariation:
    """Draw one SceneVariation; the nominal scene (drawing nothing) when disabled."""
    if spec is None or not spec.enabled:
        return NOMINAL
    jitter = {"ground": spec.ground_jitter, "road": spec.road_jitter, "border_line": spec.line_jitter,
              "centre_line": spec.line_jitter, "background": spec.background_jitter}
    offsets = tuple(tuple(int(v) for v in rng.integers(-jitter[name], jitter[name] + 1, size=3))
                    for name in LABEL_NAMES)
    return SceneVariation(light_level=float(rng.uniform(*_pair(spec, "light_level"))),
                          colour_offsets=offsets,
                          noise_sigma=float(rng.uniform(*_pair(spec, "noise_sigma"))))


def palette(colours, variation=NOMINAL) -> np.ndarray:
    """(labels, 3) uint8 RGB palette of TrackColours under a SceneVariation."""
    base = colours.palette().astype(np.float64) + np.asarray(variation.colour_offsets)
    return np.clip(np.rint(base * variation.light_level), 0, 255).astype(np.uint8)


_UNIT_BANKS = {}


def _unit_bank(size) -> np.ndarray:
    """`size` standard normal float32 values, the same in every process (fixed seed)."""
    if size not in _UNIT_BANKS:
        _UNIT_BANKS[size] = np.random.default_rng(20261129).standard_normal(size, dtype=np.float32)
    return _UNIT_BANKS[size]


@njit(cache=True, nogil=True, boundscheck=False, error_model="numpy")
def _add_saturating(pixels, noise):
    """pixels (uint8) += noise (int16), clamped to 0-255, in place."""
    for i in range(pixels.shape[0]):
        pixels[i] = np.uint8(min(max(np.int32(pixels[i]) + np.int32(noise[i]), 0), 255))


class NoiseSource:
    """Gaussian pixel noise: a fixed bank of unit normals scaled per reset, read at random
    offsets (drawn from `rng`) per frame. Images larger than half the bank (a 640x480 view
    for a video or the docs) draw fresh noise from a generator of their own, so that
    rendering them leaves `rng`, and the frames the agent sees, as they were."""

    BANK_SIZE = 1 << 17  # values in the bank (more than twice a 160x120x3 frame)

    def __init__(self, sigma, rng):
        self.sigma = float(sigma)
        self._rng = rng
        self._large_rng = None
        self._bank = None
        if self.sigma > 0:  # the process's unit bank scaled: a reset costs little
            self._bank = np.rint(_unit_bank(self.BANK_SIZE) * self.sigma).astype(np.int16)

    def apply(self, image) -> np.ndarray:
        """Add noise to a uint8 image in place (saturating) and return it."""
        if self._bank is None:
            return image
        if not image.flags.c_contiguous:
            raise ValueError("NoiseSource.apply needs a C-contiguous image")
        flat = image.reshape(-1)
        n = flat.size
        if n * 2 <= self.BANK_SIZE:
            start = int(self._rng.integers(0, self.BANK_SIZE - n))
            noise = self._bank[start:start + n]
        else:  # large images (videos, docs) draw fresh noise, not from the agent's generator
            if self._large_rng is None:
                self._large_rng = np.random.default_rng([int(round(self.sigma * 1e6)), 17])
            noise = np.rint(self._large_rng.standard_normal(n, dtype=np.float32) * self.sigma).astype(np.int16)
        _add_saturating(flat, noise)
        return image
