"""The DeepRacer time-trial environment (gymnasium id `DeepRacerRacetrack-v0`).

The env only orchestrates: a backend (`markov.backends`) moves the car and
renders the camera, `deepracer_simulation.track.Track` projects the car on
the centre line, `markov.reward_params` builds the reward function's params,
`markov.rules.EpisodeRules` decides when the episode ends and
`markov.sim_trace.SimTraceWriter` logs each step.
"""
import math
import operator
from pathlib import Path

import cv2
import gymnasium
import numpy as np
from gymnasium import spaces

from deepracer_simulation.car_model import load_car_model
from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from markov.backends import make_backend
from markov.config import ModelMetadata, load_model_metadata
from markov.envs.defaults import MODEL_METADATA, REWARD_FUNCTION, shipped_config
from markov.envs.race import make_race, with_sample_objects
from markov.reward import SafeReward, check_reward_function, load_checked_reward
from markov.reward_params import build_reward_params, front_point, sample_reward_params
from markov.rules import IN_PROGRESS, LAP_COMPLETE, EpisodeRules

IMAGE_SHAPE = (120, 160, 3)  # the backend's RGB camera frame (height, width, channels)
OBSERVATION_TYPES = ("grayscale", "rgb", "packed")  # packed: markov.sensors.pack_observation
REVERSE_CHOICES = (False, True, "alternate")
RESET_OPTIONS = ("pose", "start_s", "lateral", "yaw_offset", "episode", "scene_seed")
TIME_UP = "time_up"  # info["episode_status"] of a truncated episode (metrics' "Time Up")
_WRAP_JUMP = 50.0  # progress points: a larger one-step change crosses the start line
_SEED_RANGE = 2 ** 31  # backend scene seeds are drawn from [0, this)


class EnvArgumentError(ValueError):
    """A DeepRacerRacetrackEnv argument or reset option is invalid; the message names it."""


class LapProgress:
    """Percent of the lap from the episode's start, unwrapped: 100 at the finish line.

    On a closed track the track's wrapping progress (99.9 -> 0.1 at the start
    line) is counted in laps, so a completed lap reads >= 100 and backing over
    the start line reads < 0. On an open track progress is linear in s.
    """

    def __init__(self):
        self.track, self.start_s, self._raw, self._laps = None, 0.0, 0.0, 0

    def reset(self, track: Track, start_s: float) -> None:
        """Start counting on `track` from the front point's arc length `start_s` (m)."""
        if not track.closed and start_s >= track.length:
            raise EnvArgumentError(f"track {track.name!r}: the start (s={start_s:.3f} m) "
                                   f"is at the end of the open track")
        self.track, self.start_s, self._raw, self._laps = track, start_s, 0.0, 0

    def update(self, s: float) -> float:
        """Progress (%) for the front point's arc length s (m)."""
        track = self.track
        if not track.closed:
            return (s - self.start_s) / (track.length - self.start_s) * 100.0
        raw = track.progress(s, self.start_s)
        change = raw - self._raw
        if change < -_WRAP_JUMP:
            self._laps += 1
        elif change > _WRAP_JUMP:
            self._laps -= 1
        self._raw = raw
        return raw + 100.0 * self._laps


