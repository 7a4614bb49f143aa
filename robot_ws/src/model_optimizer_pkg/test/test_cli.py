"""model_optimizer_cli: converts a car package, reports bad input in one line with exit code 2."""
import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

from model_optimizer import pack_model
from model_optimizer.sample_model import write_sample_model

CLI = Path(__file__).resolve().parents[1] / "nodes" / "model_optimizer_cli"


def load_cli():
    loader = importlib.machinery.SourceFileLoader("model_optimizer_cli", str(CLI))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_cli_converts_a_car_package(tmp_path, write_metadata, capsys):
    metadata = write_metadata(tmp_path / "model_metadata.json")
    archive = pack_model(write_sample_model(tmp_path / "model.pb", 5), metadata, tmp_path / "model.tar.gz")
    assert load_cli().main([str(archive), "-o", str(tmp_path / "ir"), "--fp16"]) == 0
    out = capsys.readouterr().out.split()
    assert out == [str(tmp_path / "ir" / "model.xml"), str(tmp_path / "ir" / "model.bin")]
    assert Path(out[1]).stat().st_size > 0


def test_cli_reports_a_bad_model_in_one_line(tmp_path, write_metadata, capsys):
    metadata = write_metadata(tmp_path / "model_metadata.json", [(0, 1.0)] * 3)
    pb = write_sample_model(tmp_path / "model.pb", 5)
    assert load_cli().main([str(pb), "-o", str(tmp_path / "ir"), "--metadata", str(metadata)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("model_optimizer_cli: ") and "\n" not in err and "lists 3 actions" in err


def test_cli_needs_an_out_dir(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        load_cli().main([str(tmp_path / "model.pb")])
    assert exit_info.value.code == 2
