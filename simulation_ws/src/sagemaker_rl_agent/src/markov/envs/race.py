"""The env's race types: objects, crashes, object reward params and multi-sensor observations.

`make_race(...)` returns None for a time trial with the front camera alone
(the env then runs exactly as before), else an `EnvRace` over the in-process
backend's Simulator (`deepracer_simulator.race.RaceSimulator`), or, for a backend
that only sends frames (ros), over a `FrameRace` that keeps the objects itself.
The env calls `reset(rng, frame)` after its backend reset, `after_step(frame)`
after each backend step (bot cars move, the crash check), `observation(frame_image)` and
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
    if simulator is None and FRONT_FACING_CAMERA not in sensors:
        raise RaceSetupError(f"sensor {list(sensors)}: STEREO_CAMERAS needs the 'inprocess' backend "
                             f"(got {type(backend).__name__}); other backends take "
                             f"FRONT_FACING_CAMERA with or without a LIDAR")
    if observation_type == "rgb" and tuple(sensors) != (FRONT_FACING_CAMERA,):
        raise RaceSetupError(f"observation_type 'rgb' goes with FRONT_FACING_CAMERA alone, "
                             f"got sensor {list(sensors)}")
    return EnvRace(simulator, config, tuple(sensors), observation_type, car, track)


class FrameRace:
    """The part of a RaceSimulator the env uses, for a backend without an in-process
    Simulator (the ROS backend): the objects move by the frames' simulated time, are
    checked against and drawn from the car pose of each backend frame (over its camera
    image) and seen by the LIDAR. The simulator node then runs without objects of its own."""

    def __init__(self, track, car, config):
        from deepracer_simulator import lidar
        from deepracer_simulator.object_render import ObjectRenderer
        from deepracer_simulator.objects import RaceObjects, car_footprint

        length, width, _ = car_footprint(car.geometry)
        self.objects = RaceObjects(track, config, car_length=length, car_width=width)
        self.geometry, self._renderer = car.geometry, ObjectRenderer(car.camera)
        self.lidar_spec, self._lidar = lidar.LidarSpec(), lidar
        self.crashed_object, self.pose, self.sim_time = None, (0.0, 0.0, 0.0), None

    def set_frame(self, frame) -> float:
        """Take the car pose of a backend frame; the simulated seconds since the last one."""
        dt = 0.0 if self.sim_time is None else max(frame.sim_time - self.sim_time, 0.0)
        self.pose, self.sim_time = (frame.x, frame.y, frame.yaw), frame.sim_time
        return dt

    def advance_objects(self, dt) -> bool:
        """Move the bot cars `dt` s and check the car (at its frame's pose) for a crash."""
        from deepracer_simulator.objects import crashed_into

        self.objects.step(dt)
        self.crashed_object = crashed_into(*self.pose, self.geometry, self.objects.objects)
        return self.crashed_object is not None

    def draw_objects(self, image):
        return self._renderer.draw(image, *self.pose, self.objects.objects)

    def observation_for(self, name) -> dict:
        ranges = self._lidar.scan(*self.pose, self.objects.objects, self.lidar_spec)
        if name == "LIDAR":
            return {name: self._lidar.lidar_observation(ranges)}
        return {name: self._lidar.sector_lidar(ranges)}


class EnvRace:
    """One env's race: a RaceSimulator sharing the backend's Simulator."""

    def __init__(self, simulator, config, sensors, observation_type, car, track=None):
        from deepracer_simulator.race import RaceSimulator

        self.config, self.sensors, self.observation_type = config, sensors, observation_type
        if simulator is not None:
            self.race = RaceSimulator(simulator, config, sensors)
        else:  # a backend that only sends frames (ros): the objects live here
            self.race = FrameRace(track, car, config)
        self.camera = car.camera
        self.observation_space = (observation_space(sensors) if observation_type == "grayscale"
                                  else None)
        self.layout = NetworkInput(sensors)
        if observation_type == "packed":  # the workers' one-array form (markov.sensors)
            from gymnasium import spaces

            self.observation_space = spaces.Box(0, 255, tuple(self.layout), np.uint8)
        self.overtakes = OvertakeCounter((track if simulator is None else simulator.track).length)

    def reset(self, rng, frame=None) -> None:
        """Place the objects for a new episode (the backend has reset the car, to `frame`)."""
        self.race.objects.reset(rng)
        self.race.crashed_object = None
        if isinstance(self.race, FrameRace):
            self.race.sim_time = None
            self.race.set_frame(frame)
        self.overtakes = OvertakeCounter(self.overtakes.length)

    def after_step(self, frame=None) -> bool:
        """Bot cars move one frame; True when the car (at `frame`) now touches an object."""
        if isinstance(self.race, FrameRace):
            return self.race.advance_objects(self.race.set_frame(frame))
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
