"""Overtake counting and crash penalties."""
import pytest

from markov.race_metrics import OvertakeCounter, penalized_time, signed_gap


def test_signed_gap_wraps_at_half_a_lap():
    assert signed_gap(1.0, 0.5, 10.0) == pytest.approx(0.5)
    assert signed_gap(0.2, 9.8, 10.0) == pytest.approx(0.4)  # ahead across the start line
    assert signed_gap(9.8, 0.2, 10.0) == pytest.approx(-0.4)
    assert signed_gap(5.0, 0.0, 10.0) == pytest.approx(5.0)


def test_passing_a_slower_bot_counts_once():
    counter = OvertakeCounter(20.0)
    bots = [3.0, 12.0]
    car = 0.0
    for _ in range(200):  # car at 1.0 m/s, bots at 0.5 m/s, 15 Hz, 13.3 s
        car = (car + 1.0 / 15) % 20.0
        bots = [(b + 0.5 / 15) % 20.0 for b in bots]
        counter.update(car, bots)
    # The car gains 6.67 m: it passes the first bot (3 m ahead) only.
    assert counter.overtakes == 1 and counter.passed_back == 0


def _drive(counter, car, bots, car_speed, bot_speed, steps, length):
    """Car and bots at constant speeds (m/s), 15 Hz; returns the final positions."""
    for _ in range(steps):
        car = (car + car_speed / 15) % length
        bots = [(b + bot_speed / 15) % length for b in bots]
        counter.update(car, bots)
    return car, bots


def test_a_bot_starting_just_ahead_is_not_an_overtake():
    # DeepRacer's old worry: a bot 0.2 m ahead at the start is "passed" in the first second.
    counter = OvertakeCounter(20.0)
    _drive(counter, 0.0, [0.2], 1.0, 0.5, 60, 20.0)  # 4 s: the car ends 1.8 m ahead
    assert counter.overtakes == 0 and counter.passed_back == 0
    # A bot that was clearly ahead (1 m) and ends clearly behind counts.
    counter = OvertakeCounter(20.0)
    _drive(counter, 0.0, [1.0], 1.0, 0.5, 60, 20.0)
    assert counter.overtakes == 1


def test_alongside_jitter_counts_once_and_passing_back_is_counted():
    counter = OvertakeCounter(10.0)
    counter.update(0.0, [1.0])  # ahead by 1 m
    for gap in (0.3, -0.1, 0.2, -0.3, 0.1, -0.2):  # side by side, within the margin
        counter.update(1.0 - gap, [1.0])
    assert counter.overtakes == 0
    counter.update(1.6, [1.0])  # 0.6 m behind: passed
    counter.update(1.0, [1.2])  # alongside again, then clearly ahead
    counter.update(0.5, [1.2])
    assert counter.overtakes == 1 and counter.passed_back == 1
    counter.update(2.0, [1.2])
    assert counter.overtakes == 2


def test_crossing_the_start_line_and_far_wraps_do_not_count():
    counter = OvertakeCounter(10.0)
    counter.update(9.5, [0.3])  # 0.8 m ahead across the start line
    counter.update(0.1, [0.31])
    assert counter.overtakes == 0
    counter.update(1.0, [0.35])  # 0.65 m behind: passed across the start line
    assert counter.overtakes == 1
    counter.reset()
    counter.update(0.0, [4.9])
    counter.update(0.0, [5.1])  # the gap wraps at half a lap: not an overtake
    counter.update(0.0, [9.5])  # and comes within the window from behind
    assert counter.overtakes == 1 and counter.passed_back == 0
    counter.reset()
    counter.update(0.5, [0.45])  # after a reset, being behind counts nothing
    counter.update(1.5, [0.45])
    assert counter.overtakes == 1


def test_margin_is_checked():
    with pytest.raises(ValueError, match="margin"):
        OvertakeCounter(10.0, margin=3.0)


def test_penalty_seconds_per_crash():
    assert penalized_time(30.0, 2, 5.0) == 40.0
    assert penalized_time(30.0, 0, 5.0) == 30.0
