"""The workers' checkpoints in the model store: save, restore, best/last bookkeeping, car package.

A checkpoint is written to a local work folder first (TensorFlow files and its
frozen `model_<N>.pb`), then uploaded by the store, which writes the
`.coach_checkpoint` pointer last; the local copies are then deleted. When the
upload fails they are kept in an "unsent" folder, in the store's layout with the
pointer written last, and `upload_unsent` sends them at the start of the next run.
"""
import io
import shutil
import tarfile
import time
from pathlib import Path
from typing import Optional

from markov.store import (CheckpointName, CheckpointNameError, CheckpointRecord, NotFoundError,
                          StoreError, layout)

CAR_PACKAGE_KEY = "model.tar.gz"  # model_metadata.json + agent/model.pb, at the prefix's root
CHOICES = ("best", "last")


class NoCheckpointError(ValueError):
    """The store holds no (complete) checkpoint to start from; the message names the store."""


class UnsentCheckpointError(StoreError):
    """A checkpoint could not be uploaded; the message names the folder where it is kept."""


def save_to_store(store, workdir, n, steps, policy, optimizer=None, extra_files=None,
                  unsent_dir=None, action_space=None) -> str:
    """Write checkpoint `<n>_Step-<steps>.ckpt` and model_<n>.pb, upload them; return the name.

    `extra_files` ({store key: local path}) are uploaded with them, before the pointer.
    When the upload fails and `unsent_dir` is given, all of them are copied there
    (`keep_unsent`) and `UnsentCheckpointError` names it; without it they are deleted.
    `action_space` (model_metadata's) is stored in model_<n>.pb for the car to check.
    """
    from markov.export import freeze_policy
    from markov.ppo.checkpoint import save_checkpoint

    workdir = Path(workdir)
    prefix = save_checkpoint(workdir, n, steps, policy, optimizer)
    frozen = freeze_policy(policy, workdir / layout.frozen_model_filename(n), action_space)
    name = prefix.name
    try:
        store.save_checkpoint(workdir, name, extra_files)
    except (StoreError, OSError) as err:  # unreachable or refusing store, full disk
        if unsent_dir is None:
            raise
        kept = keep_unsent(unsent_dir, workdir, name, extra_files)
        raise UnsentCheckpointError(
            f"checkpoint {name} was not saved to {store.describe()}: {err}. It is kept, with "
            f"model_{n}.pb, the metrics and the sim trace, in {kept}; the next training run on "
            f"this model uploads it first (or copy that folder's contents to "
            f"{store.describe()})") from err
    finally:
        for path in [*workdir.glob(f"{name}.*"), frozen]:
            path.unlink(missing_ok=True)
    return name


def keep_unsent(unsent_dir, workdir, name, extra_files=None) -> Path:
    """Copy checkpoint `name` (files and model_<N>.pb from `workdir`) and `extra_files` into
    `unsent_dir` in the store's layout, the pointer last; replaces what was there."""
    unsent_dir, workdir = Path(unsent_dir), Path(workdir)
    shutil.rmtree(unsent_dir, ignore_errors=True)
    frozen = layout.frozen_model_filename(CheckpointName.parse(name).index)
    files = {layout.model_key(p.name): p for p in workdir.glob(f"{name}.*")}
    files[layout.model_key(frozen)] = workdir / frozen
    files.update({key: Path(path) for key, path in (extra_files or {}).items()})
    for key, path in files.items():
        (unsent_dir / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, unsent_dir / key)
    (unsent_dir / layout.POINTER_KEY).write_text(layout.format_pointer(name))
    return unsent_dir


def upload_unsent(store, unsent_dir) -> Optional[str]:
    """Upload the checkpoint `keep_unsent` left in `unsent_dir` (with its extra files), delete
    the folder and return the checkpoint's name; None when there is none. One the store's
    pointer already names (its upload went through) is only deleted; one older than the
    store's latest raises `UnsentCheckpointError` (it would go back in time) and stays."""
    unsent_dir = Path(unsent_dir)
    pointer = unsent_dir / layout.POINTER_KEY
    if not pointer.is_file():
        return None
    name = layout.parse_pointer(pointer.read_text(), str(pointer))
    if _stored_pointer(store) != name:  # the pointer goes last: else something is missing
        latest = store.latest_checkpoint()
        if latest is not None and CheckpointName.parse(latest) > CheckpointName.parse(name):
            raise UnsentCheckpointError(
                f"{unsent_dir} holds checkpoint {name}, older than {latest} in "
                f"{store.describe()}; delete that folder (or move it away) to go on")
        model_dir = unsent_dir / layout.MODEL_DIR
        own = {pointer, model_dir / layout.frozen_model_filename(CheckpointName.parse(name).index),
               *model_dir.glob(f"{name}.*")}
        extra = {path.relative_to(unsent_dir).as_posix(): path
                 for path in sorted(unsent_dir.rglob("*")) if path.is_file() and path not in own}
        store.save_checkpoint(model_dir, name, extra)
    shutil.rmtree(unsent_dir)
    return name


def _stored_pointer(store) -> Optional[str]:
    try:
        return store.read_pointer()
    except CheckpointNameError:  # unreadable: latest_checkpoint() reports and works round it
        return None


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

    def __init__(self, store, lower_is_better: bool = False):
        self.store = store
        self.lower_is_better = lower_is_better  # True for BEST_MODEL_METRIC=lap_time (seconds)
        index = store.read_checkpoints_json()
        self.best = index.best if index is not None else None
        self.last = index.last if index is not None else None

    def record(self, name: str, avg_eval_metric: Optional[float]) -> bool:
        """Record checkpoint `name`'s evaluation; return True when it became the best.

        None (not evaluated) makes it the last checkpoint only (its avg_eval_metric
        then reads 0.0 in the file) and never the best.
        """
        evaluated = avg_eval_metric is not None
        record = CheckpointRecord(name, float(avg_eval_metric) if evaluated else 0.0, time.time())
        self.last = record
        improved = evaluated and (self.best is None or (
            record.avg_eval_metric <= self.best.avg_eval_metric if self.lower_is_better
            else record.avg_eval_metric >= self.best.avg_eval_metric))
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
