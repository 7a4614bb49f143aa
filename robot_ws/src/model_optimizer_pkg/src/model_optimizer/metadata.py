"""model_metadata.json on the car: the sensor and the action space a model was trained with.

The format is DeepRacer's (see docs/car.md): a discrete action space is a list of
{"steering_angle": deg, "speed": m/s} objects (optional "index"), a continuous one an
object {"steering_angle": {"low", "high"}, "speed": {"low", "high"}}. As in training,
discrete actions are clipped to +-30 degrees and [0.1, 4] m/s when read; continuous
ranges are kept raw (an output is scaled onto the raw range, then clipped).
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

from model_optimizer.sensors import sensor_problem

FRONT_FACING_CAMERA = "FRONT_FACING_CAMERA"
STEERING_LIMIT_DEG = 30.0  # |steering| is clipped to this in training, degrees
SPEED_LIMITS_MPS = (0.1, 4.0)  # speeds are clipped to this range in training, m/s
_KEYS = ("action_space", "sensor", "neural_network", "training_algorithm",
         "action_space_type", "version")


class MetadataError(ValueError):
    """A model_metadata.json the car cannot use; the message names the file and the field."""


@dataclass(frozen=True)
class ActionSpace:
    """The actions a policy outputs, in the units of model_metadata.json."""

    kind: str  # "discrete" or "continuous"
    actions: Tuple[Tuple[float, float], ...] = ()  # discrete: (steering deg, speed m/s) per index
    steering_range: Tuple[float, float] = (-30.0, 30.0)  # continuous: raw (low, high), degrees
    speed_range: Tuple[float, float] = (0.5, 2.0)  # continuous: raw (low, high), m/s

    @property
    def n_outputs(self) -> int:
        """The size of the policy output: the number of actions, or 2 (continuous)."""
        return 2 if self.kind == "continuous" else len(self.actions)

    @property
    def max_steering_deg(self) -> float:
        """The largest |steering| the policy can ask for, after clipping, degrees."""
        if self.kind == "continuous":
            return max(abs(clip_steering(v)) for v in self.steering_range)
        return max(abs(s) for s, _ in self.actions)

    @property
    def max_speed(self) -> float:
        """The largest speed the policy can ask for, after clipping, m/s."""
        if self.kind == "continuous":
            return clip_speed(self.speed_range[1])
        return max(v for _, v in self.actions)


@dataclass(frozen=True)
class ModelMetadata:
    """What the car needs from model_metadata.json."""

    action_space: ActionSpace  # the policy's actions
    sensor: Tuple[str, ...]  # observation sources: one camera sensor, at most one LIDAR (sensors.py)
    path: str  # where it was read from (for error messages)


def clip_steering(deg: float) -> float:
    return max(-STEERING_LIMIT_DEG, min(STEERING_LIMIT_DEG, deg))


def clip_speed(mps: float) -> float:
    return max(SPEED_LIMITS_MPS[0], min(SPEED_LIMITS_MPS[1], mps))


def load_model_metadata(path, text=None) -> ModelMetadata:
    """Read model_metadata.json at `path` (or parse `text`, naming it `path` in errors)."""
    source = str(path)
    try:
        data = json.loads(Path(path).read_text() if text is None else text)
    except OSError as error:
        raise MetadataError(f"{source}: cannot read model metadata ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise MetadataError(f"{source}: not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(data, dict):
        raise MetadataError(f"{source}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise MetadataError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})")
    if "action_space" not in data:
        raise MetadataError(f"{source}: missing key 'action_space'")
    return ModelMetadata(action_space=_action_space(data, source), sensor=_sensor(data, source),
                         path=source)


def _action_space(data, source) -> ActionSpace:
    raw, declared = data["action_space"], data.get("action_space_type")
    form = "continuous" if isinstance(raw, dict) else "discrete"
    if declared not in (None, "discrete", "continuous"):
        raise MetadataError(f"{source}: action_space_type: expected 'discrete' or 'continuous', "
                            f"got {declared!r}")
    if declared is not None and declared != form:
        raise MetadataError(f"{source}: action_space_type is {declared!r} but action_space is "
                            f"{'an object' if form == 'continuous' else 'not an object'}")
    if form == "continuous":
        return ActionSpace("continuous", steering_range=_range(raw, "steering_angle", source),
                           speed_range=_range(raw, "speed", source))
    if not isinstance(raw, list) or not raw:
        raise MetadataError(f"{source}: action_space: expected a non-empty list of "
                            f"{{\"steering_angle\", \"speed\"}} objects, got {raw!r}")
    return ActionSpace("discrete", actions=tuple(_action(entry, i, source) for i, entry in enumerate(raw)))


def _action(entry, i, source) -> Tuple[float, float]:
    where = f"action_space[{i}]"
    if not isinstance(entry, dict):
        raise MetadataError(f"{source}: {where}: expected an object, got {entry!r}")
    for key in entry:
        if key not in ("steering_angle", "speed", "index"):
            raise MetadataError(f"{source}: {where}: unknown key {key!r}")
    steering = _number(entry, "steering_angle", f"{where}.steering_angle", source)
    speed = _number(entry, "speed", f"{where}.speed", source)
    if speed <= 0:
        raise MetadataError(f"{source}: {where}.speed: must be > 0 m/s, got {speed}")
    return clip_steering(steering), clip_speed(speed)


def _range(raw, key, source) -> Tuple[float, float]:
    bounds = raw.get(key)
    if not isinstance(bounds, dict):
        raise MetadataError(f"{source}: action_space.{key}: expected {{\"low\", \"high\"}}, got {bounds!r}")
    low = _number(bounds, "low", f"action_space.{key}.low", source)
    high = _number(bounds, "high", f"action_space.{key}.high", source)
    if low > high:
        raise MetadataError(f"{source}: action_space.{key}: low {low} is greater than high {high}")
    if key == "speed" and low <= 0:
        raise MetadataError(f"{source}: action_space.speed.low: must be > 0 m/s, got {low}")
    return low, high  # raw, as training scales onto it (the drive command is clipped after)


def _number(obj, key, where, source) -> float:
    if key not in obj:
        raise MetadataError(f"{source}: {where}: missing")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MetadataError(f"{source}: {where}: expected a finite number, got {value!r}")
    return float(value)


def _sensor(data, source) -> Tuple[str, ...]:
    sensors = data.get("sensor", [FRONT_FACING_CAMERA])
    if not isinstance(sensors, list) or not sensors:
        raise MetadataError(f"{source}: sensor: expected a list such as [\"{FRONT_FACING_CAMERA}\"], "
                            f"got {sensors!r}")
    problem = sensor_problem(sensors)
    if problem:
        raise MetadataError(f"{source}: sensor: {problem}")
    return tuple(sensors)
