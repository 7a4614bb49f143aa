"""The user's model_metadata.json and hyperparameters.json as frozen dataclasses.

Both loaders take a path or an already-parsed dict, reject unknown keys, wrong
types and out-of-range values with a `ConfigError` naming the file and the key,
and report malformed JSON with its line and column. `to_json()` writes the
DeepRacer console's format back.
"""
import json
import math
import operator
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping, Tuple, Union

STEERING_LIMIT_DEG = 30.0  # commanded steering is clipped to +- this, degrees
SPEED_LIMITS_MPS = (0.1, 4.0)  # commanded speed is clipped to this range, m/s
FRONT_FACING_CAMERA = "FRONT_FACING_CAMERA"
KNOWN_SENSORS = (FRONT_FACING_CAMERA, "STEREO_CAMERAS", "LIDAR", "SECTOR_LIDAR",
                 "DISCRETIZED_SECTOR_LIDAR", "OBSERVATION")
NEURAL_NETWORKS = ("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", "DEEP_CONVOLUTIONAL_NETWORK",
                   "DEEP_CONVOLUTIONAL_NETWORK_DEEP")
TRAINING_ALGORITHMS = ("clipped_ppo", "sac")
ACTION_SPACE_TYPES = ("discrete", "continuous")
LOSS_TYPES = ("huber", "mean squared error")
EXPLORATION_TYPES = ("categorical", "e-greedy")

PathOrDict = Union[str, os.PathLike, Mapping[str, Any]]


class ConfigError(ValueError):
    """A user configuration file is malformed; the message names the file and the key."""


# ----------------------------------------------------------------------------- reading

def _read_json_object(path_or_dict: PathOrDict, source: str = None) -> Tuple[dict, str]:
    """Return (the top-level JSON object, the name to use in error messages)."""
    if isinstance(path_or_dict, Mapping):
        return dict(path_or_dict), source or "<dict>"
    source = source or os.fspath(path_or_dict)
    try:
        with open(path_or_dict, "r", encoding="utf-8") as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a JSON object at the top level, "
                          f"got {type(data).__name__}")
    return data, source


def _reject_unknown(data: Mapping, known, source: str, where: str = "") -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{source}: unknown key {where}{unknown[0]!r}; "
                          f"accepted keys: {', '.join(sorted(known))}")


