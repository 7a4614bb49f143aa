"""Loading and checking the user's reward function; the shipped default and the examples."""
import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from markov.reward import (RewardFunctionError, SafeReward, check_reward_function,
                           load_checked_reward, load_reward_function)
from markov.reward_params import sample_reward_params

PACKAGE = Path(__file__).resolve().parents[1]
DEFAULT_REWARD = PACKAGE / "config" / "reward_function.py"
EXAMPLES = PACKAGE / "examples"
DOC = PACKAGE.parents[2] / "docs" / "reward_function.md"
SAMPLES = sample_reward_params()


def _reward_file(tmp_path, body, name="reward_function.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"))
    return path


def _error(fn, *args):
    with pytest.raises(RewardFunctionError) as info:
        fn(*args)
    return str(info.value)


# ----------------------------------------------------------------------------- loading

def test_load_returns_the_function_with_its_real_filename(tmp_path):
    path = _reward_file(tmp_path, """
        def reward_function(params):
            return params["speed"] * 2
        """)
    fn = load_reward_function(path)
    assert fn({"speed": 1.5}) == 3.0
    assert fn.__code__.co_filename == str(path)
    assert fn.__module__.startswith("_deepracer_reward_")


def test_two_files_with_the_same_name_do_not_collide(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    body = "def reward_function(p):\n    return {}\n"
    first = load_reward_function(_reward_file(tmp_path / "a", body.format(1.0)))
    second = load_reward_function(_reward_file(tmp_path / "b", body.format(2.0)))
    assert (first({}), second({})) == (1.0, 2.0)
    assert first.__module__ != second.__module__


def test_syntax_error_names_file_and_line(tmp_path):
    path = _reward_file(tmp_path, """
        def reward_function(params):
            reward = 1.0
            if reward > 0
                return reward
        """)
    message = _error(load_reward_function, path)
    assert message.startswith(f"{path}:3: syntax error: ")


def test_missing_function(tmp_path):
    path = _reward_file(tmp_path, "def reward(params):\n    return 1.0\n")
    assert _error(load_reward_function, path) == \
        f"{path}: `def reward_function(params)` is missing"


def test_reward_function_that_is_not_a_function(tmp_path):
    path = _reward_file(tmp_path, "reward_function = 1.0\n")
    assert "is not a function" in _error(load_reward_function, path)


def test_exception_while_importing_names_the_line(tmp_path):
    path = _reward_file(tmp_path, """
        import math

        SCALE = math.sqrt(undefined_name)

        def reward_function(params):
            return SCALE
        """)
    message = _error(load_reward_function, path)
    assert message.startswith(f"{path}:3: importing the file raised NameError: ")
    assert "undefined_name" in message


def test_missing_file(tmp_path):
    message = _error(load_reward_function, tmp_path / "nope.py")
    assert "nope.py: cannot read the reward function file" in message


# ----------------------------------------------------------------------------- checking

def test_exception_names_the_line_in_the_user_file(tmp_path):
    path = _reward_file(tmp_path, """
        def reward_function(params):
            width = params["track_width"]
            ratio = params["distance_from_center"] / (width - width)
            return ratio
        """)
    message = _error(check_reward_function, load_reward_function(path), SAMPLES, path)
    assert message.startswith(f"{path}:3: reward_function raised ZeroDivisionError: ")
    assert "(width - width)" in message  # the offending source line is quoted


def test_exception_in_a_helper_names_the_deepest_user_line(tmp_path):
    path = _reward_file(tmp_path, """
        def helper(params):
            return params["no_such_key"]


        def reward_function(params):
            return helper(params)
        """)
    message = _error(check_reward_function, load_reward_function(path), SAMPLES, path)
    assert message.startswith(f"{path}:2: reward_function raised KeyError: 'no_such_key'")


def test_wrong_signature_names_the_def_line(tmp_path):
    path = _reward_file(tmp_path, """
        import math


        def reward_function():
            return math.pi
        """)
    message = _error(check_reward_function, load_reward_function(path), SAMPLES, path)
    assert message.startswith(f"{path}:4: reward_function raised TypeError")


@pytest.mark.parametrize("returned, line, problem", [
    ("None", 4, "returned None (NoneType), not a number"),
    ("float('nan')", 4, "returned nan, not a finite number"),
    ("float('inf')", 4, "returned inf, not a finite number"),
    ("'1.0'", 4, "returned '1.0' (str), not a number"),
    ("[1.0]", 4, "returned [1.0] (list), not a number"),
])
def test_bad_return_values_name_file_and_return_line(tmp_path, returned, line, problem):
    path = _reward_file(tmp_path, f"""
        def reward_function(params):
            if params["is_offtrack"]:
                return 0.001
            return {returned}
        """)
    message = _error(check_reward_function, load_reward_function(path), SAMPLES, path)
    assert message == f"{path}:{line}: reward_function {problem}"


def test_falling_off_the_end_is_reported(tmp_path):
    path = _reward_file(tmp_path, """
        def reward_function(params):
            if params["all_wheels_on_track"]:
                return 1.0
            reward = 0.0
        """)
    message = _error(check_reward_function, load_reward_function(path), SAMPLES, path)
    assert message == f"{path}:4: reward_function returned None (NoneType), not a number"


def test_problem_only_off_track_is_found_by_the_samples(tmp_path):
    path = _reward_file(tmp_path, """
        def reward_function(params):
            if params["is_offtrack"]:
                return None
            return 1.0
        """)
    assert any(p["is_offtrack"] for p in SAMPLES)
    message = _error(check_reward_function, load_reward_function(path), SAMPLES, path)
    assert message == f"{path}:3: reward_function returned None (NoneType), not a number"


def test_numbers_of_every_kind_pass(tmp_path):
    for value in (1, 2.5, np.float32(0.5), np.float64(3.0), np.int64(2), True, -4.0):
        check_reward_function(lambda params, v=value: v, SAMPLES[:3])


def test_check_restores_a_previous_profiler():
    def keep(frame, event, arg):
        return None
    import sys
    sys.setprofile(keep)
    try:
        check_reward_function(lambda params: 1.0, SAMPLES[:2])
        assert sys.getprofile() is keep
    finally:
        sys.setprofile(None)


# ----------------------------------------------------------------------------- SafeReward

def test_safe_reward_converts_to_float(tmp_path):
    assert SafeReward(lambda p: 1)(SAMPLES[0]) == 1.0
    value = SafeReward(lambda p: np.float32(0.25))(SAMPLES[0])
    assert type(value) is float and value == 0.25
    assert SafeReward(lambda p: True)(SAMPLES[0]) == 1.0


def test_safe_reward_raises_with_the_line_during_training(tmp_path):
    path = _reward_file(tmp_path, """
        def reward_function(params):
            if params["steps"] > 100:
                return params["speed"] * float("inf")
            return 1.0
        """)
    safe = SafeReward(load_reward_function(path), path)
    early, late = dict(SAMPLES[0], steps=5), dict(SAMPLES[0], steps=500)
    assert safe(early) == 1.0
    assert _error(safe, late) == f"{path}:3: reward_function returned inf, not a finite number"


def test_safe_reward_exception_names_file_and_line(tmp_path):
    path = _reward_file(tmp_path, """
        def reward_function(params):
            return params["progress"] / 0
        """)
    safe = SafeReward(load_reward_function(path), path)
    message = _error(safe, SAMPLES[0])
    assert message.startswith(f"{path}:2: reward_function raised ZeroDivisionError")


def test_error_is_a_value_error():
    assert issubclass(RewardFunctionError, ValueError)


# ----------------------------------------------------------------------------- default and examples

def _params(distance, width=0.76, steering=0.0, on_track=True):
    return dict(SAMPLES[0], distance_from_center=distance, track_width=width,
                steering_angle=steering, all_wheels_on_track=on_track)


@pytest.mark.parametrize("path", [DEFAULT_REWARD, EXAMPLES / "reward_follow_center_line.py"])
def test_follow_center_line_golden_values(path):
    fn = load_checked_reward(path, SAMPLES)
    assert [fn(_params(d, width=1.0)) for d in (0.0, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6)] == \
        [1.0, 1.0, 0.5, 0.5, 0.1, 0.1, 1e-3]


def test_stay_inside_borders_golden_values():
    fn = load_checked_reward(EXAMPLES / "reward_stay_inside_borders.py", SAMPLES)
    assert fn(_params(0.0)) == 1.0
    assert fn(_params(0.32)) == 1.0  # 0.38 half width - 0.05 margin
    assert fn(_params(0.34)) == 1e-3
    assert fn(_params(0.1, on_track=False)) == 1e-3


def test_penalize_zigzag_golden_values():
    fn = load_checked_reward(EXAMPLES / "reward_penalize_zigzag.py", SAMPLES)
    assert fn(_params(0.0, width=1.0, steering=15.0)) == 1.0
    assert fn(_params(0.0, width=1.0, steering=-15.5)) == pytest.approx(0.8)
    assert fn(_params(0.2, width=1.0, steering=30.0)) == pytest.approx(0.4)
    assert fn(_params(0.6, width=1.0, steering=0.0)) == 1e-3


def test_default_and_follow_center_line_example_agree_on_every_sample():
    default = load_checked_reward(DEFAULT_REWARD, SAMPLES)
    example = load_checked_reward(EXAMPLES / "reward_follow_center_line.py", SAMPLES)
    assert [default(p) for p in SAMPLES] == [example(p) for p in SAMPLES]
    assert len({default(p) for p in SAMPLES}) == 4  # the samples reach every band


def test_doc_shows_every_example_verbatim():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    examples = sorted(EXAMPLES.glob("reward_*.py"))
    assert len(examples) == 3
    for path in examples:
        assert path.read_text() in blocks, f"{path.name} differs from its copy in {DOC.name}"


def test_doc_lists_every_params_key():
    from markov.reward_params import REWARD_PARAM_KEYS
    rows = re.findall(r"^\| `(\w+)` \|", DOC.read_text(), flags=re.M)
    assert sorted(rows) == sorted(REWARD_PARAM_KEYS)


def test_examples_are_finite_on_samples():
    for path in sorted(EXAMPLES.glob("reward_*.py")):
        fn = load_checked_reward(path, SAMPLES)
        assert all(math.isfinite(fn(p)) for p in SAMPLES)
