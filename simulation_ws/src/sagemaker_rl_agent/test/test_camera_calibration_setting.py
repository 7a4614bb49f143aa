"""CAMERA_CALIBRATION: checked with the settings (before training), and the in-process env
renders through the lens it names."""
import numpy as np
import pytest

pytest.importorskip("deepracer_camera", reason="source robot_ws/install/setup.bash (camera_pkg)")

from markov.workers import camera  # noqa: E402
from markov.workers.settings import SettingsError, evaluation_settings, training_settings  # noqa: E402


def test_default_is_the_wide_angle_lens_and_a_shipped_name_is_accepted(tmp_path):
    assert training_settings({}).camera_calibration == "deepracer_wide_angle"
    assert evaluation_settings({}).camera_calibration == "deepracer_wide_angle"
    # the ros backend (its node reads ~camera_calibration) and race types: the URDF pinhole
    assert training_settings({"TRAINING_BACKEND": "ros"}).camera_calibration == "pinhole"
    assert evaluation_settings({"EVALUATION_BACKEND": "ros"}).camera_calibration == "pinhole"
    assert training_settings({"RACE_TYPE": "OBJECT_AVOIDANCE"}).camera_calibration == "pinhole"
    assert training_settings({"CAMERA_CALIBRATION": "pinhole"}).camera_calibration == "pinhole"
    assert camera.backend_options("inprocess", "") == {}
    assert camera.backend_options("inprocess", "pinhole") == {}
    settings = training_settings({"CAMERA_CALIBRATION": " deepracer_wide_angle "})
    assert settings.camera_calibration == "deepracer_wide_angle"
    assert "camera_calibration = deepracer_wide_angle" in settings.summary()
    lens = camera.backend_options("inprocess", "deepracer_wide_angle")["lens"]
    assert (lens.model, lens.width, lens.height) == ("fisheye", 640, 480)
    assert camera.backend_options("ros", "deepracer_wide_angle") == {}  # the node reads it itself
    from deepracer_camera.lens import pinhole, save_calibration
    path = tmp_path / "my_car.json"
    save_calibration(pinhole(1.2, 320, 240), path)
    assert evaluation_settings({"CAMERA_CALIBRATION": str(path)}).camera_calibration == str(path)


@pytest.mark.parametrize("settings", [training_settings, evaluation_settings])
def test_a_bad_calibration_stops_the_settings_naming_variable_file_and_key(tmp_path, settings):
    path = tmp_path / "my_car.yaml"
    path.write_text("model: fisheye\nimage_width: 640\nimage_height: 480\n"
                    "K: [[300, 0, 320], [0, 300, 240], [0, 0, 1]]\nD: [0, 0, 0, 0]\nlens: fisheye\n")
    with pytest.raises(SettingsError, match=r"CAMERA_CALIBRATION: .*my_car\.yaml: unknown key 'lens'"):
        settings({"CAMERA_CALIBRATION": str(path)})
    path.write_text("model: fisheye\nimage_width: 640\nimage_height: 480\n"
                    "K: [[300, 0, 320], [0, 300, 240], [0, 0, 1]]\nD: [0, 0, 0]\n")
    with pytest.raises(SettingsError, match=r"CAMERA_CALIBRATION: .*my_car\.yaml: D must have 4"):
        settings({"CAMERA_CALIBRATION": str(path)})
    with pytest.raises(SettingsError, match=r"CAMERA_CALIBRATION: .*no_such\.yaml: no such calibration "
                                            r"file and not a shipped lens \(shipped: deepracer_wide_angle"):
        settings({"CAMERA_CALIBRATION": str(tmp_path / "no_such.yaml")})
    with pytest.raises(SettingsError, match=r"CAMERA_CALIBRATION: deepracer_wide_angle: the lens "
                                            r"applies to TIME_TRIAL only"):
        settings({"CAMERA_CALIBRATION": "deepracer_wide_angle", "RACE_TYPE": "OBJECT_AVOIDANCE"})


def test_the_env_renders_through_the_named_lens():
    from markov.envs.deepracer_env import DeepRacerRacetrackEnv
    frames = []
    for calibration in ("", "deepracer_wide_angle", "deepracer_wide_angle"):
        env = DeepRacerRacetrackEnv("reinvent_base",
                                    backend_options=camera.backend_options("inprocess", calibration))
        try:
            obs, _ = env.reset(seed=3)
            obs, *_ = env.step(0)
            if calibration:
                assert env.backend.simulator.lens.model == "fisheye"
        finally:
            env.close()
        frames.append(np.asarray(obs))
    assert frames[0].shape == frames[1].shape == (120, 160, 1)  # the observation contract holds
    assert not np.array_equal(frames[0], frames[1])
    assert np.array_equal(frames[1], frames[2])  # deterministic
