"""STEREO_CAMERAS networks: a 2-channel PPO policy, model.pb with DeepRacer's stereo input name,
and metadata whose sensors do not match a network's inputs refused."""
import numpy as np
import pytest

from markov import sensors
from markov.export import STEREO_INPUT_NAME, freeze_policy, load_frozen, read_graph_def
from markov.ppo.policy import PPOPolicy
from markov.ppo.trainer import PPOTrainer


@pytest.fixture(scope="module")
def stereo_policy():
    return PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=3, seed=0,
                     obs_shape=sensors.camera_obs_shape(["STEREO_CAMERAS"]))


def test_stereo_policy_acts_and_freezes_with_the_stereo_input(stereo_policy, tmp_path):
    rng = np.random.default_rng(0)
    obs = rng.integers(0, 256, (4, 120, 160, 2), dtype=np.uint8)
    actions, log_probs, values = stereo_policy.act(obs)
    assert actions.shape == (4,) and values.shape == (4,)
    with pytest.raises(ValueError, match=r"\(B, 120, 160, 2\)"):
        stereo_policy.act(obs[..., :1])
    pb = freeze_policy(stereo_policy, tmp_path / "model.pb")
    placeholders = [n.name for n in read_graph_def(pb).node if n.op == "Placeholder"]
    assert placeholders == [STEREO_INPUT_NAME] == [sensors.input_name("STEREO_CAMERAS")]
    with load_frozen(pb) as frozen:
        got = frozen(obs[:1])
    np.testing.assert_allclose(got, stereo_policy.action_output(obs[:1]).numpy(), atol=1e-5)
    sensors.check_network_inputs(["STEREO_CAMERAS"], placeholders, "model_metadata.json")
    with pytest.raises(ValueError, match=r"model_metadata.json: sensor \['FRONT_FACING_CAMERA'\] "
                                         r"does not match .*\['STEREO_CAMERAS'\]"):
        sensors.check_network_inputs(["FRONT_FACING_CAMERA"], placeholders, "model_metadata.json")


def test_stereo_policy_trains(stereo_policy):
    trainer = PPOTrainer(stereo_policy, seed=0)
    rng = np.random.default_rng(1)
    obs = rng.integers(0, 256, (16, 120, 160, 2), dtype=np.uint8)
    actions, log_probs, values = stereo_policy.act(obs)
    step = trainer._step(obs, actions, log_probs, np.ones(16, np.float32), values + 1.0)
    assert all(np.isfinite(np.asarray(v)).all() for v in step)


def test_camera_obs_shape_of_each_sensor_list():
    assert sensors.camera_obs_shape(["FRONT_FACING_CAMERA"]) == (120, 160, 1)
    assert sensors.camera_obs_shape(["STEREO_CAMERAS"]) == (120, 160, 2)
    assert sensors.camera_obs_shape(["FRONT_FACING_CAMERA", "LIDAR"]) == (120, 160, 2)
    assert sensors.camera_obs_shape(["STEREO_CAMERAS", "SECTOR_LIDAR"]) == (120, 160, 3)
    with pytest.raises(ValueError, match="sensor: exactly one camera sensor"):
        sensors.camera_obs_shape(["LIDAR"])


def test_resuming_a_model_with_other_camera_sensors_is_refused():
    from markov.config import load_model_metadata
    from markov.workers.userfiles import UserFiles, UserFilesError, check_same_model

    actions = [{"steering_angle": a, "speed": 1.0} for a in (-20, 0, 20)]
    stereo = load_model_metadata({"action_space": actions, "sensor": ["STEREO_CAMERAS"]})
    front = load_model_metadata({"action_space": actions, "sensor": ["FRONT_FACING_CAMERA"]})
    user = UserFiles(None, "reward_function.py", stereo, "my/model_metadata.json", None,
                     "hyperparameters.json", 17.7)
    check_same_model(user, stereo, "s3://b/p")
    with pytest.raises(UserFilesError, match=r"my/model_metadata.json: sensor \['STEREO_CAMERAS'\] "
                                             r"does not match .* s3://b/p, trained with sensor "
                                             r"\['FRONT_FACING_CAMERA'\]"):
        check_same_model(user, front, "s3://b/p")
