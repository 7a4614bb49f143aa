"""The in-process backend: the built-in simulator library called directly, no ROS.

The fastest way to run the env: one `deepracer_simulator.Simulator` per
backend, stepped in the caller's thread. Every frame is a fresh 160x120 RGB
render, so frames handed out earlier are never overwritten.
"""
from deepracer_simulator import SimConfig, Simulator

from .base import Frame

IMAGE_WIDTH = 160  # px, the observation's width (DeepRacer's camera image, resized)
IMAGE_HEIGHT = 120  # px


class InProcessBackend:
    """One car on one track in a `Simulator` owned by this object.

    track: a deepracer_simulation.track.Track (either driving direction: the
    simulator only uses its road surface); car: a CarModel; config: a
    SimConfig (default SimConfig()); randomization: a RandomizationSpec or
    None (off); seed: the simulator's first random seed; lens: a deepracer_camera
    CameraModel (CAMERA_CALIBRATION) or None (the URDF pinhole).
    """

    def __init__(self, track, car, config=None, randomization=None, seed=None, lens=None):
        self.simulator = Simulator(track, car, config if config is not None else SimConfig(),
                                   randomization=randomization, seed=seed, lens=lens)

    def reset(self, x: float, y: float, yaw: float, seed=None) -> Frame:
        """Place the car at rest at (x, y, yaw) (m, rad); `seed` redraws the scene variation."""
        self.simulator.reset(x, y, yaw, seed=seed)
        return self._frame(self.simulator.state)

    def step(self, steering_angle: float, speed: float) -> Frame:
        """Command (rad, m/s), advance one camera frame (1/15 s) and return it."""
        sim = self.simulator
        sim.set_drive(steering_angle, speed)
        return self._frame(sim.step_frame())

    def close(self) -> None:
        """Nothing to release but memory; safe to call twice."""

    def _frame(self, state) -> Frame:
        sim = self.simulator
        return Frame(image=sim.camera_image(IMAGE_WIDTH, IMAGE_HEIGHT),
                     x=state.x, y=state.y, yaw=state.yaw, speed=state.speed,
                     steering=state.steering,
                     wheels_on_track=tuple(sim.wheels_on_track().tolist()),
                     sim_time=state.sim_time)
