#!/usr/bin/env python3
"""Upload a bundle (`colcon bundle`'s output.tar) to S3, resumably.

    .venv/bin/python scripts/upload_bundle.py simulation_ws/bundle/output.tar \\
        --bucket my-bucket [--key bundles/simulation_ws.tar] [--region us-east-1] [--endpoint-url URL]

AWS RoboMaker, which used to run such bundles, was retired in 2025: this only
stores the archive in S3. Any Debian bookworm machine (an EC2 instance, a
workstation, a CI runner) runs it: `scripts/setup.sh --runtime`, unpack,
`source setup.bash`, `roslaunch ...` (see docs/bundle.md).

Files from --threshold up go as a multipart upload whose id and finished parts
are recorded in `<file>.upload.json`; an interrupted upload continues from there
when the same command runs again. S3 shows the object only once every part is
in, and the result is checked (size and multipart ETag) before the record is
removed. Exit status: 0 uploaded, 1 error, 130 interrupted (resumable).
"""
import argparse
import hashlib
import json
import os
import sys
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
RETIRED_NOTE = ("note: AWS RoboMaker was retired in 2025 and no longer runs bundles; this stores "
                "the bundle in S3 only. Run it on any Debian bookworm machine: scripts/setup.sh "
                "--runtime, unpack output.tar, source setup.bash (docs/bundle.md).")


class UploadError(ValueError):
    """An upload that cannot go on; the message names the file, bucket or endpoint and what to check."""


@dataclass(frozen=True)
class S3Target:
    """Where the file goes."""

    bucket: str  #: bucket name
    key: str  #: object key
    region: str = "us-east-1"  #: bucket region
    endpoint_url: str = None  #: S3 endpoint; None: AWS

    def describe(self):
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.key}{where}"


@dataclass(frozen=True)
class UploadConfig:
    """How the file is cut and sent."""

    threshold: int = 64 * MIB  #: bytes from which a multipart upload is used
    part_size: int = 16 * MIB  #: bytes per part (S3: at least 5 MiB but the last, at most 10000 parts)
    jobs: int = 4  #: parts sent at the same time
    connect_timeout: float = 5.0  #: seconds to open a connection
    read_timeout: float = 60.0  #: seconds to wait for an answer
    attempts: int = 3  #: HTTP attempts per request (botocore standard retries)


@dataclass(frozen=True)
class UploadResult:
    """What `upload` did."""

    target: S3Target
    size: int  #: bytes of the file
    etag: str  #: ETag of the object in S3
    parts: int  #: number of parts (0: a single PUT)
    resumed_parts: int  #: parts found already uploaded from an earlier run
    sent_bytes: int  #: bytes sent by this run


def make_client(target, config):
    """A boto3 S3 client with bounded timeouts and retries."""
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        "s3", region_name=target.region, endpoint_url=target.endpoint_url,
        config=Config(connect_timeout=config.connect_timeout, read_timeout=config.read_timeout,
                      retries={"max_attempts": config.attempts, "mode": "standard"}))


def explain(error, target):
    """An UploadError saying plainly what went wrong with a boto3/botocore error."""
    from botocore.exceptions import (ClientError, EndpointConnectionError, NoCredentialsError,
                                     ConnectTimeoutError, ReadTimeoutError)
    where = target.endpoint_url or f"AWS S3 ({target.region})"
    if isinstance(error, NoCredentialsError):
        return UploadError(f"no AWS credentials found for {target.describe()}: set "
                           "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)")
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return UploadError(f"cannot reach the S3 endpoint {where} ({error}); check --endpoint-url "
                           "(S3_ENDPOINT_URL), --region and the network")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket", "404") or (status == 404 and not code.startswith("NoSuchUpload")):
            return UploadError(f"bucket '{target.bucket}' does not exist at {where}; "
                               "create it or check --bucket")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403",
                    "ExpiredToken", "InvalidToken") or status == 403:
            return UploadError(f"the credentials were refused by {where} for bucket "
                               f"'{target.bucket}' ({code or status}); check AWS_ACCESS_KEY_ID, "
                               "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or AWS_PROFILE")
        return UploadError(f"S3 refused a request for {target.describe()}: {code} "
                           f"({error.response.get('Error', {}).get('Message', '')})")
    return UploadError(f"upload of {target.describe()} failed: {error}")


