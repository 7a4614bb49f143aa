"""Turn a command line's STORE_OR_PREFIX into a model store.

- ``s3://bucket/prefix``: an S3 store (``S3_ENDPOINT_URL``, ``ROS_AWS_REGION`` and
  boto3's credential chain from the environment);
- a folder holding ``model/``, ``metrics/`` or ``training-simtrace/``: that folder;
- anything else: a prefix of the store the environment names (``MODEL_S3_BUCKET`` or
  ``LOCAL_MODEL_STORE``, default ``<project>/models``), as the workers use it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from markov.store import LocalModelStore, make_store_from_env

_MARKERS = ("model", "metrics", "training-simtrace")


def open_store(location: str, environ: Mapping[str, str] = os.environ, project_root=None):
    """The `ModelStore` that `location` names (see the module doc)."""
    if location.startswith("s3://"):
        bucket, _, prefix = location[len("s3://"):].partition("/")
        if not bucket or not prefix.strip("/"):
            raise ValueError(f"{location!r}: expected s3://BUCKET/PREFIX")
        from markov.store.s3 import S3ModelStore
        return S3ModelStore(bucket, prefix.strip("/"),
                            region=environ.get("ROS_AWS_REGION") or "us-east-1",
                            endpoint_url=environ.get("S3_ENDPOINT_URL") or None)
    path = Path(location)
    if path.is_dir() and any((path / m).exists() for m in _MARKERS):
        path = path.resolve()
        return LocalModelStore(path.parent, path.name)
    if path.is_absolute() or location.startswith("."):
        raise FileNotFoundError(f"{location}: not a model folder (no {', '.join(_MARKERS)} in it)")
    if project_root is None:
        from markov.workers.settings import project_root as root
        project_root = root()
    return make_store_from_env(dict(environ, MODEL_S3_PREFIX=location.strip("/")), project_root)
