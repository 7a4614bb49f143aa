"""Race-line reward: stay close to the minimum-time line and drive its speed profile.

The line comes from markov.laptime.race_line (computed from the waypoints and track
width in params, cached); see docs/racing.md.
"""
from markov.laptime import race_line_target


def reward_function(params):
    if params["is_offtrack"] or not params["all_wheels_on_track"]:
        return 1e-3
    distance, target_speed = race_line_target(params)
    near = max(0.0, 1.0 - distance / (0.5 * params["track_width"]))  # 1 on the line, 0 at an edge
    pace = max(0.0, 1.0 - abs(params["speed"] - target_speed) / target_speed)
    return float(1e-3 + near * (0.5 + 0.5 * pace))
