"""Make installed files independent of where the workspace was built.

Two rewrites, both pure functions over bytes:

- shell scripts (colcon's ``*.sh``/``*.bash``, catkin env-hooks) get every
  build-time path (the install prefix, the venv) replaced by the same path
  under ``${COLCON_BUNDLE_PREFIX}``, which the bundle's setup script exports;
- a script whose ``#!`` names the venv's Python gets ``#!/usr/bin/env python3``
  (the bundle's setup puts the bundled venv first on PATH).
"""
import re
from dataclasses import dataclass

PREFIX_VARIABLE = "COLCON_BUNDLE_PREFIX"
SHELL_SUFFIXES = (".sh", ".bash", ".zsh")
HOOK_FOLDERS = ("catkin_env_hook", "profile.d", "env-hooks")
_BOUNDARY = r"(?=[/\"'\s:;)]|$)"  # a path ends at '/', a quote, a space, ':', ';', ')' or the end


@dataclass(frozen=True)
class PathMap:
    """Build-time absolute paths and the folder each becomes inside the bundle."""

    pairs: tuple  #: (build-time absolute path, bundle-relative folder) pairs

    def shell_replacements(self):
        """(regex, replacement) pairs, longest build path first."""
        ordered = sorted(self.pairs, key=lambda pair: -len(pair[0]))
        return [(re.compile(re.escape(old.rstrip("/")).encode() + _BOUNDARY.encode(), re.M),
                 f"${{{PREFIX_VARIABLE}}}/{new}".encode()) for old, new in ordered]

    def mentions(self, data):
        """True if `data` holds any of the build-time paths."""
        return any(old.rstrip("/").encode() in data for old, _ in self.pairs)


def is_shell_script(arcname):
    """True for files sourced by a shell: colcon's setup files and catkin env-hooks."""
    folder = arcname.rpartition("/")[0].rpartition("/")[2]
    return arcname.endswith(SHELL_SUFFIXES) or folder in HOOK_FOLDERS


def rewrite_shell(data, path_map):
    """`data` with each build-time path replaced by ``${COLCON_BUNDLE_PREFIX}/<folder>``."""
    for pattern, replacement in path_map.shell_replacements():
        data = pattern.sub(lambda _match, r=replacement: r, data)
    return data


def rewrite_shebang(data, python_folders):
    """`data` with a ``#!`` naming a Python in one of `python_folders` made ``/usr/bin/env``-based.

    Returns None when the first line is not such a shebang. Interpreter arguments are
    kept with ``env -S``.
    """
    if not data.startswith(b"#!"):
        return None
    line, newline, rest = data.partition(b"\n")
    parts = line[2:].strip().split(None, 1)
    if not parts:
        return None
    interpreter = parts[0].decode("utf-8", "surrogateescape")
    folder, _, name = interpreter.rpartition("/")
    if not name.startswith("python") or not any(
            folder.rstrip("/") == f.rstrip("/") for f in python_folders):
        return None
    python = "python3" if name.startswith("python3") or name == "python" else name
    if len(parts) == 2:
        return b"#!/usr/bin/env -S " + python.encode() + b" " + parts[1] + newline + rest
    return b"#!/usr/bin/env " + python.encode() + newline + rest
