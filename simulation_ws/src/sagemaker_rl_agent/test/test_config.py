"""model_metadata.json and hyperparameters.json: loading, checking, writing back."""
import json
from pathlib import Path

import numpy as np
import pytest

from markov.config import (ActionSpace, ConfigError, Hyperparameters, ModelMetadata,
                           load_hyperparameters, load_model_metadata)

CONFIG = Path(__file__).resolve().parents[1] / "config"

CONSOLE_DISCRETE = {
    "action_space": [{"steering_angle": -30, "speed": 0.6, "index": 0},
                     {"steering_angle": 0, "speed": 1.2, "index": 1},
                     {"steering_angle": 30, "speed": 0.6, "index": 2}],
    "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
    "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}
CONTINUOUS = {"action_space": {"steering_angle": {"low": -30, "high": 30},
                               "speed": {"low": 0.5, "high": 2}},
              "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK",
              "training_algorithm": "clipped_ppo", "action_space_type": "continuous",
              "version": "5"}


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _with(base, **changes):
    data = json.loads(json.dumps(base))
    data.update(changes)
    return data


# ----------------------------------------------------------------------------- model_metadata

def test_shipped_model_metadata_is_a_drivable_discrete_space():
    meta = load_model_metadata(CONFIG / "model_metadata.json")
    assert meta.action_space.kind == "discrete"
    assert meta.n_actions == 7
    steering = sorted({s for s, _ in meta.action_space.actions})
    assert steering == [-30.0, -15.0, 0.0, 15.0, 30.0]
    assert max(v for _, v in meta.action_space.actions) == 2.0
    assert meta.neural_network == "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"


def test_console_discrete_file_with_index_keys(tmp_path):
    path = _write(tmp_path, "model_metadata.json", json.dumps(CONSOLE_DISCRETE))
    meta = load_model_metadata(path)
    assert meta.action_space.actions == ((-30.0, 0.6), (0.0, 1.2), (30.0, 0.6))
    assert meta.sensor == ("FRONT_FACING_CAMERA",)
    assert meta.version == "5"
    assert meta.action_to_drive(1) == (0.0, 1.2)
    assert meta.action_to_drive(np.int64(2)) == (30.0, 0.6)


def test_discrete_action_index_out_of_range():
    meta = load_model_metadata(CONSOLE_DISCRETE)
    with pytest.raises(ValueError, match="index 3 is out of range for 3"):
        meta.action_to_drive(3)
    with pytest.raises(ValueError, match="out of range"):
        meta.action_to_drive(-1)
    with pytest.raises(TypeError):
        meta.action_to_drive(1.5)


def test_discrete_values_clipped_to_contract_limits():
    meta = load_model_metadata({"action_space": [{"steering_angle": 45, "speed": 6.0},
                                                 {"steering_angle": -40, "speed": 0.05}]})
    assert meta.action_to_drive(0) == (30.0, 4.0)
    assert meta.action_to_drive(1) == (-30.0, 0.1)
    assert meta.action_space.actions[0] == (45.0, 6.0)  # the file's values are kept


def test_continuous_scaling_golden_values():
    meta = load_model_metadata(CONTINUOUS)
    space = meta.action_space
    assert space.is_continuous and meta.n_actions == 2
    assert space.steering_range == (-30.0, 30.0) and space.speed_range == (0.5, 2.0)
    assert meta.action_to_drive(np.array([-1.0, -1.0])) == (-30.0, 0.5)
    assert meta.action_to_drive([1.0, 1.0]) == (30.0, 2.0)
    steering, speed = meta.action_to_drive(np.array([0.5, 0.0], dtype=np.float32))
    assert steering == pytest.approx(15.0) and speed == pytest.approx(1.25)
    assert meta.action_to_drive([3.0, -7.0]) == (30.0, 0.5)  # inputs clipped to [-1, 1]
    with pytest.raises(ValueError, match="finite"):
        meta.action_to_drive([float("nan"), 0.0])


def test_continuous_range_beyond_limits_is_clipped():
    meta = load_model_metadata({"action_space": {"steering_angle": {"low": -45, "high": 45},
                                                 "speed": {"low": 1, "high": 6}}})
    assert meta.action_space.kind == "continuous"  # inferred from the object form
    assert meta.action_to_drive([1.0, 1.0]) == (30.0, 4.0)
    assert meta.action_to_drive([-1.0, 0.0]) == (-30.0, 3.5)


@pytest.mark.parametrize("data", [CONSOLE_DISCRETE, CONTINUOUS])
def test_to_json_round_trip(data):
    meta = load_model_metadata(data)
    text = meta.to_json()
    written = json.loads(text)
    assert set(written) == {"action_space", "sensor", "neural_network", "training_algorithm",
                            "action_space_type", "version"}
    assert load_model_metadata(written) == meta
    if meta.action_space.kind == "discrete":
        assert written["action_space"][2] == {"steering_angle": 30.0, "speed": 0.6, "index": 2}
    else:
        assert written["action_space"]["speed"] == {"low": 0.5, "high": 2.0}


def test_defaults_for_missing_optional_keys():
    meta = load_model_metadata({"action_space": [{"steering_angle": 0, "speed": 1}]})
    assert meta == ModelMetadata(ActionSpace("discrete", actions=((0.0, 1.0),)))


@pytest.mark.parametrize("changes, message", [
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"action_space": [{"steering_angle": 0, "sped": 1}]}, r"action_space\[0\]: 'sped'"),
    ({"action_space": [{"steering_angle": 0, "speed": "fast"}]},
     r"action_space\[0\]\.speed: expected a number, got 'fast'"),
    ({"action_space": [{"steering_angle": True, "speed": 1}]}, "steering_angle: expected a number"),
    ({"action_space": [{"steering_angle": 0}]}, r"action_space\[0\]: missing key 'speed'"),
    ({"action_space": [{"steering_angle": 0, "speed": 0}]}, r"speed: must be > 0 m/s"),
    ({"action_space": [{"steering_angle": 0, "speed": 1, "index": 4}]}, r"index: expected 0"),
    ({"action_space": []}, "non-empty list"),
    ({"action_space": {"steering_angle": {"low": 0, "high": 1}}},
     "action_space_type is 'discrete' but action_space has the continuous form"),
    ({"action_space_type": "hybrid"}, "'hybrid' is not one of"),
    ({"sensor": ["LIDAR"]}, "sensor: exactly one camera sensor"),
    ({"sensor": ["FRONT_FACING_CAMERA", "STEREO_CAMERAS"]}, "sensor: exactly one camera sensor"),
    ({"sensor": ["STEREO_CAMERAS", "LIDAR", "SECTOR_LIDAR"]}, "sensor: at most one LIDAR"),
    ({"sensor": ["STEREO_CAMERAS", "DISCRETIZED_SECTOR_LIDAR"]},
     "DISCRETIZED_SECTOR_LIDAR is not a known sensor"),
    ({"sensor": ["PERISCOPE"]}, "'PERISCOPE' is not one of"),
    ({"sensor": "FRONT_FACING_CAMERA"}, "sensor: expected a non-empty list"),
    ({"neural_network": "RESNET"}, "neural_network: 'RESNET' is not one of"),
    ({"training_algorithm": "sac"}, "training_algorithm: 'sac' needs a continuous action space"),
    ({"training_algorithm": "dqn"}, "training_algorithm: 'dqn' is not one of"),
    ({"version": ["5"]}, "version: expected a string"),
])
def test_bad_model_metadata_names_key_and_file(tmp_path, changes, message):
    path = _write(tmp_path, "model_metadata.json", json.dumps(_with(CONSOLE_DISCRETE, **changes)))
    with pytest.raises(ConfigError, match=message) as info:
        load_model_metadata(path)
    assert str(info.value).startswith(str(path))


