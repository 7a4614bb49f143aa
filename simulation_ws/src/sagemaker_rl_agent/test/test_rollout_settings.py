"""ROLLOUT_WORKERS: a number or `auto`; more than one worker only with the in-process backend."""
import pytest

from markov.workers.settings import SettingsError, free_cores, training_settings


def test_rollout_workers_setting():
    assert training_settings({}).rollout_workers == 1
    assert training_settings({"ROLLOUT_WORKERS": "3"}).rollout_workers == 3
    assert training_settings({"ROLLOUT_WORKERS": "auto"}).rollout_workers == free_cores()
    for bad in ("0", "two", "1.5"):
        with pytest.raises(SettingsError, match="ROLLOUT_WORKERS.*or 'auto'"):
            training_settings({"ROLLOUT_WORKERS": bad})


def test_the_ros_backend_refuses_more_than_one_rollout_worker():
    ros = {"TRAINING_BACKEND": "ros"}
    assert training_settings({**ros, "ROLLOUT_WORKERS": "1"}).rollout_workers == 1
    assert training_settings({**ros, "ROLLOUT_WORKERS": "auto"}).rollout_workers == 1
    with pytest.raises(SettingsError, match="ROLLOUT_WORKERS: 2 workers need the in-process "
                                            "backend; the 'ros' backend drives one simulator"):
        training_settings({**ros, "ROLLOUT_WORKERS": "2"})
