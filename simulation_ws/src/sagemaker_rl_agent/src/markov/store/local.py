"""A model store in a local directory, with crash-safe (atomic) writes."""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import BinaryIO, Callable

from . import layout
from .base import ModelStore, NotFoundError, StoreError

_CHUNK = 1 << 20


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Create ``path`` through ``write(fileobj)``: temp file in the same dir, fsync, rename.

    A crash at any point leaves either the old file or the new one, never a
    partial file under ``path`` (an orphan temp file may remain; its name
    starts with `layout.TEMP_MARKER` and listings skip it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{layout.TEMP_MARKER}{secrets.token_hex(4)}-{path.name}")
    try:
        with open(tmp, "wb") as fileobj:
            write(fileobj)
            fileobj.flush()
            os.fsync(fileobj.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalModelStore(ModelStore):
    """Keys are files under ``<root_dir>/<prefix>/``; same layout as the S3 store."""

    def __init__(self, root_dir: str | os.PathLike, prefix: str):
        self.root_dir = Path(root_dir)
        self.prefix = prefix.strip("/")
        if self.prefix:
            layout.validate_key(self.prefix)
        self.base = self.root_dir / self.prefix if self.prefix else self.root_dir

    def __repr__(self) -> str:
        return f"LocalModelStore({str(self.root_dir)!r}, {self.prefix!r})"

    def _path(self, key: str) -> Path:
        return self.base / layout.validate_key(key)

    def describe(self, key: str = "") -> str:
        return str(self.base / key) if key else str(self.base)

    def put_bytes(self, data: bytes, key: str) -> None:
        path = self._path(key)
        try:
            atomic_write(path, lambda f: f.write(data))
        except OSError as err:
            raise StoreError(f"cannot write {path}: {err}") from err

    def put_file(self, local_path: str | os.PathLike, key: str) -> None:
        path = self._path(key)
        with open(local_path, "rb") as src:
            try:
                atomic_write(path, lambda dst: shutil.copyfileobj(src, dst, _CHUNK))
            except OSError as err:
                raise StoreError(f"cannot write {path} from {local_path}: {err}") from err

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"{path} does not exist") from None

    def get_file(self, key: str, local_path: str | os.PathLike) -> None:
        path = self._path(key)
        try:
            src = open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"{path} does not exist") from None
        with src:
            atomic_write(local_path, lambda dst: shutil.copyfileobj(src, dst, _CHUNK))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        keys = []
        for dirpath, _dirs, files in os.walk(self.base):
            rel = Path(dirpath).relative_to(self.base).as_posix()
            for name in files:
                if name.startswith(layout.TEMP_MARKER):
                    continue
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as err:
            raise StoreError(f"cannot delete {path}: {err}") from err
