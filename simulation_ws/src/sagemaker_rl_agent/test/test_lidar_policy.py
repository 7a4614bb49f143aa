"""LIDAR networks (camera + LIDAR / SECTOR_LIDAR): the packed observation, a PPO policy on it,
model.pb with one DeepRacer input per sensor, a short training and evaluation."""
import dataclasses
import io
import json

import numpy as np
import pytest

from markov import sensors
from markov.export import freeze_policy, load_frozen, read_graph_def
from markov.ppo.policy import PPOPolicy
from markov.ppo.trainer import PPOTrainer

COMBINATIONS = [["FRONT_FACING_CAMERA", "LIDAR"], ["FRONT_FACING_CAMERA", "SECTOR_LIDAR"],
                ["STEREO_CAMERAS", "LIDAR"]]


def _observations(sensor_list, count, seed=0):
    """`count` env-style Dict observations; LIDAR values on the 1/255 grid the packing keeps."""
    rng = np.random.default_rng(seed)
    layout = sensors.camera_obs_shape(sensor_list)
    out = []
    for _ in range(count):
        obs = {layout.camera: rng.integers(0, 256, sensors.OBSERVATION_SHAPES[layout.camera][0],
                                           dtype=np.uint8)}
        if layout.lidar == "LIDAR":
            obs["LIDAR"] = (rng.integers(39, 256, 64) / 255.0).astype(np.float32)
        else:
            obs["SECTOR_LIDAR"] = rng.integers(0, 2, 8).astype(np.float32)
        out.append(obs)
    return out


def test_pack_observation_keeps_the_camera_and_the_lidar():
    layout = sensors.camera_obs_shape(["STEREO_CAMERAS", "LIDAR"])
    assert tuple(layout) == (120, 160, 3) and layout.lidar_size == 64
    obs = _observations(["STEREO_CAMERAS", "LIDAR"], 1)[0]
    obs["LIDAR"][0] = 0.15  # not on the grid: rounded to the nearest 1/255 m
    packed = sensors.pack_observation(layout, obs)
    assert packed.dtype == np.uint8 and packed.shape == (120, 160, 3)
    np.testing.assert_array_equal(packed[:, :, :2], obs["STEREO_CAMERAS"])
    plane = packed[:, :, 2].reshape(-1)
    np.testing.assert_allclose(plane[:64] / 255.0, obs["LIDAR"], atol=0.5 / 255)
    assert plane[0] == 38 and not plane[64:].any()
    sector = sensors.camera_obs_shape(["FRONT_FACING_CAMERA", "SECTOR_LIDAR"])
    packed = sensors.pack_observation(sector, {"FRONT_FACING_CAMERA": np.zeros((120, 160, 1), np.uint8),
                                               "SECTOR_LIDAR": np.array([1, 0, 0, 1, 0, 0, 0, 1], np.float32)})
    assert packed[0, :8, 1].tolist() == [255, 0, 0, 255, 0, 0, 0, 255]


@pytest.mark.parametrize("sensor_list", COMBINATIONS, ids=lambda s: "+".join(s))
def test_lidar_policy_freezes_with_deepracers_input_names(sensor_list, tmp_path):
    layout = sensors.camera_obs_shape(sensor_list)
    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=3, seed=0, obs_shape=layout)
    observations = _observations(sensor_list, 3)
    packed = np.stack([sensors.pack_observation(layout, o) for o in observations])
    actions, _, values = policy.act(packed)
    assert actions.shape == (3,) and values.shape == (3,)
    pb = freeze_policy(policy, tmp_path / "model.pb")
    placeholders = sorted(n.name for n in read_graph_def(pb).node if n.op == "Placeholder")
    assert placeholders == sorted(sensors.input_name(s) for s in sensor_list)
    assert "main_level/agent/main/online/network_0/LIDAR/LIDAR" in placeholders or \
        "main_level/agent/main/online/network_0/SECTOR_LIDAR/SECTOR_LIDAR" in placeholders
    sensors.check_network_inputs(sensor_list, placeholders, "model_metadata.json")
    with load_frozen(pb) as frozen:
        assert frozen.sensors == tuple(sensors.SENSORS[i] for i in sorted(
            sensors.SENSORS.index(s) for s in sensor_list))
        for obs, row in zip(observations, packed):
            got = frozen({s: v[None] for s, v in obs.items()})
            np.testing.assert_allclose(got, policy.action_output(row[None]).numpy(), atol=1e-5)