@pytest.mark.parametrize("action_space, message", [
    ({"steering_angle": {"low": 30, "high": -30}, "speed": {"low": 0.5, "high": 1}},
     "steering_angle: low 30.0 is greater than high -30.0"),
    ({"steering_angle": {"low": -30, "high": 30}, "speed": {"low": 0, "high": 1}},
     r"speed\.low: must be > 0"),
    ({"steering_angle": {"low": -30, "high": 30}}, r"action_space\.speed: expected an object"),
    ({"steering_angle": {"low": -30}, "speed": {"low": 1, "high": 2}},
     "needs both 'low' and 'high'"),
    ({"steering_angle": {"low": -30, "high": 30, "mid": 0}, "speed": {"low": 1, "high": 2}},
     "unknown key in action_space.steering_angle: 'mid'"),
    ({"steering_angle": {"low": -30, "high": 30}, "speed": {"low": 1, "high": "2"}},
     r"speed\.high: expected a number"),
    ([{"steering_angle": 0, "speed": 1}],
     "action_space_type is 'continuous' but action_space has the discrete form"),
    ("wide", "continuous action space must be an object"),
])
def test_bad_continuous_action_space(action_space, message):
    data = _with(CONTINUOUS, action_space=action_space)
    with pytest.raises(ConfigError, match=message) as info:
        load_model_metadata(data, source="my_metadata.json")
    assert str(info.value).startswith("my_metadata.json: ")


def test_malformed_model_metadata_json_reports_line_and_column(tmp_path):
    text = '{\n    "action_space": [\n        {"steering_angle": 0, "speed": 1,}\n    ]\n}\n'
    path = _write(tmp_path, "model_metadata.json", text)
    with pytest.raises(ConfigError) as info:
        load_model_metadata(path)
    assert str(info.value).startswith(f"{path}:3:42: malformed JSON: ")


