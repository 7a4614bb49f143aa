"""The workers' checkpoints in the model store: save, restore, best/last bookkeeping, car package.

A checkpoint is written to a local work folder first (TensorFlow files and its
frozen `model_<N>.pb`), then uploaded by the store, which writes the
`.coach_checkpoint` pointer last; the local copies are then deleted.
"""
import io
import tarfile
import time
from pathlib import Path
from typing import Optional

from markov.store import CheckpointName, CheckpointRecord, NotFoundError, layout

CAR_PACKAGE_KEY = "model.tar.gz"  # model_metadata.json + agent/model.pb, at the prefix's root
CHOICES = ("best", "last")


class NoCheckpointError(ValueError):
    """The store holds no (complete) checkpoint to start from; the message names the store."""


def save_to_store(store, workdir, n, steps, policy, optimizer=None, extra_files=None) -> str:
    """Write checkpoint `<n>_Step-<steps>.ckpt` and model_<n>.pb, upload them; return the name.

    `extra_files` ({store key: local path}) are uploaded with them, before the pointer.
    """
    from markov.export import freeze_policy
    from markov.ppo.checkpoint import save_checkpoint

    workdir = Path(workdir)
    prefix = save_checkpoint(workdir, n, steps, policy, optimizer)
    frozen = freeze_policy(policy, workdir / layout.frozen_model_filename(n))
    name = prefix.name
    try:
        store.save_checkpoint(workdir, name, extra_files)
    finally:
        for path in [*workdir.glob(f"{name}.*"), frozen]:
            path.unlink(missing_ok=True)
    return name


def restore_from_store(store, name, workdir, policy, optimizer=None) -> CheckpointName:
    """Download checkpoint `name` and load it into the policy (and optimizer); return its name."""
    from markov.ppo.checkpoint import restore_checkpoint

    prefix = store.download_checkpoint(name, workdir)
    try:
        restore_checkpoint(prefix, policy, optimizer)
    finally:
        for path in Path(workdir).glob(f"{prefix.name}.*"):
            path.unlink(missing_ok=True)
    return CheckpointName.parse(name)


def choose_checkpoint(store, which="best") -> str:
    """The name of the store's best or last checkpoint (the newest complete one as a fallback)."""
    if which not in CHOICES:
        raise ValueError(f"checkpoint choice {which!r} is not one of {CHOICES}")
    complete = store.complete_checkpoints()
    index = store.read_checkpoints_json()
    record = None if index is None else (index.best if which == "best" else index.last)
    if record is not None and record.name in complete:
        return record.name
    latest = store.latest_checkpoint()
    if latest is None:
        raise NoCheckpointError(f"no complete checkpoint in {store.describe(layout.MODEL_DIR)}")
    return latest


class BestTracker:
    """Best and last checkpoint by mean evaluation progress; writes deepracer_checkpoints.json.

    A newer checkpoint with an equal metric replaces the best (it has trained longer).
    """

    def __init__(self, store):
        self.store = store
        index = store.read_checkpoints_json()
        self.best = index.best if index is not None else None
        self.last = index.last if index is not None else None

    def record(self, name: str, avg_eval_metric: float) -> bool:
        """Record checkpoint `name`'s evaluation; return True when it became the best."""
        record = CheckpointRecord(name, float(avg_eval_metric), time.time())
        self.last = record
        improved = self.best is None or record.avg_eval_metric >= self.best.avg_eval_metric
        if improved:
            self.best = record
        self.store.write_checkpoints_json(self.best, self.last)
        return improved

    def prune(self, keep_last: int) -> list:
        """Delete all but the newest `keep_last` checkpoints and the best."""
        keep = [self.best.name] if self.best is not None else []
        return self.store.prune_checkpoints(keep_last=keep_last, keep=keep)


def export_car_package(store, name) -> str:
    """Upload `model.tar.gz` (model_metadata.json, agent/model.pb of checkpoint `name`); return its key."""
    ckpt = CheckpointName.parse(name)
    frozen_key = layout.model_key(layout.frozen_model_filename(ckpt.index))
    try:
        frozen = store.get_bytes(frozen_key)
        metadata = store.get_bytes(layout.MODEL_METADATA_KEY)
    except NotFoundError as err:
        raise NoCheckpointError(f"cannot build the car package: {err}") from None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member, data in (("model_metadata.json", metadata), ("agent/model.pb", frozen)):
            info = tarfile.TarInfo(member)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
    store.put_bytes(buffer.getvalue(), CAR_PACKAGE_KEY)
    return CAR_PACKAGE_KEY


def pretrained_checkpoint(settings) -> Optional[tuple]:
    """(store, checkpoint name) of PRETRAINED_MODEL_PREFIX's best (or last), or None when unset."""
    if not settings.pretrained_prefix:
        return None
    source = settings.store.make_store(settings.pretrained_prefix)
    try:
        return source, choose_checkpoint(source, settings.pretrained_checkpoint)
    except NoCheckpointError as err:
        raise NoCheckpointError(f"PRETRAINED_MODEL_PREFIX={settings.pretrained_prefix}: {err}") from None
