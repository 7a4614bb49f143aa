"""Race types (issue 14): the simulator with obstacles and a stereo camera pair.

Adds `sim_inprocess_obstacles_stereo_steps_per_s` to the `sim` suite:
  .venv/bin/python scripts/benchmark.py sim --only sim_inprocess_obstacles_stereo_steps_per_s
"""
import time


class _RaceDriver:
    """Drives a RaceSimulator as an env would: command, one frame (bot cars, crash check),
    two 160x120 grey views with the objects drawn, wheel check. 3 fixed obstacles on
    OBJECT_AVOIDANCE; an episode restarts after a crash, off track or 150 frames."""

    def __init__(self, world, frames):
        import numpy as np
        from deepracer_simulation.car_model import load_car_model
        from deepracer_simulation.routes import load_route
        from deepracer_simulation.track import Track
        from deepracer_simulator import Simulator
        from deepracer_simulator.objects import RaceConfig
        from deepracer_simulator.race import RaceSimulator

        track = Track(load_route(world), name=world)
        car = load_car_model()
        config = RaceConfig(race_type="OBJECT_AVOIDANCE", number_of_obstacles=3)
        self.race = RaceSimulator(Simulator(track, car, seed=0), config, ("STEREO_CAMERAS",))
        self.rng = np.random.default_rng(0)
        limit = car.geometry.max_steering_angle
        self.steering = (self.rng.uniform(-limit, limit, frames) * 0.3).tolist()
        self.speed = self.rng.uniform(0.5, 3.0, frames).tolist()
        self.starts = [track.pose_at(s) for s in np.linspace(0, track.length, 20, endpoint=False)]
        self.views = np.empty((120, 160, 2), np.uint8)
        self.frames = frames

    def run(self) -> int:
        race, sim, episode, start = self.race, self.race.sim, 0, 0
        race.reset(*self.starts[0], self.rng)
        for i in range(self.frames):
            sim.set_drive(self.steering[i], self.speed[i])
            race.step_frame()
            race.camera_views(160, 120, out=self.views)
            on_track = sim.wheels_on_track()
            episode += 1
            if race.crashed or not on_track.any() or episode >= 150:
                start, episode = (start + 1) % len(self.starts), 0
                race.reset(*self.starts[start], self.rng)
        return self.frames


@bench.benchmark("sim", "sim_inprocess_obstacles_stereo_steps_per_s")  # noqa: F821 (bench is injected)
def sim_inprocess_obstacles_stereo_steps_per_s(args):
    """Steps/s with 3 obstacles and STEREO_CAMERAS (two grey views with the boxes drawn)."""
    driver = _RaceDriver(args.world, args.frames)
    driver.run()  # warm-up: ray tables
    yield "sim_inprocess_obstacles_stereo_steps_per_s", bench.best_rate(driver.run, args.repeats), "steps/s"  # noqa: F821
