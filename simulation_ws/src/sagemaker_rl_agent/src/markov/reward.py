"""Loading and guarding the user's reward_function.py.

`load_reward_function` imports the file under a unique module name with its
real filename, so tracebacks name it. `check_reward_function` calls it on
sample params before training; `SafeReward` wraps it for every step. Every
problem (syntax error, missing function, exception, a return value that is not
a finite number) raises `RewardFunctionError` naming the file and the line.
"""
import importlib.util
import itertools
import math
import numbers
import os
import sys
import traceback
from typing import Callable, Iterable, Optional

FUNCTION_NAME = "reward_function"
_module_ids = itertools.count()


class RewardFunctionError(ValueError):
    """The user's reward function is unusable; the message names the file and the line."""


def load_reward_function(path) -> Callable[[dict], float]:
    """Import `path` and return its `reward_function`."""
    path = os.path.abspath(os.fspath(path))
    try:
        with open(path, "rb") as stream:
            source = stream.read()
    except OSError as exc:
        raise RewardFunctionError(f"{path}: cannot read the reward function file: {exc}") from exc
    try:
        compile(source, path, "exec")
    except SyntaxError as exc:
        raise RewardFunctionError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc
    name = f"_deepracer_reward_{next(_module_ids)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise RewardFunctionError(_exception_message(exc, path, "importing the file")) from exc
    function = getattr(module, FUNCTION_NAME, None)
    if not callable(function):
        del sys.modules[name]
        found = "is not a function" if function is not None else "is missing"
        raise RewardFunctionError(f"{path}: `def {FUNCTION_NAME}(params)` {found}")
    return function


def check_reward_function(fn: Callable[[dict], float], sample_params_list: Iterable[dict],
                          source_path=None) -> None:
    """Call `fn` on every sample params dict; raise RewardFunctionError on the first problem."""
    path = _source_of(fn, source_path)
    for params in sample_params_list:
        value, line = _call_tracing_return(fn, params, path)
        problem = _value_problem(value)
        if problem:
            raise RewardFunctionError(f"{path}:{line}: {FUNCTION_NAME} returned {problem}")


class SafeReward:
    """The reward function as used each step: returns a float or raises RewardFunctionError."""

    __slots__ = ("_fn", "path")

    def __init__(self, fn: Callable[[dict], float], path=None):
        self._fn = fn
        self.path = _source_of(fn, path)

    def __call__(self, params: dict) -> float:
        try:
            value = self._fn(params)
        except Exception as exc:
            raise RewardFunctionError(_exception_message(exc, self.path, FUNCTION_NAME,
                                                         self._fn)) from exc
        if value.__class__ is float and value - value == 0.0:  # fast path: a finite float
            return value
        problem = _value_problem(value)
        if problem:
            _, line = _call_tracing_return(self._fn, params, self.path)
            raise RewardFunctionError(f"{self.path}:{line}: {FUNCTION_NAME} returned {problem}")
        return float(value)


def load_checked_reward(path, sample_params_list: Iterable[dict]) -> SafeReward:
    """Load, check on the samples and wrap the reward function in `path`."""
    fn = load_reward_function(path)
    check_reward_function(fn, sample_params_list, path)
    return SafeReward(fn, path)


def _value_problem(value) -> Optional[str]:
    """Why `value` is not a usable reward, or None when it is one."""
    if isinstance(value, bool):
        return None
    if not isinstance(value, numbers.Real):
        return f"{value!r} ({type(value).__name__}), not a number"
    if not math.isfinite(value):
        return f"{value!r}, not a finite number"
    return None


def _source_of(fn, source_path) -> str:
    if source_path is not None:
        return os.path.abspath(os.fspath(source_path))
    code = getattr(fn, "__code__", None)
    return code.co_filename if code is not None else repr(fn)


def _call_tracing_return(fn, params: dict, path: str):
    """Call fn(params); return (value, the line of fn's return) or raise RewardFunctionError."""
    code = getattr(fn, "__code__", None)
    where = {"line": code.co_firstlineno if code is not None else "?"}

    def profiler(frame, event, _arg):
        if event == "return" and frame.f_code is code:
            where["line"] = frame.f_lineno

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        value = fn(params)
    except Exception as exc:
        raise RewardFunctionError(_exception_message(exc, path, FUNCTION_NAME, fn)) from exc
    finally:
        sys.setprofile(previous)
    return value, where["line"]


def _exception_message(exc: BaseException, path: str, doing: str, fn=None) -> str:
    """'<file>:<line>: <doing> raised <Type>: <message>' with the deepest line in the user's file.

    Without a frame in the file (e.g. a wrong signature), the line of `def` is used.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    target = os.path.normcase(os.path.abspath(path))
    in_user_file = [f for f in frames if os.path.normcase(os.path.abspath(f.filename)) == target]
    code = getattr(fn, "__code__", None)
    line = (in_user_file[-1].lineno if in_user_file
            else code.co_firstlineno if code is not None else "?")
    text = f"{path}:{line}: {doing} raised {type(exc).__name__}: {exc}"
    if in_user_file and in_user_file[-1].line:
        text += f"\n    {in_user_file[-1].line}"
    return text
