"""The `colcon bundle` verb: parse the arguments, call `make_bundle`, report."""
import sys

from colcon_core.plugin_system import satisfies_version
from colcon_core.verb import VerbExtensionPoint

from .bundle import DEFAULT_EXCLUDED_DISTS, DEFAULT_EXCLUDED_PATHS, BundleOptions, make_bundle


def _size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000.0


class BundleVerb(VerbExtensionPoint):
    """Bundle the installed workspace and its Python dependencies into bundle/output.tar."""

    def __init__(self):
        super().__init__()
        satisfies_version(VerbExtensionPoint.EXTENSION_POINT_VERSION, "^1.0")

    def add_arguments(self, *, parser):
        parser.add_argument("--install-base", default="install",
                            help="the install folder to bundle (default: install)")
        parser.add_argument("--build-base", default="build",
                            help="the build folder; its CMake caches name the venv (default: build)")
        parser.add_argument("--bundle-base", default="bundle",
                            help="where output.tar and its cache are written (default: bundle)")
        parser.add_argument("--python-venv", default="auto", metavar="PATH|auto|none",
                            help="venv whose packages are bundled (default: the one the build used)")
        parser.add_argument("--python-requirements", default=None, metavar="FILE",
                            help="root requirements (default: requirements.txt or "
                                 "../scripts/requirements.txt, else the venv's top-level packages)")
        parser.add_argument("--exclude-python-dists", nargs="*", metavar="NAME",
                            default=list(DEFAULT_EXCLUDED_DISTS),
                            help="distributions left out (default: %(default)s)")
        parser.add_argument("--exclude-python-paths", nargs="*", metavar="GLOB",
                            default=list(DEFAULT_EXCLUDED_PATHS),
                            help="site-packages paths left out (default: %(default)s)")

    def main(self, *, context):
        args = context.args
        options = BundleOptions(
            workspace=".", install_base=args.install_base, build_base=args.build_base,
            bundle_base=args.bundle_base, venv=args.python_venv,
            requirements=args.python_requirements,
            exclude_dists=tuple(args.exclude_python_dists),
            exclude_paths=tuple(args.exclude_python_paths))
        try:
            result = make_bundle(options)
        except (ValueError, OSError) as error:
            print(f"colcon bundle: error: {error}", file=sys.stderr)
            return 1
        print_summary(result)
        return 0


def print_summary(result):
    """Print what was bundled, the sizes and the time."""
    report = result.archive
    if not report.rebuilt:
        print(f"colcon bundle: {report.path} is up to date ({_size(report.size)}), "
              f"checked in {result.seconds:.1f} s")
        return
    print(f"colcon bundle: wrote {report.path} ({_size(report.size)}) in {result.seconds:.1f} s")
    for name, size in report.layer_sizes:
        state = "rebuilt" if name in report.rebuilt else "reused"
        print(f"  {name:9s} layer {_size(size):>10s}  ({state})")
    print(f"  packages: {', '.join(result.packages)}")
    if result.selection is None:
        print("  python: no venv found in the build: no Python distributions bundled")
    else:
        print(f"  python: {len(result.selection.dists)} distributions from {result.venv} "
              f"(roots: {result.requirements})")
        if result.selection.excluded:
            print(f"  left out: {', '.join(result.selection.excluded)}")
        if result.selection.missing:
            print(f"  warning: required but not installed: {', '.join(result.selection.missing)}")
    print("  use: unpack it into an empty folder, then `source <folder>/setup.bash`")
