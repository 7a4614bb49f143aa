"""S3 store failures: dead or hung endpoint, missing bucket, bad or no credentials."""
import socket
import time

import pytest

from markov.store import S3ModelStore, S3RetryConfig, StoreError, layout


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def count_http_attempts(store):
    sent = []
    store.client.meta.events.register("before-send.s3", lambda **kw: sent.append(1))
    return sent


def test_dead_endpoint_fails_fast_with_clear_error(s3_credentials):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    store = S3ModelStore("my-models", "run", endpoint_url=endpoint)
    sent = count_http_attempts(store)
    start = time.monotonic()
    with pytest.raises(StoreError) as info:
        store.put_bytes(b"x", layout.POINTER_KEY)
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert endpoint in message and "'my-models'" in message and "S3_ENDPOINT_URL" in message
    retry = S3RetryConfig()
    assert len(sent) == (1 + retry.botocore_retries) * retry.attempts
    assert elapsed < 20.0
    print(f"dead endpoint: {len(sent)} HTTP attempts, StoreError after {elapsed:.2f} s")


def test_hung_endpoint_is_bounded_by_timeouts_and_deadline(s3_credentials):
    with socket.socket() as listener:  # accepts TCP (kernel backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        endpoint = "http://127.0.0.1:%d" % listener.getsockname()[1]
        retry = S3RetryConfig(connect_timeout=0.3, read_timeout=0.3, botocore_retries=0,
                              attempts=50, backoff_s=0.05, backoff_max_s=0.05, deadline_s=1.0)
        store = S3ModelStore("my-models", "run", endpoint_url=endpoint, retry=retry)
        sent = count_http_attempts(store)
        start = time.monotonic()
        with pytest.raises(StoreError, match="cannot reach endpoint"):
            store.list()
        elapsed = time.monotonic() - start
    assert 2 <= len(sent) <= 4  # the deadline, not the 50 attempts, stopped it
    assert elapsed < 2.0


def test_missing_bucket_is_named(s3_server, s3_credentials, tmp_path):
    store = S3ModelStore("no-such-bucket-here", "run", endpoint_url=s3_server)
    start = time.monotonic()
    with pytest.raises(StoreError, match="S3 bucket 'no-such-bucket-here' does not exist"):
        store.latest_checkpoint()
    assert time.monotonic() - start < 2.0  # not retried
    (tmp_path / "w.bin").write_bytes(b"keep me")
    with pytest.raises(StoreError, match="MODEL_S3_BUCKET"):
        store.put_file(tmp_path / "w.bin", "model/model_0.pb")
    assert (tmp_path / "w.bin").read_bytes() == b"keep me"


def test_missing_credentials_are_reported(s3_server, s3_bucket, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    store = S3ModelStore(s3_bucket, "run", endpoint_url=s3_server)
    with pytest.raises(StoreError, match="no usable AWS credentials.*AWS_ACCESS_KEY_ID"):
        store.exists(layout.POINTER_KEY)


def test_wrong_credentials_are_reported(auth_s3_server):
    import boto3
    boto3.session.Session().client("s3", endpoint_url=auth_s3_server,
                                   region_name="us-east-1").create_bucket(Bucket="locked-bucket")
    store = S3ModelStore("locked-bucket", "run", endpoint_url=auth_s3_server)
    with pytest.raises(StoreError) as info:
        store.list()
    message = str(info.value)
    assert "InvalidAccessKeyId" in message and "'locked-bucket'" in message
    assert "AWS_ACCESS_KEY_ID" in message and auth_s3_server in message