def multipart_etag(part_md5s):
    """The ETag S3 gives a multipart object: md5 of the parts' md5 digests, '-', part count."""
    joined = b"".join(bytes.fromhex(m) for m in part_md5s)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(part_md5s)}"'


def state_path(path):
    """The resume record of `path`: `<path>.upload.json` beside it."""
    return Path(f"{path}.upload.json")


def _load_state(path, target, st, config):
    """(resume record if it fits this file, target and part size, else None; a record of the
    same target that does not fit, whose upload is to be aborted, else None)."""
    record = state_path(path)
    try:
        state = json.loads(record.read_text())
        same_target = [state["bucket"], state["key"], state["endpoint_url"]] == \
            [target.bucket, target.key, target.endpoint_url]
        fits = [state["size"], state["mtime_ns"], state["part_size"]] == \
            [st.st_size, st.st_mtime_ns, config.part_size] and "upload_id" in state
    except FileNotFoundError:
        return None, None
    except (ValueError, KeyError, TypeError):
        raise UploadError(f"{record}: not a valid resume record; delete it to start over") from None
    if not same_target:
        raise UploadError(f"{record} records an unfinished upload of {path} to "
                          f"s3://{state['bucket']}/{state['key']}: finish it with that --bucket "
                          "and --key, or discard it with --abort")
    return (state, None) if fits else (None, state)


def _save_state(path, state):
    record = state_path(path)
    temp = record.with_name(record.name + ".tmp")
    temp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    os.replace(temp, record)


def _confirmed_parts(client, target, state):
    """{part number: ETag} of recorded parts that S3 still holds with the same ETag; None if the
    upload is gone."""
    from botocore.exceptions import ClientError
    held, marker = {}, 0
    try:
        while True:
            page = client.list_parts(Bucket=target.bucket, Key=target.key,
                                     UploadId=state["upload_id"], PartNumberMarker=marker)
            for part in page.get("Parts", []):
                held[part["PartNumber"]] = part["ETag"].strip('"')
            if not page.get("IsTruncated"):
                break
            marker = page["NextPartNumberMarker"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
            return None
        raise
    return {int(n): etag for n, etag in state["parts"].items() if held.get(int(n)) == etag}


def _is_md5(etag):
    """True for an ETag that is an MD5 (not one of an SSE-KMS encrypted object)."""
    return len(etag) == 32 and all(c in "0123456789abcdef" for c in etag)


def _part_range(number, size, part_size):
    start = (number - 1) * part_size
    return start, min(part_size, size - start)


def _progress(total, initial, label, enabled):
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=label, disable=not enabled, file=sys.stderr)


def _single_put(client, path, target, size, progress):
    import base64
    data = Path(path).read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    with _progress(size, 0, target.key, progress) as bar:
        answer = client.put_object(Bucket=target.bucket, Key=target.key, Body=data,
                                   ContentMD5=base64.b64encode(bytes.fromhex(md5)).decode())
        bar.update(size)
    etag = answer["ETag"].strip('"')
    return f'"{etag}"' if _is_md5(etag) else None  # S3 checked Content-MD5 either way


