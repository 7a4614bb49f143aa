#!/usr/bin/env python3
"""Build a car package (model.tar.gz) from a model store and put it where the car loads it.

    .venv/bin/python scripts/deploy_to_car.py [store] [--checkpoint best|last|NAME] [--name NAME]
        (--out DIR | --car HOST [--user deepracer] [--port 22] [--identity KEY] [--sudo])

The store is the one training wrote (the same variables as the launch files):
--bucket / MODEL_S3_BUCKET for S3 (with --prefix / MODEL_S3_PREFIX, --region /
ROS_AWS_REGION, --endpoint-url / S3_ENDPOINT_URL), else --store-dir /
LOCAL_MODEL_STORE (default <repo>/models). The model is the checkpoint's frozen
graph `model/model_<N>.pb` (frozen from the checkpoint when the store has none).

The package folder `<name>/` holds model.tar.gz (model_metadata.json and
agent/model.pb) and, unpacked beside it, model.pb and model_metadata.json. With
--out it is written to DIR/<name>/; with --car it is copied over SSH (ssh, scp)
to /opt/aws/deepracer/artifacts/<name>/ through a hidden staging folder, so the
car never sees half a model.
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import markov  # noqa: F401  (a sourced workspace provides it)
except ImportError:
    sys.path.append(str(ROOT / "simulation_ws" / "src" / "sagemaker_rl_agent" / "src"))

from markov.config import load_model_metadata  # noqa: E402
from markov.store import CheckpointName, StoreError, make_store_from_env  # noqa: E402
from markov.store import layout  # noqa: E402

ARTIFACTS_DIR = "/opt/aws/deepracer/artifacts"
PACKAGE_NAME = "model.tar.gz"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/-]+$")


class DeployError(ValueError):
    """A store, checkpoint, model or target the car package cannot be made from or sent to."""


@dataclass(frozen=True)
class CarTarget:
    """Where on which car the package goes."""

    host: str  #: the car's address
    user: str = "deepracer"  #: SSH user
    port: int = 22  #: SSH port
    identity: str = None  #: SSH private key file; None: ssh's default
    artifacts_dir: str = ARTIFACTS_DIR  #: folder holding one sub-folder per model on the car
    sudo: bool = False  #: install with sudo (when the SSH user cannot write artifacts_dir)


@dataclass(frozen=True)
class CarModel:
    """What the car will load."""

    name: str  #: model folder name on the car
    checkpoint: str  #: checkpoint the graph comes from
    reason: str  #: why this checkpoint (best, last, asked for)
    source: str  #: where the graph came from (store key, or frozen from the checkpoint)
    metadata: object  #: markov.config.ModelMetadata
    outputs: int  #: values the graph outputs per image


def choose_checkpoint(store, which):
    """(checkpoint name, reason) for `which` = "best", "last" or a checkpoint name."""
    if which not in ("best", "last"):
        try:
            return CheckpointName.parse(which).name, "asked for"
        except ValueError:
            raise DeployError(f"--checkpoint {which!r}: use best, last or a checkpoint name such "
                              "as 12_Step-24000.ckpt") from None
    index = store.read_checkpoints_json()
    if which == "best" and index is not None and index.best is not None:
        return index.best.name, f"best (avg_eval_metric {index.best.avg_eval_metric})"
    if index is not None and index.last is not None:
        return index.last.name, "last" + (" (no best recorded)" if which == "best" else "")
    latest = store.latest_checkpoint()
    if latest is None:
        raise DeployError(f"{store.describe()}: no checkpoint in the store")
    return latest, f"latest (no {layout.CHECKPOINTS_JSON_KEY})"


def read_metadata(store):
    """(ModelMetadata, text) of the store's model_metadata.json, checked."""
    key = layout.MODEL_METADATA_KEY
    if not store.exists(key):
        raise DeployError(f"{store.describe(key)} does not exist: the car needs the model's "
                          "action space")
    text = store.get_bytes(key).decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise DeployError(f"{store.describe(key)}: not valid JSON ({error})") from None
    return load_model_metadata(data, source=store.describe(key)), text


def fetch_graph(store, checkpoint, metadata, workdir):
    """(path of model.pb, where it came from): the stored frozen graph, else freeze the checkpoint."""
    ckpt = CheckpointName.parse(checkpoint)
    key = layout.model_key(layout.frozen_model_filename(ckpt.index))
    path = Path(workdir) / "model.pb"
    if store.exists(key):
        store.get_file(key, path)
        return path, store.describe(key)
    if checkpoint not in store.complete_checkpoints():
        raise DeployError(f"{store.describe(layout.MODEL_DIR)}: neither {key} nor a complete "
                          f"checkpoint {checkpoint}; complete ones: "
                          f"{', '.join(store.complete_checkpoints()) or 'none'}")
    from markov.export import freeze_policy
    from markov.policies import make_policy
    from markov.ppo.checkpoint import restore_checkpoint
    prefix = store.download_checkpoint(checkpoint, Path(workdir) / "checkpoint")
    policy = make_policy(metadata)  # PPO or SAC
    restore_checkpoint(prefix, policy)
    freeze_policy(policy, path, metadata.action_space)
    return path, f"frozen from {store.describe(layout.model_key(checkpoint))}"


