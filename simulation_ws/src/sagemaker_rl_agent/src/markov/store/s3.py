"""A model store in an S3 bucket (AWS or any S3 endpoint), with bounded retries.

Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, then config files and roles).
Every operation makes at most ``attempts`` boto3 calls, each of at most
``1 + botocore_retries`` HTTP attempts, and starts no new call after
``deadline_s``; then it raises `StoreError` telling what to check.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, fields
from typing import Callable, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectionError as BotoConnectionError,
                                 HTTPClientError, NoCredentialsError, PartialCredentialsError,
                                 ResponseStreamingError)

from . import layout
from .base import ModelStore, NotFoundError, StoreError
from .local import atomic_write

log = logging.getLogger(__name__)
T = TypeVar("T")

_TRANSIENT = (BotoConnectionError, HTTPClientError, ResponseStreamingError)
_TRANSIENT_CODES = {"SlowDown", "RequestTimeout", "Throttling", "ThrottlingException",
                    "InternalError", "ServiceUnavailable", "RequestTimeTooSkewed"}
_CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                     "InvalidToken", "TokenRefreshRequired", "InvalidClientTokenId"}
_REGION_CODES = {"301", "PermanentRedirect", "AuthorizationHeaderMalformed",
                 "IllegalLocationConstraintException"}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class S3RetryConfig:
    """How long the S3 store keeps trying before it gives up."""

    connect_timeout: float = 2.0  #: s, TCP connect timeout of one HTTP attempt
    read_timeout: float = 5.0  #: s, wait for response bytes in one HTTP attempt
    botocore_retries: int = 1  #: HTTP retries inside one boto3 call (botocore 'standard' mode)
    attempts: int = 3  #: boto3 calls per store operation (our own retry)
    backoff_s: float = 0.25  #: s, pause before our first retry; doubles each retry
    backoff_max_s: float = 2.0  #: s, longest pause between our retries
    deadline_s: float = 10.0  #: s, no new boto3 call starts later than this into an operation

    def __post_init__(self):
        for f in fields(self):
            value, least = getattr(self, f.name), 0 if f.name == "botocore_retries" else 1e-9
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < least:
                raise ValueError(f"S3RetryConfig.{f.name} must be >= {least:g}, got {value!r}")


class S3ModelStore(ModelStore):
    """Keys are objects ``s3://<bucket>/<prefix>/<key>``; same layout as the local store."""

    def __init__(self, bucket: str, prefix: str, region: str | None = None,
                 endpoint_url: str | None = None, retry: S3RetryConfig = S3RetryConfig()):
        if not bucket or "/" in bucket:
            raise ValueError(f"S3 bucket name {bucket!r} is empty or contains '/'")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            layout.validate_key(self.prefix)
        self.region = region or "us-east-1"
        self.retry = retry
        config = Config(retries={"max_attempts": retry.botocore_retries, "mode": "standard"},
                        connect_timeout=retry.connect_timeout, read_timeout=retry.read_timeout)
        session = boto3.session.Session(region_name=self.region)
        self.client = session.client("s3", endpoint_url=endpoint_url or None, config=config)
        self.endpoint_url = self.client.meta.endpoint_url
        self._bucket_ok = False

    def __repr__(self) -> str:
        return f"S3ModelStore({self.bucket!r}, {self.prefix!r}, endpoint={self.endpoint_url!r})"

    def _key(self, key: str) -> str:
        key = layout.validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def describe(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self._key(key) if key else self.prefix}"

    # ----- calls with retries and clear errors -----
    def _call(self, what: str, fn: Callable[[], T], key: str = "") -> T:
        if not self._bucket_ok:
            # a GET, unlike HEAD, returns the precise code (NoSuchBucket, InvalidAccessKeyId...)
            self._attempt("check bucket", lambda: self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1))
            self._bucket_ok = True
        return self._attempt(what, fn, key)

    def _attempt(self, what: str, fn: Callable[[], T], key: str = "") -> T:
        start, pause = time.monotonic(), self.retry.backoff_s
        for attempt in range(1, self.retry.attempts + 1):
            try:
                return fn()
            except _TRANSIENT + (ClientError,) as err:
                if not _is_transient(err):
                    raise self._error(what, err, key) from err
                elapsed = time.monotonic() - start
                if attempt == self.retry.attempts or elapsed + pause > self.retry.deadline_s:
                    raise StoreError(
                        f"S3 {what} failed: cannot reach endpoint {self.endpoint_url} for bucket "
                        f"'{self.bucket}' after {attempt} tries in {elapsed:.1f} s ({err}); check "
                        "S3_ENDPOINT_URL, that the S3 server is up and the network") from err
                log.warning("S3 %s: %s; retry %d in %.2f s", what, err, attempt, pause)
                time.sleep(pause)
                pause = min(2 * pause, self.retry.backoff_max_s)
            except (NoCredentialsError, PartialCredentialsError) as err:
                raise StoreError(
                    f"S3 {what} on bucket '{self.bucket}': no usable AWS credentials ({err}); set "
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)") from err
        raise AssertionError("unreachable")

    def _error(self, what: str, err: ClientError, key: str) -> StoreError:
        code = str(err.response.get("Error", {}).get("Code", ""))
        where = f"bucket '{self.bucket}' at {self.endpoint_url}"
        if code == "NoSuchBucket" or (what == "check bucket" and code in ("404", "NotFound")):
            return StoreError(f"S3 bucket '{self.bucket}' does not exist at {self.endpoint_url}; "
                              "create it or set MODEL_S3_BUCKET to an existing bucket")
        if code in ("NoSuchKey", "404", "NotFound"):
            return NotFoundError(f"{self.describe(key)} does not exist")
        if code in _CREDENTIAL_CODES:
            return StoreError(f"S3 {what}: {where} rejected the credentials ({code}); check "
                              "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN")
        if code in ("AccessDenied", "403", "Forbidden"):
            return StoreError(f"S3 {what}: access denied to {where} ({code}); check the "
                              "credentials (AWS_ACCESS_KEY_ID ...) and the bucket's policy")
        if code in _REGION_CODES:
            return StoreError(f"S3 {what}: {where} is not in region {self.region} ({code}); "
                              "set ROS_AWS_REGION to the bucket's region")
        return StoreError(f"S3 {what} {self.describe(key)} failed at {self.endpoint_url}: {err}")

    # ----- primitives -----
    def put_bytes(self, data: bytes, key: str) -> None:
        full = self._key(key)
        self._call(f"put {full}", lambda: self.client.put_object(
            Bucket=self.bucket, Key=full, Body=bytes(data)), key)

    def put_file(self, local_path: str | os.PathLike, key: str) -> None:
        full = self._key(key)
        with open(local_path, "rb") as src:
            def upload():
                src.seek(0)
                self.client.put_object(Bucket=self.bucket, Key=full, Body=src)
            self._call(f"put {full}", upload, key)

    def get_bytes(self, key: str) -> bytes:
        full = self._key(key)
        return self._call(f"get {full}", lambda: self.client.get_object(
            Bucket=self.bucket, Key=full)["Body"].read(), key)

    def get_file(self, key: str, local_path: str | os.PathLike) -> None:
        full = self._key(key)

        def download():
            body = self.client.get_object(Bucket=self.bucket, Key=full)["Body"]
            atomic_write(local_path, lambda dst: _copy_stream(body, dst))
        self._call(f"get {full}", download, key)

    def exists(self, key: str) -> bool:
        full = self._key(key)
        try:
            self._call(f"head {full}", lambda: self.client.head_object(
                Bucket=self.bucket, Key=full), key)
        except NotFoundError:
            return False
        return True

    def list(self, prefix: str = "") -> list[str]:
        base = f"{self.prefix}/" if self.prefix else ""

        def list_all():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base + prefix)
            return [obj["Key"][len(base):] for page in pages for obj in page.get("Contents", [])]
        return sorted(self._call(f"list {base + prefix}", list_all))

    def delete(self, key: str) -> None:
        full = self._key(key)
        self._call(f"delete {full}", lambda: self.client.delete_object(
            Bucket=self.bucket, Key=full), key)


def _is_transient(err: Exception) -> bool:
    if isinstance(err, ClientError):
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = str(err.response.get("Error", {}).get("Code", ""))
        return status >= 500 or code in _TRANSIENT_CODES
    return isinstance(err, _TRANSIENT)


def _copy_stream(body, dst) -> None:
    for chunk in iter(lambda: body.read(_CHUNK), b""):
        dst.write(chunk)
