"""Evaluation of race types: RACE_TYPE settings, crash resets with PENALTY_SECONDS, overtakes."""
import pytest

from markov.envs import DeepRacerRacetrackEnv
from markov.sim_trace import SimTraceWriter
from markov.workers.evaluation import TrialTrace, run_trial
from markov.workers.settings import SettingsError, evaluation_settings, training_settings

ACTIONS = [{"steering_angle": a, "speed": 1.0} for a in (-20, 0, 20)]


def test_race_settings_from_the_environment():
    s = evaluation_settings({"RACE_TYPE": "object_avoidance", "NUMBER_OF_OBSTACLES": "3",
                             "RANDOMIZE_OBSTACLE_LOCATIONS": "True", "PENALTY_SECONDS": "5"}).race
    assert (s.race_type, s.number_of_obstacles, s.randomize_obstacle_locations,
            s.penalty_seconds) == ("OBJECT_AVOIDANCE", 3, True, 5.0)
    kwargs = s.env_kwargs()
    assert kwargs["number_of_obstacles"] == 3 and kwargs["race_options"]["penalty_seconds"] == 5.0
    assert training_settings({}).race.env_kwargs() == {}  # time trial: the env as before
    h2h = training_settings({"RACE_TYPE": "HEAD_TO_HEAD_RACING", "NUMBER_OF_BOT_CARS": "2",
                             "BOT_CAR_SPEED": "0.5", "IS_LANE_CHANGE": "true"}).race
    assert (h2h.number_of_bot_cars, h2h.bot_car_speed, h2h.is_lane_change) == (2, 0.5, True)
    assert (h2h.min_distance_between_bot_cars, h2h.randomize_bot_car_locations) == (2.0, False)
    h2h = training_settings({"RACE_TYPE": "HEAD_TO_HEAD_RACING", "NUMBER_OF_BOT_CARS": "2",
                             "MIN_DISTANCE_BETWEEN_BOT_CARS": "3.5",
                             "RANDOMIZE_BOT_CAR_LOCATIONS": "true"}).race
    assert h2h.env_kwargs()["race_options"]["min_distance_between_bot_cars"] == 3.5
    assert h2h.env_kwargs()["race_options"]["randomize_bot_car_locations"] is True


@pytest.mark.parametrize("environ, message", [
    ({"RACE_TYPE": "DRAG"}, "RACE_TYPE: 'DRAG' is not one of"),
    ({"NUMBER_OF_OBSTACLES": "many"}, "NUMBER_OF_OBSTACLES: expected an integer"),
    ({"OBSTACLE_TYPE": "cone"}, "OBSTACLE_TYPE: 'cone'"),
    ({"MIN_DISTANCE_BETWEEN_BOT_CARS": "far"}, "MIN_DISTANCE_BETWEEN_BOT_CARS"),
    ({"RANDOMIZE_BOT_CAR_LOCATIONS": "maybe"}, "RANDOMIZE_BOT_CAR_LOCATIONS"),
    ({"LOWER_LANE_CHANGE_TIME": "6"}, "UPPER_LANE_CHANGE_TIME"),
])
def test_bad_race_settings_name_the_variable(environ, message):
    with pytest.raises(SettingsError, match=message):
        evaluation_settings(environ)


class InObstacleLane:
    """The env, started in the lane of its first obstacle (so driving straight hits it)."""

    def __init__(self, env):
        self.env, self.car = env, env.car
        box = env._race.objects[0]
        p = env.track.project(box.x, box.y)
        self.lateral = p.distance_from_center * (1 if p.is_left_of_center else -1)

    @property
    def track(self):
        return self.env.track

    def reset(self, **kwargs):
        options = dict(kwargs.pop("options", None) or {}, lateral=self.lateral)
        return self.env.reset(options=options, **kwargs)

    def step(self, action):
        return self.env.step(action)


def test_crashes_reset_behind_the_object_with_penalty_seconds():
    settings = evaluation_settings({"RACE_TYPE": "OBJECT_AVOIDANCE", "NUMBER_OF_OBSTACLES": "1",
                                    "MIN_DISTANCE_BETWEEN_OBSTACLES": "1.8", "PENALTY_SECONDS": "3",
                                    "EVALUATION_MAX_RESETS": "2"})
    env = DeepRacerRacetrackEnv("reinvent_base", model_metadata={"action_space": ACTIONS},
                                start_positions=[0.0], **settings.race.env_kwargs())
    env.reset(seed=0)
    wrapped = InObstacleLane(env)
    env.sim_trace = trace = TrialTrace(SimTraceWriter())
    result, resets, _ = run_trial(wrapped, lambda _obs: (1, None), trace, 1, settings)
    env.close()
    # Straight at the box: crash, put back 1 m behind (3 s), crash, again, then the trial ends.
    assert resets == ["crashed", "crashed"] and result.status == "crashed"
    assert result.crash_count == 3
    box_s = 1.8  # m
    assert result.progress < 100.0 * box_s / env.track.length
    driving = result.elapsed - 2 * 3.0
    assert 1.0 < driving < 5.0  # ~1.5 m, then 1 m twice, at 1 m/s
