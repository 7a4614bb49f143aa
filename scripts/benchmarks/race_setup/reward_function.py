"""Racing reward: progress per step (fast laps earn more), a bonus for finishing, 0 off the road."""


def reward_function(params):
    if params["is_offtrack"] or not params["all_wheels_on_track"]:
        return 1e-3
    steps = max(params["steps"], 1)
    reward = params["progress"] / steps  # % of the lap per step: higher when faster
    # Stay near the middle while learning to lap (a wide margin; racing lines cut corners).
    if params["distance_from_center"] > 0.45 * params["track_width"]:
        reward *= 0.5
    if params["progress"] >= 100:
        reward += 10.0
    return float(reward)
