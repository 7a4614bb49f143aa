"""The env's race types: objects, crashes, object reward params and multi-sensor observations.

`make_race(...)` returns None for a time trial with the front camera alone
(the env then runs exactly as before), else an `EnvRace` over the in-process
backend's Simulator (`deepracer_simulator.race.RaceSimulator`). The env calls
`reset(rng)` after its backend reset, `after_step()` after each backend step
(bot cars move, the crash check), `observation(frame_image)` and
`reward_params(...)` for the object keys.
"""
import cv2
import numpy as np

from markov.object_params import object_reward_params
from markov.race_metrics import OvertakeCounter
from markov.sensors import FRONT_FACING_CAMERA, NetworkInput, observation_space, pack_observation


class RaceSetupError(ValueError):
    """A race type cannot run with these arguments; the message names the argument."""


def make_race(backend, track, car, sensors, observation_type, race_type="TIME_TRIAL",
              number_of_obstacles=0, randomize_obstacle_locations=False, number_of_bot_cars=0,
              bot_car_speed=0.2, is_lane_change=False, race_options=None):
    """An EnvRace, or None when nothing differs from the plain time trial."""
    from deepracer_simulator.objects import RaceConfig, RaceConfigError

    options = dict(race_options or {})
    unknown = sorted(set(options) - set(RaceConfig.field_names()))
    if unknown:
        raise RaceSetupError(f"race_options: unknown key {unknown[0]!r}; accepted: "
                             f"{', '.join(RaceConfig.field_names())}")
    try:
        config = RaceConfig(race_type=race_type, number_of_obstacles=number_of_obstacles,
                            randomize_obstacle_locations=bool(randomize_obstacle_locations),
                            number_of_bot_cars=number_of_bot_cars, bot_car_speed=float(bot_car_speed),
                            is_lane_change=bool(is_lane_change), **options)
    except RaceConfigError as error:
        raise RaceSetupError(str(error)) from None
    if config.race_type == "TIME_TRIAL" and tuple(sensors) == (FRONT_FACING_CAMERA,):
        return None
    simulator = getattr(backend, "simulator", None)
    if simulator is None:
        raise RaceSetupError(f"race_type {config.race_type} / sensor {list(sensors)}: needs the "
                             f"'inprocess' backend (got {type(backend).__name__})")
    if observation_type == "rgb" and tuple(sensors) != (FRONT_FACING_CAMERA,):
        raise RaceSetupError(f"observation_type 'rgb' goes with FRONT_FACING_CAMERA alone, "
                             f"got sensor {list(sensors)}")
    return EnvRace(simulator, config, tuple(sensors), observation_type, car)


class EnvRace:
    """One env's race: a RaceSimulator sharing the backend's Simulator."""

    def __init__(self, simulator, config, sensors, observation_type, car):
        from deepracer_simulator.race import RaceSimulator

        self.config, self.sensors, self.observation_type = config, sensors, observation_type
        self.race = RaceSimulator(simulator, config, sensors)
        self.camera = car.camera
        self.observation_space = (observation_space(sensors) if observation_type == "grayscale"
                                  else None)
        self.layout = NetworkInput(sensors)
        if observation_type == "packed":  # the workers' one-array form (markov.sensors)
            from gymnasium import spaces

            self.observation_space = spaces.Box(0, 255, tuple(self.layout), np.uint8)
        self.overtakes = OvertakeCounter(simulator.track.length)

    def reset(self, rng) -> None:
        """Place the objects for a new episode (the backend has reset the car)."""
        self.race.objects.reset(rng)
        self.race.crashed_object = None
        self.overtakes = OvertakeCounter(self.overtakes.length)

    def after_step(self) -> bool:
        """Bot cars move one frame; True when the car now touches an object."""
        return self.race.advance_objects()

    @property
    def objects(self) -> list:
        return self.race.objects.objects

    def observation(self, frame_image):
        """The observation for the sensors (objects drawn in the camera views)."""
        if self.observation_type == "rgb":
            return self.race.draw_objects(frame_image.copy())
        obs = {}
        for name in self.sensors:
            if name == FRONT_FACING_CAMERA:
                gray = cv2.cvtColor(frame_image, cv2.COLOR_RGB2GRAY)
                obs[name] = self.race.draw_objects(gray)[:, :, None]
            else:
                obs.update(self.race.observation_for(name))
        if self.observation_type == "packed" and len(obs) > 1:
            return pack_observation(self.layout, obs)
        return obs[self.sensors[0]] if len(obs) == 1 else obs

    def render_image(self, frame_image):
        """The RGB camera frame with the objects drawn (render_mode "rgb_array")."""
        return self.race.draw_objects(frame_image.copy())

    def reward_params(self, front_s, frame, track) -> dict:
        """The object keys of params; also counts overtakes of bot cars this episode."""
        objects = self.objects
        params = object_reward_params(front_s, frame.x, frame.y, frame.yaw, track, objects,
                                      self.camera)
        bots = [d for d, o in zip(params["objects_distance"], objects) if o.kind == "bot_car"]
        if bots:
            self.overtakes.update(front_s, bots)
        return params


def with_sample_objects(samples):
    """Copies of sample params with two objects on the track (one behind, one ahead), so a
    race type's reward function is checked on the object keys it reads."""
    out = []
    for k, p in enumerate(samples):
        wps = p["waypoints"]
        prev_wp, next_wp = p["closest_waypoints"]
        behind, ahead = wps[max(prev_wp - 1, 0)], wps[min(next_wp + 1, len(wps) - 1)]
        out.append(dict(p, closest_objects=[0, 1],
                        objects_location=[[float(behind[0]), float(behind[1])],
                                          [float(ahead[0]), float(ahead[1])]],
                        objects_left_of_center=[k % 2 == 0, k % 2 == 1],
                        object_in_camera=k % 3 != 0, objects_speed=[0.0, 0.5 * (k % 2)],
                        objects_heading=[0.0, 0.0], objects_distance_from_center=[0.2, 0.2],
                        objects_distance=[max(p["projection_distance"] - 0.5, 0.0),
                                          p["projection_distance"] + 0.5]))
    return out
