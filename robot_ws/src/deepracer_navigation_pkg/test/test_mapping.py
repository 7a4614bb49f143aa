"""Navigation: DeepRacer's action -> (angle, throttle) mapping, against hand-computed values."""
import json

import pytest

from deepracer_navigation import Navigator, throttle_curve
from model_optimizer import ActionSpace, load_model_metadata

DISCRETE = ActionSpace("discrete", actions=((-30.0, 0.6), (-15.0, 1.0), (0.0, 1.5), (15.0, 1.0), (30.0, 0.6)))
CONTINUOUS = ActionSpace("continuous", steering_range=(-20.0, 30.0), speed_range=(0.5, 2.0))


def test_throttle_curve_golden_coefficients():
    # a m^2 = -1.2 and b m = 2.2 solve a m^2/4 + b m/2 = 0.8, a m^2 + b m = 1.0
    curve = throttle_curve(2.0)
    assert curve.a == pytest.approx(-0.3) and curve.b == pytest.approx(1.1)
    curve = throttle_curve(1.5)
    assert curve.a == pytest.approx(-1.2 / 2.25) and curve.b == pytest.approx(2.2 / 1.5)
    assert (curve(0.0), curve(0.75), curve(1.5)) == pytest.approx((0.0, 0.8, 1.0))


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_throttle_curve_needs_a_positive_speed(bad):
    with pytest.raises(ValueError, match="max_speed must be a positive number"):
        throttle_curve(bad)


@pytest.mark.parametrize("probabilities, scale, expected", [
    ([0.1, 0.6, 0.1, 0.1, 0.1], 1.0, (-0.5, 0.933333)),  # -15 deg, 1.0 m/s of 1.5
    ([0.1, 0.6, 0.1, 0.1, 0.1], 0.5, (-0.5, 0.466667)),
    ([0.0, 0.0, 0.0, 0.0, 1.0], 1.0, (1.0, 0.688)),  # 30 deg, 0.6 m/s: x = 0.4
    ([0.2, 0.1, 0.3, 0.2, 0.2], 1.0, (0.0, 1.0)),  # 0 deg, top speed
])
def test_discrete_most_likely_action(probabilities, scale, expected):
    assert Navigator(DISCRETE, scale)(probabilities) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("output, expected", [
    ([0.0, 1.0], (5.0 / 30.0, 1.0)),  # steering -20 + 0.5 * 50 = 5 deg, speed 2.0
    ([-1.0, -1.0], (-20.0 / 30.0, 0.475)),  # speed 0.5: x = 0.25
    ([2.0, 0.0], (1.0, 0.90625)),  # clipped to 1: 30 deg; speed 1.25: x = 0.625
])
def test_continuous_outputs_are_rescaled_then_mapped(output, expected):
    assert Navigator(CONTINUOUS)(output) == pytest.approx(expected, abs=1e-6)


def test_throttle_is_clipped_at_the_curve_peak():
    space = ActionSpace("discrete", actions=((0.0, 11 / 12), (0.0, 1.0)))
    assert throttle_curve(1.0)(11 / 12) == pytest.approx(1.0 + 1 / 120)
    assert Navigator(space)([1.0, 0.0]) == (0.0, 1.0)


def test_straight_only_action_space_gives_zero_angle():
    space = ActionSpace("discrete", actions=((0.0, 1.0), (0.0, 2.0)))
    assert Navigator(space)([0.3, 0.7]) == (0.0, 1.0)


@pytest.mark.parametrize("output", [[0.5, 0.5], [0.1, float("nan"), 0.3, 0.3, 0.3]])
def test_wrong_or_non_finite_outputs_are_rejected(output):
    with pytest.raises(ValueError, match="expected 5 finite policy outputs"):
        Navigator(DISCRETE)(output)


@pytest.mark.parametrize("scale", [-0.1, 1.5, float("nan")])
def test_throttle_scale_must_be_a_fraction(scale):
    with pytest.raises(ValueError, match="throttle_scale must be in"):
        Navigator(DISCRETE, scale)