def test_the_lidar_changes_the_policys_output():
    """The LIDAR input reaches the head: same camera image, other LIDAR, other output."""
    layout = sensors.camera_obs_shape(["FRONT_FACING_CAMERA", "LIDAR"])
    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=3, seed=0, obs_shape=layout)
    obs = _observations(["FRONT_FACING_CAMERA", "LIDAR"], 1)[0]
    near = sensors.pack_observation(layout, dict(obs, LIDAR=np.full(64, 0.15, np.float32)))
    far = sensors.pack_observation(layout, dict(obs, LIDAR=np.full(64, 1.0, np.float32)))
    out = policy.value_net(np.stack([near, far]).astype(np.float32)).numpy()
    assert abs(out[0, 0] - out[1, 0]) > 1e-4
    trainer = PPOTrainer(policy, seed=0)
    batch = np.stack([near, far] * 4)
    actions, log_probs, values = policy.act(batch)
    step = trainer._step(batch, actions, log_probs, np.ones(8, np.float32), values + 1.0)
    assert all(np.isfinite(np.asarray(v)).all() for v in step)


@pytest.mark.parametrize("sensor_list", [["FRONT_FACING_CAMERA", "SECTOR_LIDAR"]], ids=lambda s: "+".join(s))
def test_lidar_model_trains_exports_and_evaluates(tmp_path, sensor_list):
    """Two tiny iterations of OBJECT_AVOIDANCE with a camera + LIDAR model, then an evaluation
    of the stored model; model.pb has the camera's and the LIDAR's inputs."""
    from markov.workers.evaluation import EvaluationWorker
    from markov.workers.progress import Progress
    from markov.workers.settings import evaluation_settings, training_settings
    from markov.workers.training import TrainingWorker

    hyperparameters = tmp_path / "hyperparameters.json"
    hyperparameters.write_text(json.dumps({"num_episodes_between_training": 2, "num_epochs": 1,
                                           "term_cond_max_episodes": 4}))
    metadata = tmp_path / "model_metadata.json"
    metadata.write_text(json.dumps({"action_space": [{"steering_angle": a, "speed": 1.0}
                                                     for a in (-20, 0, 20)], "sensor": sensor_list}))
    environ = {"WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": str(tmp_path / "store"),
               "HYPERPARAMETERS_FILE": str(hyperparameters), "MODEL_METADATA_FILE": str(metadata),
               "TRAINING_SEED": "3", "RACE_TYPE": "OBJECT_AVOIDANCE", "NUMBER_OF_OBSTACLES": "2",
               "NUMBER_OF_TRIALS": "1"}
    settings = dataclasses.replace(training_settings(environ), eval_episodes=1, progress_bar=False)
    summary = TrainingWorker(settings, progress=Progress("training", stream=io.StringIO())).run()
    assert summary.iterations == 2
    pb = tmp_path / "store" / "rl-deepracer-sagemaker" / "model" / "model_1.pb"
    placeholders = sorted(n.name for n in read_graph_def(pb).node if n.op == "Placeholder")
    assert placeholders == sorted(sensors.input_name(s) for s in sensor_list)
    evaluation = EvaluationWorker(evaluation_settings(environ),
                                  progress=Progress("evaluation", stream=io.StringIO())).run()
    assert len(evaluation.trials) == 1 and evaluation.trials[0].progress > 0.0
