"""The `colcon bundle` plugin (scripts/colcon_bundle_local) on small fake venvs and installs."""
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
PLUGIN = REPO / "scripts" / "colcon_bundle_local"
sys.path.insert(0, str(PLUGIN))
from colcon_bundle_local import archive, python_deps, rewrite  # noqa: E402
from colcon_bundle_local.bundle import BundleOptions, make_bundle  # noqa: E402

sys.path.remove(str(PLUGIN))
SYSTEM_PYTHON = "/usr/bin/python3"


# ----------------------------------------------------------------------------- rewrites

BUILD = rewrite.PathMap((("/ws/install", "install"), ("/repo/.venv", "venv")))


def test_shell_paths_become_bundle_relative():
    text = (b'_prefix="/ws/install/deepracer_msgs"\n'
            b"_venv_bin=/repo/.venv/bin\n"
            b'echo "/ws/install2 /repo/.venv-other /ws/install"\n')
    assert rewrite.rewrite_shell(text, BUILD) == (
        b'_prefix="${COLCON_BUNDLE_PREFIX}/install/deepracer_msgs"\n'
        b"_venv_bin=${COLCON_BUNDLE_PREFIX}/venv/bin\n"
        b'echo "/ws/install2 /repo/.venv-other ${COLCON_BUNDLE_PREFIX}/install"\n')


@pytest.mark.parametrize("arcname, shell", [
    ("install/setup.sh", True), ("install/pkg/share/pkg/package.bash", True),
    ("install/pkg/share/pkg/catkin_env_hook/50.venv", True),
    ("install/pkg/etc/catkin/profile.d/x", True),
    ("install/pkg/share/pkg/cmake/pkgConfig.cmake", False), ("install/pkg/lib/pkg/node", False)])
def test_which_files_are_shell_scripts(arcname, shell):
    assert rewrite.is_shell_script(arcname) is shell


@pytest.mark.parametrize("data, expected", [
    (b"#!/repo/.venv/bin/python3\nprint(1)\n", b"#!/usr/bin/env python3\nprint(1)\n"),
    (b"#!/repo/.venv/bin/python3.11 -u\nx\n", b"#!/usr/bin/env -S python3 -u\nx\n"),
    (b"#!/repo/.venv/bin/python\n", b"#!/usr/bin/env python3\n"),
    (b"#!/usr/bin/python3\nx\n", None),
    (b"#!/usr/bin/env python3\nx\n", None),
    (b"#!/repo/.venv/bin/bash\nx\n", None),
    (b"print('no shebang')\n", None),
])
def test_venv_shebangs_use_env(data, expected):
    assert rewrite.rewrite_shebang(data, ("/repo/.venv/bin",)) == expected


# ----------------------------------------------------------------------------- python deps

def make_dist(site, name, version, requires=(), files=None):
    """A dist-info for `name` in `site` whose RECORD lists `files` {relative path: text}."""
    files = files or {f"{name.replace('-', '_')}/__init__.py": f"NAME = {name!r}\n"}
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    record = []
    for rel, text in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if rel.startswith("../../../bin/"):
            path.chmod(0o755)
        record.append(f"{rel},,")
    record += [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")


@pytest.fixture(scope="module")
def fake_venv(tmp_path_factory):
    """A real venv (system site visible) with a small dependency graph of fake distributions."""
    venv = tmp_path_factory.mktemp("fake") / "venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    make_dist(site, "alpha", "1.0", ["beta>=2", 'gamma[fast]; extra == "extra"', "six",
                                     'ancient; python_version < "3"'])
    make_dist(site, "beta", "2.1", ['delta; extra == "fast"'],
              {"beta/__init__.py": "", "beta/big.h": "header", "../../../bin/beta-tool":
               f"#!{venv}/bin/python3\nimport beta\n"})
    make_dist(site, "gamma", "0.3", ['delta; extra == "fast"'])
    make_dist(site, "delta", "4.0")
    make_dist(site, "moto", "5.0", ["werkzeug"])
    make_dist(site, "werkzeug", "3.0")
    make_dist(site, "epsilon", "1.0", ["moto"])
    return venv


def test_closure_follows_extras_markers_and_exclusions(fake_venv):
    config = python_deps.DepsConfig(fake_venv, ("alpha[extra]", "epsilon", "zeta"),
                                    frozenset({"moto"}), ("beta/*.h",))
    selection = python_deps.select_distributions(config)
    by_name = {d.name: d for d in selection.dists}
    assert sorted(by_name) == ["alpha", "beta", "delta", "epsilon", "gamma", "six"]
    assert selection.excluded == ("moto",) and selection.missing == ("zeta",)
    assert by_name["six"].origin == "system" and by_name["alpha"].origin == "venv"
    assert "Debian package python3-six" in by_name["six"].note
    assert any(rel.endswith("site-packages/six.py") for _, rel in by_name["six"].files)
    beta = sorted(rel for _, rel in by_name["beta"].files)
    assert "bin/beta-tool" in beta and not any(rel.endswith("big.h") for rel in beta)