class DeepRacerRacetrackEnv(gymnasium.Env):
    """Drive a DeepRacer car round a track from its front camera (time trial).

    ## Description
    One car on one DeepRacer track (a route from `deepracer_simulation/routes`),
    no obstacles. Each step applies one action for one camera frame, 1/15 s
    of simulated time, and returns the next camera image. The reward is the
    user's `reward_function(params)` with DeepRacer's params dict. The car
    runs in a backend: the built-in simulator in-process (fast) or through ROS.

    ## Action Space
    From `model_metadata.json`. Discrete: `Discrete(n)`, action i drives with
    the i-th (steering_angle, speed). Continuous: `Box(-1, 1, (2,), float32)`,
    (steering, speed) scaled linearly onto the metadata's ranges. Steering is
    clipped to +-30 degrees, speed to [0.1, 4] m/s; the backend gets radians.

    ## Observation Space
    The camera image resized to 160x120: `"grayscale"` (default) is
    `Box(0, 255, (120, 160, 1), uint8)`, the luma of the RGB frame
    (cv2 RGB2GRAY); `"rgb"` is `Box(0, 255, (120, 160, 3), uint8)`.

    ## Rewards
    `reward_function(params)` every step, terminal steps included. params hold
    every DeepRacer key: x, y are the car's front point (0.14 m ahead of the
    rear axle), heading in degrees, progress 0-100 % of the lap from the
    episode's start, speed and steering_angle the commanded action,
    is_reversed the driving-direction flag, is_offtrack when no wheel is on
    the road, is_crashed when the car touches an object (race types). A reward
    that raises or is not a finite
    number raises `RewardFunctionError` naming the file and the line.

    ## Starting State
    At rest on the centre line, facing the driving direction. Episodes are
    numbered from `episode_offset` on; episode k starts at lap fraction
    `start_positions[k % len]` when given, else round-robin at
    `(k * round_robin_advance) % 1` of the lap (DeepRacer's round-robin
    advance), and with `reverse="alternate"` odd k drive the other way.
    `reset(seed=...)` restarts the numbering at `episode_offset`, so a seed
    fixes the whole sequence of episodes that follows.
    `reset(options=...)` may set `start_s` (m along the driving direction),
    `lateral` (m to the left), `yaw_offset` (rad, added to the track's
    heading) or `pose` (x, y, yaw: m, m, rad, overriding the others), and
    `episode` (an integer >= 0: this episode's number; the next one without
    the option is numbered from it + 1), `scene_seed` (an integer >= 0: the
    backend's scene and randomization seed for this episode, instead of one
    drawn from `np_random` in [0, 2**31); held-out seeds, markov.workers.transfer).
    Progress is measured from where the front point starts.

    ## Episode Termination
    `terminated` when the lap is complete (progress reaches 100), when no
    wheel is on the road (off_track), when the car has moved <= 0.0003 m for
    15 steps (immobilized) or progress has decreased for 15 steps (reversed).
    `truncated` only after `max_steps` steps. `info` holds `reward_params`,
    `episode_status` (in_progress, lap_complete, off_track, crashed,
    immobilized, reversed; time_up when truncated), `progress`, `steps`,
    `episode`, `elapsed_time` (simulated s since reset) and `lap_time` (the
    elapsed time on lap completion, else None). Step again only after reset.

    ## Arguments
    - `world_name`: WORLD_NAME or path of a route .npy (default "reinvent_base").
    - `reward_function`: path of a reward_function.py or a callable (default the
      shipped one); checked on sample params of the track before anything starts.
    - `model_metadata`: path, dict or ModelMetadata (default the shipped file).
    - `backend`: "inprocess", "ros" or a backend object (used, not closed);
      `backend_options`: extra keyword arguments for the named backend.
    - `car`: a CarModel (default: the URDF's).
    - `round_robin_advance`: lap fraction each episode starts further on (0.05);
      `start_positions`: lap fractions in [0, 1) cycled instead.
    - `reverse`: False, True (drive the track the other way) or "alternate".
    - `domain_randomization`: vary the scene's light, colours and noise per
      episode ("inprocess" only: the backend gets RandomizationSpec(enabled=True)
      and each reset a scene seed drawn from `np_random`).
    - `observation_type`: "grayscale" or "rgb"; "packed" (the workers' form): with a
      LIDAR one uint8 image, camera channels + the LIDAR plane (markov.sensors).
    - `max_steps`: truncate after this many steps (10000: 11 simulated minutes,
      a lap of the longest track at 0.14 m/s).
    - `render_mode`: None or "rgb_array" (the RGB camera frame).
    - `sim_trace`: a SimTraceWriter logging one line per step, or None.
    - `episode_offset`: number of the first episode (sim traces, start schedule).
    - Race types (docs/race_types.md; "ros": FRONT_FACING_CAMERA only): `race_type`
      ("TIME_TRIAL", "OBJECT_AVOIDANCE", "HEAD_TO_HEAD_RACING"),
      `number_of_obstacles`, `randomize_obstacle_locations`, `number_of_bot_cars`,
      `bot_car_speed` (m/s), `is_lane_change`; `race_options`: the other
      `deepracer_simulator.objects.RaceConfig` fields (obstacle_type, lane-change
      times, ...). Objects are drawn in the camera, touching one ends the episode
      `crashed` (`is_crashed`), and the object keys of `reward_params` describe them.
      The metadata's `sensor` list picks the observation: one camera sensor alone
      is a Box (STEREO_CAMERAS: (120, 160, 2)), with a LIDAR a Dict per sensor
      (`markov.sensors`).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(self, world_name="reinvent_base", reward_function=None, model_metadata=None,
                 backend="inprocess", backend_options=None, car=None, round_robin_advance=0.05,
                 start_positions=None, reverse=False, domain_randomization=False,
                 observation_type="grayscale", max_steps=10_000, render_mode=None,
                 sim_trace=None, episode_offset=0, race_type="TIME_TRIAL", number_of_obstacles=0,
                 randomize_obstacle_locations=False, number_of_bot_cars=0, bot_car_speed=0.2,
                 is_lane_change=False, race_options=None):
        _check_choices(observation_type, reverse, render_mode, max_steps, episode_offset)
        self.world_name = Path(str(world_name)).stem
        route = load_route(world_name)
        self.tracks = {False: Track(route, name=self.world_name)}
        if reverse is not False:
            self.tracks[True] = Track(route, name=self.world_name, reverse=True)
        self.reverse, self.observation_type = reverse, observation_type
        self.render_mode = render_mode
        self.max_steps, self.episode_offset = int(max_steps), int(episode_offset)
        self._starts = _start_schedule(round_robin_advance, start_positions)
        self.reward_function = _checked_reward(reward_function, self.tracks.values(),
                                               race_type != "TIME_TRIAL")
        self.model_metadata = _metadata(model_metadata)
        self.car = car if car is not None else load_car_model()
        self._front = self.car.geometry.front_point_offset
        self.action_space, self._drives = _action_space(self.model_metadata)
        channels = 3 if observation_type == "rgb" else 1
        self.observation_space = spaces.Box(0, 255, (IMAGE_SHAPE[0], IMAGE_SHAPE[1], channels),
                                            np.uint8)
        self.sim_trace = sim_trace
        self._owns_backend = isinstance(backend, str)
        self.backend = self._make_backend(backend, backend_options, domain_randomization)
        self._scene_seeds = bool(domain_randomization)
        self._race = make_race(self.backend, self.tracks[False], self.car, self.model_metadata.sensor,
                               observation_type, race_type, number_of_obstacles,
                               randomize_obstacle_locations, number_of_bot_cars, bot_car_speed,
                               is_lane_change, race_options)
        if self._race is not None and self._race.observation_space is not None:
            self.observation_space = self._race.observation_space
        self.rules = EpisodeRules()
        self.episode, self.steps = self.episode_offset - 1, 0
        self._next_episode = self.episode_offset
        self._image, self._done, self._closed = None, True, False
        self.is_reversed = reverse is True
        self.track = self.tracks[self.is_reversed]
        self._lap = LapProgress()

    def _make_backend(self, backend, options, domain_randomization):
        if not isinstance(backend, str):
            return backend
        options = dict(options or {})
        if domain_randomization:
            if backend != "inprocess":
                raise EnvArgumentError(f"domain_randomization applies to the 'inprocess' backend; "
                                       f"with {backend!r} set the simulator's own switch "
                                       f"(simulator_node ~randomize)")
            from deepracer_simulator import RandomizationSpec
            options.setdefault("randomization", domain_randomization
                               if isinstance(domain_randomization, RandomizationSpec)
                               else RandomizationSpec(enabled=True))
        return make_backend(backend, self.tracks[False], self.car, **options)

    # ---------------------------------------------------------------- reset
    def reset(self, *, seed=None, options=None):
        """Start an episode; see the class doc (Starting State) for seeds and options."""
        super().reset(seed=seed)
        if seed is not None:
            self._next_episode = self.episode_offset
        if options and "episode" in options:
            self._next_episode = _episode_number(options["episode"])
        self.episode, self._next_episode = self._next_episode, self._next_episode + 1
        self.is_reversed = self.reverse is True or (self.reverse == "alternate"
                                                    and self.episode % 2 == 1)
        self.track = track = self.tracks[self.is_reversed]
        x, y, yaw = self._start_pose(track, options or {})
        seed = int(self.np_random.integers(_SEED_RANGE)) if self._scene_seeds else None
        if options and "scene_seed" in options:
            seed = _episode_number(options["scene_seed"], "scene_seed")
        frame = self.backend.reset(x, y, yaw, seed=seed)
        _check_frame(frame, self.backend)
        if self._race is not None:
            self._race.reset(self.np_random, frame)
        fx, fy = front_point(frame.x, frame.y, frame.yaw, self._front)
        projection = track.project(fx, fy)
        self._lap.reset(track, projection.s)
        self._segment = projection.segment
        self.rules.reset(frame.x, frame.y, 0.0)
        self.steps, self._done, self._start_time = 0, False, frame.sim_time
        self._image = frame.image
        params = self._params(frame, fx, fy, projection, 0.0, 0.0, 0.0)
        info = {"reward_params": params, "episode_status": IN_PROGRESS, "progress": 0.0,
                "steps": 0, "episode": self.episode, "elapsed_time": 0.0, "lap_time": None,
                "start_s": projection.s, "is_reversed": self.is_reversed}
        return self._observation(frame.image), info

    def _start_pose(self, track, options):
        unknown = sorted(set(options) - set(RESET_OPTIONS))
        if unknown:
            raise EnvArgumentError(f"unknown reset option {unknown[0]!r}; "
                                   f"accepted: {', '.join(RESET_OPTIONS)}")
        if "pose" in options:
            x, y, yaw = (float(v) for v in options["pose"])
            return x, y, yaw
        if "start_s" in options:
            s = float(options["start_s"])
        else:
            s = self._starts(self.episode) * track.length
        x, y, yaw = track.pose_at(s, float(options.get("lateral", 0.0)))
        return x, y, yaw + float(options.get("yaw_offset", 0.0))

    # ---------------------------------------------------------------- step
    def step(self, action):
        """Apply `action` for one camera frame: (obs, reward, terminated, truncated, info)."""
        return self.finish_step(self.advance(action))

    def advance(self, action):
        """The first half of `step`: drive the backend one frame with `action` and return
        what `finish_step` needs. It touches only this env's backend (the simulator and its
        renderer, which release the GIL), so several envs may advance in parallel threads;
        `finish_step` (rules, reward function, sim trace) then runs in the caller's order."""
        if self._done:
            raise gymnasium.error.ResetNeeded("call reset() before step(): the episode has ended"
                                              if self._image is not None else
                                              "call reset() before the first step()")
        steer_deg, steer_rad, speed, index = self._drive(action)
        return self.backend.step(steer_rad, speed), steer_deg, speed, index

    def finish_step(self, advanced):
        """The second half of `step` for what `advance` returned: the step's 5-tuple."""
        frame, steer_deg, speed, index = advanced
        crashed = self._race is not None and self._race.after_step(frame)
        self.steps = steps = self.steps + 1
        track = self.track
        fx, fy = front_point(frame.x, frame.y, frame.yaw, self._front)
        projection = track.project(fx, fy, self._segment)
        self._segment = projection.segment
        progress = self._lap.update(projection.s)
        status = self.rules.update(progress, frame.x, frame.y, frame.wheels_on_track, crashed)
        shown = 0.0 if progress < 0.0 else 100.0 if progress > 100.0 else progress
        params = self._params(frame, fx, fy, projection, shown, speed, steer_deg, crashed)
        reward = self.reward_function(params)
        terminated = status != IN_PROGRESS
        truncated = not terminated and steps >= self.max_steps
        self._done = terminated or truncated
        self._image = frame.image
        elapsed = round(frame.sim_time - self._start_time, 6)  # same for the same episode
        if self.sim_trace is not None:
            self.sim_trace.log(self.episode, steps, fx, fy, params["heading"], steer_deg, speed,
                               index, reward, self._done, params["all_wheels_on_track"], shown,
                               projection.closest_waypoints[1], track.length, frame.sim_time,
                               status)
        info = {"reward_params": params, "episode_status": TIME_UP if truncated else status,
                "progress": shown, "steps": steps, "episode": self.episode,
                "elapsed_time": elapsed, "lap_time": elapsed if status == LAP_COMPLETE else None}
        if self._race is not None:
            info["overtakes"] = self._race.overtakes.overtakes  # bot cars passed this episode
        return self._observation(frame.image), reward, terminated, truncated, info

    def _drive(self, action):
        """(steering deg, steering rad, speed m/s, action index or -1) for an action."""
        if self._drives is not None:
            index = operator.index(action)
            if not 0 <= index < len(self._drives):
                raise ValueError(f"action {index} is out of range for {len(self._drives)} "
                                 f"discrete actions")
            return self._drives[index]
        steer_deg, speed = self.model_metadata.action_to_drive(action)
        return steer_deg, math.radians(steer_deg), speed, -1

    def _params(self, frame, fx, fy, projection, progress, speed, steer_deg, crashed=False):
        wheels = frame.wheels_on_track
        track = self.track
        params = build_reward_params(
            fx, fy, frame.yaw, projection, progress=progress, steps=self.steps, speed=speed,
            steering_angle=steer_deg, all_wheels_on_track=all(wheels), is_offtrack=not any(wheels),
            is_crashed=bool(crashed), is_reversed=self.is_reversed, track_length=track.length,
            waypoints=track.waypoints.copy())
        if self._race is not None:
            params.update(self._race.reward_params(projection.s, frame, track))
        return params

    def _observation(self, image):
        if self._race is not None:
            return self._race.observation(image)
        if self.observation_type != "rgb":  # grayscale (packed: the same without a LIDAR)
            return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[:, :, None]
        return image.copy()

    # ---------------------------------------------------------------- render / close
    def render(self):
        """The last RGB camera frame (120, 160, 3) uint8 in "rgb_array" mode, else None."""
        if self.render_mode != "rgb_array" or self._image is None:
            return None
        if self._race is not None:
            return self._race.render_image(self._image)
        return self._image.copy()

    def close(self):
        """Close the backend if the env built it; safe to call twice."""
        if not self._closed and self._owns_backend:
            self.backend.close()
        self._closed = True


