"""scripts/sim_to_real_images.py --lap: a few frames of the lap GIF with a kept car package."""
import importlib.util
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[4]
WIDE_MODEL = REPO / "robot_ws/src/deepracer_bringup/test/data/easy_track_wide_model.tar.gz"


def load_script():
    path = REPO / "scripts" / "sim_to_real_images.py"
    spec = importlib.util.spec_from_file_location("sim_to_real_images", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gif_frames(path):
    with Image.open(path) as gif:
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(np.asarray(gif.convert("RGB")))
        return gif.info["duration"], frames


def test_lap_gif_is_the_same_for_a_seed(tmp_path):
    script = load_script()
    result, gif, mp4 = script.lap(WIDE_MODEL, tmp_path / "a", seed=3, mp4=True, max_steps=5)
    assert (result.status, result.resets) == ("time_up", 0)  # the step limit ended it
    assert 0.0 < result.progress < 5.0
    assert gif == tmp_path / "a" / "sim_to_real_lap_standard.gif"
    assert mp4.stat().st_size > 0
    duration, frames = gif_frames(gif)
    assert len(frames) == 3  # frames 0, 2 and 4 of 5
    assert duration == 130  # every 2nd frame of 15 per second (GIF counts centiseconds)
    assert frames[0].shape == (240, 320, 3)
    assert frames[0].std() > 20  # a picture, not a blank frame
    assert not np.array_equal(frames[0], frames[2])  # the car moved
    _, again, _ = script.lap(WIDE_MODEL, tmp_path / "b", seed=3, max_steps=5)
    assert again.read_bytes() == gif.read_bytes()
    assert not (tmp_path / "b" / "sim_to_real_lap_standard.mp4").exists()


def test_lap_options_and_a_package_without_graph(tmp_path):
    script = load_script()
    args = script.parse_args(["--lap", "car.tar.gz"])
    assert (args.lap, args.world, args.seed, args.randomization, args.mp4) == (
        Path("car.tar.gz"), "easy_track", 1, "standard", False)
    package = tmp_path / "car.tar.gz"
    with tarfile.open(package, "w:gz") as archive:
        info = tarfile.TarInfo("model_metadata.json")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"{}"))
    with pytest.raises(SystemExit, match="no model.pb"):
        script.read_car_package(package, tmp_path)