def _number(value, source: str, key: str) -> float:
    """A finite JSON number (bools refused) as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{source}: {key}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{source}: {key}: expected a finite number, got {value!r}")
    return float(value)


def _integer(value, source: str, key: str) -> int:
    """A JSON integer; an integral float such as 64.0 is accepted."""
    number = _number(value, source, key)
    if number != int(number):
        raise ConfigError(f"{source}: {key}: expected an integer, got {value!r}")
    return int(number)


def _string(value, source: str, key: str, choices) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key}: expected a string, got {value!r}")
    if value not in choices:
        accepted = ", ".join(map(repr, choices))
        raise ConfigError(f"{source}: {key}: {value!r} is not one of {accepted}")
    return value


# ----------------------------------------------------------------------------- model_metadata

@dataclass(frozen=True)
class ActionSpace:
    """What the network chooses; `action_to_drive` turns it into a drive command."""

    kind: str  # "discrete" or "continuous"
    actions: Tuple[Tuple[float, float], ...] = ()  # discrete: (steering_deg, speed_mps) per action
    steering_range: Tuple[float, float] = (-30.0, 30.0)  # continuous: (low, high), degrees
    speed_range: Tuple[float, float] = (0.5, 2.0)  # continuous: (low, high), m/s
    _drive: tuple = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self):
        if self.kind not in ACTION_SPACE_TYPES:
            raise ValueError(f"action space kind {self.kind!r} is not one of {ACTION_SPACE_TYPES}")
        if self.kind == "discrete" and not self.actions:
            raise ValueError("a discrete action space needs at least one action")
        object.__setattr__(self, "_drive", tuple(_clip_drive(s, v) for s, v in self.actions))

    @property
    def is_continuous(self) -> bool:
        return self.kind == "continuous"

    @property
    def n_actions(self) -> int:
        """Discrete: the number of actions; continuous: the action dimension (2)."""
        return 2 if self.kind == "continuous" else len(self.actions)

    def action_to_drive(self, action) -> Tuple[float, float]:
        """(steering_deg, speed_mps) for a discrete index or a continuous [-1, 1]^2 vector.

        The continuous vector is (steering, speed), each clipped to [-1, 1] and
        scaled linearly onto (low, high). Results are clipped to +-30 degrees and
        [0.1, 4] m/s.
        """
        if self.kind == "discrete":
            index = operator.index(action)
            if not 0 <= index < len(self._drive):
                raise ValueError(f"action index {index} is out of range for "
                                 f"{len(self._drive)} discrete actions")
            return self._drive[index]
        a_steer, a_speed = float(action[0]), float(action[1])
        if not (math.isfinite(a_steer) and math.isfinite(a_speed)):
            raise ValueError(f"continuous action must be finite, got {action!r}")
        return _clip_drive(_scale(a_steer, self.steering_range), _scale(a_speed, self.speed_range))

    def to_json_value(self):
        """The `action_space` value of model_metadata.json."""
        if self.kind == "continuous":
            (s_low, s_high), (v_low, v_high) = self.steering_range, self.speed_range
            return {"steering_angle": {"low": s_low, "high": s_high},
                    "speed": {"low": v_low, "high": v_high}}
        return [{"steering_angle": s, "speed": v, "index": i}
                for i, (s, v) in enumerate(self.actions)]


def _scale(value: float, low_high: Tuple[float, float]) -> float:
    low, high = low_high
    value = -1.0 if value < -1.0 else 1.0 if value > 1.0 else value
    return low + (value + 1.0) * 0.5 * (high - low)


def _clip_drive(steering: float, speed: float) -> Tuple[float, float]:
    steering = max(-STEERING_LIMIT_DEG, min(STEERING_LIMIT_DEG, float(steering)))
    speed = max(SPEED_LIMITS_MPS[0], min(SPEED_LIMITS_MPS[1], float(speed)))
    return steering, speed


@dataclass(frozen=True)
class ModelMetadata:
    """model_metadata.json: the action space, sensor and network of a model."""

    action_space: ActionSpace  # actions the policy chooses from
    sensor: Tuple[str, ...] = (FRONT_FACING_CAMERA,)  # observation sources (markov.sensors)
    neural_network: str = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"  # network body name
    training_algorithm: str = "clipped_ppo"  # RL algorithm
    version: str = "5"  # model_metadata format version

    @property
    def n_actions(self) -> int:
        return self.action_space.n_actions

    def action_to_drive(self, action) -> Tuple[float, float]:
        return self.action_space.action_to_drive(action)

    def to_dict(self) -> dict:
        return {"action_space": self.action_space.to_json_value(), "sensor": list(self.sensor),
                "neural_network": self.neural_network,
                "training_algorithm": self.training_algorithm,
                "action_space_type": self.action_space.kind, "version": self.version}

    def to_json(self) -> str:
        """The contents of model_metadata.json in the console's format."""
        return json.dumps(self.to_dict(), indent=4) + "\n"


_METADATA_KEYS = ("action_space", "sensor", "neural_network", "training_algorithm",
                  "action_space_type", "version")


