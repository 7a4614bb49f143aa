"""Objects on the track for the race types: obstacles (boxes) and bot cars.

DeepRacer's conventions (docs/race_types.md): objects sit in one of two lanes,
the inner or the outer half of the road, on the lane's centre (a quarter of the
road width from the centre line). Obstacles are spread from
`min_distance_between_obstacles` metres past the start line to 1 m before its
end, alternating inner, outer, inner, ... when fixed; when randomized each one
is moved uniformly between its neighbours (keeping that gap) and gets a random
lane. Bot cars are spread the same way from `min_distance_between_bot_cars`
metres (so the first bot car starts 2 m ahead of the start line by default),
randomized with `randomize_bot_car_locations`, drive their lane at `bot_car_speed`
and, with `is_lane_change`, switch lanes after a time drawn uniformly from
[lower, upper] seconds, over `lane_change_distance` metres of travel.

All randomness comes from the `np.random.Generator` passed to `reset` (the
env's `np_random`). Lengths are metres, angles radians, time seconds.
"""
import math
from dataclasses import dataclass, fields

import numpy as np

RACE_TYPES = ("TIME_TRIAL", "OBJECT_AVOIDANCE", "HEAD_TO_HEAD_RACING")

# Footprints (length along the lane, width, height), m, of DeepRacer's obstacle models.
OBSTACLE_SIZES = {
    "box_obstacle": (0.40, 0.30, 0.25),
    "deepracer_box_obstacle": (0.36, 0.265, 0.24),
    "amazon_box_obstacle": (0.36, 0.265, 0.24),
}
BOT_CAR_HEIGHT = 0.18  # m, a DeepRacer car's body with its camera


class RaceConfigError(ValueError):
    """A race-type setting is out of range or unknown."""


