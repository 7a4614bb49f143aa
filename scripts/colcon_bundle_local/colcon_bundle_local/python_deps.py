"""The Python distributions a bundle carries: the closure of the root requirements.

A workspace built with ``-DPYTHON_EXECUTABLE=<venv>/bin/python3`` runs its
nodes with that virtual environment. The bundle keeps the distributions the
roots need (their ``Requires-Dist`` closure, extras and markers evaluated),
minus the excluded names. A distribution found in the venv is copied by its
``RECORD``; one that the venv takes from the system site (Debian's
``python3-*``) is copied by its Debian package's file list, so the bundle does
not depend on which ``python3-*`` packages the target happens to have.
"""
import csv
import fnmatch
import importlib.metadata as metadata
import json
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


class PythonDepsError(ValueError):
    """A venv, requirements file or distribution that cannot be bundled; the message names it."""


@dataclass(frozen=True)
class DepsConfig:
    """What to take from the venv."""

    venv: Path  #: root of the virtual environment (holds pyvenv.cfg)
    roots: tuple  #: requirement strings whose closure is bundled
    exclude: frozenset = frozenset()  #: canonical names never bundled (nor followed)
    exclude_paths: tuple = ()  #: fnmatch patterns of site-packages-relative paths left out


@dataclass(frozen=True)
class BundledDist:
    """One distribution in the bundle."""

    name: str  #: canonical name
    version: str
    origin: str  #: "venv" or "system"
    files: tuple  #: (absolute source path, venv-relative path) pairs
    note: str = ""  #: where the file list came from, or why it is empty


@dataclass(frozen=True)
class DepsSelection:
    """The result of `select_distributions`."""

    dists: tuple  #: BundledDist, sorted by name
    excluded: tuple  #: excluded names met in the closure (roots included)
    missing: tuple  #: required names installed nowhere (their marker was true)


def read_requirements(path):
    """Requirement strings of a pip requirements file (comments, blanks dropped)."""
    roots = []
    for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.split(" #")[0].split("\t#")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            raise PythonDepsError(f"{path}:{number}: pip options are not supported here: {line!r}")
        try:
            Requirement(line)
        except InvalidRequirement as error:
            raise PythonDepsError(f"{path}:{number}: not a requirement: {line!r} ({error})") from None
        roots.append(line)
    return tuple(roots)


def venv_sys_path(venv):
    """sys.path of the venv's interpreter (no PYTHONPATH, no user site)."""
    python = Path(venv) / "bin" / "python3"
    if not (Path(venv) / "pyvenv.cfg").is_file() or not python.exists():
        raise PythonDepsError(f"{venv}: not a virtual environment (no pyvenv.cfg or bin/python3)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    out = subprocess.run([str(python), "-c", "import json, sys; print(json.dumps(sys.path))"],
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise PythonDepsError(f"{python} does not run: {out.stderr.strip()}")
    return [p for p in json.loads(out.stdout) if p and os.path.isdir(p)]


def _folder(dist):
    """The distribution's .dist-info / .egg-info folder (importlib keeps it in `_path`)."""
    return os.path.normpath(str(dist._path))


def _index_distributions(search_path):
    """Canonical name -> the distribution Python would import (first on the path wins)."""
    found = {}
    for dist in metadata.distributions(path=search_path):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist)
    return found


def _requirements_of(dist, extras):
    """Requirement objects of `dist` whose marker holds with no extra or one of `extras`."""
    wanted = []
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
            wanted.append(req)
    return wanted


def _closure(index, roots, exclude):
    """{name: extras} reachable from `roots`; also excluded and missing names met on the way."""
    chosen, excluded, missing = {}, set(), set()
    todo = [Requirement(r) for r in roots]
    todo = [r for r in todo if r.marker is None or r.marker.evaluate({"extra": ""})]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in exclude:
            excluded.add(name)
            continue
        if name not in index:
            missing.add(name)
            continue
        extras = set(req.extras)
        if name in chosen and extras <= chosen[name]:
            continue
        chosen[name] = chosen.get(name, set()) | extras
        todo.extend(_requirements_of(index[name], sorted(chosen[name])))
    return chosen, excluded, missing


