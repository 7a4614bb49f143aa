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
