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


def camera_obs_shape(sensors: Sequence[str]) -> tuple:
    """The PPO networks' image shape for a sensor list; ValueError for a LIDAR (not built yet)."""
    lidar = [s for s in sensors if s in LIDAR_SENSORS]
    if lidar:
        raise ValueError(f"sensor {lidar[0]}: the PPO networks here take camera images only so far "
                         f"(FRONT_FACING_CAMERA or STEREO_CAMERAS)")
    return OBSERVATION_SHAPES[STEREO_CAMERAS if STEREO_CAMERAS in sensors
                              else FRONT_FACING_CAMERA][0]


def check_network_inputs(sensors: Sequence[str], input_names: Sequence[str], source: str,
                         network: str = "the network") -> None:
    """Raise ValueError unless `input_names` are exactly the sensors' DeepRacer input nodes."""
    names = {n[:-2] if n.endswith(":0") else n for n in input_names}
    expected = {input_name(s) for s in sensors}
    if names != expected:
        found = [s for s in SENSORS if input_name(s) in names] or sorted(names)
        raise ValueError(f"{source}: sensor {list(sensors)} does not match {network}, whose "
                         f"inputs are for {found}; the model and its metadata do not match")
