"""The trainer's own export (markov.export.freeze_policy of a PPOPolicy) converts and matches.

This is the contract between simulation_ws and the car: the model.pb written by
training loads in the model optimizer and the IR gives the same actions.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

MARKOV_SRC = Path(__file__).resolve().parents[4] / "simulation_ws" / "src" / "sagemaker_rl_agent" / "src"
if str(MARKOV_SRC) not in sys.path:
    sys.path.insert(0, str(MARKOV_SRC))

from deepracer_inference import InferenceEngine  # noqa: E402
from deepracer_navigation import Navigator  # noqa: E402
from model_optimizer import convert, read_metadata  # noqa: E402


@pytest.mark.parametrize("continuous", [False, True])
def test_frozen_ppo_policy_converts_and_matches(tmp_path, write_metadata, road_observations, continuous):
    export = pytest.importorskip("markov.export")
    from markov.ppo.policy import PPOPolicy

    n_actions = None if continuous else 5
    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=n_actions,
                       continuous=continuous, seed=0)
    pb = export.freeze_policy(policy, tmp_path / "model.pb")
    write_metadata(tmp_path / "model_metadata.json", continuous=continuous)
    xml_path, _ = convert(pb, tmp_path / "ir")
    engine, frozen = InferenceEngine(xml_path), export.load_frozen(pb)
    navigator = Navigator(read_metadata(pb).action_space)
    for obs in road_observations:
        expected, actual = frozen(obs)[0], engine.infer_observation(obs)
        np.testing.assert_allclose(actual, expected, atol=1e-5)
        assert navigator(actual) == pytest.approx(navigator(expected), abs=1e-4)


@pytest.mark.parametrize("sensors", [["FRONT_FACING_CAMERA", "LIDAR"], ["STEREO_CAMERAS", "SECTOR_LIDAR"]],
                         ids=lambda s: "+".join(s))
def test_frozen_lidar_policy_converts_and_matches(tmp_path, sensors):
    """A camera + LIDAR PPO network as training exports it: one OpenVINO input per sensor,
    the same outputs as TensorFlow on the model.pb."""
    import json

    export = pytest.importorskip("markov.export")
    from markov.ppo.policy import PPOPolicy
    from markov.sensors import OBSERVATION_SHAPES, camera_obs_shape

    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=3, seed=0,
                       obs_shape=camera_obs_shape(sensors))
    pb = export.freeze_policy(policy, tmp_path / "model.pb")
    (tmp_path / "model_metadata.json").write_text(json.dumps({
        "action_space": [{"steering_angle": a, "speed": 1.0} for a in (-30, 0, 30)], "sensor": sensors}))
    xml_path, _ = convert(pb, tmp_path / "ir")
    engine, frozen = InferenceEngine(xml_path), export.load_frozen(pb)
    assert sorted(engine.sensors) == sorted(sensors)
    rng = np.random.default_rng(0)
    for _ in range(3):
        inputs = {s: rng.uniform(0.0, 255.0 if "CAMERA" in s else 1.0,
                                 (1, *OBSERVATION_SHAPES[s][0])).astype(np.float32) for s in sensors}
        np.testing.assert_allclose(engine.infer_inputs(inputs), frozen(inputs)[0], atol=1e-5)


SMALL_NETWORK = "DEEP_CONVOLUTIONAL_NETWORK"  # freezes to 1.7 MB (SHALLOW: 23 MB), converts faster
CONTINUOUS_SPACE = {"steering_angle": {"low": -25.0, "high": 30.0}, "speed": {"low": 0.6, "high": 3.5}}


def _metadata(path, space=CONTINUOUS_SPACE, algorithm="clipped_ppo"):
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"action_space": space, "action_space_type": "continuous",
                                "sensor": ["FRONT_FACING_CAMERA"], "training_algorithm": algorithm,
                                "neural_network": SMALL_NETWORK}))
    return path


def _spread_policy(policy):
    """Scale the last layer so the greedy actions cover [-1, 1] (a fresh head outputs ~0)."""
    layer = policy.policy_net.layers[-1]
    layer.set_weights([w * 300.0 for w in layer.get_weights()])
    return policy


def _continuous_policy(algorithm):
    if algorithm == "sac":
        from markov.sac.policy import SACPolicy
        return SACPolicy(SMALL_NETWORK, seed=3)
    from markov.ppo.policy import PPOPolicy
    return PPOPolicy(SMALL_NETWORK, continuous=True, seed=3)


@pytest.mark.parametrize("algorithm", ["clipped_ppo", "sac"])
def test_continuous_round_trip_car_drives_what_the_simulator_applies(tmp_path, road_observations,
                                                                     algorithm):
    """model.pb -> IR -> inference -> navigation gives the steering and speed that the
    simulator's env applies for the policy's greedy action on the same image."""
    export = pytest.importorskip("markov.export")
    from markov.config import load_model_metadata as load_training_metadata

    meta_path = _metadata(tmp_path / "model_metadata.json", algorithm=algorithm)
    training_space = load_training_metadata(meta_path).action_space
    policy = _spread_policy(_continuous_policy(algorithm))
    pb = export.freeze_policy(policy, tmp_path / "model.pb", action_space=training_space)
    assert export.read_action_space(pb)["action_space"]["speed"] == {"low": 0.6, "high": 3.5}
    xml_path, _ = convert(pb, tmp_path / "ir")
    engine = InferenceEngine(xml_path)
    navigator = Navigator(read_metadata(pb).action_space)
    drives = []
    for obs in road_observations:
        actions, _, _ = policy.act(obs.astype(np.uint8), greedy=True, with_value=False)
        sim_steering, sim_speed = training_space.action_to_drive(actions[0])
        car_steering, car_speed = navigator.action(engine.infer_observation(obs))
        assert car_steering == pytest.approx(sim_steering, abs=1e-3)
        assert car_speed == pytest.approx(sim_speed, abs=1e-4)
        drives.append((sim_steering, sim_speed))
    steering = [s for s, _ in drives]
    assert max(steering) - min(steering) > 10.0, f"the test images gave too few distinct actions: {drives}"


@pytest.mark.parametrize("field,space", [
    ("action_space.speed", {"steering_angle": {"low": -25.0, "high": 30.0},
                            "speed": {"low": 0.6, "high": 4.0}}),
    ("action_space.steering_angle", {"steering_angle": {"low": -30.0, "high": 30.0},
                                     "speed": {"low": 0.6, "high": 3.5}}),
])
def test_continuous_model_with_other_ranges_than_its_metadata_is_refused(tmp_path, field, space):
    export = pytest.importorskip("markov.export")
    from markov.config import load_model_metadata as load_training_metadata
    from model_optimizer import ModelError, pack_model

    trained = load_training_metadata(_metadata(tmp_path / "trained.json")).action_space
    pb = export.freeze_policy(_continuous_policy("clipped_ppo"), tmp_path / "agent" / "model.pb",
                              action_space=trained)
    package = pack_model(pb, _metadata(tmp_path / "edited" / "model_metadata.json", space),
                         tmp_path / "model.tar.gz")
    with pytest.raises(ModelError) as error:
        convert(package, tmp_path / "ir")
    message = str(error.value)
    assert str(package) in message and f"model_metadata.json: {field} is" in message, message
    assert not (tmp_path / "ir" / "model.xml").exists()
    # the same model with its own metadata converts
    pack_model(pb, tmp_path / "trained.json", tmp_path / "good.tar.gz")
    assert convert(tmp_path / "good.tar.gz", tmp_path / "ir")[0].is_file()


def test_discrete_model_with_edited_actions_is_refused(tmp_path, write_metadata):
    export = pytest.importorskip("markov.export")
    from markov.config import load_model_metadata as load_training_metadata
    from markov.ppo.policy import PPOPolicy
    from model_optimizer import ModelError

    trained = load_training_metadata(write_metadata(tmp_path / "t" / "model_metadata.json")).action_space
    pb = export.freeze_policy(PPOPolicy(SMALL_NETWORK, n_actions=5, seed=0),
                              tmp_path / "model.pb", action_space=trained)
    write_metadata(tmp_path / "model_metadata.json",
                   actions=[(-30, 0.6), (-15, 1.0), (0, 2.5), (15, 1.0), (30, 0.6)])
    with pytest.raises(ModelError, match=r"action_space\[2\]\.speed is 2\.5"):
        convert(pb, tmp_path / "ir")