def graph_outputs(pb_path, metadata):
    """Values the graph outputs for one image; DeployError if they do not fit the metadata."""
    import numpy as np
    from markov.export import load_frozen
    from markov.sensors import OBSERVATION_SHAPES
    with load_frozen(pb_path) as policy:
        if len(policy.sensors) > 1:  # one input per sensor (a LIDAR)
            out = np.asarray(policy({s: np.zeros((1, *OBSERVATION_SHAPES[s][0]), np.float32)
                                     for s in policy.sensors}))
        else:
            out = np.asarray(policy(np.zeros(policy.input_shape, np.float32)))
    if out.shape[-1] != metadata.n_actions:
        raise DeployError(f"{pb_path}: the graph outputs {out.shape[-1]} values but "
                          f"model_metadata.json describes {metadata.n_actions} actions")
    return int(out.shape[-1])


def write_package(pb_path, metadata_text, folder):
    """Write folder/ with model.tar.gz, model.pb and model_metadata.json (atomically)."""
    folder = Path(folder)
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    shutil.copyfile(pb_path, partial / "model.pb")
    (partial / "model_metadata.json").write_text(metadata_text)
    with tarfile.open(partial / PACKAGE_NAME, "w:gz") as archive:
        archive.add(partial / "model_metadata.json", arcname="model_metadata.json")
        archive.add(partial / "model.pb", arcname="agent/model.pb")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(partial, folder)
    return folder


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def describe(model, folder, where):
    """Lines saying what the car will load, from where."""
    meta, space = model.metadata, model.metadata.action_space
    lines = [f"car model '{model.name}': checkpoint {model.checkpoint} ({model.reason})",
             f"  graph:    {model.source}",
             f"  package:  {where}/ (model.tar.gz; model.pb and model_metadata.json beside it)"]
    for name in (PACKAGE_NAME, "model.pb", "model_metadata.json"):
        path = Path(folder) / name
        lines.append(f"    {name:20s} {path.stat().st_size:>10d} bytes  sha256 {_sha256(path)[:16]}")
    lines.append(f"  load it:  roslaunch deepracer_bringup car.launch model_path:="
                 f"{where.rpartition(':')[2]}/{PACKAGE_NAME}")
    lines.append(f"  network:  {meta.neural_network}, sensor {', '.join(meta.sensor)}, input "
                 f"[1, 120, 160, 1] grayscale, {model.outputs} outputs")
    if space.is_continuous:
        (s_lo, s_hi), (v_lo, v_hi) = space.steering_range, space.speed_range
        lines.append(f"  actions:  continuous: steering {s_lo:g} to {s_hi:g} deg, "
                     f"speed {v_lo:g} to {v_hi:g} m/s")
    else:
        lines.append(f"  actions:  discrete, {space.n_actions}:")
        lines += [f"    {i:2d}: steering {s:6.1f} deg, speed {v:4.2f} m/s"
                  for i, (s, v) in enumerate(space.actions)]
    return lines


def car_commands(folder, name, car):
    """The ssh/scp commands (argv lists) that put folder's files into the car's model folder."""
    if not _SAFE_PATH.match(car.artifacts_dir):
        raise DeployError(f"--artifacts-dir {car.artifacts_dir!r}: use an absolute path of "
                          "letters, digits and ._-/")
    if car.host.startswith("-") or not car.host or car.user.startswith("-"):
        raise DeployError(f"car address {car.user}@{car.host!r}: not a host name")
    ssh = ["ssh", "-p", str(car.port)] + (["-i", car.identity] if car.identity else [])
    scp = ["scp", "-q", "-P", str(car.port)] + (["-i", car.identity] if car.identity else [])
    host = f"{car.user}@{car.host}"
    final = f"{car.artifacts_dir}/{name}"
    files = [str(Path(folder) / f) for f in (PACKAGE_NAME, "model.pb", "model_metadata.json")]
    if car.sudo:
        staging = f"/tmp/.deepracer-model-{name}"
        install = (f"mkdir -p {car.artifacts_dir} && rm -rf {final}.partial && cp -r {staging} "
                   f"{final}.partial && rm -rf {final} && mv {final}.partial {final} && "
                   f"rm -rf {staging}")
        return [ssh + [host, f"rm -rf {staging} && mkdir -p {staging}"],
                scp + files + [f"{host}:{staging}/"],
                ssh[:1] + ["-t"] + ssh[1:] + [host, f"sudo sh -c {shlex.quote(install)}"]]
    staging = f"{car.artifacts_dir}/.{name}.partial"
    return [ssh + [host, f"rm -rf {staging} && mkdir -p {staging}"],
            scp + files + [f"{host}:{staging}/"],
            ssh + [host, f"rm -rf {final} && mv {staging} {final}"]]


