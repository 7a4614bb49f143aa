"""The `params` dict handed to the user's reward_function, built from plain values.

The env calls `build_reward_params` once per step with the car's front point,
a `Projection` of that point on the centre line (`deepracer_simulation.track`:
attributes `s`, `distance_from_center`, `is_left_of_center`,
`closest_waypoints`, `width`) and the track's constants. `sample_reward_params`
makes a varied set of dicts for checking a reward function before training.
"""
import math
from collections import namedtuple
from typing import List, Optional, Sequence, Tuple

FRONT_OFFSET = 0.14  # m: the reward's (x, y) is this far ahead of the car's origin

REWARD_PARAM_KEYS = (
    "all_wheels_on_track", "x", "y", "heading", "distance_from_center", "projection_distance",
    "progress", "steps", "speed", "steering_angle", "track_width", "track_length", "waypoints",
    "closest_waypoints", "is_left_of_center", "is_reversed", "is_offtrack", "is_crashed",
    "closest_objects", "objects_location", "objects_left_of_center", "object_in_camera",
    "objects_speed", "objects_heading", "objects_distance_from_center", "objects_distance",
)

_degrees = math.degrees


def front_point(x: float, y: float, yaw: float,
                offset: float = FRONT_OFFSET) -> Tuple[float, float]:
    """The point `offset` metres ahead of (x, y) along the heading `yaw` (rad)."""
    return x + offset * math.cos(yaw), y + offset * math.sin(yaw)


def heading_degrees(yaw: float) -> float:
    """`yaw` (rad) as degrees in (-180, 180]."""
    deg = _degrees(yaw) % 360.0
    return deg - 360.0 if deg > 180.0 else deg


def build_reward_params(front_x: float, front_y: float, yaw: float, projection, *,
                        progress: float, steps: int, speed: float, steering_angle: float,
                        all_wheels_on_track: bool, is_offtrack: bool, is_crashed: bool,
                        is_reversed: bool, track_length: float, waypoints: list) -> dict:
    """Every reward_function key for one step (time trial: no objects).

    front_x, front_y: the car's front point (m); yaw: the car's heading (rad);
    projection: the front point projected on the centre line; progress: 0-100 %;
    steps: steps taken this episode including this one; speed, steering_angle:
    the commanded action (m/s, degrees); waypoints: the track's list, passed on
    as is (not copied).
    """
    deg = _degrees(yaw) % 360.0
    prev_wp, next_wp = projection.closest_waypoints
    return {
        "all_wheels_on_track": bool(all_wheels_on_track),
        "x": float(front_x),
        "y": float(front_y),
        "heading": deg - 360.0 if deg > 180.0 else deg,
        "distance_from_center": float(projection.distance_from_center),
        "projection_distance": float(projection.s),
        "progress": float(progress),
        "steps": int(steps),
        "speed": float(speed),
        "steering_angle": float(steering_angle),
        "track_width": float(projection.width),
        "track_length": float(track_length),
        "waypoints": waypoints,
        "closest_waypoints": [int(prev_wp), int(next_wp)],
        "is_left_of_center": bool(projection.is_left_of_center),
        "is_reversed": bool(is_reversed),
        "is_offtrack": bool(is_offtrack),
        "is_crashed": bool(is_crashed),
        "closest_objects": [0, 0],
        "objects_location": [],
        "objects_left_of_center": [],
        "object_in_camera": False,
        "objects_speed": [],
        "objects_heading": [],
        "objects_distance_from_center": [],
        "objects_distance": [],
    }


# ----------------------------------------------------------------------------- samples

SampleProjection = namedtuple(
    "SampleProjection", "s distance_from_center is_left_of_center closest_waypoints width heading")
SampleProjection.__doc__ = "A Projection-like record for samples built without a Track."


def oval_waypoints(straight: float = 6.0, radius: float = 2.0,
                   spacing: float = 0.5) -> List[Tuple[float, float]]:
    """Centre line of a counter-clockwise stadium track, closed (last point == first)."""
    total = 2.0 * straight + 2.0 * math.pi * radius
    n = max(8, int(round(total / spacing)))
    points = [_stadium_point(i * total / n, straight, radius) for i in range(n)]
    return points + [points[0]]


def _stadium_point(d: float, straight: float, radius: float) -> Tuple[float, float]:
    arc = math.pi * radius
    half = straight / 2.0
    if d < straight:  # bottom straight, driving +x
        return -half + d, -radius
    d -= straight
    if d < arc:  # right half circle
        a = -math.pi / 2 + d / radius
        return half + radius * math.cos(a), radius * math.sin(a)
    d -= arc
    if d < straight:  # top straight, driving -x
        return half - d, radius
    a = math.pi / 2 + (d - straight) / radius  # left half circle
    return -half + radius * math.cos(a), radius * math.sin(a)


def sample_reward_params(waypoints: Optional[Sequence[Tuple[float, float]]] = None,
                         track_width: float = 0.76,
                         drives: Sequence[Tuple[float, float]] = ((0.0, 1.0), (30.0, 0.5),
                                                                  (-30.0, 4.0), (15.0, 2.0)),
                         positions: int = 6) -> List[dict]:
    """Params dicts spread over the track: centred, near each border, off track, reversed, crashed.

    waypoints: the centre line in driving order (default: `oval_waypoints()`);
    drives: (steering_deg, speed_mps) pairs cycled through the samples.
    """
    waypoints = list(waypoints) if waypoints is not None else oval_waypoints()
    if len(waypoints) < 3:
        raise ValueError(f"need at least 3 waypoints, got {len(waypoints)}")
    cumulative = [0.0]
    for (x0, y0), (x1, y1) in zip(waypoints, waypoints[1:]):
        cumulative.append(cumulative[-1] + math.hypot(x1 - x0, y1 - y0))
    half = track_width / 2.0
    offsets = (0.0, 0.3 * half, -0.3 * half, 0.8 * half, -0.8 * half, 1.5 * half)
    step = max(1, (len(waypoints) - 1) // positions)
    samples = []
    for k, index in enumerate(range(0, len(waypoints) - 1, step)):
        for lateral in offsets:
            n = len(samples)
            samples.append(_sample_at(waypoints, cumulative, index, lateral, track_width,
                                      drives[n % len(drives)], steps=1 + 7 * n,
                                      is_reversed=k % 3 == 2, is_crashed=n == 5))
    return samples


def _sample_at(waypoints, cumulative, index, lateral, width, drive, steps, is_reversed, is_crashed):
    (x0, y0), (x1, y1) = waypoints[index], waypoints[index + 1]
    yaw = math.atan2(y1 - y0, x1 - x0)
    fx, fy = x0 - lateral * math.sin(yaw), y0 + lateral * math.cos(yaw)
    half = width / 2.0
    projection = SampleProjection(s=cumulative[index], distance_from_center=abs(lateral),
                                  is_left_of_center=lateral > 0.0,
                                  closest_waypoints=(index, index + 1), width=width, heading=yaw)
    return build_reward_params(fx, fy, yaw, projection,
                               progress=100.0 * cumulative[index] / cumulative[-1], steps=steps,
                               speed=drive[1], steering_angle=drive[0],
                               all_wheels_on_track=abs(lateral) <= half - 0.1,
                               is_offtrack=abs(lateral) > half + 0.1, is_crashed=is_crashed,
                               is_reversed=is_reversed, track_length=cumulative[-1],
                               waypoints=waypoints)
