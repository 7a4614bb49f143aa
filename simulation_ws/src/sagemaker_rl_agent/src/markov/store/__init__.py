"""Model store: a local directory or an S3 bucket holding a model in the DRfC layout.

`ModelStore` is the interface; `LocalModelStore` and `S3ModelStore` implement
it; `make_store_from_env` picks one from the environment. Key names live in
`markov.store.layout`. The store only moves files: it never builds checkpoints.
"""
from .base import (CheckpointRecord, CheckpointsIndex, CheckpointsJsonError,
                   IncompleteCheckpointError, ModelStore, NotFoundError, StoreError)
from .factory import DEFAULT_PREFIX, make_store_from_env
from .layout import CheckpointName, CheckpointNameError, StoreKeyError
from .local import LocalModelStore


def __getattr__(name):
    """Import the S3 backend (and boto3) only when it is asked for."""
    if name in ("S3ModelStore", "S3RetryConfig"):
        from . import s3
        return getattr(s3, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CheckpointName", "CheckpointNameError", "CheckpointRecord", "CheckpointsIndex",
           "CheckpointsJsonError", "DEFAULT_PREFIX", "IncompleteCheckpointError",
           "LocalModelStore", "ModelStore", "NotFoundError", "S3ModelStore", "S3RetryConfig",
           "StoreError", "StoreKeyError", "make_store_from_env"]
