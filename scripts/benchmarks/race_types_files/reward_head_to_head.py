"""Reward for head-to-head racing (race_h2h_overtakes), written the way DeepRacer users write
one: progress at speed, stay on the road, and around the next bot car (closest_objects[1]):
penalise being close behind it in its lane, reward being in the other lane beside or just
behind it, so that passing pays and following does not."""

LOOK_AHEAD = 2.5  # m along the centre line in which the next bot car matters
MAX_SPEED = 1.8  # the action space's top speed, m/s


def reward_function(params):
    if params["is_crashed"] or params["is_offtrack"]:
        return 1e-3
    half = 0.5 * params["track_width"]
    lateral = params["distance_from_center"] if params["is_left_of_center"] else -params["distance_from_center"]
    reward = 1.0 - 0.5 * min(abs(lateral) / half, 1.0)  # near the centre line
    reward *= 0.3 + 0.7 * params["speed"] / MAX_SPEED  # faster is better
    objects = params["objects_location"]
    if objects:
        _, ahead = params["closest_objects"]
        gap = (params["objects_distance"][ahead] - params["projection_distance"]) % params["track_length"]
        if gap < LOOK_AHEAD:
            # the bot car's lane centre is a quarter of the road width from the centre line
            bot_lateral = 0.5 * half if params["objects_left_of_center"][ahead] else -0.5 * half
            separation = abs(lateral - bot_lateral)  # 0: right behind it; 0.5 * half: centre line
            closeness = 1.0 - gap / LOOK_AHEAD  # 0 far ahead .. 1 touching
            if separation < 0.35 * half:  # in its lane, close behind: follow costs
                reward *= 1.0 - 0.9 * closeness
            else:  # in the other lane (or on the far side of the centre line): passing pays
                reward += 1.0 * closeness * min(separation / half, 1.0)
    return float(reward)
