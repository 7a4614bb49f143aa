"""The reward params about objects (obstacles, bot cars), in DeepRacer's conventions.

`object_reward_params` returns the object keys of the reward function's
`params` for one step; `build_reward_params` fills the same keys with their
empty defaults when there are no objects (time trial), and the env updates
its dict with this one when there are. Conventions, as DeepRacer's simulation
computes them (docs/race_types.md):
- `objects_location`: `[x, y]` of each object's centre, m; objects in a fixed
  order (obstacles, then bot cars).
- `objects_distance`: each object's centre projected on the centre line, m
  from the start line in the driving direction (`[0, track_length)`).
- `closest_objects`: `[prev, next]` indices of the objects just behind and just
  ahead of the car's front point along the centre line (wrapping round the lap).
- `objects_left_of_center`: left of the centre line in the driving direction.
- `objects_distance_from_center`: distance of each centre to the centre line, m.
- `objects_heading`: bot cars' heading (radians, as DeepRacer's simulation
  reports it; obstacles 0.0); `objects_speed`: bot cars' speed (m/s; obstacles 0.0).
- `object_in_camera`: the next object (`closest_objects[1]`) has its centre or
  a corner of its box inside the camera's view frustum (near / far clip,
  horizontal and vertical field of view).
"""
import bisect
import math

import numpy as np


def find_prev_next(sorted_values, value):
    """Indices into `sorted_values` of the last one <= value and the first one > value, wrapping."""
    nxt = bisect.bisect_right(sorted_values, value)
    prev = nxt - 1 if nxt > 0 else len(sorted_values) - 1
    return prev, (nxt if nxt < len(sorted_values) else 0)


def object_reward_params(front_s, base_x, base_y, yaw, track, objects, camera=None) -> dict:
    """The object keys of `params` for the car whose front point projects to `front_s`.

    base_x, base_y, yaw: the car's base pose (for `object_in_camera`); track: a
    `deepracer_simulation.track.Track`; objects: items with `x, y, yaw, length,
    width, speed, kind`; camera: a CameraSpec (x, y in the base frame, hfov,
    near, far) or None (then `object_in_camera` is False).
    """
    if not objects:
        return {"closest_objects": [0, 0], "objects_location": [], "objects_left_of_center": [],
                "object_in_camera": False, "objects_speed": [], "objects_heading": [],
                "objects_distance_from_center": [], "objects_distance": []}
    projections = [track.project(o.x, o.y) for o in objects]
    pdists = [float(p.s) for p in projections]
    order = np.argsort(pdists, kind="stable")
    prev, nxt = find_prev_next([pdists[i] for i in order], front_s)
    prev, nxt = int(order[prev]), int(order[nxt])
    in_camera = camera is not None and in_camera_view(base_x, base_y, yaw, objects[nxt], camera)
    return {
        "closest_objects": [prev, nxt],
        "objects_location": [[float(o.x), float(o.y)] for o in objects],
        "objects_left_of_center": [bool(p.is_left_of_center) for p in projections],
        "object_in_camera": bool(in_camera),
        "objects_speed": [float(o.speed) if o.kind == "bot_car" else 0.0 for o in objects],
        "objects_heading": [_wrap(o.yaw) if o.kind == "bot_car" else 0.0 for o in objects],
        "objects_distance_from_center": [float(p.distance_from_center) for p in projections],
        "objects_distance": pdists,
    }


def in_camera_view(base_x, base_y, yaw, obj, camera) -> bool:
    """Whether the object's box is seen by the camera: its centre or one of its 8 corners
    (footprint at the ground and at its height) inside the view frustum, i.e. between the
    near and far clip along the pitched optical axis and within the horizontal and the
    vertical field of view (vertical from the image's aspect: tan(v/2) = tan(h/2) * H / W)."""
    c, s = math.cos(yaw), math.sin(yaw)
    cx, cy = base_x + c * camera.x - s * camera.y, base_y + s * camera.x + c * camera.y
    oc, os_ = math.cos(obj.yaw), math.sin(obj.yaw)
    hl, hw = obj.length / 2.0, obj.width / 2.0
    height = float(getattr(obj, "height", 0.0))
    points = [(obj.x, obj.y, height / 2.0)] + [
        (obj.x + oc * a - os_ * b, obj.y + os_ * a + oc * b, z)
        for a, b in ((hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw)) for z in (0.0, height)]
    half_h = math.tan(camera.hfov / 2.0)
    half_v = half_h * camera.height / camera.width
    cp, sp = math.cos(camera.pitch), math.sin(camera.pitch)
    for px, py, pz in points:
        dx, dy, dz = px - cx, py - cy, pz - camera.z
        ahead, left = c * dx + s * dy, -s * dx + c * dy
        depth, up = ahead * cp - dz * sp, ahead * sp + dz * cp  # along / above the optical axis
        if camera.near <= depth <= camera.far and abs(left) <= depth * half_h \
                and abs(up) <= depth * half_v:
            return True
    return False


def _wrap(angle) -> float:
    a = math.fmod(float(angle) + math.pi, 2.0 * math.pi)
    a = a + 2.0 * math.pi if a <= 0.0 else a
    return a - math.pi
