"""The race type's settings of the workers, from DeepRacer's environment variables.

RACE_TYPE (TIME_TRIAL | OBJECT_AVOIDANCE | HEAD_TO_HEAD_RACING), NUMBER_OF_OBSTACLES,
RANDOMIZE_OBSTACLE_LOCATIONS, OBSTACLE_TYPE, MIN_DISTANCE_BETWEEN_OBSTACLES (m,
as DeepRacer), NUMBER_OF_BOT_CARS, BOT_CAR_SPEED (m/s), MIN_DISTANCE_BETWEEN_BOT_CARS (m),
RANDOMIZE_BOT_CAR_LOCATIONS, IS_LANE_CHANGE,
LOWER_LANE_CHANGE_TIME, UPPER_LANE_CHANGE_TIME (s), LANE_CHANGE_DISTANCE (m),
PENALTY_SECONDS (s per crash in evaluation). Launch parameters (lower-case names)
override them, as for every worker setting.
"""
from dataclasses import asdict, dataclass

RACE_TYPES = ("TIME_TRIAL", "OBJECT_AVOIDANCE", "HEAD_TO_HEAD_RACING")
OBSTACLE_TYPES = ("box_obstacle", "deepracer_box_obstacle", "amazon_box_obstacle")


@dataclass(frozen=True)
class RaceSettings:
    """The race type and its objects (DeepRacer's defaults)."""

    race_type: str = "TIME_TRIAL"  # RACE_TYPE
    number_of_obstacles: int = 0  # NUMBER_OF_OBSTACLES
    randomize_obstacle_locations: bool = False  # RANDOMIZE_OBSTACLE_LOCATIONS
    obstacle_type: str = "box_obstacle"  # OBSTACLE_TYPE
    min_distance_between_obstacles: float = 2.0  # MIN_DISTANCE_BETWEEN_OBSTACLES, m
    number_of_bot_cars: int = 0  # NUMBER_OF_BOT_CARS
    bot_car_speed: float = 0.2  # BOT_CAR_SPEED, m/s
    min_distance_between_bot_cars: float = 2.0  # MIN_DISTANCE_BETWEEN_BOT_CARS, m
    randomize_bot_car_locations: bool = False  # RANDOMIZE_BOT_CAR_LOCATIONS
    is_lane_change: bool = False  # IS_LANE_CHANGE
    lower_lane_change_time: float = 3.0  # LOWER_LANE_CHANGE_TIME, s
    upper_lane_change_time: float = 5.0  # UPPER_LANE_CHANGE_TIME, s
    lane_change_distance: float = 1.0  # LANE_CHANGE_DISTANCE, m
    penalty_seconds: float = 2.0  # PENALTY_SECONDS, s added per crash in evaluation

    def env_kwargs(self) -> dict:
        """Keyword arguments of DeepRacerRacetrackEnv for this race ({} for a time trial)."""
        if self.race_type == "TIME_TRIAL":
            return {}
        values = asdict(self)
        direct = ("race_type", "number_of_obstacles", "randomize_obstacle_locations",
                  "number_of_bot_cars", "bot_car_speed", "is_lane_change")
        kwargs = {k: values.pop(k) for k in direct}
        kwargs["race_options"] = values
        return kwargs


def race_settings(source, error) -> RaceSettings:
    """Resolve from a settings `_Source`; `error` is the SettingsError class."""
    def flag(name, default):
        value = source.choice(name, "true" if default else "false", ("true", "false"))
        return value == "true"

    race_type, where = source.get("RACE_TYPE")
    race_type = "TIME_TRIAL" if race_type is None else str(race_type).strip().upper()
    if race_type not in RACE_TYPES:
        raise error(f"{where}: {race_type!r} is not one of {', '.join(RACE_TYPES)}")
    obstacle = source.text("OBSTACLE_TYPE", "box_obstacle")
    if obstacle not in OBSTACLE_TYPES:
        raise error(f"OBSTACLE_TYPE: {obstacle!r} is not one of {', '.join(OBSTACLE_TYPES)}")
    settings = RaceSettings(
        race_type=race_type,
        number_of_obstacles=int(source.number("NUMBER_OF_OBSTACLES", 0, kind=int)),
        randomize_obstacle_locations=flag("RANDOMIZE_OBSTACLE_LOCATIONS", False),
        obstacle_type=obstacle,
        min_distance_between_obstacles=source.number("MIN_DISTANCE_BETWEEN_OBSTACLES", 2.0),
        number_of_bot_cars=int(source.number("NUMBER_OF_BOT_CARS", 0, kind=int)),
        bot_car_speed=source.number("BOT_CAR_SPEED", 0.2),
        min_distance_between_bot_cars=source.number("MIN_DISTANCE_BETWEEN_BOT_CARS", 2.0),
        randomize_bot_car_locations=flag("RANDOMIZE_BOT_CAR_LOCATIONS", False),
        is_lane_change=flag("IS_LANE_CHANGE", False),
        lower_lane_change_time=source.number("LOWER_LANE_CHANGE_TIME", 3.0),
        upper_lane_change_time=source.number("UPPER_LANE_CHANGE_TIME", 5.0),
        lane_change_distance=source.number("LANE_CHANGE_DISTANCE", 1.0),
        penalty_seconds=source.number("PENALTY_SECONDS", 2.0))
    if settings.upper_lane_change_time < settings.lower_lane_change_time:
        raise error(f"UPPER_LANE_CHANGE_TIME ({settings.upper_lane_change_time}) must be >= "
                    f"LOWER_LANE_CHANGE_TIME ({settings.lower_lane_change_time})")
    return settings
