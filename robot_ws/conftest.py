"""Let pytest import the workspace's libraries straight from their source folders, and
load node scripts with stand-ins for the message packages that only a build provides."""
import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

import pytest

for src in sorted(Path(__file__).parent.glob("src/*/src")):
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))


@pytest.fixture
def load_node_script(monkeypatch):
    """load(path, name, msg={...}, srv={...}): import the node script at `path` as module
    `name`, with stand-in `deepracer_interfaces.msg` / `.srv` members while it imports."""
    def load(path, name, msg, srv):
        package = types.ModuleType("deepracer_interfaces")
        package.msg = types.ModuleType("deepracer_interfaces.msg")
        package.srv = types.ModuleType("deepracer_interfaces.srv")
        for module, members in ((package.msg, msg), (package.srv, srv)):
            for member, value in members.items():
                setattr(module, member, value)
        with monkeypatch.context() as during_import:
            for module in (package, package.msg, package.srv):
                during_import.setitem(sys.modules, module.__name__, module)
            loader = importlib.machinery.SourceFileLoader(name, str(path))
            module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
            loader.exec_module(module)
        return module
    return load
