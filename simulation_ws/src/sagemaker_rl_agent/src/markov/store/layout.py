"""Key names of the model store (the community DRfC layout) and checkpoint names.

Every key is relative to the store's prefix (``MODEL_S3_PREFIX``)::

    model/<N>_Step-<steps>.ckpt.index            checkpoint N (tf.train.Checkpoint files)
    model/<N>_Step-<steps>.ckpt.data-00000-of-00001
    model/model_<N>.pb                           frozen graph of checkpoint N
    model/model_metadata.json
    model/deepracer_checkpoints.json             best and last checkpoint
    model/.coach_checkpoint                      pointer to the latest checkpoint, written last
    ip/hyperparameters.json
    reward_function.py
    metrics/TrainingMetrics.json
    training-simtrace/<iteration>-iteration.csv
    evaluation-<YYYYMMDDhhmmss>/evaluation-simtrace/0-iteration.csv
    metrics/EvaluationMetrics-<YYYYMMDDhhmmss>.json

The pointer ``.coach_checkpoint`` holds what RL Coach wrote there: the bare
checkpoint name, e.g. ``12_Step-24000.ckpt`` (no path, no newline). The reader
also accepts TensorFlow's ``checkpoint`` text form
(``model_checkpoint_path: "12_Step-24000.ckpt"``).
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Iterable

MODEL_DIR = "model"
POINTER_KEY = "model/.coach_checkpoint"
CHECKPOINTS_JSON_KEY = "model/deepracer_checkpoints.json"
MODEL_METADATA_KEY = "model/model_metadata.json"
HYPERPARAMETERS_KEY = "ip/hyperparameters.json"
REWARD_FUNCTION_KEY = "reward_function.py"
TRAINING_METRICS_KEY = "metrics/TrainingMetrics.json"
EVALUATION_STAMP_FORMAT = "%Y%m%d%H%M%S"

#: Name prefix of the local store's in-progress temp files; never a valid key segment.
TEMP_MARKER = ".~tmp-"

_NAME_RE = re.compile(r"^(\d+)_Step-(\d+)\.ckpt$")
_FILE_RE = re.compile(r"^(\d+_Step-\d+\.ckpt)\.(index|meta|data-(\d{5})-of-(\d{5}))$")
_TF_POINTER_RE = re.compile(r'^\s*model_checkpoint_path:\s*"([^"]+)"\s*$', re.MULTILINE)
_STAMP_RE = re.compile(r"^\d{14}$")


class StoreKeyError(ValueError):
    """A key that cannot name an object of the store."""


class CheckpointNameError(ValueError):
    """A checkpoint name that is not ``<N>_Step-<steps>.ckpt``."""


@dataclass(frozen=True, order=True)
class CheckpointName:
    """A checkpoint's name; instances sort oldest first."""

    index: int  #: checkpoint counter N (0, 1, 2, ...)
    steps: int  #: environment steps trained when it was saved

    @property
    def name(self) -> str:
        """``<N>_Step-<steps>.ckpt``, the prefix of the checkpoint's files."""
        return f"{self.index}_Step-{self.steps}.ckpt"

    @classmethod
    def parse(cls, name: str) -> "CheckpointName":
        """Parse ``<N>_Step-<steps>.ckpt``; raise `CheckpointNameError` otherwise."""
        match = _NAME_RE.match(name) if isinstance(name, str) else None
        if not match:
            raise CheckpointNameError(
                f"checkpoint name {name!r} is not of the form '<N>_Step-<steps>.ckpt'")
        return cls(int(match.group(1)), int(match.group(2)))


def validate_key(key: str) -> str:
    """Return ``key`` if it is a relative '/'-separated key, else raise `StoreKeyError`."""
    if not isinstance(key, str) or not key:
        raise StoreKeyError(f"store key must be a non-empty string, got {key!r}")
    if key.startswith("/") or "\\" in key:
        raise StoreKeyError(f"store key {key!r} must be relative and use '/' separators")
    for part in key.split("/"):
        if part in ("", ".", "..") or part.startswith(TEMP_MARKER):
            raise StoreKeyError(f"store key {key!r} has an invalid segment {part!r}")
    return key


def model_key(filename: str) -> str:
    """Key of a file in ``model/``."""
    return f"{MODEL_DIR}/{filename}"


def frozen_model_filename(index: int) -> str:
    """``model_<N>.pb``, the frozen graph exported from checkpoint N."""
    return f"model_{int(index)}.pb"


def training_simtrace_key(iteration: int) -> str:
    """Key of one training iteration's sim trace CSV."""
    return f"training-simtrace/{int(iteration)}-iteration.csv"


def evaluation_stamp(when: _dt.datetime) -> str:
    """The ``YYYYMMDDhhmmss`` stamp that names an evaluation run."""
    return when.strftime(EVALUATION_STAMP_FORMAT)


def _check_stamp(stamp: str) -> str:
    if not isinstance(stamp, str) or not _STAMP_RE.match(stamp):
        raise StoreKeyError(f"evaluation stamp {stamp!r} is not YYYYMMDDhhmmss")
    return stamp


def evaluation_simtrace_key(stamp: str) -> str:
    """Key of an evaluation run's sim trace CSV."""
    return f"evaluation-{_check_stamp(stamp)}/evaluation-simtrace/0-iteration.csv"


def evaluation_metrics_key(stamp: str) -> str:
    """Key of an evaluation run's metrics JSON."""
    return f"metrics/EvaluationMetrics-{_check_stamp(stamp)}.json"


def checkpoint_of_file(filename: str) -> str | None:
    """The checkpoint name a file in ``model/`` belongs to, or None for other files."""
    match = _FILE_RE.match(filename)
    return match.group(1) if match else None


def missing_checkpoint_files(name: str, filenames: Iterable[str]) -> list[str]:
    """Files checkpoint ``name`` still needs: its ``.index`` and every data shard.

    An empty list means complete. Shard counts come from the ``data-i-of-K``
    names present; with no shard at all, ``data-00000-of-00001`` is missing.
    """
    present = set(filenames)
    missing = [] if f"{name}.index" in present else [f"{name}.index"]
    totals = set()
    for filename in present:
        match = _FILE_RE.match(filename)
        if match and match.group(1) == name and match.group(4):
            totals.add(int(match.group(4)))
    for total in sorted(totals) or [1]:
        for shard in range(total):
            shard_file = f"{name}.data-{shard:05d}-of-{total:05d}"
            if shard_file not in present:
                missing.append(shard_file)
    return missing


def upload_order(filenames: Iterable[str]) -> list[str]:
    """Checkpoint files in a safe write order: data shards first, ``.index`` last."""
    return sorted(filenames, key=lambda f: (f.endswith(".index"), f))


def format_pointer(name: str) -> str:
    """Content of ``.coach_checkpoint`` for checkpoint ``name`` (as RL Coach wrote it)."""
    return CheckpointName.parse(name).name


def parse_pointer(text: str, source: str) -> str:
    """Checkpoint name held by a ``.coach_checkpoint`` file; ``source`` names it in errors."""
    match = _TF_POINTER_RE.search(text)
    value = match.group(1) if match else text.strip()
    value = value.rsplit("/", 1)[-1]
    try:
        return CheckpointName.parse(value).name
    except CheckpointNameError as err:
        raise CheckpointNameError(f"{source}: {err}") from None
