"""The resolved configuration of the training and evaluation workers.

Read once, at the edge (a node's `main()`, a CLI, a test): `training_settings`
and `evaluation_settings` take the environment variables and, overriding them,
the launch parameters (lower-case names, e.g. `world_name`, `max_training_minutes`),
check every value and return one frozen dataclass that the workers only read.
A bad value raises `SettingsError` naming the variable or parameter.
"""
import math
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping, Optional

from markov.envs.defaults import HYPERPARAMETERS, MODEL_METADATA, REWARD_FUNCTION, shipped_config
from markov.laptime import BEST_MODEL_METRICS
from markov.store import DEFAULT_PREFIX, make_store_from_env
from markov.workers.race_settings import RaceSettings, race_settings

BACKEND_CHOICES = ("inprocess", "ros")
CHECKPOINT_CHOICES = ("best", "last")
DEFAULT_ENVS_PER_WORKER = 8  # batch 8 costs ~0.4 ms/image against ~1.4 at batch 1 (docs/scaling.md)
UNSENT_DIR = ".unsent"  # under the local store's root: checkpoints whose upload failed


class SettingsError(ValueError):
    """A worker setting (environment variable or launch parameter) is invalid; names it."""


def project_root() -> Path:
    """The workspace root (the folder holding simulation_ws/), from this file's location.

    Works in the source tree and in simulation_ws/install; falls back to the
    current directory when neither is found.
    """
    for parent in Path(__file__).resolve().parents:
        if (parent / "simulation_ws").is_dir():
            return parent
    return Path.cwd()


@dataclass(frozen=True)
class StoreSettings:
    """Where the model lives: an S3 bucket, or a local directory with the same layout."""

    bucket: str = ""  # MODEL_S3_BUCKET; empty: the local directory below
    prefix: str = DEFAULT_PREFIX  # MODEL_S3_PREFIX: the model's key prefix
    region: str = "us-east-1"  # ROS_AWS_REGION
    endpoint_url: str = ""  # S3_ENDPOINT_URL; empty: AWS
    local_root: str = ""  # LOCAL_MODEL_STORE; empty: <project root>/models

    def environ(self, prefix: Optional[str] = None) -> dict:
        """These settings as the variables `make_store_from_env` reads (another prefix if given)."""
        return {"MODEL_S3_BUCKET": self.bucket, "MODEL_S3_PREFIX": prefix or self.prefix,
                "ROS_AWS_REGION": self.region, "S3_ENDPOINT_URL": self.endpoint_url,
                "LOCAL_MODEL_STORE": self.local_root}

    def make_store(self, prefix: Optional[str] = None):
        """The ModelStore for this model (or for `prefix` in the same bucket or directory)."""
        return make_store_from_env(self.environ(prefix), project_root())

    def unsent_dir(self) -> Path:
        """Where a checkpoint whose upload failed is kept until the next run sends it:
        `<LOCAL_MODEL_STORE or models/>/.unsent/local/<prefix>` (or `.../s3/<bucket>/<prefix>`)."""
        root = Path(self.local_root or project_root() / "models") / UNSENT_DIR
        return (root / "s3" / self.bucket if self.bucket else root / "local") / self.prefix

    def describe(self) -> str:
        where = (f"s3://{self.bucket}/{self.prefix}" if self.bucket
                 else str(Path(self.local_root or project_root() / "models") / self.prefix))
        return where + (f" (endpoint {self.endpoint_url})" if self.bucket and self.endpoint_url else "")