def _metadata_file(tmp_path, action_space):
    path = tmp_path / "model_metadata.json"
    path.write_text(json.dumps({"action_space": action_space, "sensor": ["FRONT_FACING_CAMERA"]}))
    return path


# Training (markov.config.ActionSpace.action_to_drive) scales each output onto the RAW
# range, low + (a + 1) / 2 * (high - low), then clips to +-30 deg and [0.1, 4] m/s.
@pytest.mark.parametrize("steering, speed, drives", [
    ((-40, 40), (0.5, 2), [((0.5, 0.0), (20.0, 1.25)),  # -40 + 1.5 * 40; not 15 (clip, then scale)
                           ((1.0, 1.0), (30.0, 2.0)), ((-0.9, -1.0), (-30.0, 0.5)),
                           ((0.7, 0.2), (28.0, 1.4))]),
    ((-20, 50), (0.05, 5), [((0.0, -1.0), (15.0, 0.1)), ((0.6, 0.5), (30.0, 3.7625)),
                            ((-0.2, -0.9), (8.0, 0.2975)), ((-1.0, 1.0), (-20.0, 4.0))]),
    ((-20, 30), (0.5, 2), [((0.5, -0.5), (17.5, 0.875))]),
    ((10, 45), (1, 3), [((-1.0, 0.0), (10.0, 2.0)), ((0.0, 0.0), (27.5, 2.0)),
                        ((0.2, 0.6), (30.0, 2.6))]),
])
def test_continuous_drive_matches_training_for_out_of_limit_ranges(tmp_path, steering, speed, drives):
    space = load_model_metadata(_metadata_file(tmp_path, {
        "steering_angle": {"low": steering[0], "high": steering[1]},
        "speed": {"low": speed[0], "high": speed[1]}})).action_space
    navigator = Navigator(space)
    for output, expected in drives:
        assert navigator.action(output) == pytest.approx(expected, abs=1e-9), output


def test_out_of_limit_continuous_ranges_normalize_by_the_reachable_maxima(tmp_path):
    space = load_model_metadata(_metadata_file(tmp_path, {
        "steering_angle": {"low": -20, "high": 50}, "speed": {"low": 0.05, "high": 5}})).action_space
    assert (space.max_steering_deg, space.max_speed) == (30.0, 4.0)
    # 8 deg of 30; 0.2975 m/s of 4: x = 0.074375, -1.2 x^2 + 2.2 x = 0.15698703125
    assert Navigator(space)([-0.2, -0.9]) == pytest.approx((8.0 / 30.0, 0.15698703125), abs=1e-9)
    assert Navigator(space)([0.6, 1.0]) == pytest.approx((1.0, 1.0), abs=1e-9)  # 30 deg, 4 m/s


def test_out_of_limit_discrete_actions_are_clipped_before_the_mapping(tmp_path):
    # training drives (-30, 0.1), (0, 4), (20, 2): the maxima are 30 deg and 4 m/s, not 45 and 5
    space = load_model_metadata(_metadata_file(tmp_path, [
        {"steering_angle": -45, "speed": 0.05}, {"steering_angle": 0, "speed": 5.0},
        {"steering_angle": 20, "speed": 2.0}])).action_space
    navigator = Navigator(space)
    assert [navigator.action(one_hot) for one_hot in ([1, 0, 0], [0, 1, 0], [0, 0, 1])] == [
        (-30.0, 0.1), (0.0, 4.0), (20.0, 2.0)]
    assert navigator([1, 0, 0]) == pytest.approx((-1.0, 0.05425), abs=1e-9)  # x = 0.025
    assert navigator([0, 1, 0]) == pytest.approx((0.0, 1.0), abs=1e-9)
    assert navigator([0, 0, 1]) == pytest.approx((20.0 / 30.0, 0.8), abs=1e-9)  # x = 0.5
