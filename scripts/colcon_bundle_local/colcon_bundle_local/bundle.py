"""Build a workspace's bundle: `<bundle_base>/output.tar` from install/ and the build's venv."""
import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from .archive import build_archive
from .layers import installed_packages, python_layer, workspace_layer
from .python_deps import DepsConfig, read_requirements, select_distributions, top_level_distributions

#: Distributions left out by default: test tools and the S3 test server, not needed to run.
DEFAULT_EXCLUDED_DISTS = ("moto", "pip", "pytest", "pytest-timeout")
#: site-packages paths left out by default: TensorFlow's C++ headers (for building ops only).
DEFAULT_EXCLUDED_PATHS = ("tensorflow/include/*",)
#: Requirements files looked for, relative to the workspace, when none is given.
REQUIREMENTS_CANDIDATES = ("requirements.txt", "../scripts/requirements.txt")


class BundleError(ValueError):
    """A workspace that cannot be bundled; the message says what to do."""


@dataclass(frozen=True)
class BundleOptions:
    """Where things are and what to leave out (paths relative to `workspace`)."""

    workspace: Path  #: the colcon workspace folder (holds install/ and build/)
    install_base: str = "install"  #: colcon's install folder
    build_base: str = "build"  #: colcon's build folder (its CMake caches name the Python)
    bundle_base: str = "bundle"  #: where output.tar and the cache go
    venv: str = "auto"  #: the venv to bundle, "auto" (from the build) or "none"
    requirements: str = None  #: requirements file; None: look for one, else the venv's top level
    exclude_dists: tuple = DEFAULT_EXCLUDED_DISTS  #: distribution names never bundled
    exclude_paths: tuple = DEFAULT_EXCLUDED_PATHS  #: fnmatch patterns relative to site-packages


@dataclass(frozen=True)
class BundleResult:
    """What `make_bundle` did and where the result is."""

    archive: object  #: the ArchiveReport
    venv: Path  #: the bundled venv, or None
    requirements: str  #: the requirements file used, or a note
    selection: object  #: the DepsSelection, or None
    packages: tuple  #: workspace packages in the bundle
    seconds: float  #: total wall time


def detect_venv(build_base):
    """The venv whose python the build used (PYTHON_EXECUTABLE in a CMake cache), or None."""
    for cache in sorted(Path(build_base).glob("*/CMakeCache.txt")):
        for line in cache.read_text(errors="replace").splitlines():
            if line.startswith("PYTHON_EXECUTABLE:"):
                root = Path(line.partition("=")[2].strip()).parent.parent
                return root if (root / "pyvenv.cfg").is_file() else None
    return None


def _resolve_venv(options):
    if options.venv == "none":
        return None
    if options.venv != "auto":
        venv = (options.workspace / options.venv).resolve()
        if not (venv / "pyvenv.cfg").is_file():
            raise BundleError(f"--python-venv {options.venv}: no pyvenv.cfg in {venv}")
        return venv
    return detect_venv(options.workspace / options.build_base)


def _roots(options, venv):
    """(root requirement strings, where they came from)."""
    if options.requirements:
        path = options.workspace / options.requirements
        if not path.is_file():
            raise BundleError(f"--python-requirements: {path} does not exist")
        return read_requirements(path), str(path.resolve())
    for candidate in REQUIREMENTS_CANDIDATES:
        path = options.workspace / candidate
        if path.is_file():
            return read_requirements(path), str(path.resolve())
    return top_level_distributions(venv), f"top-level distributions of {venv}"


def make_bundle(options):
    """Write `<bundle_base>/output.tar` for `options`; return a BundleResult."""
    start = time.monotonic()
    workspace = Path(options.workspace).resolve()
    options = dataclasses.replace(options, workspace=workspace)
    install = workspace / options.install_base
    if not (install / "local_setup.sh").is_file():
        raise BundleError(f"{install} holds no colcon install (no local_setup.sh): "
                          "run `colcon build` first")
    venv = _resolve_venv(options)
    selection, roots_source, layers = None, "no venv", []
    if venv is not None:
        roots, roots_source = _roots(options, venv)
        exclude = frozenset(canonicalize_name(n) for n in options.exclude_dists)
        selection = select_distributions(DepsConfig(venv, roots, exclude, options.exclude_paths))
        layers.append(python_layer(venv, selection))
    layers.append(workspace_layer(install, venv, selection, options.exclude_paths,
                                  os.path.basename(workspace)))
    report = build_archive(workspace / options.bundle_base, layers)
    return BundleResult(report, venv, roots_source, selection, tuple(installed_packages(install)),
                        time.monotonic() - start)