def test_missing_file_and_non_object(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_model_metadata(tmp_path / "absent.json")
    with pytest.raises(ConfigError, match="expected a JSON object at the top level, got list"):
        load_model_metadata(_write(tmp_path, "list.json", "[1, 2]"))
    with pytest.raises(ConfigError, match="missing required key 'action_space'"):
        load_model_metadata({})


# ----------------------------------------------------------------------------- hyperparameters

def test_shipped_hyperparameters_are_the_contract_defaults():
    assert load_hyperparameters(CONFIG / "hyperparameters.json") == Hyperparameters()
    defaults = Hyperparameters()
    assert (defaults.batch_size, defaults.num_epochs, defaults.lr) == (64, 10, 0.0003)
    assert (defaults.beta_entropy, defaults.discount_factor, defaults.loss_type) == \
        (0.01, 0.999, "huber")
    assert (defaults.num_episodes_between_training, defaults.e_greedy_value,
            defaults.epsilon_steps) == (20, 0.05, 10000)
    assert (defaults.exploration_type, defaults.stack_size) == ("categorical", 1)
    assert (defaults.term_cond_avg_score, defaults.term_cond_max_episodes) == (350000.0, 100000)


def test_console_hyperparameters_file(tmp_path):
    console = {"batch_size": 32, "beta_entropy": 0.01, "discount_factor": 0.99,
               "e_greedy_value": 0.05, "epsilon_steps": 10000, "exploration_type": "categorical",
               "loss_type": "mean squared error", "lr": 0.0001,
               "num_episodes_between_training": 10, "num_epochs": 3, "stack_size": 1,
               "term_cond_avg_score": 350.0, "term_cond_max_episodes": 1000, "sac_alpha": 0.2}
    hp = load_hyperparameters(_write(tmp_path, "hyperparameters.json", json.dumps(console)))
    assert hp.batch_size == 32 and hp.loss_type == "mean squared error"
    assert hp.num_epochs == 3 and isinstance(hp.num_epochs, int)
    assert load_hyperparameters(json.loads(hp.to_json())) == hp
    assert json.loads(hp.to_json()) == {**console, "term_cond_avg_score": 350.0,
                                        "replay_buffer_size": 50000}


def test_integral_float_and_case_accepted():
    hp = load_hyperparameters({"batch_size": 128.0, "loss_type": "Huber", "lr": 1})
    assert hp.batch_size == 128 and type(hp.batch_size) is int
    assert hp.loss_type == "huber" and hp.lr == 1.0


@pytest.mark.parametrize("data, message", [
    ({"learning_rate": 0.001}, "unknown key 'learning_rate'"),
    ({"batch_size": "64"}, "batch_size: expected a number, got '64'"),
    ({"batch_size": 64.5}, "batch_size: expected an integer, got 64.5"),
    ({"num_epochs": True}, "num_epochs: expected a number, got True"),
    ({"lr": None}, "lr: expected a number, got None"),
    ({"loss_type": 1}, "loss_type: expected a string"),
    ({"loss_type": "l1"}, "loss_type: 'l1' is not one of 'huber', 'mean squared error'"),
    ({"exploration_type": "boltzmann"}, "exploration_type: 'boltzmann' is not one of"),
    ({"batch_size": 0}, r"batch_size: 0 is out of range \[1, inf\]"),
    ({"lr": 0}, r"lr: 0 is out of range \(0.0, 1.0\]"),
    ({"discount_factor": 1.5}, r"discount_factor: 1.5 is out of range \[0.0, 1.0\]"),
    ({"e_greedy_value": -0.1}, "e_greedy_value: -0.1 is out of range"),
    ({"beta_entropy": -1}, "beta_entropy: -1 is out of range"),
    ({"num_episodes_between_training": 0}, "num_episodes_between_training: 0 is out of range"),
    ({"stack_size": 0}, "stack_size: 0 is out of range"),
    ({"term_cond_max_episodes": -5}, "term_cond_max_episodes: -5 is out of range"),
])
def test_bad_hyperparameters_name_key_and_file(tmp_path, data, message):
    path = _write(tmp_path, "hyperparameters.json", json.dumps(data))
    with pytest.raises(ConfigError, match=message) as info:
        load_hyperparameters(path)
    assert str(info.value).startswith(f"{path}: ")


def test_non_finite_hyperparameter_rejected():
    with pytest.raises(ConfigError, match="lr: expected a finite number"):
        load_hyperparameters({"lr": float("nan")}, source="hp.json")


def test_malformed_hyperparameters_json_reports_line_and_column(tmp_path):
    path = _write(tmp_path, "hyperparameters.json", '{\n  "batch_size": 64\n  "lr": 0.1\n}')
    with pytest.raises(ConfigError) as info:
        load_hyperparameters(path)
    assert str(info.value) == f"{path}:3:3: malformed JSON: Expecting ',' delimiter"


def test_direct_construction_is_checked_too():
    assert Hyperparameters(batch_size=32).batch_size == 32
    with pytest.raises(ConfigError, match="Hyperparameters: batch_size: 0 is out of range"):
        Hyperparameters(batch_size=0)
    with pytest.raises(ConfigError, match="Hyperparameters: loss_type: 'l2' is not one of"):
        Hyperparameters(loss_type="l2")


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_user_file_modules_import_without_tensorflow():
    import subprocess
    import sys
    code = ("import sys, markov, markov.config, markov.reward, markov.reward_params, "
            "markov.rules, markov.sim_trace, markov.metrics; "
            "print(any(m.split('.')[0] in ('tensorflow', 'rospy') for m in sys.modules))")
    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "False"
