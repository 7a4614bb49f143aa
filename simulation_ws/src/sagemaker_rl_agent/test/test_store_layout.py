"""Golden values for the model store's key names, checkpoint names and pointer format."""
import datetime

import pytest

from markov.store import layout
from markov.store.layout import CheckpointName, CheckpointNameError, StoreKeyError


def test_checkpoint_name_round_trip_and_order():
    ckpt = CheckpointName.parse("12_Step-24000.ckpt")
    assert (ckpt.index, ckpt.steps, ckpt.name) == (12, 24000, "12_Step-24000.ckpt")
    names = ["10_Step-900.ckpt", "2_Step-300.ckpt", "9_Step-800.ckpt"]
    assert sorted(names, key=CheckpointName.parse) == [
        "2_Step-300.ckpt", "9_Step-800.ckpt", "10_Step-900.ckpt"]


@pytest.mark.parametrize("bad", ["12_Step-24000", "Step-1.ckpt", "a_Step-1.ckpt",
                                 "1_Step-2.ckpt.index", "", None])
def test_bad_checkpoint_names_are_rejected(bad):
    with pytest.raises(CheckpointNameError, match="<N>_Step-<steps>.ckpt"):
        CheckpointName.parse(bad)


def test_fixed_keys_follow_the_drfc_layout():
    assert layout.POINTER_KEY == "model/.coach_checkpoint"
    assert layout.CHECKPOINTS_JSON_KEY == "model/deepracer_checkpoints.json"
    assert layout.MODEL_METADATA_KEY == "model/model_metadata.json"
    assert layout.HYPERPARAMETERS_KEY == "ip/hyperparameters.json"
    assert layout.REWARD_FUNCTION_KEY == "reward_function.py"
    assert layout.TRAINING_METRICS_KEY == "metrics/TrainingMetrics.json"
    assert layout.model_key(layout.frozen_model_filename(7)) == "model/model_7.pb"
    assert layout.training_simtrace_key(3) == "training-simtrace/3-iteration.csv"


def test_evaluation_keys_use_the_run_stamp():
    stamp = layout.evaluation_stamp(datetime.datetime(2024, 5, 6, 7, 8, 9))
    assert stamp == "20240506070809"
    assert layout.evaluation_simtrace_key(stamp) == \
        "evaluation-20240506070809/evaluation-simtrace/0-iteration.csv"
    assert layout.evaluation_metrics_key(stamp) == "metrics/EvaluationMetrics-20240506070809.json"
    with pytest.raises(StoreKeyError, match="2024-05-06"):
        layout.evaluation_metrics_key("2024-05-06")


def test_checkpoint_file_grouping():
    assert layout.checkpoint_of_file("3_Step-90.ckpt.index") == "3_Step-90.ckpt"
    assert layout.checkpoint_of_file("3_Step-90.ckpt.data-00000-of-00001") == "3_Step-90.ckpt"
    assert layout.checkpoint_of_file("3_Step-90.ckpt.meta") == "3_Step-90.ckpt"
    for other in ("model_3.pb", ".coach_checkpoint", "3_Step-90.ckpt", "3_Step-90.ckpt.tmp"):
        assert layout.checkpoint_of_file(other) is None


def test_missing_checkpoint_files():
    name = "1_Step-5.ckpt"
    assert layout.missing_checkpoint_files(name, [f"{name}.index",
                                                  f"{name}.data-00000-of-00001"]) == []
    assert layout.missing_checkpoint_files(name, [f"{name}.data-00000-of-00001"]) == \
        [f"{name}.index"]
    assert layout.missing_checkpoint_files(name, [f"{name}.index"]) == \
        [f"{name}.data-00000-of-00001"]
    assert layout.missing_checkpoint_files(name, [f"{name}.index",
                                                  f"{name}.data-00001-of-00003"]) == \
        [f"{name}.data-00000-of-00003", f"{name}.data-00002-of-00003"]
    # another checkpoint's files do not count
    assert layout.missing_checkpoint_files(name, ["2_Step-9.ckpt.index",
                                                  "2_Step-9.ckpt.data-00000-of-00001"]) == \
        [f"{name}.index", f"{name}.data-00000-of-00001"]


def test_upload_order_puts_index_last():
    files = ["1_Step-5.ckpt.index", "1_Step-5.ckpt.data-00001-of-00002",
             "1_Step-5.ckpt.data-00000-of-00002"]
    assert layout.upload_order(files) == [
        "1_Step-5.ckpt.data-00000-of-00002", "1_Step-5.ckpt.data-00001-of-00002",
        "1_Step-5.ckpt.index"]


def test_pointer_format_is_rl_coach_bare_name():
    assert layout.format_pointer("4_Step-1200.ckpt") == "4_Step-1200.ckpt"
    assert layout.parse_pointer("4_Step-1200.ckpt", "p") == "4_Step-1200.ckpt"
    assert layout.parse_pointer("4_Step-1200.ckpt\n", "p") == "4_Step-1200.ckpt"
    tf_text = ('model_checkpoint_path: "/tmp/m/4_Step-1200.ckpt"\n'
               'all_model_checkpoint_paths: "/tmp/m/3_Step-900.ckpt"\n'
               'all_model_checkpoint_paths: "/tmp/m/4_Step-1200.ckpt"\n')
    assert layout.parse_pointer(tf_text, "p") == "4_Step-1200.ckpt"
    with pytest.raises(CheckpointNameError, match="s3://b/m/model/.coach_checkpoint"):
        layout.parse_pointer("garbage", "s3://b/m/model/.coach_checkpoint")


@pytest.mark.parametrize("bad", ["", "/abs", "a//b", "a/../b", "a\\b", "model/.~tmp-1-x"])
def test_invalid_keys_are_rejected(bad):
    with pytest.raises(StoreKeyError):
        layout.validate_key(bad)