# ------------------------------------------------------------------------- helpers
def _check_choices(observation_type, reverse, render_mode, max_steps, episode_offset):
    if observation_type not in OBSERVATION_TYPES:
        raise EnvArgumentError(f"observation_type {observation_type!r} is not one of "
                               f"{OBSERVATION_TYPES}")
    if not any(reverse is c or (isinstance(c, str) and reverse == c) for c in REVERSE_CHOICES):
        raise EnvArgumentError(f"reverse {reverse!r} is not one of {REVERSE_CHOICES}")
    if render_mode not in (None, *DeepRacerRacetrackEnv.metadata["render_modes"]):
        raise EnvArgumentError(f"render_mode {render_mode!r} is not one of "
                               f"{[None, *DeepRacerRacetrackEnv.metadata['render_modes']]}")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise EnvArgumentError(f"max_steps must be an integer >= 1, got {max_steps!r}")
    if (isinstance(episode_offset, bool) or not isinstance(episode_offset, int)
            or episode_offset < 0):
        raise EnvArgumentError(f"episode_offset must be an integer >= 0, got {episode_offset!r}")


def _episode_number(value, option="episode") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise EnvArgumentError(f"reset option {option!r} must be an integer >= 0, got {value!r}")
    return int(value)


def _start_schedule(round_robin_advance, start_positions):
    """A function: episode number -> lap fraction in [0, 1) where it starts."""
    if start_positions is not None:
        fractions = [float(f) for f in start_positions]
        if not fractions or not all(0.0 <= f < 1.0 for f in fractions):
            raise EnvArgumentError(f"start_positions must be lap fractions in [0, 1), "
                                   f"got {start_positions!r}")
        return lambda episode: fractions[episode % len(fractions)]
    advance = float(round_robin_advance)
    if not 0.0 <= advance < 1.0:
        raise EnvArgumentError(f"round_robin_advance must be a lap fraction in [0, 1), "
                               f"got {round_robin_advance!r}")
    return lambda episode: (episode * advance) % 1.0