def _send_parts(client, path, target, state, todo, config, bar, on_part):
    """Upload parts `todo` with config.jobs threads, recording each finished one in the state."""
    import base64
    lock, stop = threading.Lock(), threading.Event()

    def send(number):
        if stop.is_set():  # an earlier part failed: start no new one
            return
        try:
            send_part(number)
        except BaseException:
            stop.set()
            raise

    def send_part(number):
        start, length = _part_range(number, state["size"], config.part_size)
        with open(path, "rb") as handle:
            handle.seek(start)
            data = handle.read(length)
        md5 = hashlib.md5(data).hexdigest()
        answer = client.upload_part(Bucket=target.bucket, Key=target.key, UploadId=state["upload_id"],
                                    PartNumber=number, Body=data,
                                    ContentMD5=base64.b64encode(bytes.fromhex(md5)).decode())
        etag = answer["ETag"].strip('"')
        if _is_md5(etag) and etag != md5:
            raise UploadError(f"S3 stored part {number} of {target.describe()} with ETag "
                              f"{etag}, expected {md5}: the data changed on the way")
        with lock:
            state["parts"][str(number)] = etag
            _save_state(path, state)
        bar.update(length)
        if on_part is not None:
            on_part(number)

    pool = ThreadPoolExecutor(max_workers=max(1, config.jobs))
    try:
        futures = [pool.submit(send, n) for n in todo]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            future.result()  # re-raises the first failure
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _abort_quietly(client, target, upload_id):
    try:
        client.abort_multipart_upload(Bucket=target.bucket, Key=target.key, UploadId=upload_id)
    except Exception:  # best effort: the old upload may be gone already
        pass


def _multipart(client, path, target, st, config, progress, on_part):
    """Upload `path` in parts, resuming a recorded upload; return (etag, parts, resumed parts,
    resumed bytes)."""
    size = st.st_size
    count = -(-size // config.part_size)
    if count > 10000:
        raise UploadError(f"{path}: {count} parts of {config.part_size} bytes; S3 allows 10000: "
                          "raise --part-size")
    state, stale = _load_state(path, target, st, config)
    if stale is not None:
        print(f"{path} or --part-size changed since the recorded upload: starting over",
              file=sys.stderr)
        _abort_quietly(client, target, stale.get("upload_id", ""))
    done = _confirmed_parts(client, target, state) if state else None
    if done is None:
        upload_id = client.create_multipart_upload(Bucket=target.bucket, Key=target.key,
                                                   ContentType="application/x-tar")["UploadId"]
        state = {"bucket": target.bucket, "key": target.key, "endpoint_url": target.endpoint_url,
                 "region": target.region, "size": size, "mtime_ns": st.st_mtime_ns,
                 "part_size": config.part_size, "upload_id": upload_id, "parts": {}}
        done = {}
    state["parts"] = {str(n): etag for n, etag in done.items()}
    _save_state(path, state)
    todo = [n for n in range(1, count + 1) if n not in done]
    initial = sum(_part_range(n, size, config.part_size)[1] for n in done)
    with _progress(size, initial, target.key, progress) as bar:
        _send_parts(client, path, target, state, todo, config, bar, on_part)
    etags = [state["parts"][str(n)] for n in range(1, count + 1)]
    client.complete_multipart_upload(
        Bucket=target.bucket, Key=target.key, UploadId=state["upload_id"],
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": f'"{e}"'} for n, e in
                                   enumerate(etags, 1)]})
    expected = multipart_etag(etags) if all(_is_md5(e) for e in etags) else None
    return expected, count, len(done), initial


def _verify(client, path, target, size, etag):
    """Check the object's size and ETag (None: size only); delete it if they are wrong."""
    head = client.head_object(Bucket=target.bucket, Key=target.key)
    if head["ContentLength"] != size or etag not in (None, head["ETag"]):
        client.delete_object(Bucket=target.bucket, Key=target.key)
        raise UploadError(f"{target.describe()} came out as {head['ContentLength']} bytes, ETag "
                          f"{head['ETag']}; expected {size} bytes, ETag {etag}. It was deleted; "
                          f"run again to upload {path} anew")
    return head["ETag"]


