"""The servo calibration file and the normalized value -> PWM duty cycle mapping.

calibration.json:
    {"servo": {"min": 1100000, "mid": 1500000, "max": 1900000, "polarity": 1},
     "motor": {"min": 1100000, "mid": 1500000, "max": 1900000, "polarity": 1}}
min, mid, max are pulse widths in ns (min < mid < max < the 20 ms period); polarity
+1 or -1 flips the direction. A value v in [-1, 1] becomes p*v, mapped piecewise
linearly: -1 -> min, 0 -> mid, +1 -> max.
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path

PERIOD_NS = 20_000_000  # PWM period: 20 ms (50 Hz), ns
_FIELDS = ("min", "mid", "max", "polarity")
CHANNELS = ("servo", "motor")  # steering servo, drive motor's speed controller


class CalibrationError(ValueError):
    """A calibration file the servo node cannot use; the message names the file and the field."""


@dataclass(frozen=True)
class ChannelCalibration:
    """Pulse widths of one PWM output."""

    min: int  # pulse at -1 (after polarity), ns
    mid: int  # pulse at 0: straight ahead / stopped, ns
    max: int  # pulse at +1 (after polarity), ns
    polarity: int = 1  # +1, or -1 to flip the direction

    def duty_cycle_ns(self, value: float) -> int:
        """The pulse width in ns for a normalized value in [-1, 1] (clipped); NaN raises."""
        if not math.isfinite(value):
            raise ValueError(f"servo value must be finite, got {value!r}")
        v = max(-1.0, min(1.0, float(value))) * self.polarity
        span = (self.max - self.mid) if v >= 0 else (self.mid - self.min)
        return int(round(self.mid + v * span))


@dataclass(frozen=True)
class Calibration:
    """Both outputs of the car."""

    servo: ChannelCalibration  # steering: +1 = full left
    motor: ChannelCalibration  # throttle: +1 = full forward


DEFAULT_CALIBRATION = Calibration(servo=ChannelCalibration(1_100_000, 1_500_000, 1_900_000),
                                  motor=ChannelCalibration(1_100_000, 1_500_000, 1_900_000))


def _channel(data, name, source) -> ChannelCalibration:
    entry = data.get(name)
    if not isinstance(entry, dict):
        raise CalibrationError(f"{source}: {name}: expected an object with {', '.join(_FIELDS)}, "
                               f"got {entry!r}")
    for key in entry:
        if key not in _FIELDS:
            raise CalibrationError(f"{source}: {name}.{key}: unknown field (known: {', '.join(_FIELDS)})")
    values = {}
    for key in _FIELDS:
        value = entry.get(key)
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value) or value != int(value)):
            raise CalibrationError(f"{source}: {name}.{key}: expected an integer, got {value!r}")
        values[key] = int(value)
    if values["polarity"] not in (1, -1):
        raise CalibrationError(f"{source}: {name}.polarity: must be 1 or -1, got {values['polarity']}")
    if not 0 < values["min"] < values["mid"] < values["max"] < PERIOD_NS:
        raise CalibrationError(f"{source}: {name}: need 0 < min < mid < max < {PERIOD_NS} ns, got "
                               f"min={values['min']}, mid={values['mid']}, max={values['max']}")
    return ChannelCalibration(**values)


def parse_calibration(data, source="calibration") -> Calibration:
    """A Calibration from a parsed JSON object (`source` names it in errors)."""
    if not isinstance(data, dict):
        raise CalibrationError(f"{source}: expected a JSON object, got {type(data).__name__}")
    for key in data:
        if key not in CHANNELS:
            raise CalibrationError(f"{source}: {key}: unknown field (known: {', '.join(CHANNELS)})")
    return Calibration(**{name: _channel(data, name, source) for name in CHANNELS})


def load_calibration(path) -> Calibration:
    """Read calibration.json at `path`."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise CalibrationError(f"{path}: cannot read the calibration ({error.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CalibrationError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    return parse_calibration(data, str(path))


def save_calibration(calibration: Calibration, path) -> Path:
    """Write `calibration` as JSON at `path`."""
    data = {name: {k: getattr(getattr(calibration, name), k) for k in _FIELDS} for name in CHANNELS}
    path = Path(path)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
