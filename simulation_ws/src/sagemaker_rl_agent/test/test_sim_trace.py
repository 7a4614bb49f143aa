"""Sim trace lines and iteration CSV files."""
import csv
import io
import math
import os
import time

import numpy as np
import pytest

from markov.sim_trace import (CSV_HEADER, SIM_TRACE_COLUMNS, SIM_TRACE_PREFIX, SimTraceWriter,
                              format_sim_trace, iteration_csv_name, parse_sim_trace)

STEP = dict(episode=3, steps=57, x=1.23456789, y=-2.5, yaw_deg=45.123456, steer_deg=-15.0,
            throttle=1.0, action=2, reward=0.5, done=False, all_wheels_on_track=True,
            progress=23.456789, closest_waypoint=17, track_len=17.7099, tstamp=3.8,
            episode_status="in_progress", pause_duration=0.0, obstacle_crash_counter=0,
            wall_clock=1700000000.123456)
GOLDEN = ("3,57,1.2346,-2.5000,45.1235,-15.00,1.00,2,0.5000,False,True,23.4568,17,17.71,"
          "3.800,in_progress,0.00,0,1700000000.123")


def test_columns_are_the_contract():
    assert CSV_HEADER == ("episode,steps,X,Y,yaw,steer,throttle,action,reward,done,"
                          "all_wheels_on_track,progress,closest_waypoint,track_len,tstamp,"
                          "episode_status,pause_duration,obstacle_crash_counter,wall_clock")
    assert len(SIM_TRACE_COLUMNS) == 19


def test_golden_line():
    assert format_sim_trace(**STEP) == GOLDEN
    assert SimTraceWriter().log(**STEP) == GOLDEN


def test_numpy_values_and_bools_format_like_python():
    step = dict(STEP, x=np.float32(1.5), steps=np.int64(57), action=np.int64(2),
                done=np.bool_(True), all_wheels_on_track=np.bool_(False), reward=np.float64(2.0))
    parsed = parse_sim_trace(format_sim_trace(**step))
    assert parsed["done"] is True and parsed["all_wheels_on_track"] is False
    assert parsed["X"] == 1.5 and parsed["steps"] == 57 and parsed["reward"] == 2.0
    assert ",True,False," in format_sim_trace(**step)


def test_wall_clock_defaults_to_now():
    before = time.time()
    parsed = parse_sim_trace(format_sim_trace(**dict(STEP, wall_clock=None)))
    assert before - 0.01 <= parsed["wall_clock"] <= time.time() + 0.01


def test_parse_round_trip_and_prefix():
    parsed = parse_sim_trace(SIM_TRACE_PREFIX + GOLDEN + "\n")
    assert parsed["episode"] == 3 and parsed["episode_status"] == "in_progress"
    assert parsed["X"] == 1.2346 and parsed["yaw"] == 45.1235 and parsed["track_len"] == 17.71
    with pytest.raises(ValueError, match="19 columns, got 3"):
        parse_sim_trace("1,2,3")


def test_iteration_csv_name():
    assert iteration_csv_name(0) == "0-iteration.csv"
    assert iteration_csv_name(12) == "12-iteration.csv"


def test_flush_writes_header_and_lines_atomically(tmp_path):
    writer = SimTraceWriter()
    for steps in range(1, 4):
        writer.log(**dict(STEP, steps=steps, done=steps == 3,
                          episode_status="off_track" if steps == 3 else "in_progress"))
    assert len(writer) == 3
    path = writer.flush_iteration(tmp_path / "training-simtrace" / iteration_csv_name(4))
    assert path == tmp_path / "training-simtrace" / "4-iteration.csv"
    assert len(writer) == 0 and writer.lines == []
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert list(rows[0]) == list(SIM_TRACE_COLUMNS)
    assert [r["steps"] for r in rows] == ["1", "2", "3"]
    assert rows[2]["done"] == "True" and rows[2]["episode_status"] == "off_track"
    assert os.listdir(path.parent) == ["4-iteration.csv"]  # no temporary file left


def test_flush_replaces_an_existing_file(tmp_path):
    path = tmp_path / "0-iteration.csv"
    path.write_text("old contents\n")
    writer = SimTraceWriter()
    writer.log(**STEP)
    writer.flush_iteration(path)
    assert path.read_text() == CSV_HEADER + "\n" + GOLDEN + "\n"


def test_echo_prints_prefixed_lines(capsys):
    SimTraceWriter().log(**STEP)
    assert capsys.readouterr().out == ""
    SimTraceWriter(echo=True).log(**STEP)
    assert capsys.readouterr().out == SIM_TRACE_PREFIX + GOLDEN + "\n"
    stream = io.StringIO()
    SimTraceWriter(echo=True, stream=stream).log(**STEP)
    assert stream.getvalue() == SIM_TRACE_PREFIX + GOLDEN + "\n"


def test_line_format_speed_floor():
    """One line per env step; the target is < 10 us (generous floor for a busy machine)."""
    writer = SimTraceWriter()
    values = tuple(STEP.values())[:16]
    n = 20000
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            writer.log(*values)
        best = min(best, (time.perf_counter() - start) / n)
    print(f"SimTraceWriter.log: {best * 1e6:.2f} us per line")
    assert best < 10e-6