@dataclass(frozen=True)
class TrainingSettings:
    """Everything the training worker needs, resolved."""

    world_name: str  # WORLD_NAME: track (route) name
    reward_file: str  # REWARD_FILE: the user's reward_function.py
    model_metadata_file: str  # MODEL_METADATA_FILE: the user's model_metadata.json
    hyperparameters_file: str  # HYPERPARAMETERS_FILE: the user's hyperparameters.json
    store: StoreSettings  # where checkpoints, metrics and sim traces go
    pretrained_prefix: str = ""  # PRETRAINED_MODEL_PREFIX: seed a new model from this prefix
    pretrained_checkpoint: str = "best"  # PRETRAINED_CHECKPOINT: "best" or "last" of that prefix
    max_training_minutes: Optional[float] = None  # MAX_TRAINING_MINUTES: wall-clock budget, min
    backend: str = "inprocess"  # TRAINING_BACKEND: "inprocess" simulator or "ros" (lockstep node)
    eval_episodes: int = 5  # greedy evaluation episodes after each iteration
    keep_checkpoints: int = 4  # newest checkpoints kept in the store (plus the best)
    stop_after_full_laps: int = 3  # STOP_AFTER_FULL_LAPS: stop after this many consecutive
    #                                iterations whose evaluation completes every lap (0: never)
    seed: Optional[int] = None  # TRAINING_SEED: fixes network init, sampling and start poses
    progress_bar: bool = True  # show a tqdm bar over episodes (only when stderr is a terminal)
    preset_file: str = ""  # MARKOV_PRESET_FILE: read only to warn that it is not used
    race: RaceSettings = RaceSettings()  # RACE_TYPE and its objects (race_settings.py)
    randomization_file: str = "standard"  # RANDOMIZATION_FILE: randomization.json path or preset
    #                                       (default standard; none for the ros backend or a race)
    best_model_metric: str = "progress"  # BEST_MODEL_METRIC: "progress" (mean evaluation
    #                                      progress) or "lap_time" (mean lap, all laps complete)
    envs_per_worker: int = DEFAULT_ENVS_PER_WORKER  # ENVS_PER_WORKER: in-process envs stepped
    #                                together, one batched policy call per step
    rollout_workers: int = 1  # ROLLOUT_WORKERS: 1 plays in this process; more: Ray actors
    #                           ("auto": one per core this process may use)
    ray_address: str = ""  # RAY_ADDRESS: join this Ray cluster; empty: a private local instance
    camera_calibration: str = "deepracer_wide_angle"  # CAMERA_CALIBRATION: lens name, file or
    #                   "pinhole" (the URDF's; the default for the ros backend or a race)

    def summary(self) -> list:
        """`name = value` lines for the one-time configuration log."""
        return _summary(self)


@dataclass(frozen=True)
class EvaluationSettings:
    """Everything the evaluation worker needs, resolved."""

    world_name: str  # WORLD_NAME: track (route) name
    store: StoreSettings  # the model to evaluate; results are written next to it
    number_of_trials: int = 3  # NUMBER_OF_TRIALS: laps from the start line
    checkpoint: str = "best"  # EVALUATION_CHECKPOINT: "best" or "last" checkpoint
    backend: str = "inprocess"  # EVALUATION_BACKEND: "inprocess" or "ros"
    off_track_penalty_s: float = 5.0  # OFF_TRACK_PENALTY: s added to the lap time per reset
    max_resets: int = 10  # EVALUATION_MAX_RESETS: resets after which a trial ends (0: end at
    #                       the first off-track)
    seed: Optional[int] = None  # EVALUATION_SEED: scene randomness of the simulator
    preset_file: str = ""  # MARKOV_PRESET_FILE: read only to warn that it is not used
    race: RaceSettings = RaceSettings()  # RACE_TYPE and its objects (race_settings.py)
    video: bool = False  # EVALUATION_VIDEO: one MP4 per trial in evaluation-<stamp>/videos/
    randomization_file: str = "none"  # RANDOMIZATION_FILE: randomization.json path or preset
    camera_calibration: str = "deepracer_wide_angle"  # CAMERA_CALIBRATION: as training's

    def summary(self) -> list:
        return _summary(self)


def _summary(settings) -> list:
    lines = []
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, StoreSettings):
            value = value.describe()
        if f.name != "preset_file":
            lines.append(f"{f.name} = {value}")
    if settings.preset_file:
        lines.append(f"warning: MARKOV_PRESET_FILE={settings.preset_file} is ignored: this trainer "
                     f"does not use RL Coach presets; PPO settings come from hyperparameters.json "
                     f"(HYPERPARAMETERS_FILE)")
    return lines


