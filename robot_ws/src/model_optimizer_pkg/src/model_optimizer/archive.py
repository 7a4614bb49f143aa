"""Find the frozen graph and model_metadata.json of a model: model.pb, model.tar.gz or an IR .xml.

A car package `model.tar.gz` holds `model_metadata.json` and `agent/model.pb` (other
members are ignored). Beside a bare model.pb (or a converted model.xml) the metadata is
looked for as `model_metadata.json` in the same folder.
"""
import tarfile
from pathlib import Path

from model_optimizer.metadata import MetadataError, ModelMetadata, load_model_metadata

METADATA_NAME = "model_metadata.json"
GRAPH_MEMBER = "agent/model.pb"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


class ModelError(ValueError):
    """A model file the car cannot use; the message names the file and what is wrong."""


def is_archive(path) -> bool:
    return str(path).endswith(ARCHIVE_SUFFIXES)


def _open_archive(path):
    try:
        return tarfile.open(path, "r:gz")
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except (tarfile.TarError, OSError) as error:
        raise ModelError(f"{path}: not a readable tar.gz archive ({error})") from None


def _member_bytes(archive, path, name) -> bytes:
    """The bytes of member `name` (also accepted under a leading './')."""
    for candidate in (name, f"./{name}"):
        try:
            member = archive.getmember(candidate)
        except KeyError:
            continue
        if member.isfile():
            return archive.extractfile(member).read()
    raise ModelError(f"{path}: the archive has no {name} (a car model.tar.gz holds "
                     f"{METADATA_NAME} and {GRAPH_MEMBER})")


def extract_graph(model_path, dest_dir) -> Path:
    """The frozen graph of `model_path`: the file itself, or agent/model.pb unpacked into dest_dir."""
    model_path = Path(model_path)
    if not is_archive(model_path):
        if not model_path.is_file():
            raise ModelError(f"{model_path}: no such file")
        return model_path
    with _open_archive(model_path) as archive:
        data = _member_bytes(archive, model_path, GRAPH_MEMBER)
    out = Path(dest_dir) / "model.pb"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def metadata_text(model_path=None, metadata_path=None):
    """(source name, JSON text) of the model's metadata: `metadata_path` if given, else the
    archive's member, else model_metadata.json beside `model_path`."""
    if metadata_path:
        path = Path(metadata_path)
    elif model_path is None:
        raise MetadataError("no model_metadata.json: give a model path or a metadata path")
    elif is_archive(model_path):
        with _open_archive(model_path) as archive:
            data = _member_bytes(archive, model_path, METADATA_NAME)
        return f"{model_path}:{METADATA_NAME}", data.decode("utf-8", "replace")
    else:
        path = Path(model_path).parent / METADATA_NAME
        if not path.is_file():
            raise MetadataError(f"{model_path}: no {METADATA_NAME} beside it; pass the metadata path")
    try:
        return str(path), path.read_text()
    except OSError as error:
        raise MetadataError(f"{path}: cannot read model metadata ({error.strerror})") from None


def read_metadata(model_path=None, metadata_path=None) -> ModelMetadata:
    """The model's metadata, found as `metadata_text` does."""
    source, text = metadata_text(model_path, metadata_path)
    return load_model_metadata(source, text=text)


def pack_model(pb_path, metadata_path, out_path) -> Path:
    """Write a car package at `out_path`: model_metadata.json and agent/model.pb."""
    for path in (pb_path, metadata_path):
        if not Path(path).is_file():
            raise ModelError(f"{path}: no such file")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out_path, "w:gz") as archive:
        archive.add(str(metadata_path), arcname=METADATA_NAME)
        archive.add(str(pb_path), arcname=GRAPH_MEMBER)
    return out_path