def copy_to_car(folder, name, car):
    """Run car_commands; DeployError naming the command that failed."""
    for command in car_commands(folder, name, car):
        try:
            done = subprocess.run(command, check=False)
        except FileNotFoundError:
            raise DeployError(f"{command[0]} not found: install openssh-client") from None
        if done.returncode != 0:
            raise DeployError(f"`{shlex.join(command)}` failed with exit status {done.returncode}; "
                              f"check the car's address, user and SSH access")


def make_store(args):
    """The model store named by the arguments, else by the environment."""
    env = dict(os.environ)
    if args.store_dir:
        env.pop("MODEL_S3_BUCKET", None)
        env["LOCAL_MODEL_STORE"] = str(args.store_dir)
    for flag, name in ((args.bucket, "MODEL_S3_BUCKET"), (args.prefix, "MODEL_S3_PREFIX"),
                       (args.region, "ROS_AWS_REGION"), (args.endpoint_url, "S3_ENDPOINT_URL")):
        if flag:
            env[name] = flag
    return make_store_from_env(env, ROOT)


def build(store, which, name, workdir, folder):
    """CarModel for checkpoint `which` of `store`; its package is written to `folder`."""
    checkpoint, reason = choose_checkpoint(store, which)
    metadata, text = read_metadata(store)
    pb_path, source = fetch_graph(store, checkpoint, metadata, workdir)
    outputs = graph_outputs(pb_path, metadata)
    write_package(pb_path, text, folder)
    return CarModel(name, checkpoint, reason, source, metadata, outputs)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Build model.tar.gz from a model store and "
                                     "write it to a folder or copy it to a car over SSH.")
    store = parser.add_argument_group("model store (default: from the environment)")
    kind = store.add_mutually_exclusive_group()
    kind.add_argument("--store-dir", type=Path, help="local store root (LOCAL_MODEL_STORE)")
    kind.add_argument("--bucket", help="S3 bucket (MODEL_S3_BUCKET)")
    store.add_argument("--prefix", help="model prefix in the store (MODEL_S3_PREFIX)")
    store.add_argument("--region", help="S3 region (ROS_AWS_REGION)")
    store.add_argument("--endpoint-url", help="S3 endpoint (S3_ENDPOINT_URL)")
    parser.add_argument("--checkpoint", default="best",
                        help="best (default), last, or a name such as 12_Step-24000.ckpt")
    parser.add_argument("--name", help="model folder name on the car (default: the prefix)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="write the package folder into OUT/<name>/")
    where.add_argument("--car", metavar="HOST", help="copy to the car at HOST over SSH")
    parser.add_argument("--user", default="deepracer", help="SSH user (default: deepracer)")
    parser.add_argument("--port", type=int, default=22, help="SSH port (default: 22)")
    parser.add_argument("--identity", help="SSH private key file")
    parser.add_argument("--artifacts-dir", default=ARTIFACTS_DIR,
                        help=f"models folder on the car (default: {ARTIFACTS_DIR})")
    parser.add_argument("--sudo", action="store_true",
                        help="install with sudo on the car (the SSH user cannot write there)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        store = make_store(args)
        name = args.name or store.describe().rstrip("/").rsplit("/", 1)[-1]
        if not _SAFE_NAME.match(name):
            raise DeployError(f"model name {name!r}: use letters, digits, '.', '_' or '-' (--name)")
        car = None if args.out else CarTarget(args.car, args.user, args.port, args.identity,
                                              args.artifacts_dir.rstrip("/"), args.sudo)
        if car is not None:
            car_commands(Path("."), name, car)  # check the target before the work
        with tempfile.TemporaryDirectory(prefix="deploy_to_car.") as workdir:
            folder = Path(args.out or Path(workdir) / "package") / name
            model = build(store, args.checkpoint, name, workdir, folder)
            if car is None:
                where = str(folder.resolve())
            else:
                copy_to_car(folder, name, car)
                where = f"{car.user}@{car.host}:{car.artifacts_dir}/{name}"
            print("\n".join(describe(model, folder, where)))
    except (ValueError, OSError, StoreError) as error:
        print(f"deploy_to_car.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