def test_without_the_extra_gamma_and_delta_stay_out(fake_venv):
    selection = python_deps.select_distributions(
        python_deps.DepsConfig(fake_venv, ("alpha",), frozenset()))
    assert [d.name for d in selection.dists] == ["alpha", "beta", "six"]


def test_top_level_distributions(fake_venv):
    # gamma and delta are required only through extras: nothing needs them unconditionally
    assert python_deps.top_level_distributions(fake_venv) == ("alpha", "delta", "epsilon", "gamma")


def test_requirements_file_errors_name_the_line(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("# pins\nnumpy==1.26.4  # why\n\n-r other.txt\n")
    with pytest.raises(python_deps.PythonDepsError, match=r"requirements.txt:4: pip options"):
        python_deps.read_requirements(path)
    path.write_text("numpy==1.26.4\nnot a requirement!\n")
    with pytest.raises(python_deps.PythonDepsError, match=r"requirements.txt:2: not a requirement"):
        python_deps.read_requirements(path)
    path.write_text("numpy==1.26.4  # pinned\nmoto[server]==5.2.5\n")
    assert python_deps.read_requirements(path) == ("numpy==1.26.4", "moto[server]==5.2.5")


# ----------------------------------------------------------------------------- layered archive

def file_layer(name, folder):
    entries = [archive.path_entry(f"{name}/{p.relative_to(folder)}", p)
               for p in sorted(folder.rglob("*")) if p.is_file()]
    return archive.make_layer(name, entries)


def gnu_tar_listing(path):
    out = subprocess.run(["tar", "-tvf", str(path)], capture_output=True, text=True, check=True)
    return [line.split()[-1].rstrip("/") for line in out.stdout.splitlines()]


@pytest.fixture
def two_folders(tmp_path):
    for name, files in (("deps", {"a.txt": "A" * 5000, "sub/b.bin": "B" * 70000}),
                        ("ws", {"c.txt": "C", "d/e.txt": "E" * 1234})):
        for rel, text in files.items():
            path = tmp_path / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return tmp_path


def test_layers_are_reused_rebuilt_and_readable_by_gnu_tar(two_folders, tmp_path):
    out = tmp_path / "bundle"
    layers_ = [file_layer("deps", two_folders / "deps"), file_layer("ws", two_folders / "ws")]
    first = archive.build_archive(out, layers_)
    assert first.rebuilt == ("deps", "ws") and first.reused == ()
    assert gnu_tar_listing(first.path) == ["deps", "deps/a.txt", "deps/sub", "deps/sub/b.bin",
                                           "ws", "ws/c.txt", "ws/d", "ws/d/e.txt"]
    deps_end = first.layer_sizes[0][1]
    deps_bytes = first.path.read_bytes()[:deps_end]
    mtime = first.path.stat().st_mtime_ns

    again = archive.build_archive(out, layers_)
    assert again.rebuilt == () and first.path.stat().st_mtime_ns == mtime

    (two_folders / "ws" / "c.txt").write_text("changed workspace file")
    third = archive.build_archive(out, [file_layer("deps", two_folders / "deps"),
                                        file_layer("ws", two_folders / "ws")])
    assert third.rebuilt == ("ws",) and third.reused == ("deps",)
    assert third.path.read_bytes()[:deps_end] == deps_bytes
    with tarfile.open(third.path) as tar:
        assert tar.extractfile("ws/c.txt").read() == b"changed workspace file"
        assert tar.extractfile("deps/sub/b.bin").read() == b"B" * 70000

    (two_folders / "deps" / "a.txt").write_text("new dependency")
    fourth = archive.build_archive(out, [file_layer("deps", two_folders / "deps"),
                                         file_layer("ws", two_folders / "ws")])
    assert fourth.rebuilt == ("deps", "ws")
    assert sorted(p.name for p in out.iterdir()) == ["cache.json", "output.tar"]


def test_an_output_changed_by_hand_is_rebuilt_whole(two_folders, tmp_path):
    layers_ = [file_layer("deps", two_folders / "deps"), file_layer("ws", two_folders / "ws")]
    report = archive.build_archive(tmp_path / "b", layers_)
    with open(report.path, "ab") as handle:
        handle.write(b"\0" * 512)
    assert archive.build_archive(tmp_path / "b", layers_).rebuilt == ("deps", "ws")


def test_an_interrupted_build_leaves_no_output(two_folders, tmp_path, monkeypatch):
    layers_ = [file_layer("deps", two_folders / "deps"), file_layer("ws", two_folders / "ws")]
    archive.build_archive(tmp_path / "b", layers_)
    (two_folders / "ws" / "c.txt").write_text("changed")
    calls = []

    def failing_add(tar, entry):
        calls.append(entry.arcname)
        raise KeyboardInterrupt

    monkeypatch.setattr(archive, "_add", failing_add)
    with pytest.raises(KeyboardInterrupt):
        archive.build_archive(tmp_path / "b", [layers_[0], file_layer("ws", two_folders / "ws")])
    assert calls == ["ws"] and not any((tmp_path / "b").iterdir())
    monkeypatch.undo()
    fresh = [file_layer("deps", two_folders / "deps"), file_layer("ws", two_folders / "ws")]
    assert archive.build_archive(tmp_path / "b", fresh).rebuilt == ("deps", "ws")


def test_duplicate_members_are_refused():
    entry = archive.data_entry("x/y", b"1")
    with pytest.raises(archive.ArchiveError, match="x/y is listed twice"):
        archive.make_layer("l", [entry, entry])


# ----------------------------------------------------------------------------- whole bundle

def make_install(ws, venv):
    """A colcon-like isolated install of package `demo` built with `venv`, at a moved prefix."""
    install = ws / "install"
    pkg = install / "demo"
    (pkg / "share" / "colcon-core" / "packages").mkdir(parents=True)
    (pkg / "share" / "colcon-core" / "packages" / "demo").write_text("")
    (install / "local_setup.sh").write_text(
        '_colcon_prefix_sh_COLCON_CURRENT_PREFIX="/old/ws/install"\n'
        'PATH="$COLCON_CURRENT_PREFIX/demo/lib/demo:$PATH"\nexport PATH\n'
        '. "$COLCON_CURRENT_PREFIX/demo/share/demo/catkin_env_hook/50.venv.sh"\n')
    hook = pkg / "share" / "demo" / "catkin_env_hook" / "50.venv.sh"
    hook.parent.mkdir(parents=True)
    hook.write_text(f'_bin="{venv}/bin"\nPATH="$_bin:$PATH"\nexport DEMO_PREFIX=/old/ws/install/demo\n')
    node = pkg / "lib" / "demo" / "demo_node"
    node.parent.mkdir(parents=True)
    node.write_text(f"#!{venv}/bin/python3\nimport sys, alpha, beta\nprint(sys.prefix)\n")
    node.chmod(0o755)
    (pkg / "share" / "demo" / "demoConfig.cmake").write_text('set(demo_DIR "/old/ws/install/demo")\n')
    return install


def test_a_bundle_runs_from_another_folder(fake_venv, tmp_path):
    ws = tmp_path / "ws"
    make_install(ws, fake_venv)
    (ws / "requirements.txt").write_text("alpha\n")
    result = make_bundle(BundleOptions(workspace=ws, venv=str(fake_venv)))
    assert result.archive.rebuilt == ("python", "workspace") and result.packages == ("demo",)
    assert make_bundle(BundleOptions(workspace=ws, venv=str(fake_venv))).archive.rebuilt == ()

    unpacked = tmp_path / "elsewhere"
    unpacked.mkdir()
    subprocess.run(["tar", "-xf", str(result.archive.path), "-C", str(unpacked)], check=True)
    manifest = json.loads((unpacked / "bundle.json").read_text())
    assert [d["name"] for d in manifest["python_distributions"]] == ["alpha", "beta", "six"]
    assert manifest["build_time_paths_left_in"] == ["install/demo/share/demo/demoConfig.cmake"]
    script = f"source {unpacked}/setup.bash && command -v python3 && echo $DEMO_PREFIX && demo_node"
    out = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", f"HOME={tmp_path}", "bash", "-c", script],
                         capture_output=True, text=True, cwd="/")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [f"{unpacked}/venv/bin/python3", f"{unpacked}/install/demo",
                                  f"{unpacked}/venv"]
    assert (unpacked / "venv" / "bin" / "beta-tool").read_text().startswith("#!/usr/bin/env python3\n")


def test_missing_install_is_explained(tmp_path):
    from colcon_bundle_local.bundle import BundleError
    with pytest.raises(BundleError, match="run `colcon build` first"):
        make_bundle(BundleOptions(workspace=tmp_path))


# ----------------------------------------------------------------------------- plugin install

def test_install_plugin_registers_the_verb(tmp_path):
    installer = [SYSTEM_PYTHON, str(PLUGIN / "install_plugin.py"), "--site", str(tmp_path)]
    assert subprocess.run(installer + ["--check"], capture_output=True).returncode == 1
    subprocess.run(installer, check=True, capture_output=True)
    assert subprocess.run(installer + ["--check"], capture_output=True).returncode == 0
    probe = ("import site, sys; sys.path.append('/usr/lib/python3/dist-packages'); "
             f"site.addsitedir({str(tmp_path)!r}); "
             "from colcon_core.verb import get_verb_extensions; "
             "print(type(get_verb_extensions()['bundle']).__module__)")
    out = subprocess.run([SYSTEM_PYTHON, "-I", "-S", "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "colcon_bundle_local.verb", out.stderr
    subprocess.run(installer + ["--uninstall"], check=True, capture_output=True)
    assert list(tmp_path.iterdir()) == []
