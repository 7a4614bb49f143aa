"""The built-in simulator: one car on one track, stepped one camera frame at a time.

It only orchestrates: dynamics + integrator move the car, the camera renders
the track raster, the wheel checker reads the road edge. Time is simulated
only (no wall clock, no sleeps); all randomness comes from one numpy
Generator seeded in the constructor or in `reset(..., seed=...)`.
"""
import math
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

from deepracer_simulation.ackermann import drive_from_joint_commands

from . import dynamics, integrator
from . import randomization as scene
from .camera import GroundCamera
from .dynamics_jit import integrate_rk4
from .episode_effects import EpisodeEffects, camera_for_episode, camera_jitter
from .raster import RasterConfig, TrackColours, build_raster
from .randomization_file import draw
from .wheels import WheelChecker

# Commands this close beyond a limit are clipped silently: ROS carries drive commands as
# float32, whose rounding (relative 6e-8) puts a command at the limit just beyond it.
_RELATIVE_TOLERANCE = 1e-6


class SimulatorError(ValueError):
    """A simulator setting or pose is invalid."""


class CommandWarning(UserWarning):
    """A drive command was non-finite (ignored) or out of range (clipped)."""


@dataclass(frozen=True)
class SimConfig:
    """Settings of the built-in simulator (car geometry and camera come from the URDF)."""

    substeps: int = 10  # physics steps per camera frame
    integration: str = "rk4"  # "rk4" or "euler"
    max_speed: float = 4.0  # m/s, |speed| commands beyond this are clipped
    vehicle: dynamics.VehicleResponse = dynamics.VehicleResponse()  # speed/steering response, grip
    raster: RasterConfig = RasterConfig()  # track texture resolution and paint
    colours: TrackColours = TrackColours()  # nominal scene colours

    def __post_init__(self):
        if not (isinstance(self.substeps, int) and self.substeps >= 1):
            raise SimulatorError(f"SimConfig.substeps must be an integer >= 1, got {self.substeps!r}")
        if self.integration not in integrator.STEPPERS:
            raise SimulatorError(f"SimConfig.integration must be one of {sorted(integrator.STEPPERS)}, "
                                 f"got {self.integration!r}")
        if not (math.isfinite(self.max_speed) and self.max_speed > 0):
            raise SimulatorError(f"SimConfig.max_speed must be a finite number > 0 m/s, "
                                 f"got {self.max_speed!r}")


@dataclass(frozen=True)
class SimState:
    """A snapshot of the car (base_link = rear-axle midpoint on the ground)."""

    x: float  # m
    y: float  # m
    yaw: float  # rad, (-pi, pi]
    speed: float  # m/s, forward speed of base_link
    steering: float  # rad, achieved bicycle steering angle
    yaw_rate: float  # rad/s
    slip_angle: float  # rad, front tyre slip (0 while the tyres grip)
    sim_time: float  # s, simulated time since construction (not reset by reset())


