"""The default DeepRacer reward function: follow the centre line.

DeepRacer calls reward_function(params) once per step (15 per simulated second);
see docs/reward_function.md for every key of params.
"""


def reward_function(params):
    """Reward staying near the centre line, in three bands; almost nothing past the border."""
    track_width = params["track_width"]
    distance = params["distance_from_center"]

    if distance <= 0.1 * track_width:
        return 1.0
    if distance <= 0.25 * track_width:
        return 0.5
    if distance <= 0.5 * track_width:
        return 0.1
    return 1e-3
