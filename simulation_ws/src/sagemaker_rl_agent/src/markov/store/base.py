"""The model store interface and the checkpoint logic shared by every backend.

A backend implements seven small primitives over keys relative to its prefix;
the checkpoint operations here are written once on top of them, so a local
directory and an S3 bucket end up with the same keys.
"""
from __future__ import annotations

import json
import logging
import math
import numbers
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from . import layout
from .layout import CheckpointName, CheckpointNameError

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store could not carry out an operation; local files are untouched."""


class NotFoundError(StoreError):
    """The key (or checkpoint) asked for is not in the store."""


class IncompleteCheckpointError(ValueError):
    """A local checkpoint to upload lacks some of its files."""


class CheckpointsJsonError(ValueError):
    """``deepracer_checkpoints.json`` is malformed."""


@dataclass(frozen=True)
class CheckpointRecord:
    """One entry of ``deepracer_checkpoints.json``."""

    name: str  #: checkpoint name, ``<N>_Step-<steps>.ckpt``
    avg_eval_metric: float  #: mean evaluation metric (progress, percent) of the checkpoint
    time_stamp: float  #: when it was recorded, seconds since the epoch

    def __post_init__(self):
        CheckpointName.parse(self.name)
        for field in ("avg_eval_metric", "time_stamp"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not math.isfinite(value):
                raise ValueError(f"{field} must be a finite number, got {value!r}")

    def to_json(self) -> dict:
        return {"name": self.name, "avg_eval_metric": float(self.avg_eval_metric),
                "time_stamp": float(self.time_stamp)}


@dataclass(frozen=True)
class CheckpointsIndex:
    """Content of ``deepracer_checkpoints.json``."""

    best: CheckpointRecord | None  #: ``best_checkpoint``
    last: CheckpointRecord | None  #: ``last_checkpoint``


class ModelStore(ABC):
    """Files of one model under a prefix, in the DRfC layout (see `markov.store.layout`)."""

    # ----- primitives (one implementation per backend) -----
    @abstractmethod
    def put_bytes(self, data: bytes, key: str) -> None:
        """Write ``data`` as ``key``, replacing it whole or not at all."""

    @abstractmethod
    def put_file(self, local_path: str | os.PathLike, key: str) -> None:
        """Copy a local file to ``key``."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """Content of ``key``; `NotFoundError` if absent."""

    @abstractmethod
    def get_file(self, key: str, local_path: str | os.PathLike) -> None:
        """Copy ``key`` to a local file (written atomically); `NotFoundError` if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Sorted keys that start with the string ``prefix``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; no error if it is absent."""

    @abstractmethod
    def describe(self, key: str = "") -> str:
        """Where ``key`` lives, for messages (a path or an s3:// URL)."""

    # ----- checkpoints -----
    def save_checkpoint(self, local_dir: str | os.PathLike, checkpoint_name: str,
                        extra_files: Mapping[str, str | os.PathLike] | None = None) -> list[str]:
        """Upload checkpoint files, ``model_<N>.pb`` if present, ``extra_files``, then the pointer.

        ``extra_files`` maps store keys to local paths. Data shards go before
        the ``.index`` and the pointer goes last, so an interrupted save leaves
        the previous pointer naming a complete checkpoint. Returns the keys written.
        """
        ckpt = CheckpointName.parse(checkpoint_name)
        local_dir = Path(local_dir)
        files = [p.name for p in local_dir.glob(f"{ckpt.name}.*")
                 if layout.checkpoint_of_file(p.name) == ckpt.name]
        missing = layout.missing_checkpoint_files(ckpt.name, files)
        if missing:
            raise IncompleteCheckpointError(
                f"checkpoint {ckpt.name} in {local_dir} lacks {', '.join(missing)}")
        uploads = [(local_dir / f, layout.model_key(f)) for f in layout.upload_order(files)]
        frozen = local_dir / layout.frozen_model_filename(ckpt.index)
        if frozen.is_file():
            uploads.append((frozen, layout.model_key(frozen.name)))
        for key, path in (extra_files or {}).items():
            if not Path(path).is_file():
                raise FileNotFoundError(f"extra file for {key} not found: {path}")
            uploads.append((Path(path), layout.validate_key(key)))
        for path, key in uploads:
            self.put_file(path, key)
        self.put_bytes(layout.format_pointer(ckpt.name).encode(), layout.POINTER_KEY)
        return [key for _, key in uploads] + [layout.POINTER_KEY]

    def checkpoint_files(self) -> dict[str, list[str]]:
        """Checkpoint name -> its file names in ``model/`` (complete or not)."""
        groups: dict[str, list[str]] = {}
        for key in self.list(layout.MODEL_DIR + "/"):
            filename = key[len(layout.MODEL_DIR) + 1:]
            name = layout.checkpoint_of_file(filename)
            if name is not None:
                groups.setdefault(name, []).append(filename)
        return groups

    def complete_checkpoints(self) -> list[str]:
        """Names of the checkpoints whose files are all present, oldest first."""
        groups = self.checkpoint_files()
        names = [n for n, files in groups.items() if not layout.missing_checkpoint_files(n, files)]
        return sorted(names, key=CheckpointName.parse)

    def read_pointer(self) -> str | None:
        """Checkpoint named by ``.coach_checkpoint``, or None if there is no pointer."""
        try:
            text = self.get_bytes(layout.POINTER_KEY).decode("utf-8", errors="replace")
        except NotFoundError:
            return None
        return layout.parse_pointer(text, self.describe(layout.POINTER_KEY))

    def latest_checkpoint(self) -> str | None:
        """The pointer's checkpoint if complete, else the newest complete one (logged), or None."""
        try:
            pointed = self.read_pointer()
            problem = "no pointer" if pointed is None else None
        except CheckpointNameError as err:
            pointed, problem = None, f"unreadable pointer ({err})"
        complete = self.complete_checkpoints()
        if pointed is not None:
            if pointed in complete:
                return pointed
            problem = f"pointer names {pointed} whose files are incomplete"
        fallback = complete[-1] if complete else None
        if fallback is not None or problem != "no pointer":
            log.warning("%s: %s; using %s", self.describe(layout.POINTER_KEY), problem,
                        fallback or "no checkpoint")
        return fallback

    def download_checkpoint(self, name: str, local_dir: str | os.PathLike) -> Path:
        """Fetch checkpoint ``name`` into ``local_dir``; return the path prefix to restore from."""
        name = CheckpointName.parse(name).name
        files = self.checkpoint_files().get(name, [])
        missing = layout.missing_checkpoint_files(name, files)
        if missing:
            raise NotFoundError(f"checkpoint {name} at {self.describe(layout.MODEL_DIR)} "
                                f"is incomplete: missing {', '.join(missing)}")
        local_dir = Path(local_dir)
        local_dir.mkdir(parents=True, exist_ok=True)
        for filename in layout.upload_order(files):
            self.get_file(layout.model_key(filename), local_dir / filename)
        return local_dir / name

    # ----- deepracer_checkpoints.json -----
    def write_checkpoints_json(self, best: CheckpointRecord | None,
                               last: CheckpointRecord | None) -> None:
        """Write ``deepracer_checkpoints.json`` (after the checkpoints it names)."""
        doc = {}
        for field, record in (("best_checkpoint", best), ("last_checkpoint", last)):
            if record is not None:
                doc[field] = record.to_json()
        self.put_bytes(json.dumps(doc, indent=2).encode(), layout.CHECKPOINTS_JSON_KEY)

    def read_checkpoints_json(self) -> CheckpointsIndex | None:
        """Parse ``deepracer_checkpoints.json``; None if absent, `CheckpointsJsonError` if bad."""
        source = self.describe(layout.CHECKPOINTS_JSON_KEY)
        try:
            raw = self.get_bytes(layout.CHECKPOINTS_JSON_KEY)
        except NotFoundError:
            return None
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CheckpointsJsonError(f"{source}: not valid JSON ({err})") from None
        if not isinstance(doc, dict):
            raise CheckpointsJsonError(f"{source}: top level must be an object")
        return CheckpointsIndex(_record(doc, "best_checkpoint", source),
                                _record(doc, "last_checkpoint", source))

    # ----- pruning -----
    def prune_checkpoints(self, keep_last: int = 4, keep: Iterable[str] = ()) -> list[str]:
        """Delete old checkpoints' files and ``model_<N>.pb``; return the deleted keys.

        Kept: the newest ``keep_last`` complete checkpoints, ``keep``, the
        pointer's target, best and last of ``deepracer_checkpoints.json``, and
        anything newer than the newest of those (an upload in progress).
        """
        if keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {keep_last}")
        groups = self.checkpoint_files()
        protected = set(self.complete_checkpoints()[-keep_last:])
        protected |= {CheckpointName.parse(n).name for n in keep}
        protected |= self._referenced_checkpoints()
        present = [n for n in protected if n in groups]
        if not present:
            return []
        newest_kept = max(CheckpointName.parse(n) for n in present)
        deleted = []
        for name in sorted(groups, key=CheckpointName.parse):
            ckpt = CheckpointName.parse(name)
            if name in protected or ckpt > newest_kept:
                continue
            keys = [layout.model_key(f) for f in sorted(groups[name], key=_index_first)]
            frozen = layout.model_key(layout.frozen_model_filename(ckpt.index))
            for key in keys + ([frozen] if self.exists(frozen) else []):
                self.delete(key)
                deleted.append(key)
        return deleted

    def _referenced_checkpoints(self) -> set[str]:
        names = set()
        try:
            pointed = self.read_pointer()
        except CheckpointNameError:
            pointed = None
        if pointed:
            names.add(pointed)
        try:
            index = self.read_checkpoints_json()
        except CheckpointsJsonError as err:
            log.warning("prune ignores %s", err)
            index = None
        if index is not None:
            names |= {r.name for r in (index.best, index.last) if r is not None}
        return names


def _index_first(filename: str) -> tuple[bool, str]:
    """Delete order: ``.index`` first, so a half-pruned checkpoint reads as incomplete."""
    return (not filename.endswith(".index"), filename)


def _record(doc: dict, field: str, source: str) -> CheckpointRecord | None:
    entry = doc.get(field)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise CheckpointsJsonError(f"{source}: '{field}' must be an object")
    try:
        return CheckpointRecord(entry.get("name"), entry.get("avg_eval_metric"),
                                entry.get("time_stamp"))
    except ValueError as err:
        raise CheckpointsJsonError(f"{source}: '{field}': {err}") from None