@dataclass(frozen=True)
class RaceConfig:
    """The race type and its objects (DeepRacer's environment variables, lower case)."""

    race_type: str = "TIME_TRIAL"  # TIME_TRIAL | OBJECT_AVOIDANCE | HEAD_TO_HEAD_RACING
    number_of_obstacles: int = 0  # boxes (OBJECT_AVOIDANCE)
    randomize_obstacle_locations: bool = False  # new positions and lanes every reset
    obstacle_type: str = "box_obstacle"  # a key of OBSTACLE_SIZES
    min_distance_between_obstacles: float = 2.0  # m between obstacles (and from the start line)
    number_of_bot_cars: int = 0  # bot cars (HEAD_TO_HEAD_RACING)
    bot_car_speed: float = 0.2  # m/s
    min_distance_between_bot_cars: float = 2.0  # m between bot cars (and from the start line)
    randomize_bot_car_locations: bool = False  # new bot car positions and lanes every reset
    is_lane_change: bool = False  # bot cars switch lanes
    lower_lane_change_time: float = 3.0  # s, shortest time between lane changes
    upper_lane_change_time: float = 5.0  # s, longest time between lane changes
    lane_change_distance: float = 1.0  # m of travel a lane change takes
    penalty_seconds: float = 2.0  # s added per crash in evaluation (PENALTY_SECONDS)

    def __post_init__(self):
        if self.race_type not in RACE_TYPES:
            raise RaceConfigError(f"race_type must be one of {', '.join(RACE_TYPES)}, "
                                  f"got {self.race_type!r}")
        if self.obstacle_type not in OBSTACLE_SIZES:
            raise RaceConfigError(f"obstacle_type must be one of {', '.join(OBSTACLE_SIZES)}, "
                                  f"got {self.obstacle_type!r}")
        for name in ("number_of_obstacles", "number_of_bot_cars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RaceConfigError(f"{name} must be an integer >= 0, got {value!r}")
        for name in ("min_distance_between_obstacles", "min_distance_between_bot_cars",
                     "bot_car_speed", "lower_lane_change_time",
                     "upper_lane_change_time", "lane_change_distance", "penalty_seconds"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise RaceConfigError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.upper_lane_change_time < self.lower_lane_change_time:
            raise RaceConfigError("upper_lane_change_time must be >= lower_lane_change_time, got "
                                  f"{self.upper_lane_change_time} < {self.lower_lane_change_time}")
        if self.lane_change_distance <= 0:
            raise RaceConfigError("lane_change_distance must be > 0 m")

    @property
    def n_obstacles(self) -> int:
        """Obstacles actually placed (only OBJECT_AVOIDANCE places them)."""
        return self.number_of_obstacles if self.race_type == "OBJECT_AVOIDANCE" else 0

    @property
    def n_bot_cars(self) -> int:
        """Bot cars actually placed (only HEAD_TO_HEAD_RACING places them)."""
        return self.number_of_bot_cars if self.race_type == "HEAD_TO_HEAD_RACING" else 0

    @classmethod
    def field_names(cls) -> tuple:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class TrackObject:
    """One object's box on the ground: centre, heading and size."""

    kind: str  # "obstacle" or "bot_car"
    x: float  # m, box centre
    y: float  # m
    yaw: float  # rad, heading of the box's length axis
    length: float  # m, along yaw
    width: float  # m, across
    height: float  # m, above the ground
    speed: float = 0.0  # m/s along yaw (bot cars)


class _Lanes:
    """Lane geometry of one track: lateral offset of the inner / outer lane centre at s."""

    def __init__(self, track):
        self.track = track
        centre0, inner0 = track.centre[0], track.inner[0]
        heading = track.heading_at(0.0)
        cross = math.cos(heading) * (inner0[1] - centre0[1]) - math.sin(heading) * (inner0[0] - centre0[0])
        self.inner_sign = 1.0 if cross > 0 else -1.0  # +1: the inner border is on the left

    def lateral(self, s, inner: bool) -> float:
        """Lateral offset (m, > 0 left) of the inner or outer lane centre at arc length s."""
        t = self.track
        half = np.interp(s, t.cumulative, t.half_left if (self.inner_sign > 0) == inner else t.half_right)
        sign = self.inner_sign if inner else -self.inner_sign
        return sign * float(half) / 2.0

    def wrap(self, s) -> float:
        return s % self.track.length if self.track.closed else min(max(s, 0.0), self.track.length)


def spread_positions(track_length, count, min_gap, randomize, rng):
    """Arc lengths of `count` objects and their lanes (True = inner), DeepRacer's way: from
    `min_gap` m past the start line to 1 m before its end (DeepRacer's MIN_DISTANCE_BETWEEN_*
    are metres along the centre line)."""
    if count == 0:
        return [], []
    gap = float(min_gap)
    start, end = gap, track_length - 1.0
    dists = list(np.linspace(start, end, count)) if count > 1 else [start]
    if randomize:
        for i in rng.permutation(count):
            lo = start if i == 0 else dists[i - 1] + gap
            hi = end if i == count - 1 else dists[i + 1] - gap
            if lo < hi:
                dists[i] = float(rng.uniform(lo, hi))
        lanes = [bool(rng.integers(2) == 0) for _ in range(count)]
    else:
        lanes = [i % 2 == 0 for i in range(count)]
    return [float(d) for d in dists], lanes


class _BotCar:
    def __init__(self, s, inner, lateral):
        self.s, self.inner = s, inner
        self.lateral = lateral  # m, current offset
        self.change_from = None  # lateral at the start of a lane change
        self.change_travel = 0.0  # m travelled in the lane change
        self.timer = 0.0  # s until the next lane change


class RaceObjects:
    """The objects of one race type on one track; `reset` places them, `step` moves bot cars."""

    def __init__(self, track, config=RaceConfig(), car_length=0.34, car_width=0.22):
        self.track, self.config = track, config
        self.car_length, self.car_width = car_length, car_width
        self.lanes = _Lanes(track)
        self._obstacles = []
        self._bots = []
        self._fixed = None

    def reset(self, rng: np.random.Generator):
        """Place the obstacles (fixed ones once) and the bot cars for a new episode."""
        cfg, track = self.config, self.track
        if cfg.randomize_obstacle_locations or self._fixed is None:
            dists, lanes = spread_positions(track.length, cfg.n_obstacles,
                                            cfg.min_distance_between_obstacles,
                                            cfg.randomize_obstacle_locations, rng)
            length, width, height = OBSTACLE_SIZES[cfg.obstacle_type]
            self._obstacles = []
            for s, inner in zip(dists, lanes):
                x, y, yaw = track.pose_at(s, self.lanes.lateral(s, inner))
                self._obstacles.append(TrackObject("obstacle", float(x), float(y), float(yaw),
                                                   length, width, height))
            self._fixed = not cfg.randomize_obstacle_locations
        dists, lanes = spread_positions(track.length, cfg.n_bot_cars,
                                        cfg.min_distance_between_bot_cars,
                                        cfg.randomize_bot_car_locations, rng)
        self._bots = [_BotCar(s, inner, self.lanes.lateral(s, inner)) for s, inner in zip(dists, lanes)]
        for bot in self._bots:
            bot.timer = self._next_change(rng)
        self._rng = rng

    def _next_change(self, rng) -> float:
        cfg = self.config
        return float(rng.uniform(cfg.lower_lane_change_time, cfg.upper_lane_change_time))

    def step(self, dt: float):
        """Move the bot cars `dt` seconds along their lanes."""
        cfg = self.config
        travel = cfg.bot_car_speed * dt
        for bot in self._bots:
            bot.s = self.lanes.wrap(bot.s + travel)
            if bot.change_from is not None:
                bot.change_travel += travel
                if bot.change_travel >= cfg.lane_change_distance:
                    bot.change_from = None
            elif cfg.is_lane_change:
                bot.timer -= dt
                if bot.timer <= 0.0:
                    bot.change_from, bot.change_travel = bot.lateral, 0.0
                    bot.inner = not bot.inner
                    bot.timer = self._next_change(self._rng)
            target = self.lanes.lateral(bot.s, bot.inner)
            if bot.change_from is None:
                bot.lateral = target
            else:
                f = bot.change_travel / cfg.lane_change_distance
                bot.lateral = bot.change_from + (target - bot.change_from) * f

    @property
    def objects(self) -> list:
        """Every object now: obstacles first, then bot cars (the reward params' order)."""
        out = list(self._obstacles)
        cfg = self.config
        for bot in self._bots:
            x, y, yaw = self.track.pose_at(bot.s, bot.lateral)
            if bot.change_from is not None:
                slope = (self.lanes.lateral(bot.s, bot.inner) - bot.change_from) / cfg.lane_change_distance
                yaw += math.atan(slope)
            out.append(TrackObject("bot_car", float(x), float(y), float(yaw), self.car_length,
                                   self.car_width, BOT_CAR_HEIGHT, cfg.bot_car_speed))
        return out

    def bot_progress(self) -> list:
        """Each bot car's arc length along the centre line (m), for overtake counting."""
        return [bot.s for bot in self._bots]


# ----------------------------------------------------------------------------- geometry

def box_corners(x, y, yaw, length, width) -> np.ndarray:
    """(4, 2) corners of a box centred at (x, y) with its length along yaw."""
    c, s = math.cos(yaw), math.sin(yaw)
    hl, hw = length / 2.0, width / 2.0
    local = np.array([[hl, hw], [-hl, hw], [-hl, -hw], [hl, -hw]])
    return local @ np.array([[c, s], [-s, c]]) + (x, y)


def boxes_overlap(a, b) -> bool:
    """Separating-axis test of two (4, 2) convex boxes; touching edges count as overlap."""
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            axis = np.array([-edge[1], edge[0]])
            pa, pb = a @ axis, b @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True


def car_footprint(geometry):
    """(length, width, rear_overhang) of the car's box in the base frame, from its wheels.

    The box spans the wheels' outer edges: from the rear wheels' back to the front
    wheels' front, and across the outer sides of the wheels.
    """
    wp = np.asarray(geometry.wheel_positions)
    r = geometry.wheel_radius
    x_min, x_max = wp[:, 0].min() - r, wp[:, 0].max() + r
    half_w = np.abs(wp[:, 1]).max() + geometry.wheel_width / 2.0
    return x_max - x_min, 2.0 * half_w, -x_min


def car_box(x, y, yaw, geometry) -> np.ndarray:
    """(4, 2) corners of the car's footprint for base pose (x, y, yaw)."""
    length, width, rear = car_footprint(geometry)
    off = length / 2.0 - rear  # box centre ahead of base_link
    return box_corners(x + off * math.cos(yaw), y + off * math.sin(yaw), yaw, length, width)


def crashed_into(x, y, yaw, geometry, objects):
    """Index of the first object the car at base pose (x, y, yaw) touches, or None."""
    car = car_box(x, y, yaw, geometry)
    reach = math.hypot(*car_footprint(geometry)[:2])
    for i, obj in enumerate(objects):
        if math.hypot(obj.x - x, obj.y - y) > reach + math.hypot(obj.length, obj.width):
            continue
        if boxes_overlap(car, box_corners(obj.x, obj.y, obj.yaw, obj.length, obj.width)):
            return i
    return None
