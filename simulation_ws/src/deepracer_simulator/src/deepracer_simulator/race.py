"""A race on top of a Simulator: objects that move, collisions, and the race's sensors.

`RaceSimulator(sim, race_config, sensors)` leaves the Simulator as it is and
adds, per frame: the bot cars' motion, the crash check against every object
and, on request, the camera views (one or a stereo pair, objects drawn over
the base image by `object_render`) and the LIDAR scan. Sensor names are
DeepRacer's (`FRONT_FACING_CAMERA`, `STEREO_CAMERAS`, `LIDAR`, `SECTOR_LIDAR`).
"""
import cv2
import numpy as np

from . import lidar
from .camera import GroundCamera
from .object_render import ObjectRenderer, stereo_cameras
from .objects import RaceConfig, RaceObjects, car_footprint, crashed_into

STEREO_BASELINE = 0.06  # m: DeepRacer's racecar.xacro puts the two cameras at y = +-0.03
CAMERA_SENSORS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS")
LIDAR_SENSORS = ("LIDAR", "SECTOR_LIDAR")


class RaceSimulator:
    """A Simulator plus the objects of a race type and the sensors of a model."""

    def __init__(self, sim, config=RaceConfig(), sensors=("FRONT_FACING_CAMERA",),
                 lidar_spec=lidar.LidarSpec()):
        self.sim, self.config, self.sensors = sim, config, tuple(sensors)
        length, width, _ = car_footprint(sim.car.geometry)
        self.objects = RaceObjects(sim.track, config, car_length=length, car_width=width)
        self.lidar_spec = lidar_spec
        camera = sim.car.camera
        cams = stereo_cameras(camera, STEREO_BASELINE) if "STEREO_CAMERAS" in self.sensors else (camera,)
        self._views = [(GroundCamera(sim.raster, c), ObjectRenderer(c)) for c in cams]
        self._main_renderer = ObjectRenderer(camera)
        self.crashed_object = None

    def reset(self, x, y, yaw, rng, *, seed=None):
        """Reset the car and place the race's objects (drawn from `rng`)."""
        self.sim.reset(x, y, yaw, seed=seed)
        self.objects.reset(rng)
        self.crashed_object = None

    def step_frame(self):
        """One camera period: the car, then the bot cars; records a crash. Returns the SimState."""
        state = self.sim.step_frame()
        self.advance_objects()
        return state

    def advance_objects(self) -> bool:
        """Move the bot cars one camera period and check the car (already stepped) for a crash."""
        self.objects.step(self.sim.frame_period)
        s = self.sim.state
        self.crashed_object = crashed_into(s.x, s.y, s.yaw, self.sim.car.geometry,
                                           self.objects.objects)
        return self.crashed_object is not None

    def draw_objects(self, image):
        """Draw the objects over an image of the main camera (RGB or grey), in place."""
        s = self.sim.state
        return self._main_renderer.draw(image, s.x, s.y, s.yaw, self.objects.objects)

    @property
    def crashed(self) -> bool:
        return self.crashed_object is not None

    def camera_views(self, width=160, height=120, out=None) -> np.ndarray:
        """Grey views with the objects, uint8 (height, width, n): n = 2 for STEREO_CAMERAS (left, right)."""
        out = np.empty((height, width, len(self._views)), np.uint8) if out is None else out
        x, y, yaw = self.sim.state.x, self.sim.state.y, self.sim.state.yaw
        palette = self.sim._gray_palette  # the scene variation's grey palette
        objects = self.objects.objects
        view = np.empty((height, width), np.uint8)
        world = self.sim.world  # the realistic world (randomization file with scene_seed)
        rgb = None if world is None else np.empty((height, width, 3), np.uint8)
        for k, (ground, renderer) in enumerate(self._views):
            if world is not None:
                world.render_from(renderer.camera, x, y, yaw, rgb)
                cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY, dst=view)
            else:
                labels = ground.labels(x, y, yaw, width, height)
                np.take(palette, labels, out=view.reshape(-1), mode="clip")
            renderer.draw(view, x, y, yaw, objects)
            out[..., k] = view
        return out

    def lidar_scan(self) -> np.ndarray:
        """The 64 raw LIDAR ranges (m, inf = no return) against the objects."""
        s = self.sim.state
        return lidar.scan(s.x, s.y, s.yaw, self.objects.objects, self.lidar_spec)

    def observation(self, width=160, height=120) -> dict:
        """One entry per sensor, as the network's inputs take them."""
        obs = {}
        for name in self.sensors:
            obs.update(self.observation_for(name, width, height))
        return obs

    def observation_for(self, name, width=160, height=120) -> dict:
        """{name: value} for one sensor: camera views uint8 (H, W, n), LIDAR float32."""
        if name in CAMERA_SENSORS:
            views = self.camera_views(width, height)
            return {name: views if name == "STEREO_CAMERAS" else views[..., :1]}
        if name == "LIDAR":
            return {name: lidar.lidar_observation(self.lidar_scan())}
        if name == "SECTOR_LIDAR":
            return {name: lidar.sector_lidar(self.lidar_scan())}
        raise ValueError(f"unknown sensor {name!r}; known: "
                         f"{', '.join(CAMERA_SENSORS + LIDAR_SENSORS)}")