def load_model_metadata(path_or_dict: PathOrDict, source: str = None) -> ModelMetadata:
    """Read and check model_metadata.json (a path or a parsed dict)."""
    data, source = _read_json_object(path_or_dict, source)
    _reject_unknown(data, _METADATA_KEYS, source)
    if "action_space" not in data:
        raise ConfigError(f"{source}: missing required key 'action_space'")
    raw = data["action_space"]
    declared = data.get("action_space_type")
    if declared is not None:
        _string(declared, source, "action_space_type", ACTION_SPACE_TYPES)
    form = "continuous" if isinstance(raw, dict) else "discrete"
    if declared is not None and declared != form and isinstance(raw, (dict, list)):
        raise ConfigError(f"{source}: action_space_type is {declared!r} but action_space has the "
                          f"{form} form ({'an object' if form == 'continuous' else 'a list'})")
    kind = declared or form
    if kind == "discrete":
        action_space = ActionSpace("discrete", actions=_discrete_actions(raw, source))
    else:
        steering, speed = _continuous_ranges(raw, source)
        action_space = ActionSpace("continuous", steering_range=steering, speed_range=speed)
    version = data.get("version", "5")
    if isinstance(version, bool) or not isinstance(version, (str, int, float)):
        raise ConfigError(f"{source}: version: expected a string such as \"5\", got {version!r}")
    algorithm = _algorithm(data, source)
    if algorithm == "sac" and kind != "continuous":
        raise ConfigError(f"{source}: training_algorithm: 'sac' needs a continuous action space "
                          f"(action_space_type \"continuous\", action_space {{\"steering_angle\": "
                          f"{{\"low\", \"high\"}}, \"speed\": {{\"low\", \"high\"}}}}), as in "
                          f"DeepRacer; this file's is {kind}")
    return ModelMetadata(action_space=action_space, sensor=_sensors(data, source),
                         neural_network=_string(data.get("neural_network", NEURAL_NETWORKS[0]),
                                                source, "neural_network", NEURAL_NETWORKS),
                         training_algorithm=algorithm,
                         version=str(version))


def _discrete_actions(raw, source: str) -> Tuple[Tuple[float, float], ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{source}: action_space: a discrete action space must be a non-empty "
                          f"list of {{\"steering_angle\", \"speed\"}} objects, got {raw!r}")
    actions = []
    for i, entry in enumerate(raw):
        where = f"action_space[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{source}: {where}: expected an object, got {entry!r}")
        _reject_unknown(entry, ("steering_angle", "speed", "index"), source, f"in {where}: ")
        for key in ("steering_angle", "speed"):
            if key not in entry:
                raise ConfigError(f"{source}: {where}: missing key {key!r}")
        if "index" in entry and _integer(entry["index"], source, f"{where}.index") != i:
            raise ConfigError(f"{source}: {where}.index: expected {i} (the entry's position), "
                              f"got {entry['index']!r}")
        steering = _number(entry["steering_angle"], source, f"{where}.steering_angle")
        speed = _number(entry["speed"], source, f"{where}.speed")
        if speed <= 0.0:
            raise ConfigError(f"{source}: {where}.speed: must be > 0 m/s, got {speed}")
        actions.append((steering, speed))
    return tuple(actions)


def _continuous_ranges(raw, source: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: action_space: a continuous action space must be an object "
                          f"{{\"steering_angle\": {{low, high}}, \"speed\": {{low, high}}}}, "
                          f"got {raw!r}")
    _reject_unknown(raw, ("steering_angle", "speed"), source, "in action_space: ")
    ranges = []
    for key in ("steering_angle", "speed"):
        bounds = raw.get(key)
        where = f"action_space.{key}"
        if not isinstance(bounds, dict):
            raise ConfigError(f"{source}: {where}: expected an object {{\"low\", \"high\"}}, "
                              f"got {bounds!r}")
        _reject_unknown(bounds, ("low", "high"), source, f"in {where}: ")
        if "low" not in bounds or "high" not in bounds:
            raise ConfigError(f"{source}: {where}: needs both 'low' and 'high'")
        low = _number(bounds["low"], source, f"{where}.low")
        high = _number(bounds["high"], source, f"{where}.high")
        if low > high:
            raise ConfigError(f"{source}: {where}: low {low} is greater than high {high}")
        if key == "speed" and low <= 0.0:
            raise ConfigError(f"{source}: {where}.low: must be > 0 m/s, got {low}")
        ranges.append((low, high))
    return ranges[0], ranges[1]


def _sensors(data: Mapping, source: str) -> Tuple[str, ...]:
    sensors = data.get("sensor", [FRONT_FACING_CAMERA])
    if not isinstance(sensors, list) or not sensors:
        raise ConfigError(f"{source}: sensor: expected a non-empty list such as "
                          f"[\"{FRONT_FACING_CAMERA}\"], got {sensors!r}")
    for name in sensors:
        _string(name, source, "sensor", KNOWN_SENSORS)
    from markov.sensors import sensor_problem  # numpy only

    problem = sensor_problem(sensors)
    if problem:
        raise ConfigError(f"{source}: sensor: {problem}")
    return tuple(sensors)


