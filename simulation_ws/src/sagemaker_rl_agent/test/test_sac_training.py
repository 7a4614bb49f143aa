"""SAC through the workers: a tiny training (2 iterations), its model.pb, a resumed run, an evaluation."""
import dataclasses
import io
import json

import numpy as np
import pytest

from markov.store import layout
from markov.workers.progress import Progress
from markov.workers.settings import evaluation_settings, training_settings
from markov.workers.training import TrainingWorker

METADATA = {"action_space": {"steering_angle": {"low": -30, "high": 30},
                             "speed": {"low": 1.0, "high": 2.0}},
            "action_space_type": "continuous", "training_algorithm": "sac",
            "sensor": ["FRONT_FACING_CAMERA"], "neural_network": "DEEP_CONVOLUTIONAL_NETWORK"}
TINY = {"num_episodes_between_training": 2, "term_cond_max_episodes": 4, "batch_size": 8,
        "replay_buffer_size": 2000, "discount_factor": 0.99, "sac_alpha": 0.1}


@pytest.fixture(scope="module")
def sac_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sac")
    (tmp / "model_metadata.json").write_text(json.dumps(METADATA))
    (tmp / "hyperparameters.json").write_text(json.dumps(TINY))
    environ = {"WORLD_NAME": "easy_track", "LOCAL_MODEL_STORE": str(tmp / "store"),
               "MODEL_METADATA_FILE": str(tmp / "model_metadata.json"),
               "HYPERPARAMETERS_FILE": str(tmp / "hyperparameters.json"), "TRAINING_SEED": "5",
               "ENVS_PER_WORKER": "2"}
    settings = dataclasses.replace(training_settings(environ), eval_episodes=2, progress_bar=False)
    stream = io.StringIO()
    summary = TrainingWorker(settings, progress=Progress("training", stream=stream)).run()
    return environ, settings, summary, stream.getvalue()


def test_sac_training_saves_checkpoints_and_a_car_model(sac_run, tmp_path):
    from markov.export import load_frozen, read_action_space

    _, settings, summary, output = sac_run
    store = settings.store.make_store()
    assert (summary.iterations, summary.episodes) == (2, 4)
    assert "2 continuous action(s)" in output and "update" in output
    assert len(store.complete_checkpoints()) == 2
    pb = tmp_path / "model.pb"
    store.get_file(layout.model_key("model_1.pb"), pb)
    assert read_action_space(pb) == {"action_space_type": "continuous",
                                     "action_space": METADATA["action_space"]}
    with load_frozen(pb) as frozen:
        out = frozen(np.full((1, 120, 160, 1), 128, np.float32))
    assert out.shape == (1, 2) and np.all(np.abs(out) <= 1.0)


def test_sac_training_resumes_with_its_trainer_state(sac_run):
    environ, settings, first, _ = sac_run
    more = json.loads(open(environ["HYPERPARAMETERS_FILE"]).read())
    more["term_cond_max_episodes"] = 6
    open(environ["HYPERPARAMETERS_FILE"], "w").write(json.dumps(more))
    stream = io.StringIO()
    summary = TrainingWorker(settings, progress=Progress("training", stream=stream)).run()
    assert "resuming from " + first.last_checkpoint in stream.getvalue()
    assert (summary.iterations, summary.episodes) == (1, 6)
    assert summary.last_checkpoint.startswith("2_Step-")


def test_sac_model_evaluates(sac_run):
    from markov.workers.evaluation import EvaluationWorker

    environ, _, _, _ = sac_run
    settings = evaluation_settings({**environ, "NUMBER_OF_TRIALS": "1", "EVALUATION_MAX_RESETS": "0"})
    summary = EvaluationWorker(settings, progress=Progress("evaluation", stream=io.StringIO())).run()
    assert len(summary.trials) == 1 and 0.0 <= summary.trials[0].progress <= 100.0
