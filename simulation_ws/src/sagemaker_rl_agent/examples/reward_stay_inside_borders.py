def reward_function(params):
    """Stay inside the borders: a flat reward while every wheel is on the track with a margin."""
    margin = 0.05  # metres kept between the car's front point and the border

    half_width = 0.5 * params["track_width"]
    inside = params["distance_from_center"] <= half_width - margin
    if params["all_wheels_on_track"] and inside:
        return 1.0
    return 1e-3