def _algorithm(data: Mapping, source: str) -> str:
    name = data.get("training_algorithm", "clipped_ppo")
    return _string(name, source, "training_algorithm", TRAINING_ALGORITHMS)


# ----------------------------------------------------------------------------- hyperparameters

@dataclass(frozen=True)
class Hyperparameters:
    """hyperparameters.json: PPO, SAC and episode-collection settings."""

    batch_size: int = 64  # experiences per gradient minibatch
    num_epochs: int = 10  # passes over the collected experience per training round
    lr: float = 0.0003  # Adam learning rate
    beta_entropy: float = 0.01  # weight of the entropy bonus
    discount_factor: float = 0.999  # gamma per step (1/15 s)
    loss_type: str = "huber"  # value loss: "huber" or "mean squared error"
    num_episodes_between_training: int = 20  # episodes collected per training round
    e_greedy_value: float = 0.05  # epsilon for "e-greedy" exploration, 0-1
    epsilon_steps: int = 10000  # steps over which epsilon decays ("e-greedy")
    exploration_type: str = "categorical"  # "categorical" (sample the policy) or "e-greedy"
    stack_size: int = 1  # camera frames stacked per observation
    term_cond_avg_score: float = 350000.0  # stop when the mean episode reward reaches this
    term_cond_max_episodes: int = 100000  # stop after this many training episodes
    sac_alpha: float = 0.2  # SAC: initial temperature (entropy weight); unused by PPO
    replay_buffer_size: int = 50000  # SAC: transitions in the replay buffer; unused by PPO

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if _hyperparameter(f.name, value, "Hyperparameters") != value:
                raise ConfigError(f"Hyperparameters: {f.name}: {value!r} is not in canonical form")

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        """The contents of hyperparameters.json."""
        return json.dumps(self.to_dict(), indent=4) + "\n"


# key: (type, low, high, low excluded) for numbers, or (str, choices)
_HYPERPARAMETER_RULES = {
    "batch_size": (int, 1, math.inf, False),
    "num_epochs": (int, 1, math.inf, False),
    "lr": (float, 0.0, 1.0, True),
    "beta_entropy": (float, 0.0, math.inf, False),
    "discount_factor": (float, 0.0, 1.0, False),
    "loss_type": (str, LOSS_TYPES),
    "num_episodes_between_training": (int, 1, math.inf, False),
    "e_greedy_value": (float, 0.0, 1.0, False),
    "epsilon_steps": (int, 0, math.inf, False),
    "exploration_type": (str, EXPLORATION_TYPES),
    "stack_size": (int, 1, 64, False),
    "term_cond_avg_score": (float, -math.inf, math.inf, False),
    "term_cond_max_episodes": (int, 1, math.inf, False),
    "sac_alpha": (float, 0.0, math.inf, True),
    "replay_buffer_size": (int, 1, math.inf, False),
}
assert set(_HYPERPARAMETER_RULES) == {f.name for f in fields(Hyperparameters)}


def load_hyperparameters(path_or_dict: PathOrDict, source: str = None) -> Hyperparameters:
    """Read and check hyperparameters.json (a path or a parsed dict); missing keys keep defaults."""
    data, source = _read_json_object(path_or_dict, source)
    _reject_unknown(data, _HYPERPARAMETER_RULES, source)
    values = {key: _hyperparameter(key, value, source) for key, value in data.items()}
    return Hyperparameters(**values)


def _hyperparameter(key: str, value, source: str):
    rule = _HYPERPARAMETER_RULES[key]
    if rule[0] is str:
        if isinstance(value, str):
            value = value.lower()
        return _string(value, source, key, rule[1])
    kind, low, high, low_excluded = rule
    number = _integer(value, source, key) if kind is int else _number(value, source, key)
    if number < low or (low_excluded and number == low) or number > high:
        span = f"{'(' if low_excluded else '['}{low}, {high}]"
        raise ConfigError(f"{source}: {key}: {value!r} is out of range {span}")
    return number
