"""Shared fixtures: a real S3 server (moto) on 127.0.0.1 for the agent's tests.

``s3_server`` yields the endpoint URL of one moto S3 server per test session;
``s3_bucket`` sets test credentials in the environment and yields the name of
a fresh, empty bucket on that server; ``auth_s3_server`` yields the endpoint of a
separate moto server that checks access keys.
"""
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def s3_server():
    """Endpoint URL (``http://127.0.0.1:<port>``) of moto's S3 server on a free port."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_credentials(monkeypatch):
    """Test credentials and region in the environment; no proxy, no AWS config files."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "NO_PROXY": "127.0.0.1,localhost",
                        "no_proxy": "127.0.0.1,localhost",
                        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
                        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def _s3_admin(s3_server):
    import boto3

    return boto3.session.Session().client(
        "s3", endpoint_url=s3_server, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def s3_bucket(_s3_admin, s3_credentials):
    """Name of a new empty bucket on `s3_server` (region us-east-1)."""
    name = f"test-bucket-{uuid.uuid4().hex[:12]}"
    _s3_admin.create_bucket(Bucket=name)
    return name


@pytest.fixture
def auth_s3_server(s3_credentials):
    """A moto S3 server that checks access keys; its first request (bucket creation) is free."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    moto = Path(sys.executable).with_name("moto_server")
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="1")
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, \
                    "moto_server did not start"
                time.sleep(0.05)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)
