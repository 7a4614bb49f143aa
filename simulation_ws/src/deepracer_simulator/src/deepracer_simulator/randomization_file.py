"""randomization.json: what varies per episode, as ranges in a file or a shipped preset.

`load_randomization(path_or_name)` reads a file (or one of the presets `none`,
`standard`, `strong` shipped in presets/) into a frozen `RandomizationRanges`;
unknown keys, malformed or reversed ranges and negative noise raise
RandomizationError naming the file and the key, so a bad file stops a run
before training starts. `draw(ranges, rng)` samples one episode's values
(`EpisodeRandomization`) from the env's np_random; `to_spec(ranges)` maps the
appearance part onto the simulator's existing RandomizationSpec.

Every key is optional ([low, high], the nominal value when absent):
light_level, noise_sigma (grey levels), colour_jitter (0-255, +-per channel),
motion_blur_px_per_mps, jpeg_quality (1-100; 100 = no JPEG), latency_prob
(probability of a one-frame latency per episode), focal_scale,
distortion_jitter, principal_jitter_px, mount_height_m (offset), mount_pitch_deg
(offset), speed_gain, steering_gain, steering_offset_deg,
speed_time_constant_scale, grip.

World keys (the realistic world, deepracer_simulator.world; `WORLD_KEYS`): with
`scene_seed` present the simulator draws the realistic world instead of the flat one.
scene_seed (integers: which baked scene, room and floor material), light_azimuth_deg,
light_elevation_deg, ambient_level (0-1), shadow_strength (0-1), shadow_period_m,
white_balance_shift, vignetting (0-1), glare, distractors (integers 0-12). Absent, a
world key keeps its nominal value (world.WorldEpisode).
"""
import json
from dataclasses import dataclass, fields
from pathlib import Path

from .randomization import RandomizationError, RandomizationSpec

PRESETS = ("none", "standard", "strong", "heldout")  # heldout: the transfer check (wider than strong)
PRESET_DIR = Path(__file__).with_name("presets")


@dataclass(frozen=True)
class RandomizationRanges:
    """[low, high] ranges of one randomization file; nominal (no variation) by default."""

    light_level: tuple = (1.0, 1.0)  # multiplier on every colour
    noise_sigma: tuple = (0.0, 0.0)  # grey levels, camera Gaussian noise std
    colour_jitter: tuple = (0.0, 0.0)  # +- RGB offset per surface (0-255)
    motion_blur_px_per_mps: tuple = (0.0, 0.0)  # px of blur per m/s of speed
    jpeg_quality: tuple = (100.0, 100.0)  # JPEG quality 1-100; 100 = no compression
    latency_prob: tuple = (0.0, 0.0)  # probability of one frame of latency in an episode
    focal_scale: tuple = (1.0, 1.0)  # multiplier on fx, fy
    distortion_jitter: tuple = (0.0, 0.0)  # +- added to each distortion coefficient
    principal_jitter_px: tuple = (0.0, 0.0)  # +- px (native) on cx, cy
    mount_height_m: tuple = (0.0, 0.0)  # m, offset of the camera height from the URDF
    mount_pitch_deg: tuple = (0.0, 0.0)  # deg, offset of the camera pitch from the URDF
    speed_gain: tuple = (1.0, 1.0)  # multiplier on the commanded speed
    steering_gain: tuple = (1.0, 1.0)  # multiplier on the commanded steering angle
    steering_offset_deg: tuple = (0.0, 0.0)  # deg added to the steering angle
    speed_time_constant_scale: tuple = (1.0, 1.0)  # multiplier on the speed time constant
    grip: tuple = (1.0, 1.0)  # multiplier on tyre grip
    # The realistic world (world.WorldEpisode); None = absent. scene_seed turns it on.
    scene_seed: tuple = None  # integers, the baked scene (room, floor material, mat wear, objects)
    light_azimuth_deg: tuple = None  # deg, where the directional light comes from
    light_elevation_deg: tuple = None  # deg above the horizon
    ambient_level: tuple = None  # 0-1, share of ambient light
    shadow_strength: tuple = None  # 0-1, darkness of the shadow bands on the floor
    shadow_period_m: tuple = None  # m between shadow bands
    white_balance_shift: tuple = None  # red gain 1 + shift, blue gain 1 - shift
    vignetting: tuple = None  # 0-1, brightness lost in the image corners
    glare: tuple = None  # specular glint strength on glossy surfaces
    distractors: tuple = None  # integers, how many distractor objects stand outside the track


