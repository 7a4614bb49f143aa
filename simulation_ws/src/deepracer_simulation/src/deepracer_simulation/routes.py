"""Track routes: find, load and validate `routes/<WORLD_NAME>.npy`.

A route is a float64 `(N, 6)` array, metres, rows in driving order: centre
x, y; inner border x, y; outer border x, y. A closed loop repeats its first
row as its last.
"""
import difflib
import os
from pathlib import Path
from typing import List, NamedTuple, Optional, Union

import numpy as np

from .paths import share_dir

ROUTE_SUFFIX = ".npy"
CLOSED_TOLERANCE = 1e-6  # m; first and last rows this close make a closed loop
MIN_ROWS = 3


class UnknownTrackError(ValueError):
    """No route file exists for a WORLD_NAME."""


class RouteFormatError(ValueError):
    """A route file is not a valid `(N, 6)` route."""


class RouteStats(NamedTuple):
    """Summary of a route."""

    length: float  # m, centre-line length (closing segment included for a loop)
    width: float  # m, median distance between the inner and outer borders


def routes_dir() -> Path:
    """The folder holding the `<WORLD_NAME>.npy` route files."""
    return share_dir() / "routes"


def list_worlds(directory: Optional[Path] = None) -> List[str]:
    """Every WORLD_NAME (route file stem) in `directory` (default routes_dir()), sorted."""
    folder = Path(directory) if directory is not None else routes_dir()
    return sorted(path.stem for path in folder.glob("*" + ROUTE_SUFFIX) if path.is_file())


def closest_worlds(world_name: str, names: List[str], count: int = 5) -> List[str]:
    """Up to `count` names from `names` closest to `world_name`, ignoring case."""
    by_lower = {}
    for name in names:
        by_lower.setdefault(name.lower(), name)
    matches = difflib.get_close_matches(world_name.lower(), list(by_lower), n=count, cutoff=0.4)
    return [by_lower[match] for match in matches]


def route_path(world_name: str, directory: Optional[Path] = None) -> Path:
    """Path of the route file of `world_name`; UnknownTrackError names the closest names."""
    folder = Path(directory) if directory is not None else routes_dir()
    path = folder / f"{world_name}{ROUTE_SUFFIX}"
    if world_name and os.sep not in world_name and path.is_file():
        return path
    names = list_worlds(folder)
    closest = closest_worlds(str(world_name), names)
    hint = f"closest: {', '.join(closest)}" if closest else "no similar name"
    raise UnknownTrackError(f"unknown WORLD_NAME {world_name!r} ({hint}); "
                            f"{len(names)} tracks in {folder}")


def _is_path(world_name_or_path: Union[str, os.PathLike]) -> bool:
    if isinstance(world_name_or_path, os.PathLike):
        return True
    text = str(world_name_or_path)
    return text.endswith(ROUTE_SUFFIX) or "/" in text or os.sep in text


def load_route(world_name_or_path: Union[str, os.PathLike],
               directory: Optional[Path] = None) -> np.ndarray:
    """Load and validate a route by WORLD_NAME or by .npy path; float64 `(N, 6)`."""
    if _is_path(world_name_or_path):
        path = Path(world_name_or_path)
        if not path.is_file() and str(path) == path.name:  # "name.npy": look in routes/
            path = route_path(path.stem, directory)
        if not path.is_file():
            raise UnknownTrackError(f"route file {path} does not exist")
    else:
        path = route_path(str(world_name_or_path), directory)
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise RouteFormatError(f"{path}: not a .npy file numpy can load ({exc})") from exc
    if not isinstance(data, np.ndarray):
        data.close()
        raise RouteFormatError(f"{path}: holds an .npz archive, expected one (N, 6) array")
    return validate_route(data, str(path))


def validate_route(data: np.ndarray, source: str = "route") -> np.ndarray:
    """Check shape, dtype, finiteness and width; return float64 `(N, 6)`.

    Raises RouteFormatError naming `source` and the first problem found.
    """
    if data.ndim != 2 or data.shape[1] != 6 or data.shape[0] < MIN_ROWS:
        raise RouteFormatError(f"{source}: shape {data.shape} found, expected (N, 6) "
                               f"with N >= {MIN_ROWS}")
    if not np.issubdtype(data.dtype, np.floating):
        raise RouteFormatError(f"{source}: dtype {data.dtype} found, expected float")
    route = np.ascontiguousarray(data, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(route).all(axis=1))
    if bad.size:
        raise RouteFormatError(f"{source}: row {bad[0]} is not finite: {route[bad[0]].tolist()} "
                               f"({bad.size} bad rows)")
    widths = np.linalg.norm(route[:, 2:4] - route[:, 4:6], axis=1)
    bad = np.flatnonzero(widths <= 0)
    if bad.size:
        raise RouteFormatError(f"{source}: row {bad[0]} has width {widths[bad[0]]} m "
                               f"(inner border == outer border; {bad.size} bad rows)")
    return route


def is_closed(route: np.ndarray, tolerance: float = CLOSED_TOLERANCE) -> bool:
    """True when the last row repeats the first (a loop), within `tolerance` m."""
    return bool(np.all(np.abs(route[0] - route[-1]) <= tolerance))


def route_stats(route: np.ndarray) -> RouteStats:
    """Centre-line length (m) and median width (m) of a route."""
    length = float(np.linalg.norm(np.diff(route[:, 0:2], axis=0), axis=1).sum())
    width = float(np.median(np.linalg.norm(route[:, 2:4] - route[:, 4:6], axis=1)))
    return RouteStats(length, width)


def tracks_table(directory: Optional[Path] = None) -> str:
    """A Markdown table of every WORLD_NAME with its length, width and loop flag."""
    lines = ["| WORLD_NAME | centre length (m) | median width (m) | closed |",
             "|---|---:|---:|---|"]
    for name in list_worlds(directory):
        route = load_route(name, directory)
        stats = route_stats(route)
        closed = "yes" if is_closed(route) else "no (open)"
        lines.append(f"| {name} | {stats.length:.2f} | {stats.width:.2f} | {closed} |")
    return "\n".join(lines) + "\n"