def upload(path, target, config=UploadConfig(), progress=True, client=None, on_part=None):
    """Upload `path` to `target`; resume a recorded multipart upload. Returns an UploadResult.

    `on_part(number)` is called after each part is stored (tests use it to interrupt).
    """
    from botocore.exceptions import BotoCoreError, ClientError
    path = Path(path)
    if not path.is_file():
        raise UploadError(f"{path}: no such file")
    if config.part_size < 5 * MIB:
        raise UploadError(f"part size {config.part_size} bytes: S3 needs at least 5 MiB per part")
    st = path.stat()
    client = client or make_client(target, config)
    try:
        client.head_bucket(Bucket=target.bucket)
        if st.st_size < config.threshold:
            etag = _single_put(client, path, target, st.st_size, progress)
            parts, resumed, resumed_bytes = 0, 0, 0
        else:
            etag, parts, resumed, resumed_bytes = _multipart(client, path, target, st, config,
                                                             progress, on_part)
        etag = _verify(client, path, target, st.st_size, etag)
    except (BotoCoreError, ClientError) as error:
        raise explain(error, target) from None
    state_path(path).unlink(missing_ok=True)
    return UploadResult(target, st.st_size, etag, parts, resumed, st.st_size - resumed_bytes)


def abort(path, target, config=UploadConfig(), client=None):
    """Abort the multipart upload recorded for `path` and delete the record; True if there was one."""
    record = state_path(path)
    if not record.is_file():
        return False
    state = json.loads(record.read_text())
    client = client or make_client(target, config)
    _abort_quietly(client, S3Target(state["bucket"], state["key"], target.region,
                                    state.get("endpoint_url")), state["upload_id"])
    record.unlink()
    return True


def parse_args(argv):
    env = os.environ
    parser = argparse.ArgumentParser(
        description="Upload a bundle (output.tar) to S3 with a resumable multipart upload.",
        epilog=RETIRED_NOTE)
    parser.add_argument("file", type=Path, help="the bundle, e.g. simulation_ws/bundle/output.tar")
    parser.add_argument("--bucket", required=True, help="S3 bucket (must exist)")
    parser.add_argument("--key", default=None,
                        help="object key (default: <workspace folder>/<file name>)")
    parser.add_argument("--region", default=env.get("ROS_AWS_REGION") or "us-east-1",
                        help="bucket region (default: ROS_AWS_REGION or us-east-1)")
    parser.add_argument("--endpoint-url", default=env.get("S3_ENDPOINT_URL") or None,
                        help="S3 endpoint (default: S3_ENDPOINT_URL, else AWS)")
    parser.add_argument("--part-size", type=float, default=16, metavar="MIB",
                        help="MiB per part, at least 5 (default: 16)")
    parser.add_argument("--threshold", type=float, default=64, metavar="MIB",
                        help="MiB from which the upload is multipart (default: 64)")
    parser.add_argument("--jobs", type=int, default=4, help="parts sent at once (default: 4)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--abort", action="store_true",
                        help="abort the recorded unfinished upload of FILE and forget it")
    return parser.parse_args(argv)


def default_key(path):
    """`<workspace>/<name>` for `<workspace>/bundle/<name>`, else the file name."""
    path = Path(path).resolve()
    if path.parent.name == "bundle":
        return f"{path.parent.parent.name}/{path.name}"
    return path.name


def main(argv=None):
    args = parse_args(argv)
    print(RETIRED_NOTE, file=sys.stderr)
    target = S3Target(args.bucket, args.key or default_key(args.file), args.region,
                      args.endpoint_url)
    config = UploadConfig(threshold=int(args.threshold * MIB), part_size=int(args.part_size * MIB),
                          jobs=args.jobs)
    try:
        if args.abort:
            found = abort(args.file, target, config)
            print(f"aborted the unfinished upload of {args.file}" if found
                  else f"no unfinished upload recorded for {args.file}")
            return 0
        result = upload(args.file, target, config, progress=not args.no_progress)
    except UploadError as error:
        record = state_path(args.file)
        resume = f" (resume record kept: {record}; run again to resume)" if record.is_file() else ""
        print(f"upload_bundle.py: error: {error}{resume}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nupload_bundle.py: interrupted; run the same command again to resume, or add "
              f"--abort to discard the uploaded parts", file=sys.stderr)
        return 130
    how = f"{result.parts} parts, {result.resumed_parts} resumed" if result.parts else "one PUT"
    print(f"uploaded {args.file} ({result.size} bytes, {how}) to {target.describe()}; "
          f"ETag {result.etag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
