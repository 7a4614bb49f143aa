def reward_function(params):
    """Follow the centre line, and pay less for sharp steering so the car stops zig-zagging."""
    steering_threshold = 15.0  # degrees; sharper commands are penalized
    penalty = 0.8  # multiplier applied above the threshold

    track_width = params["track_width"]
    distance = params["distance_from_center"]
    if distance <= 0.1 * track_width:
        reward = 1.0
    elif distance <= 0.25 * track_width:
        reward = 0.5
    elif distance <= 0.5 * track_width:
        reward = 0.1
    else:
        reward = 1e-3

    if abs(params["steering_angle"]) > steering_threshold:
        reward *= penalty
    return float(reward)
