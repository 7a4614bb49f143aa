"""The bundle's two layers: the Python environment (`venv/`) and the workspace (`install/`).

Bundle layout (the archive's top level)::

    venv/         pyvenv.cfg, bin/python3 -> the system interpreter, the bundled
                  distributions under lib/python3.X/site-packages
    install/      the workspace's install folder, build-time paths rewritten
    setup.sh      source it (sh) with COLCON_BUNDLE_PREFIX set, or from the bundle folder
    setup.bash    source it (bash) from anywhere
    bundle.json   what is inside: packages, Python distributions, what was left out
"""
import dataclasses
import json
import os
import platform
from pathlib import Path

from .archive import ArchiveError, data_entry, make_layer, path_entry
from .rewrite import PathMap, is_shell_script, rewrite_shebang, rewrite_shell

BUNDLE_FORMAT = 1
_TEMPLATES = Path(__file__).parent / "templates"
_PYVENV_KEYS = ("home", "include-system-site-packages", "version", "executable")


def python_executable(venv):
    """The real interpreter behind the venv's bin/python3 (symlinks resolved)."""
    return os.path.realpath(Path(venv) / "bin" / "python3")


def _pyvenv_cfg(venv):
    """pyvenv.cfg without the line naming the build machine's venv path."""
    lines = []
    for line in (Path(venv) / "pyvenv.cfg").read_text().splitlines():
        if line.partition("=")[0].strip() in _PYVENV_KEYS:
            lines.append(line.strip())
    return ("\n".join(lines) + "\n").encode()


def python_layer(venv, selection):
    """Layer `venv`: interpreter links, pyvenv.cfg and the selected distributions' files."""
    venv = Path(venv)
    venv_bin_folders = (str(venv / "bin"), os.path.realpath(venv / "bin"))
    entries, seen = [], set()
    for name in sorted(os.listdir(venv / "bin")):
        if name.startswith("python") and os.path.islink(venv / "bin" / name):
            entries.append(path_entry(f"venv/bin/{name}", venv / "bin" / name))
    if os.path.islink(venv / "lib64"):
        entries.append(path_entry("venv/lib64", venv / "lib64"))
    cfg = venv / "pyvenv.cfg"
    entries.append(data_entry("venv/pyvenv.cfg", _pyvenv_cfg(venv), 0o644, cfg.stat().st_mtime_ns))
    for dist in selection.dists:
        for source, rel in dist.files:
            arcname = "venv/" + rel.replace(os.sep, "/")
            if arcname in seen:  # two distributions may list one file (namespace packages)
                continue
            seen.add(arcname)
            entry = path_entry(arcname, source)
            if arcname.startswith("venv/bin/") and entry.kind == "file":
                rewritten = rewrite_shebang(Path(source).read_bytes(), venv_bin_folders)
                if rewritten is not None:
                    entry = data_entry(arcname, rewritten, entry.mode, entry.mtime_ns)
            entries.append(entry)
    return make_layer("python", entries)


def build_time_prefix(install):
    """The install prefix recorded in colcon's local_setup.sh (where it was built)."""
    try:
        text = (Path(install) / "local_setup.sh").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("_colcon_prefix_sh_COLCON_CURRENT_PREFIX="):
            return line.partition("=")[2].strip().strip('"')
    return None


def installed_packages(install):
    """Names of the packages in a colcon install folder (isolated or merged)."""
    install = Path(install)
    found = list(install.glob("*/share/colcon-core/packages/*"))
    found += list(install.glob("share/colcon-core/packages/*"))
    return sorted({p.name for p in found})


def _install_entries(install, path_map, python_folders):
    """Entries of install/ and the arcnames that still mention build-time paths."""
    entries, left = [], []
    for folder, dirs, files in os.walk(install):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not os.path.islink(
            os.path.join(folder, d)))
        links = [d for d in os.listdir(folder) if os.path.islink(os.path.join(folder, d))]
        for name in sorted(set(files) | set(links)):
            path = os.path.join(folder, name)
            arcname = "install/" + os.path.relpath(path, install).replace(os.sep, "/")
            entry = _install_entry(arcname, path, install)
            if entry.kind == "file":
                entry, mentions = _rewritten(entry, path_map, python_folders)
                if mentions:
                    left.append(arcname)
            entries.append(entry)
    return entries, left


def _install_entry(arcname, path, install):
    """path_entry, with a symlink leading out of `install` replaced by the file it names."""
    entry = path_entry(arcname, path)
    if entry.kind != "symlink":
        return entry
    target = os.path.realpath(path)
    if Path(target).is_relative_to(os.path.realpath(install)):
        link = os.path.relpath(target, os.path.realpath(os.path.dirname(path)))
        return dataclasses.replace(entry, link=link)
    if os.path.isdir(target):
        raise ArchiveError(f"{path} links to the folder {target} outside the install folder "
                           "(built with --symlink-install?); rebuild without it to bundle")
    if not os.path.exists(target):
        raise ArchiveError(f"{path} links to {target}, which does not exist")
    return path_entry(arcname, target)


def _rewritten(entry, path_map, python_folders):
    """(entry with rewritten contents if needed, whether build-time paths remain in it)."""
    data = Path(entry.source).read_bytes()
    new = rewrite_shebang(data, python_folders)
    new = data if new is None else new
    if is_shell_script(entry.arcname):
        new = rewrite_shell(new, path_map)
    if new != data:
        entry = data_entry(entry.arcname, new, entry.mode, entry.mtime_ns)
    return entry, path_map.mentions(new)


def _render(template, values):
    text = (_TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text.encode()


def _os_name():
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", platform.platform())
    except OSError:
        return platform.platform()


def workspace_layer(install, venv, selection, excluded_paths, workspace_name):
    """Layer `install`: the install folder (rewritten), setup.sh, setup.bash, bundle.json."""
    install = Path(install)
    prefixes = {str(install.resolve()), build_time_prefix(install) or str(install.resolve())}
    pairs = [(p, "install") for p in sorted(prefixes)]
    python_folders = ()
    if venv is not None:
        pairs += [(str(Path(venv)), "venv"), (os.path.realpath(venv), "venv")]
        python_folders = (str(Path(venv) / "bin"), os.path.realpath(Path(venv) / "bin"))
    path_map = PathMap(tuple(sorted(set(pairs))))
    entries, left = _install_entries(install, path_map, python_folders)
    newest = max((e.mtime_ns for e in entries), default=0)
    python = python_executable(venv) if venv is not None else "/usr/bin/python3"
    values = {"PYTHON": python, "OS": _os_name()}
    manifest = {
        "format": BUNDLE_FORMAT, "workspace": workspace_name, "os": values["OS"],
        "python": python, "packages": installed_packages(install),
        "python_distributions": [{"name": d.name, "version": d.version, "origin": d.origin,
                                  "files": len(d.files), "source": d.note}
                                 for d in (selection.dists if selection else ())],
        "python_excluded": list(selection.excluded) if selection else [],
        "python_missing": list(selection.missing) if selection else [],
        "python_excluded_paths": list(excluded_paths),
        "build_time_paths_left_in": left,
        "usage": "source setup.bash (bash) or COLCON_BUNDLE_PREFIX=<folder> . <folder>/setup.sh",
    }
    entries += [
        data_entry("setup.sh", _render("setup.sh.in", values), 0o644, newest),
        data_entry("setup.bash", _render("setup.bash.in", values), 0o644, newest),
        data_entry("bundle.json", (json.dumps(manifest, indent=1) + "\n").encode(), 0o644, newest),
    ]
    return make_layer("workspace", entries)
