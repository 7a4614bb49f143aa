"""DeepRacer's sensors: valid combinations, network input names and observation shapes.

model_metadata.json's `sensor` list holds exactly one camera sensor
(`FRONT_FACING_CAMERA` or `STEREO_CAMERAS`) and at most one LIDAR sensor
(`LIDAR` or `SECTOR_LIDAR`), as DeepRacer's simulation requires. Each sensor
is one network input, named in model.pb
`main_level/agent/main/online/network_0/<SENSOR>/<SENSOR>` (the car's model
optimizer keeps the same table: robot_ws model_optimizer.sensors). Observation
per sensor (the env's, batch dimension left out):
- FRONT_FACING_CAMERA: uint8 (120, 160, 1), grey 160x120, raw 0-255;
- STEREO_CAMERAS: uint8 (120, 160, 2), left and right grey views stacked;
- LIDAR: float32 (64,), ranges clipped to [0.15, 1.0] m;
- SECTOR_LIDAR: float32 (8,), 1.0 where a sector sees something within 0.5 m.
"""
from typing import Sequence

import numpy as np

FRONT_FACING_CAMERA = "FRONT_FACING_CAMERA"
STEREO_CAMERAS = "STEREO_CAMERAS"
LIDAR = "LIDAR"
SECTOR_LIDAR = "SECTOR_LIDAR"
CAMERA_SENSORS = (FRONT_FACING_CAMERA, STEREO_CAMERAS)
LIDAR_SENSORS = (LIDAR, SECTOR_LIDAR)
SENSORS = CAMERA_SENSORS + LIDAR_SENSORS
OBSERVATION_SHAPES = {
    FRONT_FACING_CAMERA: ((120, 160, 1), np.uint8, 0, 255),
    STEREO_CAMERAS: ((120, 160, 2), np.uint8, 0, 255),
    LIDAR: ((64,), np.float32, 0.15, 1.0),
    SECTOR_LIDAR: ((8,), np.float32, 0.0, 1.0),
}


def input_name(sensor: str) -> str:
    """The model.pb input node of a sensor."""
    return f"main_level/agent/main/online/network_0/{sensor}/{sensor}"


def sensor_problem(sensors: Sequence[str]) -> str:
    """Why a sensor list is not a valid DeepRacer combination ('' when it is)."""
    unknown = [s for s in sensors if s not in SENSORS]
    if unknown:
        return f"{unknown[0]} is not a known sensor (known: {', '.join(SENSORS)})"
    if len(set(sensors)) != len(sensors):
        return f"a sensor is listed twice in {list(sensors)}"
    if sum(s in CAMERA_SENSORS for s in sensors) != 1:
        return (f"exactly one camera sensor ({' or '.join(CAMERA_SENSORS)}) is needed, "
                f"got {list(sensors)}")
    if sum(s in LIDAR_SENSORS for s in sensors) > 1:
        return f"at most one LIDAR sensor ({' or '.join(LIDAR_SENSORS)}), got {list(sensors)}"
    return ""


def observation_space(sensors: Sequence[str]):
    """The env's observation space: a Box for one camera sensor alone, else a Dict per sensor."""
    from gymnasium import spaces

    boxes = {s: spaces.Box(low, high, shape, dtype) for s in sensors
             for shape, dtype, low, high in [OBSERVATION_SHAPES[s]]}
    if len(boxes) == 1:
        return next(iter(boxes.values()))
    return spaces.Dict(boxes)


class NetworkInput(tuple):
    """The PPO networks' observation shape (H, W, C) that also names its `sensors`.

    Camera sensors alone: the camera's shape. With a LIDAR the workers' observation is
    packed into one uint8 image (`pack_observation`): the camera channels, then one
    "LIDAR plane" whose first `lidar_size` values (row-major) are the LIDAR vector
    times 255, rounded (LIDAR ranges to 1/255 m, SECTOR_LIDAR exactly 0 or 255), the
    rest 0; the network splits the plane off again (markov.ppo.networks).
    """

    def __new__(cls, sensors):
        camera = STEREO_CAMERAS if STEREO_CAMERAS in sensors else FRONT_FACING_CAMERA
        lidar = next((s for s in sensors if s in LIDAR_SENSORS), None)
        height, width, channels = OBSERVATION_SHAPES[camera][0]
        self = super().__new__(cls, (height, width, channels + (lidar is not None)))
        self.sensors, self.camera, self.lidar = tuple(sensors), camera, lidar
        self.camera_channels = channels
        self.lidar_size = OBSERVATION_SHAPES[lidar][0][0] if lidar else 0
        return self

    def __reduce__(self):  # pickles (Ray) as itself, not as a plain tuple
        return NetworkInput, (self.sensors,)

    @property
    def key(self) -> tuple:
        """What a trained network is tied to: its camera and LIDAR sensor."""
        return self.camera, self.lidar


def camera_obs_shape(sensors: Sequence[str]) -> NetworkInput:
    """The PPO networks' observation shape for a valid sensor list (a NetworkInput: with a
    LIDAR, the camera channels plus the packed LIDAR plane)."""
    problem = sensor_problem(sensors)
    if problem:
        raise ValueError(f"sensor: {problem}")
    return NetworkInput(sensors)


def network_observation_type(sensors: Sequence[str]) -> str:
    """The env's observation_type for the workers: "packed" with a LIDAR, else "grayscale"."""
    return "packed" if any(s in LIDAR_SENSORS for s in sensors) else "grayscale"


def pack_observation(layout: NetworkInput, obs) -> np.ndarray:
    """One uint8 (H, W, C + 1) image from an env's Dict observation (see NetworkInput);
    a camera-only observation is returned as is."""
    if layout.lidar is None:
        return obs
    camera = np.asarray(obs[layout.camera], np.uint8)
    packed = np.zeros(tuple(layout), np.uint8)
    packed[:, :, :layout.camera_channels] = camera
    lidar = np.clip(np.asarray(obs[layout.lidar], np.float32), 0.0, 1.0)
    plane = np.zeros(layout[0] * layout[1], np.uint8)
    plane[:layout.lidar_size] = np.rint(lidar * 255.0).astype(np.uint8)
    packed[:, :, -1] = plane.reshape(layout[0], layout[1])
    return packed


def check_network_inputs(sensors: Sequence[str], input_names: Sequence[str], source: str,
                         network: str = "the network") -> None:
    """Raise ValueError unless `input_names` are exactly the sensors' DeepRacer input nodes."""
    names = {n[:-2] if n.endswith(":0") else n for n in input_names}
    expected = {input_name(s) for s in sensors}
    if names != expected:
        found = [s for s in SENSORS if input_name(s) in names] or sorted(names)
        raise ValueError(f"{source}: sensor {list(sensors)} does not match {network}, whose "
                         f"inputs are for {found}; the model and its metadata do not match")
