def reward_function(params):
    """Follow the centre line: the closer the car's front is to it, the larger the reward."""
    track_width = params["track_width"]
    distance = params["distance_from_center"]

    # (fraction of the track width, reward inside that band)
    bands = ((0.1, 1.0), (0.25, 0.5), (0.5, 0.1))
    for fraction, reward in bands:
        if distance <= fraction * track_width:
            return reward
    return 1e-3  # beyond the border: likely off the track
