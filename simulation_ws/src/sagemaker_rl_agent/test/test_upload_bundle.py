"""scripts/upload_bundle.py against moto's S3 server on 127.0.0.1: round trips, resume, bad input."""
import hashlib
import importlib.util
import os
import socket
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / "scripts" / "upload_bundle.py"
MIB = 1024 * 1024


def load_script():
    spec = importlib.util.spec_from_file_location("upload_bundle", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ub = load_script()
SMALL_PARTS = ub.UploadConfig(threshold=8 * MIB, part_size=5 * MIB, jobs=3)


@pytest.fixture
def big_file(tmp_path):
    """A 20 MiB + 12345 byte file of random bytes (5 parts of 5 MiB)."""
    path = tmp_path / "output.tar"
    path.write_bytes(os.urandom(20 * MIB + 12345))
    return path


def client_for(endpoint):
    import boto3
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")


def expected_etag(path, part_size):
    data = path.read_bytes()
    digests = [hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size)]
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def test_multipart_round_trip(s3_server, s3_bucket, big_file):
    target = ub.S3Target(s3_bucket, "bundles/output.tar", endpoint_url=s3_server)
    result = ub.upload(big_file, target, SMALL_PARTS, progress=False)
    assert (result.parts, result.resumed_parts, result.sent_bytes) == (5, 0, big_file.stat().st_size)
    assert result.etag == expected_etag(big_file, 5 * MIB)
    body = client_for(s3_server).get_object(Bucket=s3_bucket, Key="bundles/output.tar")["Body"].read()
    assert body == big_file.read_bytes()
    assert not ub.state_path(big_file).exists()


def test_small_file_is_one_put(s3_server, s3_bucket, tmp_path):
    path = tmp_path / "small.tar"
    path.write_bytes(os.urandom(MIB + 7))
    result = ub.upload(path, ub.S3Target(s3_bucket, "small.tar", endpoint_url=s3_server),
                       SMALL_PARTS, progress=False)
    assert result.parts == 0 and result.etag == f'"{hashlib.md5(path.read_bytes()).hexdigest()}"'
    assert client_for(s3_server).get_object(Bucket=s3_bucket, Key="small.tar")["Body"].read() \
        == path.read_bytes()


def fail_part(client, number):
    """Make the client's upload of part `number` fail as a dropped connection would."""
    from botocore.exceptions import EndpointConnectionError

    def hook(params, **_):
        if params.get("PartNumber") == number:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    client.meta.events.register("before-parameter-build.s3.UploadPart", hook)


def test_interrupted_upload_leaves_no_object_and_resumes(s3_server, s3_bucket, big_file):
    target = ub.S3Target(s3_bucket, "resume/output.tar", endpoint_url=s3_server)
    config = ub.UploadConfig(threshold=8 * MIB, part_size=5 * MIB, jobs=1)
    client = ub.make_client(target, config)
    fail_part(client, 3)
    with pytest.raises(ub.UploadError, match="cannot reach"):
        ub.upload(big_file, target, config, progress=False, client=client)
    admin = client_for(s3_server)
    assert admin.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0  # nothing complete-looking
    record = ub.state_path(big_file)
    assert sorted(__import__("json").loads(record.read_text())["parts"]) == ["1", "2"]

    result = ub.upload(big_file, target, config, progress=False)
    assert (result.parts, result.resumed_parts) == (5, 2)
    assert result.sent_bytes == big_file.stat().st_size - 10 * MIB
    assert admin.get_object(Bucket=s3_bucket, Key="resume/output.tar")["Body"].read() \
        == big_file.read_bytes()
    assert not record.exists()
    assert not admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


def test_changed_file_starts_over_and_aborts_the_old_upload(s3_server, s3_bucket, big_file):
    target = ub.S3Target(s3_bucket, "changed.tar", endpoint_url=s3_server)
    client = ub.make_client(target, SMALL_PARTS)
    fail_part(client, 4)
    with pytest.raises(ub.UploadError):
        ub.upload(big_file, target, SMALL_PARTS, progress=False, client=client)
    with open(big_file, "ab") as handle:
        handle.write(b"more")
    result = ub.upload(big_file, target, SMALL_PARTS, progress=False)
    assert result.resumed_parts == 0
    admin = client_for(s3_server)
    assert admin.get_object(Bucket=s3_bucket, Key="changed.tar")["Body"].read() == big_file.read_bytes()
    assert not admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads")


