"""Race lines: closed-form circle laps, line ordering, bad tracks, the simulator's agreement."""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepracer_simulation.track import Track
from deepracer_simulator import SimConfig, Simulator, raceline
from deepracer_simulator.raceline import CarLimits, RaceLineError

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def limits(car):
    return CarLimits.from_car(car)


def _ring(radius, width, n=400):
    """A closed counter-clockwise ring route: centre, inner (left), outer rows."""
    a = np.linspace(0.0, 2 * math.pi, n + 1)
    unit = np.column_stack([np.cos(a), np.sin(a)])
    route = np.hstack([unit * radius, unit * (radius - width / 2), unit * (radius + width / 2)])
    route[-1] = route[0]
    return route


def _circle_lap(radius, limits):
    """Closed form: steady speed min(top speed, sqrt(mu g R)) all the way round."""
    return 2 * math.pi * radius / min(limits.max_speed, math.sqrt(limits.grip * radius))


def test_limits_come_from_the_urdf_and_simconfig(car, limits):
    config = SimConfig()
    assert limits.max_speed == config.max_speed
    assert limits.grip == pytest.approx(config.vehicle.friction_coefficient * config.vehicle.gravity)
    assert limits.speed_time_constant == config.vehicle.speed_time_constant
    assert limits.min_radius == pytest.approx(
        car.geometry.wheelbase / math.tan(car.geometry.max_steering_angle))
    assert limits.half_width > car.geometry.track / 2


@pytest.mark.parametrize("radius", [0.6, 1.0, 3.0])  # grip-limited, grip-limited, top-speed-limited
def test_circle_lap_matches_the_closed_form(limits, radius):
    a = np.linspace(0.0, 2 * math.pi, round(2 * math.pi * radius / 0.05), endpoint=False)
    xy = radius * np.column_stack([np.cos(a), np.sin(a)])
    speed, kappa, lap = raceline.speed_profile(xy, limits)
    assert kappa == pytest.approx(np.full(len(a), 1.0 / radius), rel=1e-6)
    assert lap == pytest.approx(_circle_lap(radius, limits), rel=1e-3)
    assert np.ptp(speed) < 1e-9


def test_ring_track_centre_line_matches_the_closed_form(limits):
    lines = raceline.race_lines(Track(_ring(1.0, 0.6), "ring"), limits)
    assert lines["centre"].lap_time == pytest.approx(_circle_lap(1.0, limits), rel=2e-3)
    assert lines["min_time"].lap_time <= lines["centre"].lap_time


def test_speed_profile_brakes_and_accelerates_with_the_speed_response(limits):
    # A straight 6 m then a tight half circle: the car must brake before it and accelerate after.
    straight = np.column_stack([np.linspace(0, 6, 121)[:-1], np.zeros(120)])
    a = np.linspace(-math.pi / 2, math.pi / 2, 32, endpoint=False)
    turn = np.column_stack([6 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)])
    back = np.column_stack([np.linspace(6, 0, 121)[:-1], np.ones(120)])
    a2 = np.linspace(math.pi / 2, 3 * math.pi / 2, 32, endpoint=False)
    turn2 = np.column_stack([0.5 * np.cos(a2), 0.5 + 0.5 * np.sin(a2)])
    xy = np.vstack([straight, turn, back, turn2])
    speed, _, _ = raceline.speed_profile(xy, limits)
    corner = math.sqrt(limits.grip * 0.5)
    assert speed[130] == pytest.approx(corner, rel=0.05)
    assert speed[60] > corner + 0.5  # mid-straight faster than the corner
    # Braking: no deceleration faster than the first-order response towards min_speed allows.
    ds = np.hypot(*np.diff(np.vstack([xy, xy[:1]]), axis=0).T)
    decel = -(np.roll(speed, -1) ** 2 - speed ** 2) / (2 * ds)
    allowed = (speed - limits.min_speed) * speed / limits.speed_time_constant
    assert np.all(decel <= allowed * 1.05 + 1e-9)


@pytest.mark.parametrize("world", ["reinvent_base", "hard_track", "easy_track"])
def test_min_time_is_never_slower_than_min_curvature_or_centre(world, limits):
    from deepracer_simulation.routes import load_route
    lines = raceline.race_lines(Track(load_route(world), world), limits)
    assert lines["min_time"].lap_time <= lines["min_curvature"].lap_time
    assert lines["min_time"].lap_time <= lines["centre"].lap_time
    assert lines["min_curvature"].lap_time < lines["centre"].lap_time
    # Every line stays inside the road with the car's half width to spare.
    track = Track(load_route(world), world)
    for line in lines.values():
        d = np.array([track.project(x, y).distance_from_center for x, y in line.xy[::7]])
        w = np.array([min(track.project(x, y).width, 9.9) / 2 for x, y in line.xy[::7]])
        assert np.all(d <= w - limits.half_width + 0.03)


def test_pure_pursuit_laps_the_min_time_line_within_5_percent(reinvent, car, limits):
    line = raceline.race_lines(reinvent, limits)["min_time"]
    driven = raceline.drive_line(Simulator(reinvent, car), line)
    assert driven == pytest.approx(line.lap_time, rel=0.05)


def test_open_narrow_and_too_tight_tracks_are_refused(limits):
    route = _ring(1.0, 0.6)
    with pytest.raises(RaceLineError, match="'open'.*not a closed loop"):
        raceline.race_lines(Track(route[:200], "open"), limits)
    with pytest.raises(RaceLineError, match="'slim'.*narrower than the car"):
        raceline.race_lines(Track(_ring(1.0, 0.1), "slim"), limits)
    a = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    with pytest.raises(RaceLineError, match="tighter.*than the steering allows"):
        raceline.speed_profile(0.2 * np.column_stack([np.cos(a), np.sin(a)]), limits)


def test_a_line_tighter_than_the_steering_is_flagged_and_capped(limits):
    a = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    line = raceline.make_line("tight", 0.2 * np.column_stack([np.cos(a), np.sin(a)]), limits)
    assert not line.feasible
    assert line.speed.max() == pytest.approx(math.sqrt(limits.grip * limits.min_radius))


def test_script_prints_json_and_saves_lines_and_png(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "raceline.py"), "reinvent_base",
                          "--json", "--out", str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout
    result = json.loads(out)
    assert result["min_time_lap_s"] <= result["min_curvature_lap_s"] <= result["centre_line_lap_s"]
    line = np.load(tmp_path / "reinvent_base_min_time.npy")
    assert line.shape[1] == 3 and line.dtype == np.float64
    assert (tmp_path / "reinvent_base_raceline.png").stat().st_size > 1000


def test_script_names_an_unknown_track():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "raceline.py"), "no_such_track"],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "no_such_track" in run.stderr
