#!/usr/bin/env python3
"""Make the `colcon bundle` verb visible to the colcon of the Python that runs this script.

Debian's colcon runs on /usr/bin/python3, so run it with that interpreter:

    /usr/bin/python3 scripts/colcon_bundle_local/install_plugin.py [--check | --uninstall] [--site DIR]

It writes an editable install into a site folder (as root: /usr/local/lib/python3.X/
dist-packages; otherwise the user's site folder): `colcon_bundle_local.pth` naming this
folder, and a `colcon_bundle_local-<version>.dist-info` with the `colcon_core.verb` entry
point read from pyproject.toml. Nothing else on the system changes; --uninstall removes both.
"""
import argparse
import json
import os
import site
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
PTH_NAME = "colcon_bundle_local.pth"


def project():
    """(name, version, summary, {group: {name: target}}) from pyproject.toml."""
    meta = tomllib.loads((HERE / "pyproject.toml").read_text())["project"]
    return meta["name"], meta["version"], meta["description"], meta["entry-points"]


def default_site():
    """The first site folder of this interpreter, if writable; else the user's site folder."""
    system = site.getsitepackages()[0]
    if os.access(system, os.W_OK) or (not os.path.exists(system) and os.geteuid() == 0):
        return Path(system)
    return Path(site.getusersitepackages())


def wanted_files(site_dir):
    """{path: text} of the editable install in `site_dir`."""
    name, version, summary, entry_points = project()
    info = site_dir / f"{name.replace('-', '_')}-{version}.dist-info"
    groups = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
                     for group, eps in entry_points.items())
    files = {
        site_dir / PTH_NAME: f"{HERE}\n",
        info / "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                           f"Summary: {summary}\n",
        info / "entry_points.txt": groups,
        info / "INSTALLER": "install_plugin.py\n",
        info / "direct_url.json": json.dumps({"url": HERE.as_uri(), "dir_info": {"editable": True}})
                                  + "\n",
    }
    record = "".join(f"{os.path.relpath(p, site_dir)},,\n" for p in files)
    files[info / "RECORD"] = record + f"{os.path.relpath(info / 'RECORD', site_dir)},,\n"
    return files


def stale_infos(site_dir, keep):
    """dist-info folders of other versions of this plugin in `site_dir`."""
    name = project()[0].replace("-", "_")
    return [p for p in site_dir.glob(f"{name}-*.dist-info") if p != keep]


def is_current(site_dir):
    files = wanted_files(site_dir)
    info = next(p.parent for p in files if p.name == "METADATA")
    return all(p.is_file() and p.read_text() == text for p, text in files.items()) \
        and not stale_infos(site_dir, info)


def install(site_dir):
    files = wanted_files(site_dir)
    info = next(p.parent for p in files if p.name == "METADATA")
    uninstall(site_dir, keep=info)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(text)
        os.replace(temp, path)


def uninstall(site_dir, keep=None):
    for info in stale_infos(site_dir, keep):
        for path in info.iterdir():
            path.unlink()
        info.rmdir()
    if keep is None:
        (site_dir / PTH_NAME).unlink(missing_ok=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true", help="exit 1 unless installed and current")
    action.add_argument("--uninstall", action="store_true", help="remove the editable install")
    parser.add_argument("--site", type=Path, default=None, help="site folder (default: see above)")
    args = parser.parse_args(argv)
    site_dir = args.site or default_site()
    if args.check:
        current = is_current(site_dir)
        print(f"colcon bundle plugin {'is' if current else 'is not'} installed in {site_dir}")
        return 0 if current else 1
    try:
        if args.uninstall:
            uninstall(site_dir)
            print(f"removed the colcon bundle plugin from {site_dir}")
        else:
            install(site_dir)
            print(f"installed the colcon bundle plugin in {site_dir} (for {sys.executable})")
    except OSError as error:
        print(f"install_plugin.py: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