# ----------------------------------------------------------------------------- reading
class _Source:
    """Launch parameters over environment variables; remembers which name gave a value."""

    def __init__(self, environ: Mapping[str, str], params: Optional[Mapping] = None):
        self.environ, self.params = environ, dict(params or {})

    def get(self, env_name: str, param_name: Optional[str] = None):
        """(value, where) with launch parameter first; value None when unset or empty."""
        param_name = param_name or env_name.lower()
        value = self.params.get(param_name)
        if value is not None and str(value).strip() != "":
            return value, f"parameter ~{param_name}"
        value = self.environ.get(env_name)
        if value is not None and str(value).strip() != "":
            return value, f"environment variable {env_name}"
        return None, env_name

    def text(self, env_name, default="", param_name=None) -> str:
        value, _ = self.get(env_name, param_name)
        return default if value is None else str(value).strip()

    def number(self, env_name, default, kind=float, low=0.0, param_name=None):
        value, where = self.get(env_name, param_name)
        if value is None:
            return default
        try:
            number = kind(value) if kind is float else _integer(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{where}: expected {'a number' if kind is float else 'an integer'}"
                                f", got {value!r}") from None
        if not math.isfinite(number) or number < low:
            raise SettingsError(f"{where}: must be a finite number >= {low}, got {value!r}")
        return number

    def choice(self, env_name, default, choices, param_name=None) -> str:
        value, where = self.get(env_name, param_name)
        value = default if value is None else str(value).strip().lower()
        if value not in choices:
            raise SettingsError(f"{where}: {value!r} is not one of {', '.join(choices)}")
        return value

    def file(self, env_name, default_name, param_name=None) -> str:
        value, where = self.get(env_name, param_name)
        if value is None:
            return str(shipped_config(default_name))
        path = _absolute(str(value))
        if not path.is_file():
            raise SettingsError(f"{where}: file {path} does not exist")
        return str(path)


def _absolute(text: str) -> Path:
    """`text` as an absolute path; a relative one is taken from the project root (a node's
    working directory under roslaunch is ~/.ros, not where the user started it)."""
    path = Path(os.path.expanduser(text.strip()))
    return (path if path.is_absolute() else project_root() / path).resolve()


def _integer(value) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    number = float(value)
    if number != int(number):
        raise ValueError(value)
    return int(number)


def _store(source: _Source) -> StoreSettings:
    prefix = source.text("MODEL_S3_PREFIX", DEFAULT_PREFIX).strip("/")
    local = source.text("LOCAL_MODEL_STORE")
    if not prefix:
        raise SettingsError("MODEL_S3_PREFIX: must not be empty")
    return StoreSettings(bucket=source.text("MODEL_S3_BUCKET"), prefix=prefix,
                         region=source.text("ROS_AWS_REGION", "us-east-1"),
                         endpoint_url=source.text("S3_ENDPOINT_URL"),
                         local_root=str(_absolute(local)) if local else "")


def _seed(source: _Source, env_name: str) -> Optional[int]:
    seed = source.number(env_name, None, kind=int, low=0, param_name="seed")
    return None if seed is None else int(seed)


def _randomization(source: _Source, default: str = "none") -> str:
    """RANDOMIZATION_FILE, checked now (a bad file stops the run before it starts)."""
    from deepracer_simulator.randomization import RandomizationError
    from deepracer_simulator.randomization_file import load_randomization
    value = source.text("RANDOMIZATION_FILE", default).strip() or default
    try:
        load_randomization(value)
    except RandomizationError as exc:
        raise SettingsError(f"RANDOMIZATION_FILE: {exc}") from None
    return value


def _calibration(source: _Source, race, backend: str = "inprocess") -> str:
    """CAMERA_CALIBRATION, checked now (markov.workers.camera); unset: the default camera."""
    from markov.workers.camera import check_calibration, default_calibration
    value = source.text("CAMERA_CALIBRATION").strip() or default_calibration(backend, race.race_type)
    try:
        return check_calibration(value, race.race_type)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def default_randomization(backend: str, race_type: str) -> str:
    """Training's RANDOMIZATION_FILE when unset: `standard` for the in-process TIME_TRIAL
    (models that survive the real camera), `none` for the ros backend (its simulator node has
    its own ~randomization) and the race types (objects are drawn with the nominal camera)."""
    return "standard" if backend == "inprocess" and race_type == "TIME_TRIAL" else "none"


def randomization_spec(settings):
    """The simulator's RandomizationSpec for settings.randomization_file, or False when nominal
    (the env's `domain_randomization` argument)."""
    from deepracer_simulator.randomization_file import load_randomization, to_spec
    spec = to_spec(load_randomization(settings.randomization_file))
    return spec if spec.enabled else False


