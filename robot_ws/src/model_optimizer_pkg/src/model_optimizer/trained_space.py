"""The action space a model.pb was trained with, checked against its model_metadata.json.

This project's training stores model_metadata.json's `action_space_type` and
`action_space` in each model.pb, as the JSON text of a string constant
(`main_level/agent/main/online/network_1/ppo_head_0/action_space`, holding
`{"deepracer_action_space": {...}}`) that no output depends on. The car reads it
from the file's bytes (no TensorFlow on the car) and refuses a model whose
metadata does not say what its outputs mean: a continuous model's outputs in
[-1, 1] are scaled onto the metadata's ranges, so other ranges than the trained
ones drive the car at other speeds and angles than the simulator did. Models
without the constant (DeepRacer console models, older exports) are not checked.
"""
import json
import math
from typing import Optional

from model_optimizer.archive import ModelError

MARKER = b'{"deepracer_action_space": '
_RANGE_KEYS = ("steering_angle", "speed")


def stored_action_space(pb_bytes: bytes) -> Optional[dict]:
    """The `{"action_space_type", "action_space"}` a model.pb holds, or None."""
    start = pb_bytes.find(MARKER)
    if start < 0:
        return None
    text = pb_bytes[start:].decode("utf-8", "replace")
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    stored = value.get("deepracer_action_space")
    return stored if isinstance(stored, dict) else None


def _same(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _bounds(value) -> str:
    if not isinstance(value, dict):
        return repr(value)
    return "{" + ", ".join(f"{k}: {value.get(k)!r}" for k in ("low", "high")) + "}"


def check_trained_action_space(pb_bytes: bytes, pb_name, metadata_text: str, source: str) -> None:
    """Raise ModelError naming `pb_name` and the field of `source` (the model_metadata.json)
    when the metadata's action space is not the one stored in the model."""
    stored = stored_action_space(pb_bytes)
    if stored is None:
        return
    data = json.loads(metadata_text)  # already checked by load_model_metadata
    space = data["action_space"]
    kind = data.get("action_space_type") or ("continuous" if isinstance(space, dict) else "discrete")
    trained_kind, trained = stored.get("action_space_type"), stored.get("action_space")
    if kind != trained_kind:
        raise ModelError(f"{pb_name}: the model was trained with a {trained_kind} action space but "
                         f"{source}: action_space_type is {kind!r}; the model and its metadata "
                         f"do not match")
    if kind == "continuous":
        for key in _RANGE_KEYS:
            want, have = trained.get(key, {}), space.get(key, {})
            for bound in ("low", "high"):
                if not _same(want.get(bound), have.get(bound)):
                    raise ModelError(
                        f"{pb_name}: the model's outputs were trained for action_space.{key} "
                        f"{_bounds(want)} but {source}: action_space.{key} is {_bounds(have)}; "
                        f"the car would scale its outputs onto other ranges than the simulator did")
        return
    if len(space) != len(trained):
        raise ModelError(f"{pb_name}: the model was trained with {len(trained)} actions but "
                         f"{source}: action_space lists {len(space)}")
    for i, (want, have) in enumerate(zip(trained, space)):
        for key in _RANGE_KEYS:
            if not _same(want.get(key), have.get(key)):
                raise ModelError(f"{pb_name}: the model's action {i} was trained with {key} "
                                 f"{want.get(key)!r} but {source}: action_space[{i}].{key} is "
                                 f"{have.get(key)!r}")