# key -> (minimum allowed low, maximum allowed high); None = unbounded.
_BOUNDS = {
    "light_level": (0.0, None), "noise_sigma": (0.0, None), "colour_jitter": (0.0, 255.0),
    "motion_blur_px_per_mps": (0.0, None), "jpeg_quality": (1.0, 100.0), "latency_prob": (0.0, 1.0),
    "focal_scale": (1e-3, None), "distortion_jitter": (0.0, None), "principal_jitter_px": (0.0, None),
    "mount_height_m": (None, None), "mount_pitch_deg": (-45.0, 45.0), "speed_gain": (1e-3, None),
    "steering_gain": (1e-3, None), "steering_offset_deg": (-30.0, 30.0),
    "speed_time_constant_scale": (1e-3, None), "grip": (1e-3, None),
    "scene_seed": (0.0, 2.0**31 - 1), "light_azimuth_deg": (-360.0, 360.0),
    "light_elevation_deg": (1.0, 89.0), "ambient_level": (0.0, 1.0), "shadow_strength": (0.0, 1.0),
    "shadow_period_m": (0.05, None), "white_balance_shift": (-0.5, 0.5), "vignetting": (0.0, 1.0),
    "glare": (0.0, 4.0), "distractors": (0.0, 12.0),
}
_KEYS = tuple(f.name for f in fields(RandomizationRanges))
WORLD_KEYS = _KEYS[_KEYS.index("scene_seed"):]
_INTEGER_KEYS = ("scene_seed", "distractors")
_EFFECT_KEYS = _KEYS[:_KEYS.index("scene_seed")]  # what draw() samples (the world: world.draw_world)


@dataclass(frozen=True)
class EpisodeRandomization:
    """One episode's drawn values (the field names of RandomizationRanges)."""

    values: tuple  # ((key, value), ...) in RandomizationRanges field order

    def __getitem__(self, key):
        return dict(self.values)[key]


def _range(source, key, value):
    if not (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise RandomizationError(f"{source}: {key} must be a [low, high] pair of numbers, got {value!r}")
    low, high = float(value[0]), float(value[1])
    if low > high:
        raise RandomizationError(f"{source}: {key} range is reversed: low {low} > high {high}")
    min_low, max_high = _BOUNDS[key]
    if min_low is not None and low < min_low:
        what = "negative" if min_low == 0 else f"below {min_low}"
        raise RandomizationError(f"{source}: {key} must not be {what}, got low {low}")
    if max_high is not None and high > max_high:
        raise RandomizationError(f"{source}: {key} must be at most {max_high}, got high {high}")
    if key in _INTEGER_KEYS and not (low.is_integer() and high.is_integer()):
        raise RandomizationError(f"{source}: {key} must be a [low, high] pair of integers, got {value!r}")
    return low, high


def ranges_from_dict(data, source="<dict>") -> RandomizationRanges:
    """Validated RandomizationRanges from a mapping; errors name `source` and the key."""
    if not isinstance(data, dict):
        raise RandomizationError(f"{source}: expected a JSON object of ranges")
    for key in data:
        if key not in _KEYS:
            raise RandomizationError(f"{source}: unknown key {key!r} (accepted: {', '.join(_KEYS)})")
    return RandomizationRanges(**{k: _range(source, k, v) for k, v in data.items()})


def resolve_path(path_or_name) -> Path:
    """A preset name (none, standard, strong) -> its shipped file; anything else is a path."""
    text = str(path_or_name).strip()
    return PRESET_DIR / f"{text}.json" if text in PRESETS else Path(text)


def load_randomization(path_or_name) -> RandomizationRanges:
    """RandomizationRanges from a randomization.json path or a preset name."""
    path = resolve_path(path_or_name)
    try:
        text = path.read_text()
    except OSError as exc:
        raise RandomizationError(f"{path}: cannot read the randomization file ({exc.strerror}); "
                                 f"give a path or one of the presets {', '.join(PRESETS)}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RandomizationError(f"{path}: not valid JSON: line {exc.lineno}: {exc.msg}") from None
    return ranges_from_dict(data, str(path))


def draw(ranges, rng) -> EpisodeRandomization:
    """One episode's values, uniform in each range, from `rng` (the env's np_random); the world
    keys are drawn by world.draw_world."""
    return EpisodeRandomization(tuple((k, float(rng.uniform(*getattr(ranges, k)))) for k in _EFFECT_KEYS))


def to_spec(ranges) -> RandomizationSpec:
    """The appearance part as the simulator's RandomizationSpec (enabled unless nominal)."""
    jitter = int(round(ranges.colour_jitter[1]))
    enabled = ranges != RandomizationRanges()
    return RandomizationSpec(enabled=enabled, light_level=ranges.light_level, road_jitter=jitter,
                             line_jitter=jitter, ground_jitter=jitter, background_jitter=jitter,
                             noise_sigma=ranges.noise_sigma, ranges=ranges)