def _checked_reward(reward_function, tracks, with_objects=False) -> SafeReward:
    """The reward function, called on sample params of every track direction used."""
    samples = [p for track in tracks for p in sample_reward_params(track.waypoints, track.width)]
    if with_objects:
        samples = with_sample_objects(samples)
    if callable(reward_function):
        check_reward_function(reward_function, samples)
        return SafeReward(reward_function)
    path = reward_function if reward_function is not None else shipped_config(REWARD_FUNCTION)
    return load_checked_reward(path, samples)


def _metadata(model_metadata) -> ModelMetadata:
    if isinstance(model_metadata, ModelMetadata):
        return model_metadata
    if model_metadata is None:
        model_metadata = shipped_config(MODEL_METADATA)
    return load_model_metadata(model_metadata)


def _action_space(metadata: ModelMetadata):
    """(gymnasium space, per-action (deg, rad, speed, index) or None when continuous)."""
    if metadata.action_space.is_continuous:
        return spaces.Box(-1.0, 1.0, (2,), np.float32), None
    drives = []
    for index in range(metadata.n_actions):
        steer_deg, speed = metadata.action_to_drive(index)
        drives.append((steer_deg, math.radians(steer_deg), speed, index))
    return spaces.Discrete(len(drives)), tuple(drives)


def _check_frame(frame, backend):
    image = frame.image
    if not (isinstance(image, np.ndarray) and image.shape == IMAGE_SHAPE
            and image.dtype == np.uint8):
        raise ValueError(f"backend {type(backend).__name__} returned a camera image of "
                         f"{getattr(image, 'dtype', type(image))} {getattr(image, 'shape', '')}, "
                         f"expected uint8 {IMAGE_SHAPE}")
    if len(frame.wheels_on_track) != 4:
        raise ValueError(f"backend {type(backend).__name__} returned "
                         f"{len(frame.wheels_on_track)} wheel flags, expected 4")
