"""model_metadata.json loading on the car: both action space forms and clear errors."""
import json

import pytest

from model_optimizer import MetadataError, load_model_metadata, read_metadata

DISCRETE = {"action_space": [{"steering_angle": -30, "speed": 0.5, "index": 0},
                             {"steering_angle": 0, "speed": 5.0, "index": 1},
                             {"steering_angle": 45, "speed": 1.0, "index": 2}],
            "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
            "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}
CONTINUOUS = {"action_space": {"steering_angle": {"low": -20, "high": 30},
                               "speed": {"low": 0.5, "high": 2}},
              "action_space_type": "continuous"}


def write(tmp_path, data, name="model_metadata.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_discrete_actions_are_clipped_like_training(tmp_path):
    space = load_model_metadata(write(tmp_path, DISCRETE)).action_space
    assert space.kind == "discrete" and space.n_outputs == 3
    assert space.actions == ((-30.0, 0.5), (0.0, 4.0), (30.0, 1.0))  # 45 deg -> 30, 5 m/s -> 4
    assert space.max_steering_deg == 30.0 and space.max_speed == 4.0


def test_continuous_ranges(tmp_path):
    space = load_model_metadata(write(tmp_path, CONTINUOUS)).action_space
    assert (space.kind, space.n_outputs) == ("continuous", 2)
    assert space.steering_range == (-20.0, 30.0) and space.speed_range == (0.5, 2.0)
    assert space.max_steering_deg == 30.0 and space.max_speed == 2.0


def test_out_of_limit_continuous_ranges_stay_raw(tmp_path):
    # training scales onto the raw range and clips the result, so the range is not clipped here
    data = {**CONTINUOUS, "action_space": {"steering_angle": {"low": -40, "high": 40},
                                           "speed": {"low": 0.05, "high": 5}}}
    space = load_model_metadata(write(tmp_path, data)).action_space
    assert space.steering_range == (-40.0, 40.0) and space.speed_range == (0.05, 5.0)
    assert space.max_steering_deg == 30.0 and space.max_speed == 4.0  # what the policy can reach


@pytest.mark.parametrize("change, message", [
    ({"lidar": 1}, "unknown key 'lidar'"),
    ({"sensor": ["THERMAL_CAMERA"]}, "sensor: 'THERMAL_CAMERA' is not a known sensor"),
    ({"sensor": ["LIDAR"]}, "sensor: exactly one camera sensor"),
    ({"sensor": ["STEREO_CAMERAS", "FRONT_FACING_CAMERA"]}, "sensor: exactly one camera sensor"),
    ({"sensor": ["STEREO_CAMERAS", "LIDAR", "SECTOR_LIDAR"]}, "sensor: at most one LIDAR"),
    ({"action_space_type": "continuous"}, "action_space_type is 'continuous'"),
    ({"action_space": []}, "action_space: expected a non-empty list"),
    ({"action_space": [{"steering_angle": 0}]}, "action_space[0].speed: missing"),
    ({"action_space": [{"steering_angle": "left", "speed": 1}]},
     "action_space[0].steering_angle: expected a finite number"),
    ({"action_space": [{"steering_angle": 0, "speed": 0}]}, "action_space[0].speed: must be > 0"),
    ({"action_space": [{"steering_angle": 0, "speed": 1, "throttle": 1}]},
     "action_space[0]: unknown key 'throttle'"),
])
def test_bad_discrete_metadata_names_the_file_and_field(tmp_path, change, message):
    path = write(tmp_path, {**DISCRETE, **change})
    with pytest.raises(MetadataError) as error:
        load_model_metadata(path)
    assert str(path) in str(error.value) and message in str(error.value)


@pytest.mark.parametrize("speed, message", [
    ({"low": 2, "high": 1}, "action_space.speed: low 2.0 is greater than high 1.0"),
    ({"low": 0, "high": 1}, "action_space.speed.low: must be > 0"),
    ({"high": 1}, "action_space.speed.low: missing"),
])
def test_bad_continuous_ranges(tmp_path, speed, message):
    data = {**CONTINUOUS, "action_space": {**CONTINUOUS["action_space"], "speed": speed}}
    with pytest.raises(MetadataError, match=message):
        load_model_metadata(write(tmp_path, data))


def test_not_json_names_the_line(tmp_path):
    path = write(tmp_path, '{\n  "action_space": [,]\n}')
    with pytest.raises(MetadataError, match=rf"{path}: not valid JSON \(line 2"):
        load_model_metadata(path)


def test_missing_file(tmp_path):
    with pytest.raises(MetadataError, match="cannot read model metadata"):
        load_model_metadata(tmp_path / "nope.json")


def test_read_metadata_finds_the_file_beside_the_model(tmp_path):
    write(tmp_path, CONTINUOUS)
    assert read_metadata(tmp_path / "model.pb").action_space.kind == "continuous"
    other = write(tmp_path, DISCRETE, "other.json")
    assert read_metadata(tmp_path / "model.pb", other).action_space.kind == "discrete"
    with pytest.raises(MetadataError, match="no model_metadata.json beside it"):
        read_metadata(tmp_path / "sub" / "model.pb")
