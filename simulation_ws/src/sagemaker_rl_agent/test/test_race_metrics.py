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


def test_crossing_the_start_line_and_far_wraps_do_not_count():
    counter = OvertakeCounter(10.0)
    counter.update(9.9, [0.3])
    counter.update(0.1, [0.31])  # across the start line, still behind the bot
    assert counter.overtakes == 0
    counter.update(0.0, [5.0])
    counter.update(0.0, [5.1])  # the gap wraps at half a lap: not an overtake
    assert counter.overtakes == 0
    counter.update(0.3, [0.35])
    counter.update(0.4, [0.36])
    assert counter.overtakes == 1
    counter.update(0.41, [0.45])  # the bot passes back
    assert counter.passed_back == 1 and counter.overtakes == 1
    counter.reset()
    counter.update(0.5, [0.45])  # after a reset the first reading counts nothing
    assert counter.overtakes == 1


def test_penalty_seconds_per_crash():
    assert penalized_time(30.0, 2, 5.0) == 40.0
    assert penalized_time(30.0, 0, 5.0) == 30.0
