"""Reward for object avoidance and head-to-head (race-type benchmarks): stay on the road,
keep out of the lane of the next object when it is close, never touch one."""
import math


def reward_function(params):
    if params["is_crashed"] or params["is_offtrack"]:
        return 1e-3
    half = 0.5 * params["track_width"]
    reward = 1.0 - min(params["distance_from_center"] / half, 1.0) * 0.5
    objects = params["objects_location"]
    if objects:
        _, ahead = params["closest_objects"]
        ox, oy = objects[ahead]
        gap = math.hypot(ox - params["x"], oy - params["y"])
        same_lane = params["objects_left_of_center"][ahead] == params["is_left_of_center"]
        if gap < 1.2:
            if same_lane:
                reward *= 0.2 + 0.8 * gap / 1.2
            else:
                reward += 0.5  # in the free lane beside the object
    return float(reward * (0.5 + 0.5 * params["speed"] / 1.5))