def test_an_unfinished_upload_elsewhere_is_not_forgotten(s3_server, s3_bucket, big_file):
    first = ub.S3Target(s3_bucket, "first.tar", endpoint_url=s3_server)
    client = ub.make_client(first, SMALL_PARTS)
    fail_part(client, 2)
    with pytest.raises(ub.UploadError):
        ub.upload(big_file, first, SMALL_PARTS, progress=False, client=client)
    other = ub.S3Target(s3_bucket, "other.tar", endpoint_url=s3_server)
    with pytest.raises(ub.UploadError, match=f"unfinished upload .* s3://{s3_bucket}/first.tar.*--abort"):
        ub.upload(big_file, other, SMALL_PARTS, progress=False)
    assert ub.upload(big_file, first, SMALL_PARTS, progress=False).parts == 5


def test_missing_bucket_is_named_and_nothing_is_left(s3_server, s3_credentials, big_file):
    target = ub.S3Target("no-such-bundle-bucket", "output.tar", endpoint_url=s3_server)
    with pytest.raises(ub.UploadError, match="bucket 'no-such-bundle-bucket' does not exist"):
        ub.upload(big_file, target, SMALL_PARTS, progress=False)
    assert not ub.state_path(big_file).exists()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_endpoint_fails_fast(s3_credentials, big_file):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    start = time.monotonic()
    with pytest.raises(ub.UploadError) as info:
        ub.upload(big_file, ub.S3Target("b", "k", endpoint_url=endpoint), SMALL_PARTS, progress=False)
    assert "cannot reach the S3 endpoint" in str(info.value) and endpoint in str(info.value)
    assert time.monotonic() - start < 20
    assert not ub.state_path(big_file).exists()


def test_wrong_credentials_are_reported(auth_s3_server, big_file):
    client_for(auth_s3_server).create_bucket(Bucket="locked")
    with pytest.raises(ub.UploadError, match="credentials were refused.*AWS_ACCESS_KEY_ID"):
        ub.upload(big_file, ub.S3Target("locked", "output.tar", endpoint_url=auth_s3_server),
                  SMALL_PARTS, progress=False)
    assert not ub.state_path(big_file).exists()


def test_cli_uploads_and_says_robomaker_is_retired(s3_server, s3_bucket, tmp_path, capsys):
    bundle = tmp_path / "simulation_ws" / "bundle" / "output.tar"
    bundle.parent.mkdir(parents=True)
    bundle.write_bytes(b"tar" * 1000)
    assert ub.main([str(bundle), "--bucket", s3_bucket, "--endpoint-url", s3_server,
                    "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "RoboMaker was retired" in err and "setup.sh --runtime" in err
    assert f"s3://{s3_bucket}/simulation_ws/output.tar" in out
    assert client_for(s3_server).get_object(Bucket=s3_bucket, Key="simulation_ws/output.tar")[
        "Body"].read() == bundle.read_bytes()
    assert ub.main([str(bundle), "--bucket", "missing-bucket", "--endpoint-url", s3_server,
                    "--no-progress"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_abort_discards_the_unfinished_upload(s3_server, s3_bucket, big_file):
    target = ub.S3Target(s3_bucket, "aborted.tar", endpoint_url=s3_server)
    client = ub.make_client(target, SMALL_PARTS)
    fail_part(client, 2)
    with pytest.raises(ub.UploadError):
        ub.upload(big_file, target, SMALL_PARTS, progress=False, client=client)
    assert ub.abort(big_file, target, SMALL_PARTS) is True
    assert not ub.state_path(big_file).exists()
    assert not client_for(s3_server).list_multipart_uploads(Bucket=s3_bucket).get("Uploads")
