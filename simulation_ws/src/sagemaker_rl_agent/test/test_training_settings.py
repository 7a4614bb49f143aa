"""The workers' settings: environment variables and launch parameters resolved once (no TF)."""
from pathlib import Path

import pytest

from markov.store import LocalModelStore
from markov.workers.settings import (SettingsError, evaluation_settings, project_root,
                                     training_settings)

CONFIG = Path(__file__).resolve().parents[1] / "config"


def test_defaults_are_the_shipped_files_and_a_local_store():
    settings = training_settings({})
    assert settings.world_name == "reinvent_base"
    assert Path(settings.reward_file) == CONFIG / "reward_function.py"
    assert Path(settings.model_metadata_file) == CONFIG / "model_metadata.json"
    assert Path(settings.hyperparameters_file) == CONFIG / "hyperparameters.json"
    assert settings.max_training_minutes is None and settings.backend == "inprocess"
    assert (settings.eval_episodes, settings.keep_checkpoints, settings.stop_after_full_laps) == (5, 4, 3)
    store = settings.store.make_store()
    assert isinstance(store, LocalModelStore)
    assert store.base == project_root() / "models" / "rl-deepracer-sagemaker"
    assert (project_root() / "simulation_ws").is_dir()


def test_environment_variables_are_read(tmp_path):
    reward = tmp_path / "reward.py"
    reward.write_text("def reward_function(params):\n    return 1.0\n")
    settings = training_settings({
        "WORLD_NAME": "easy_track", "REWARD_FILE": str(reward), "MODEL_S3_BUCKET": "bucket",
        "MODEL_S3_PREFIX": "/my-model/", "ROS_AWS_REGION": "eu-west-1",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9000", "PRETRAINED_MODEL_PREFIX": "old-model",
        "PRETRAINED_CHECKPOINT": "LAST", "MAX_TRAINING_MINUTES": "2.5", "TRAINING_SEED": "7",
        "STOP_AFTER_FULL_LAPS": "0", "TRAINING_BACKEND": "ros"})
    assert settings.world_name == "easy_track" and settings.reward_file == str(reward)
    assert (settings.store.bucket, settings.store.prefix, settings.store.region,
            settings.store.endpoint_url) == ("bucket", "my-model", "eu-west-1", "http://127.0.0.1:9000")
    assert (settings.pretrained_prefix, settings.pretrained_checkpoint) == ("old-model", "last")
    assert settings.max_training_minutes == 2.5 and settings.seed == 7
    assert settings.stop_after_full_laps == 0 and settings.backend == "ros"
    assert any(line.startswith("store = s3://bucket/my-model") for line in settings.summary())


def test_relative_paths_are_taken_from_the_project_root():
    settings = training_settings({"LOCAL_MODEL_STORE": "runs/models",
                                  "REWARD_FILE": "simulation_ws/src/sagemaker_rl_agent/config/reward_function.py"})
    assert settings.store.local_root == str(project_root() / "runs" / "models")
    assert Path(settings.reward_file) == CONFIG / "reward_function.py"


def test_launch_parameters_override_and_empty_means_unset():
    environ = {"WORLD_NAME": "easy_track", "MAX_TRAINING_MINUTES": "10", "MODEL_S3_PREFIX": "a"}
    params = {"world_name": "reinvent_base", "max_training_minutes": 3, "model_s3_prefix": "",
              "backend": "ros", "seed": "", "progress_bar": False}
    settings = training_settings(environ, params)
    assert settings.world_name == "reinvent_base" and settings.max_training_minutes == 3.0
    assert settings.store.prefix == "a" and settings.backend == "ros" and settings.seed is None
    assert settings.progress_bar is False
    assert training_settings({"MAX_TRAINING_MINUTES": "0"}).max_training_minutes is None


@pytest.mark.parametrize("environ, params, names", [
    ({"MAX_TRAINING_MINUTES": "ten"}, {}, "environment variable MAX_TRAINING_MINUTES"),
    ({"MAX_TRAINING_MINUTES": "-1"}, {}, "MAX_TRAINING_MINUTES"),
    ({}, {"max_training_minutes": "nan"}, "parameter ~max_training_minutes"),
    ({"TRAINING_BACKEND": "gazebo"}, {}, "TRAINING_BACKEND"),
    ({"TRAINING_SEED": "1.5"}, {}, "TRAINING_SEED"),
    ({"REWARD_FILE": "/nonexistent/reward.py"}, {}, "/nonexistent/reward.py"),
    ({"PRETRAINED_MODEL_PREFIX": "m", "MODEL_S3_PREFIX": "m"}, {}, "PRETRAINED_MODEL_PREFIX"),
    ({"PRETRAINED_CHECKPOINT": "newest"}, {}, "PRETRAINED_CHECKPOINT"),
])
def test_bad_training_settings_name_their_source(environ, params, names):
    with pytest.raises(SettingsError, match=names.replace(".", r"\.").replace("~", "~")):
        training_settings(environ, params)


def test_evaluation_settings():
    settings = evaluation_settings({"NUMBER_OF_TRIALS": "5", "EVALUATION_CHECKPOINT": "last",
                                    "OFF_TRACK_PENALTY": "2", "WORLD_NAME": "easy_track"},
                                   {"backend": "ros"})
    assert (settings.number_of_trials, settings.checkpoint, settings.off_track_penalty_s,
            settings.backend, settings.world_name) == (5, "last", 2.0, "ros", "easy_track")
    assert evaluation_settings({}).number_of_trials == 3
    assert evaluation_settings({}).checkpoint == "best"
    with pytest.raises(SettingsError, match="NUMBER_OF_TRIALS"):
        evaluation_settings({"NUMBER_OF_TRIALS": "0"})
    with pytest.raises(SettingsError, match="~checkpoint"):
        evaluation_settings({}, {"checkpoint": "first"})


def test_a_preset_file_is_reported_as_unused():
    assert not any("MARKOV_PRESET_FILE" in line for line in training_settings({}).summary())
    for settings in (training_settings({"MARKOV_PRESET_FILE": "deepracer.py"}),
                     evaluation_settings({"MARKOV_PRESET_FILE": "deepracer.py"})):
        warnings = [line for line in settings.summary() if line.startswith("warning:")]
        assert warnings == ["warning: MARKOV_PRESET_FILE=deepracer.py is ignored: this trainer "
                            "does not use RL Coach presets; PPO settings come from "
                            "hyperparameters.json (HYPERPARAMETERS_FILE)"]


def test_unsent_checkpoints_go_beside_the_local_store(tmp_path):
    local = training_settings({"LOCAL_MODEL_STORE": str(tmp_path), "MODEL_S3_PREFIX": "a/b"})
    assert local.store.unsent_dir() == tmp_path / ".unsent" / "local" / "a" / "b"
    s3 = training_settings({"MODEL_S3_BUCKET": "bucket", "MODEL_S3_PREFIX": "m"})
    assert s3.store.unsent_dir() == project_root() / "models" / ".unsent" / "s3" / "bucket" / "m"
