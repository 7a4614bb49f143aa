"""Find the deepracer_simulation data folder in a source tree or an install."""
import os
from pathlib import Path

PACKAGE = "deepracer_simulation"
ENV_OVERRIDE = "DEEPRACER_SIMULATION_SHARE"


class ShareDirNotFound(FileNotFoundError):
    """The package's data folder (routes/, urdf/, ...) could not be located."""


def _candidates():
    here = Path(__file__).resolve().parent
    # Source tree: <pkg>/src/deepracer_simulation/paths.py -> <pkg>/
    yield here.parents[1]
    # Installed: <prefix>/lib/python3/dist-packages/deepracer_simulation -> <prefix>/share/<pkg>
    for parent in here.parents:
        yield parent / "share" / PACKAGE


def share_dir() -> Path:
    """Return the folder holding routes/, urdf/, worlds/, models/, config/, launch/."""
    override = os.environ.get(ENV_OVERRIDE)
    if override:
        path = Path(override)
        if not (path / "package.xml").is_file():
            raise ShareDirNotFound(f"{ENV_OVERRIDE}={override} has no package.xml")
        return path
    tried = []
    for candidate in _candidates():
        tried.append(str(candidate))
        if (candidate / "package.xml").is_file() and (candidate / "routes").is_dir():
            return candidate
    raise ShareDirNotFound(f"no {PACKAGE} data folder found; looked in: {', '.join(tried)}")
