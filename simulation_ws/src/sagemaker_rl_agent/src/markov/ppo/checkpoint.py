"""Checkpoints named as DeepRacer's model store expects: `<N>_Step-<steps>.ckpt.{index,data-*}`.

A checkpoint holds the policy and value networks (and the Gaussian log-std) and, when
given, the trainer's Adam state (step count and moments). Writing `.coach_checkpoint`
and uploading are the model store's job.
"""
import re
from pathlib import Path

import tensorflow as tf

_NAME = re.compile(r"^(\d+)_Step-(\d+)\.ckpt$")


class CheckpointError(ValueError):
    """A checkpoint name or file that cannot be used; the message names it."""


def checkpoint_name(n, steps):
    """`<N>_Step-<steps>.ckpt`: the prefix shared by a checkpoint's files."""
    if int(n) < 0 or int(steps) < 0:
        raise CheckpointError(f"checkpoint number and steps must be >= 0, got {n}, {steps}")
    return f"{int(n)}_Step-{int(steps)}.ckpt"


def parse_checkpoint_name(name):
    """`(N, steps)` from a checkpoint prefix such as `3_Step-1520.ckpt` (any directory part is dropped)."""
    match = _NAME.match(Path(str(name)).name)
    if match is None:
        raise CheckpointError(f"not a checkpoint name of the form <N>_Step-<steps>.ckpt: {name!r}")
    return int(match.group(1)), int(match.group(2))


def _tracked(policy, optimizer):
    if hasattr(policy, "checkpoint_objects"):  # another algorithm's policy (markov.sac)
        objects = dict(policy.checkpoint_objects())
    else:
        objects = {"policy_net": policy.policy_net, "value_net": policy.value_net}
    if optimizer is not None:
        objects["optimizer"] = optimizer
    return tf.train.Checkpoint(**objects)


def save_checkpoint(directory, n, steps, policy, optimizer=None):
    """Write checkpoint `<N>_Step-<steps>.ckpt` into `directory`; return its prefix path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    prefix = directory / checkpoint_name(n, steps)
    _tracked(policy, optimizer).write(str(prefix))
    return prefix


def restore_checkpoint(prefix, policy, optimizer=None):
    """Load `prefix` (a path ending in `.ckpt`) into the policy (and the optimizer, if given).

    Every variable of the given objects must be in the checkpoint; raises CheckpointError otherwise.
    """
    prefix = Path(prefix)
    if not Path(f"{prefix}.index").is_file():
        raise CheckpointError(f"no checkpoint at {prefix} ({prefix.name}.index is missing)")
    if optimizer is not None and not optimizer.built:
        optimizer.build(policy.trainable_variables)
    try:
        status = _tracked(policy, optimizer).read(str(prefix))
        status.expect_partial()  # an optimizer state left unread is fine (e.g. for evaluation)
        status.assert_existing_objects_matched()
    except (AssertionError, ValueError) as error:
        raise CheckpointError(f"checkpoint {prefix} does not fit this policy/optimizer: {error}") from None
    return prefix


def latest_checkpoint(directory):
    """The prefix with the highest N in `directory` (by its `.index` file), or None."""
    found = []
    for index in Path(directory).glob("*.ckpt.index"):
        try:
            found.append((parse_checkpoint_name(index.name[:-len(".index")]), index))
        except CheckpointError:
            continue
    return Path(str(max(found)[1])[:-len(".index")]) if found else None
