"""Build the model store named by the environment (read once, at the edge)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from .base import ModelStore
from .local import LocalModelStore

#: Prefix used when MODEL_S3_PREFIX is unset (DRfC's default model prefix).
DEFAULT_PREFIX = "rl-deepracer-sagemaker"
DEFAULT_REGION = "us-east-1"


def make_store_from_env(environ: Mapping[str, str],
                        project_root: str | os.PathLike) -> ModelStore:
    """S3 store if ``MODEL_S3_BUCKET`` is set, else a local store with the same layout.

    Reads ``MODEL_S3_BUCKET``, ``MODEL_S3_PREFIX`` (default `DEFAULT_PREFIX`),
    ``ROS_AWS_REGION`` (default us-east-1), ``S3_ENDPOINT_URL`` (default: AWS)
    and ``LOCAL_MODEL_STORE`` (default ``<project_root>/models``). Credentials
    are left to boto3's chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN, ...). No network access happens here.
    """
    prefix = (environ.get("MODEL_S3_PREFIX") or DEFAULT_PREFIX).strip("/")
    bucket = (environ.get("MODEL_S3_BUCKET") or "").strip()
    if bucket:
        from .s3 import S3ModelStore  # boto3 only when S3 is used
        return S3ModelStore(bucket, prefix,
                            region=environ.get("ROS_AWS_REGION") or DEFAULT_REGION,
                            endpoint_url=environ.get("S3_ENDPOINT_URL") or None)
    root = environ.get("LOCAL_MODEL_STORE") or Path(project_root) / "models"
    return LocalModelStore(root, prefix)