def training_settings(environ: Mapping[str, str] = os.environ,
                      params: Optional[Mapping] = None) -> TrainingSettings:
    """Resolve the training worker's settings (launch `params` override `environ`)."""
    source = _Source(environ, params)
    minutes = source.number("MAX_TRAINING_MINUTES", None)
    store = _store(source)
    pretrained = source.text("PRETRAINED_MODEL_PREFIX").strip("/")
    if pretrained and pretrained == store.prefix:
        raise SettingsError(f"PRETRAINED_MODEL_PREFIX: {pretrained!r} is the model's own "
                            f"MODEL_S3_PREFIX; give another prefix (or unset it to resume)")
    backend = source.choice("TRAINING_BACKEND", "inprocess", BACKEND_CHOICES, "backend")
    race = race_settings(source, SettingsError)
    return TrainingSettings(
        world_name=source.text("WORLD_NAME", "reinvent_base"),
        reward_file=source.file("REWARD_FILE", REWARD_FUNCTION),
        model_metadata_file=source.file("MODEL_METADATA_FILE", MODEL_METADATA),
        hyperparameters_file=source.file("HYPERPARAMETERS_FILE", HYPERPARAMETERS),
        store=store, pretrained_prefix=pretrained,
        pretrained_checkpoint=source.choice("PRETRAINED_CHECKPOINT", "best", CHECKPOINT_CHOICES),
        max_training_minutes=minutes if minutes else None,
        backend=backend,
        stop_after_full_laps=int(source.number("STOP_AFTER_FULL_LAPS", 3, kind=int)),
        seed=_seed(source, "TRAINING_SEED"),
        progress_bar=source.choice("PROGRESS_BAR", "true", ("true", "false")) == "true",
        preset_file=source.text("MARKOV_PRESET_FILE"), race=race,
        randomization_file=_randomization(source, default_randomization(backend, race.race_type)),
        best_model_metric=source.choice("BEST_MODEL_METRIC", "progress", BEST_MODEL_METRICS),
        envs_per_worker=_envs_per_worker(source, backend),
        rollout_workers=_rollout_workers(source, backend), ray_address=source.text("RAY_ADDRESS"),
        camera_calibration=_calibration(source, race, backend))



def _envs_per_worker(source: _Source, backend: str) -> int:
    """ENVS_PER_WORKER: in-process envs only; the ROS backend has one simulator node, one car."""
    if backend != "inprocess":
        count = int(source.number("ENVS_PER_WORKER", 1, kind=int, low=1))
        if count != 1:
            raise SettingsError(f"ENVS_PER_WORKER: {count} envs need the in-process backend; the "
                                f"{backend!r} backend drives one simulator node (use 1)")
        return 1
    return int(source.number("ENVS_PER_WORKER", DEFAULT_ENVS_PER_WORKER, kind=int, low=1))


def free_cores() -> int:
    """ROLLOUT_WORKERS=auto: one worker per core this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _rollout_workers(source: _Source, backend: str = "inprocess") -> int:
    """ROLLOUT_WORKERS: a number or `auto`; more than one needs the in-process backend (the
    ROS backend has one simulator node: `auto` gives 1 there)."""
    value, where = source.get("ROLLOUT_WORKERS")
    if value is not None and str(value).strip().lower() == "auto":
        return free_cores() if backend == "inprocess" else 1
    try:
        count = int(source.number("ROLLOUT_WORKERS", 1, kind=int, low=1))
    except SettingsError as exc:
        raise SettingsError(f"{exc} (or 'auto')") from None
    if count > 1 and backend != "inprocess":
        raise SettingsError(f"ROLLOUT_WORKERS: {count} workers need the in-process backend; the "
                            f"{backend!r} backend drives one simulator node (use 1)")
    return count


def evaluation_settings(environ: Mapping[str, str] = os.environ,
                        params: Optional[Mapping] = None) -> EvaluationSettings:
    """Resolve the evaluation worker's settings (launch `params` override `environ`)."""
    source = _Source(environ, params)
    backend = source.choice("EVALUATION_BACKEND", "inprocess", BACKEND_CHOICES, "backend")
    return EvaluationSettings(
        world_name=source.text("WORLD_NAME", "reinvent_base"), store=_store(source),
        number_of_trials=int(source.number("NUMBER_OF_TRIALS", 3, kind=int, low=1)),
        checkpoint=source.choice("EVALUATION_CHECKPOINT", "best", CHECKPOINT_CHOICES, "checkpoint"),
        backend=source.choice("EVALUATION_BACKEND", "inprocess", BACKEND_CHOICES, "backend"),
        off_track_penalty_s=source.number("OFF_TRACK_PENALTY", 5.0),
        max_resets=int(source.number("EVALUATION_MAX_RESETS", 10, kind=int)),
        seed=_seed(source, "EVALUATION_SEED"), preset_file=source.text("MARKOV_PRESET_FILE"),
        race=race_settings(source, SettingsError),
        video=source.choice("EVALUATION_VIDEO", "false", ("true", "false"), "video") == "true",
        randomization_file=_randomization(source),
        camera_calibration=_calibration(source, race_settings(source, SettingsError), backend))
