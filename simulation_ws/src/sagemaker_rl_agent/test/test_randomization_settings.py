"""RANDOMIZATION_FILE: resolved and checked with the settings, mapped onto the env's backend."""
import json

import numpy as np
import pytest

from markov.envs import DeepRacerRacetrackEnv
from markov.workers.settings import (SettingsError, evaluation_settings, randomization_spec,
                                     training_settings)


def test_default_is_standard_for_training_none_for_evaluation_and_presets_resolve():
    assert training_settings({}).randomization_file == "standard"
    assert evaluation_settings({}).randomization_file == "none"
    assert randomization_spec(evaluation_settings({})) is False
    assert randomization_spec(training_settings({})).ranges.latency_prob == (0.0, 0.3)
    # the ros backend and race types keep the nominal world unless set
    assert training_settings({"TRAINING_BACKEND": "ros"}).randomization_file == "none"
    assert training_settings({"RACE_TYPE": "HEAD_TO_HEAD_RACING"}).randomization_file == "none"
    assert training_settings({"RANDOMIZATION_FILE": "none"}).randomization_file == "none"
    spec = randomization_spec(training_settings({"RANDOMIZATION_FILE": "strong"}))
    assert spec.enabled and spec.light_level == (0.5, 1.5) and spec.noise_sigma == (0.0, 12.0)


def test_bad_file_stops_before_training(tmp_path):
    path = tmp_path / "randomization.json"
    path.write_text(json.dumps({"noise_sigma": [-2, 1]}))
    for resolve in (training_settings, evaluation_settings):
        with pytest.raises(SettingsError, match=rf"RANDOMIZATION_FILE: {path}: noise_sigma"):
            resolve({"RANDOMIZATION_FILE": str(path)})


def test_env_uses_the_file_spec():
    spec = randomization_spec(training_settings({"RANDOMIZATION_FILE": "strong"}))
    a = DeepRacerRacetrackEnv(domain_randomization=spec)
    b = DeepRacerRacetrackEnv(domain_randomization=spec)
    flat = DeepRacerRacetrackEnv()
    obs_a, _ = a.reset(seed=4)
    obs_b, _ = b.reset(seed=4)
    obs_flat, _ = flat.reset(seed=4)
    np.testing.assert_array_equal(obs_a, obs_b)
    assert not np.array_equal(obs_a, obs_flat)
