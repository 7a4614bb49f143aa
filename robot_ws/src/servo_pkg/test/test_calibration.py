"""Servo calibration: duty cycles against hand-computed values, and loader errors naming the field."""
import json

import pytest

from deepracer_servo import (DEFAULT_CALIBRATION, CalibrationError, ChannelCalibration,
                             load_calibration, save_calibration)

GOOD = {"servo": {"min": 1_000_000, "mid": 1_450_000, "max": 2_000_000, "polarity": -1},
        "motor": {"min": 1_200_000, "mid": 1_500_000, "max": 1_800_000, "polarity": 1}}


@pytest.mark.parametrize("value, expected", [
    (0.0, 1_500_000), (1.0, 1_800_000), (-1.0, 1_200_000), (0.5, 1_650_000), (-0.25, 1_425_000),
    (3.0, 1_800_000), (-3.0, 1_200_000),  # clipped to [-1, 1]
])
def test_duty_cycle_is_piecewise_linear_through_mid(value, expected):
    assert ChannelCalibration(1_200_000, 1_500_000, 1_800_000).duty_cycle_ns(value) == expected


def test_asymmetric_range_and_negative_polarity():
    servo = ChannelCalibration(1_000_000, 1_450_000, 2_000_000, polarity=-1)
    assert servo.duty_cycle_ns(1.0) == 1_000_000  # full left -> min with polarity -1
    assert servo.duty_cycle_ns(-1.0) == 2_000_000
    assert servo.duty_cycle_ns(0.5) == 1_225_000  # 1.45 ms - 0.5 * 0.45 ms
    assert servo.duty_cycle_ns(-0.5) == 1_725_000  # 1.45 ms + 0.5 * 0.55 ms


def test_non_finite_value_raises():
    with pytest.raises(ValueError, match="must be finite"):
        DEFAULT_CALIBRATION.servo.duty_cycle_ns(float("nan"))


def test_load_and_save_round_trip(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(GOOD))
    calibration = load_calibration(path)
    assert calibration.servo == ChannelCalibration(1_000_000, 1_450_000, 2_000_000, -1)
    assert load_calibration(save_calibration(calibration, tmp_path / "copy.json")) == calibration


@pytest.mark.parametrize("change, message", [
    ({"servo": None}, "servo: expected an object with min, mid, max, polarity"),
    ({"steering": {}}, "steering: unknown field"),
    ({"motor": {**GOOD["motor"], "center": 1}}, "motor.center: unknown field"),
    ({"motor": {**GOOD["motor"], "mid": "1.5ms"}}, "motor.mid: expected an integer, got '1.5ms'"),
    ({"motor": {**GOOD["motor"], "max": 1.5e6 + 0.5}}, "motor.max: expected an integer"),
    ({"servo": {k: v for k, v in GOOD["servo"].items() if k != "polarity"}},
     "servo.polarity: expected an integer, got None"),
    ({"servo": {**GOOD["servo"], "polarity": 2}}, "servo.polarity: must be 1 or -1"),
    ({"servo": {**GOOD["servo"], "min": 1_600_000}}, "servo: need 0 < min < mid < max < 20000000 ns"),
    ({"motor": {**GOOD["motor"], "max": 25_000_000}}, "motor: need 0 < min < mid < max"),
])
def test_bad_calibration_names_the_file_and_field(tmp_path, change, message):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({**GOOD, **change}))
    with pytest.raises(CalibrationError) as error:
        load_calibration(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value)


def test_unreadable_or_malformed_file(tmp_path):
    with pytest.raises(CalibrationError, match="cannot read the calibration"):
        load_calibration(tmp_path / "missing.json")
    path = tmp_path / "calibration.json"
    path.write_text('{"servo": {"min": 1,\n}')
    with pytest.raises(CalibrationError, match=rf"{path}: not valid JSON \(line 2"):
        load_calibration(path)