def _record_paths(dist):
    """Paths listed in the distribution's RECORD (or installed-files.txt), as strings."""
    text = dist.read_text("RECORD")
    if text is not None:
        return [row[0] for row in csv.reader(text.splitlines()) if row]
    return [str(f) for f in dist.files or []]


def _venv_files(dist, venv, exclude_paths, site):
    """(source, venv-relative) pairs from the distribution's RECORD (string operations: fast)."""
    pairs, base = [], os.path.dirname(_folder(dist))
    for entry in _record_paths(dist):
        source = os.path.normpath(os.path.join(base, entry))
        if not source.startswith(venv + os.sep):
            continue
        try:
            if stat.S_ISDIR(os.lstat(source).st_mode):
                continue
        except FileNotFoundError:
            continue
        if source.startswith(site + os.sep) and exclude_paths:
            site_rel = source[len(site) + 1:]
            if any(fnmatch.fnmatch(site_rel, pattern) for pattern in exclude_paths):
                continue
        pairs.append((source, source[len(venv) + 1:]))
    return pairs


def _debian_owners(paths):
    """{path: Debian package owning it} for the paths dpkg knows (one dpkg call)."""
    if not paths:
        return {}
    try:
        out = subprocess.run(["dpkg", "-S", *map(str, paths)], capture_output=True, text=True)
    except FileNotFoundError:
        return {}
    owners = {}
    for line in out.stdout.splitlines():
        package, _, path = line.partition(": ")
        owners[path.strip()] = package.split(":")[0].strip()
    return owners


def _debian_files(package):
    """Files installed by Debian package `package`."""
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False)
    return [Path(line) for line in listing.stdout.splitlines() if line]


def _system_files(dist, venv_site, owner):
    """(source, venv-relative) pairs of a system-site distribution, and where they came from."""
    site = Path(_folder(dist)).parent
    if dist.read_text("RECORD") is not None:
        sources, note = [Path(str(dist.locate_file(f))) for f in dist.files], "its RECORD"
    elif owner:
        sources, note = _debian_files(owner), f"Debian package {owner}"
    else:
        return [], "not bundled (no RECORD, no Debian package); the target must provide it"
    pairs = []
    for source in sources:
        if source.is_file() and site in source.parents:
            pairs.append((str(source), os.path.join(venv_site, str(source.relative_to(site)))))
    return sorted(set(pairs)), note


def select_distributions(config):
    """The distributions to bundle for `config` (a DepsConfig), sorted by name."""
    venv = os.path.normpath(str(config.venv))
    search_path = venv_sys_path(venv)
    venv_sites = [p for p in search_path if os.path.normpath(p).startswith(venv + os.sep)]
    if not venv_sites:
        raise PythonDepsError(f"{venv}: its interpreter lists no site-packages inside the venv")
    site = os.path.normpath(venv_sites[0])
    site_rel = os.path.relpath(site, venv)
    index = _index_distributions(search_path)
    chosen, excluded, missing = _closure(index, config.roots, config.exclude)
    in_venv = {n: _folder(index[n]).startswith(venv + os.sep) for n in chosen}
    owners = _debian_owners([_folder(index[n]) for n in chosen if not in_venv[n]])
    dists = []
    for name in sorted(chosen):
        dist = index[name]
        if in_venv[name]:
            files, origin, note = _venv_files(dist, venv, config.exclude_paths, site), "venv", "RECORD"
        else:
            owner = owners.get(_folder(dist))
            (files, note), origin = _system_files(dist, site_rel, owner), "system"
        dists.append(BundledDist(name, dist.version, origin, tuple(files), note))
    return DepsSelection(tuple(dists), tuple(sorted(excluded)), tuple(sorted(missing)))


def top_level_distributions(venv):
    """Names of the venv's distributions that no other venv distribution requires."""
    venv = os.path.normpath(str(venv))
    index = {n: d for n, d in _index_distributions(venv_sys_path(venv)).items()
             if _folder(d).startswith(venv + os.sep)}
    required = {canonicalize_name(r.name) for d in index.values() for r in _requirements_of(d, ())}
    return tuple(sorted(set(index) - required))
