"""Episode termination rules: exact step counts, wheel logic, progress wrap, priorities."""
import pytest

from markov.rules import (CRASHED, EPISODE_STATUSES, IMMOBILIZED, IN_PROGRESS, LAP_COMPLETE,
                          OFF_TRACK, REVERSED, EpisodeRules)

ON = (True, True, True, True)


def _drive(rules, steps, progress_step=0.5, move=0.05, start=(0.0, 0.0, 10.0)):
    """Feed `steps` steps moving `move` m and `progress_step` % each; return the statuses."""
    x, y, progress = start
    statuses = []
    for _ in range(steps):
        x += move
        progress += progress_step
        statuses.append(rules.update(progress, x, y, ON))
    return statuses


def test_statuses_are_the_contract_names():
    assert EPISODE_STATUSES == ("in_progress", "lap_complete", "off_track", "crashed",
                                "immobilized", "reversed")


def test_normal_driving_stays_in_progress():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 10.0)
    assert set(_drive(rules, 100)) == {IN_PROGRESS}
    assert not rules.done


def test_lap_complete_at_100():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 99.0)
    assert rules.update(99.9, 0.1, 0.0, ON) == IN_PROGRESS
    assert rules.update(100.0, 0.2, 0.0, ON) == LAP_COMPLETE
    assert rules.done


def test_immobilized_after_exactly_15_still_steps():
    rules = EpisodeRules()
    rules.reset(1.0, 1.0, 5.0)
    statuses = [rules.update(5.0, 1.0 + 0.0001 * (i % 2), 1.0, ON) for i in range(15)]
    assert statuses[:14] == [IN_PROGRESS] * 14
    assert statuses[14] == IMMOBILIZED
    assert rules.still_steps == 15


def test_a_moving_step_resets_the_still_count():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0)
    for _ in range(14):
        rules.update(0.0, 0.0, 0.0, ON)
    assert rules.update(0.0, 0.001, 0.0, ON) == IN_PROGRESS  # moved 1 mm > 0.3 mm
    assert rules.still_steps == 0
    statuses = [rules.update(0.0, 0.001, 0.0, ON) for _ in range(15)]
    assert statuses.index(IMMOBILIZED) == 14


def test_reversed_after_exactly_15_decreasing_steps():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 50.0)
    statuses = _drive(rules, 15, progress_step=-0.2, move=-0.02, start=(0.0, 0.0, 50.0))
    assert statuses[:14] == [IN_PROGRESS] * 14
    assert statuses[14] == REVERSED
    assert rules.reversing_steps == 15


def test_equal_progress_interrupts_reversing():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 50.0)
    _drive(rules, 14, progress_step=-0.25, move=-0.02, start=(0.0, 0.0, 50.0))
    assert rules.update(46.5, -0.3, 0.0, ON) == IN_PROGRESS  # unchanged progress
    assert rules.reversing_steps == 0


def test_forward_wrap_at_the_start_line_is_not_reversing():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 99.0)
    progress = [99.3, 99.6, 99.9, 0.2, 0.5] + [0.5 + 0.3 * i for i in range(1, 30)]
    statuses = [rules.update(p, 0.05 * i, 0.0, ON) for i, p in enumerate(progress, 1)]
    assert set(statuses) == {IN_PROGRESS}
    assert rules.reversing_steps == 0


def test_backing_over_the_start_line_counts_as_reversing():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 1.0)
    progress = [1.0 - 0.2 * i for i in range(1, 5)] + [99.9 - 0.2 * i for i in range(11)]
    statuses = [rules.update(p, -0.02 * i, 0.0, ON) for i, p in enumerate(progress, 1)]
    assert len(statuses) == 15
    assert statuses[:14] == [IN_PROGRESS] * 14 and statuses[14] == REVERSED


@pytest.mark.parametrize("wheels, status", [
    ((True, True, True, True), IN_PROGRESS),
    ((False, True, True, True), IN_PROGRESS),
    ((False, False, True, False), IN_PROGRESS),
    ((False, False, False, True), IN_PROGRESS),
    ((True, False, False, False), IN_PROGRESS),
    ((False, False, False, False), OFF_TRACK),
])
def test_off_track_only_when_all_four_wheels_are_out(wheels, status):
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 10.0)
    assert rules.update(10.5, 0.1, 0.0, wheels) == status


def test_off_track_accepts_a_numpy_mask():
    np = pytest.importorskip("numpy")
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 10.0)
    assert rules.update(10.5, 0.1, 0.0, np.array([False, False, False, True])) == IN_PROGRESS
    assert rules.update(11.0, 0.2, 0.0, np.zeros(4, dtype=bool)) == OFF_TRACK


def test_crashed():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 10.0)
    assert rules.update(10.5, 0.1, 0.0, ON, crashed=True) == CRASHED


def test_priority_lap_complete_then_crash_then_off_track():
    off = (False,) * 4
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 99.9)
    assert rules.update(100.0, 0.1, 0.0, off, crashed=True) == LAP_COMPLETE
    rules.reset(0.0, 0.0, 10.0)
    assert rules.update(10.5, 0.1, 0.0, off, crashed=True) == CRASHED


def test_terminal_status_sticks_until_reset():
    rules = EpisodeRules()
    rules.reset(0.0, 0.0, 10.0)
    assert rules.update(10.5, 0.1, 0.0, (False,) * 4) == OFF_TRACK
    assert rules.update(11.0, 0.2, 0.0, ON) == OFF_TRACK
    rules.reset(5.0, 5.0, 0.0)
    assert rules.status == IN_PROGRESS and rules.still_steps == 0 and rules.reversing_steps == 0
    assert rules.update(0.5, 5.1, 5.0, ON) == IN_PROGRESS


def test_reset_position_is_the_first_reference():
    rules = EpisodeRules(immobilized_steps=1)
    rules.reset(2.0, 3.0)
    assert rules.update(0.0, 2.0, 3.0, ON) == IMMOBILIZED


def test_custom_thresholds_and_validation():
    rules = EpisodeRules(immobilized_steps=3, immobilized_distance=0.01, reversed_steps=2)
    rules.reset(0.0, 0.0, 50.0)
    assert [rules.update(50.0 - i, 0.02 * i, 0.0, ON) for i in (1, 2)] == [IN_PROGRESS, REVERSED]
    with pytest.raises(ValueError):
        EpisodeRules(immobilized_steps=0)