class Simulator:
    """A headless, faster-than-real-time stand-in for Gazebo.

    `track` is a deepracer_simulation.track.Track, `car` a CarModel. The car
    starts at the track's start line; `reset` moves it. Commands set with
    `set_drive` / `set_joint_commands` hold until changed; `step_frame`
    advances exactly one camera period (1 / car.camera.rate_hz).
    """

    def __init__(self, track, car, config=SimConfig(), randomization=None, seed=None, lens=None):
        rate = car.camera.rate_hz
        if not (math.isfinite(rate) and rate > 0):
            raise SimulatorError(f"camera rate_hz must be > 0, got {rate!r}")
        self.track, self.car, self.config = track, car, config
        self.lens = lens  # None: the URDF pinhole; else a deepracer_camera CameraModel
        self.randomization = randomization or scene.RandomizationSpec()
        self.frame_period = 1.0 / rate
        self._params = dynamics.DynamicsParams.from_geometry(car.geometry, config.vehicle)
        self._nominal_params = self._params
        self._raster = build_raster(track.centre, track.left_edge, track.right_edge, config.raster)
        if lens is None:  # the URDF's pinhole (Gazebo parity)
            self._camera = GroundCamera(self._raster, car.camera)
        else:  # a deepracer_camera.lens.CameraModel, e.g. the car's wide-angle lens
            from .lens_camera import LensGroundCamera
            self._camera = LensGroundCamera(self._raster, car.camera, lens)
        self._nominal_camera = self._camera
        self._wheels = WheelChecker(track, car.geometry.wheel_positions)
        self._rng = np.random.default_rng(seed)
        self._effects_rng = _effects_rng(seed)
        self.world = None  # the realistic world (world_render.WorldView) when the ranges ask for it
        self._world_rng, self._world_seed = None, seed
        self._frames = 0
        self._drive = (0.0, 0.0)
        self.reset(*track.pose_at(0.0))

    # ------------------------------------------------------------ episode
    def reset(self, x, y, yaw, *, seed=None):
        """Place the car at rest, wheels straight; draw a new scene variation."""
        if not all(math.isfinite(v) for v in (x, y, yaw)):
            raise SimulatorError(f"reset pose must be finite, got x={x!r}, y={y!r}, yaw={yaw!r}")
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self._effects_rng = _effects_rng(seed)
        self._state = dynamics.VehicleState(float(x), float(y), _wrap(float(yaw)), 0.0, 0.0)
        self._previous = self._state  # the pose a one-frame-late camera shows
        self._drive = (0.0, 0.0)
        self.variation = scene.sample(self.randomization, self._rng)
        self._palette = scene.palette(self.config.colours, self.variation)
        self._gray_palette = cv2.cvtColor(self._palette[None], cv2.COLOR_RGB2GRAY)[0]
        self._noise = scene.NoiseSource(self.variation.noise_sigma, self._rng)
        ranges = self.randomization.ranges if self.randomization.enabled else None
        values = None if ranges is None else draw(ranges, self._effects_rng)
        self.effects = EpisodeEffects(values)
        self._params = self.effects.params(self._nominal_params)  # time constant, grip
        self._camera = self._nominal_camera
        if values is not None and camera_jitter(ranges, self.lens):  # mount, intrinsics
            self._camera = camera_for_episode(self._raster, self.car.camera, self.lens, values,
                                              self._effects_rng)
        self.effects.draw_latency(self._effects_rng)  # after the camera's draws (kept as before)
        self._start_world(ranges, seed)

    def _start_world(self, ranges, seed):
        """The realistic world for this episode when the ranges have `scene_seed`, else flat."""
        if ranges is None or ranges.scene_seed is None:
            self.world = None
            return
        from .world_render import WorldView, world_rng
        if self.world is None:
            self.world = WorldView(self.track, self._raster)
        if seed is not None or self._world_rng is None:  # a reset seed, else the constructor's
            self._world_rng = world_rng(self._world_seed if seed is None else seed)
        self.world.start_episode(ranges, self._world_rng, self.variation, self._camera)

    @property
    def sim_time(self) -> float:
        """Simulated seconds since construction."""
        return self._frames * self.frame_period

    @property
    def state(self) -> SimState:
        """A frozen snapshot of the car now."""
        x, y, yaw, speed, steering = self._state
        return SimState(x=x, y=y, yaw=yaw, speed=speed, steering=steering,
                        yaw_rate=dynamics.yaw_rate(speed, steering, self._params),
                        slip_angle=dynamics.front_slip_angle(speed, steering, self._params),
                        sim_time=self.sim_time)

    @property
    def drive(self) -> tuple:
        """The command in force: (steering_angle rad, speed m/s)."""
        return self._drive

    # ------------------------------------------------------------ commands
    def set_drive(self, steering_angle, speed) -> bool:
        """Command a bicycle steering angle (rad) and speed (m/s); False if rejected.

        Non-finite values are ignored with a CommandWarning (the previous command
        stays); values beyond the car's limits are clipped with a CommandWarning.
        """
        try:
            steering_angle, speed = float(steering_angle), float(speed)
        except (TypeError, ValueError):
            warnings.warn(f"drive command ignored: not numbers ({steering_angle!r}, {speed!r})",
                          CommandWarning, stacklevel=2)
            return False
        if not (math.isfinite(steering_angle) and math.isfinite(speed)):
            warnings.warn(f"drive command ignored: non-finite steering {steering_angle!r} or speed {speed!r}",
                          CommandWarning, stacklevel=2)
            return False
        steering_angle = _clip("steering_angle", steering_angle, self.car.geometry.max_steering_angle)
        speed = _clip("speed", speed, self.config.max_speed)
        self._drive = (steering_angle, speed)
        return True

    def set_joint_commands(self, cmds) -> bool:
        """Command per-joint hinge angles and wheel velocities (an ackermann.JointCommands)."""
        try:
            steering_angle, speed = drive_from_joint_commands(cmds, self.car.geometry)
        except (TypeError, ValueError) as err:
            warnings.warn(f"joint commands ignored: {err}", CommandWarning, stacklevel=2)
            return False
        return self.set_drive(steering_angle, speed)

    # ------------------------------------------------------------ stepping
    def step_frame(self) -> SimState:
        """Advance exactly one camera period of simulated time; return the new state."""
        drive = self.effects.drive(*self._drive, self.car.geometry.max_steering_angle,
                                   self.config.max_speed)
        if self.config.integration == "rk4":  # compiled, the same numbers as the Python's
            state = integrate_rk4(self._state, drive, self._params, self.frame_period, self.config.substeps)
        else:
            state = integrator.integrate(dynamics.derivative, self._state, drive, self._params,
                                         self.frame_period, self.config.substeps, self.config.integration)
        x, y, yaw, speed, steering = state
        self._previous = self._state
        self._state = dynamics.VehicleState(x, y, _wrap(yaw), speed, steering)
        self._frames += 1
        return self.state

    # ------------------------------------------------------------ sensors
    def render(self, width=160, height=120, out=None) -> np.ndarray:
        """The camera image, RGB uint8 (height, width, 3); written into `out` if given.

        The scene from the camera's pose (one frame late in an episode with latency), then the
        sensor: motion blur at the car's speed, noise, JPEG (episode_effects).
        """
        return self._sensor(self._scene(width, height, out))

    def _viewed(self):
        """The car state the camera shows: now, or one frame ago with latency."""
        return self._previous if self.effects.latency_frames else self._state

    def _scene(self, width, height, out=None) -> np.ndarray:
        out = _output(out, (height, width, 3))
        x, y, yaw = self._viewed()[:3]
        if self.world is not None:  # the realistic world
            self.world.render(x, y, yaw, out)
            return out
        labels = self._camera.labels(x, y, yaw, width, height)
        np.take(self._palette, labels, axis=0, out=out.reshape(-1, 3), mode="clip")
        return out

    def _sensor(self, rgb) -> np.ndarray:
        """Motion blur, noise and JPEG on a frame, in place."""
        self.effects.blur(rgb, self._viewed()[3])
        return self.effects.image(self._noise.apply(rgb))

    def camera_image(self, width=160, height=120) -> np.ndarray:
        """The frame the car's camera node would publish, RGB uint8 (height, width, 3), new array.

        Without a lens: `render(width, height)`. With a lens: the scene rendered at the lens's
        native (calibration) size and reduced by `deepracer_camera.lens.preprocess`, the car's
        camera node step (area averaging; it keeps the channel order of a 3-channel frame); the
        sensor effects of the episode (blur, noise, JPEG) then act on the reduced frame (at
        native size they would cost ~20 ms a frame).
        """
        if self.lens is None:
            return self.render(width, height)
        from deepracer_camera.lens import preprocess
        native = self._scene(self.lens.width, self.lens.height)
        frame = preprocess(native, width, height)
        return self._sensor(frame.copy() if frame is native else frame)

    def render_gray(self, width=160, height=120, out=None) -> np.ndarray:
        """The camera image in grey (luma, as cv2 RGB2GRAY of `render`), uint8 (height, width)."""
        out = _output(out, (height, width))
        viewed = self._viewed()
        if (self.variation.noise_sigma > 0 or self.effects.compresses or self.world is not None
                or self.effects.blur_px(viewed[3], width) >= 0.05):  # noise, JPEG, blur: in RGB
            return cv2.cvtColor(self.render(width, height), cv2.COLOR_RGB2GRAY, dst=out)
        x, y, yaw = viewed[:3]
        labels = self._camera.labels(x, y, yaw, width, height)
        np.take(self._gray_palette, labels, out=out.reshape(-1), mode="clip")
        return out

    def wheels_on_track(self) -> np.ndarray:
        """(4,) bool, wheels LF, RF, LR, RR inside the road edges."""
        x, y, yaw = self._state[:3]
        return self._wheels.on_track(x, y, yaw)

    def wheel_positions(self) -> np.ndarray:
        """(4, 2) world x, y of the wheel centres (LF, RF, LR, RR)."""
        x, y, yaw = self._state[:3]
        return self._wheels.world_positions(x, y, yaw)

    @property
    def raster(self):
        """The TrackRaster the camera looks at."""
        return self._raster


def _effects_rng(seed):
    """The generator of the episode effects, apart from the scene's (whose draws stay as before)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng([int(seed), 1])
    return np.random.default_rng(None if seed is None else np.random.default_rng(seed).integers(2**63))


def _wrap(angle) -> float:
    """Angle in (-pi, pi]."""
    wrapped = math.remainder(angle, 2.0 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped


def _clip(name, value, limit) -> float:
    if abs(value) <= limit:
        return value
    clipped = math.copysign(limit, value)
    if abs(value) > limit * (1.0 + _RELATIVE_TOLERANCE):
        warnings.warn(f"{name} {value!r} clipped to {clipped!r}", CommandWarning, stacklevel=3)
    return clipped


def _output(out, shape) -> np.ndarray:
    if out is None:
        return np.empty(shape, dtype=np.uint8)
    if out.shape != shape or out.dtype != np.uint8 or not out.flags.c_contiguous:
        raise SimulatorError(f"out must be a C-contiguous uint8 array of shape {shape}, "
                             f"got {out.dtype} {out.shape}")
    return out
