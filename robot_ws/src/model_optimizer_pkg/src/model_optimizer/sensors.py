"""DeepRacer's sensors and the model.pb input node each one feeds (the car's contract).

A model_metadata.json `sensor` list holds exactly one camera sensor
(`FRONT_FACING_CAMERA` or `STEREO_CAMERAS`) and at most one LIDAR sensor
(`LIDAR` or `SECTOR_LIDAR`), as DeepRacer's simulation requires. Each sensor is
one network input named `main_level/agent/main/online/network_0/<SENSOR>/<SENSOR>`:
- FRONT_FACING_CAMERA: float32 [1, 120, 160, 1], one grey 160x120 frame, raw 0-255;
- STEREO_CAMERAS: float32 [1, 120, 160, 2], left and right grey frames stacked, raw 0-255;
- LIDAR: float32 [1, 64], 64 ranges clipped to [0.15, 1.0] m;
- SECTOR_LIDAR: float32 [1, 8], 8 sectors, 1.0 when something is within 0.5 m.
"""
from typing import Dict, List, Sequence, Tuple

FRONT_FACING_CAMERA = "FRONT_FACING_CAMERA"
STEREO_CAMERAS = "STEREO_CAMERAS"
LIDAR = "LIDAR"
SECTOR_LIDAR = "SECTOR_LIDAR"
CAMERA_SENSORS = (FRONT_FACING_CAMERA, STEREO_CAMERAS)
LIDAR_SENSORS = (LIDAR, SECTOR_LIDAR)
SENSORS = CAMERA_SENSORS + LIDAR_SENSORS
INPUT_SHAPES: Dict[str, List[int]] = {
    FRONT_FACING_CAMERA: [1, 120, 160, 1],
    STEREO_CAMERAS: [1, 120, 160, 2],
    LIDAR: [1, 64],
    SECTOR_LIDAR: [1, 8],
}


def input_name(sensor: str) -> str:
    """The model.pb input node of a sensor."""
    return f"main_level/agent/main/online/network_0/{sensor}/{sensor}"


def sensor_problem(sensors: Sequence[str]) -> str:
    """Why a sensor list is not a valid combination ('' when it is)."""
    unknown = [s for s in sensors if s not in SENSORS]
    if unknown:
        return f"{unknown[0]!r} is not a known sensor (known: {', '.join(SENSORS)})"
    if len(set(sensors)) != len(sensors):
        return f"a sensor is listed twice in {list(sensors)}"
    cameras = [s for s in sensors if s in CAMERA_SENSORS]
    if len(cameras) != 1:
        return (f"exactly one camera sensor ({' or '.join(CAMERA_SENSORS)}) is needed, "
                f"got {list(sensors)}")
    if sum(s in LIDAR_SENSORS for s in sensors) > 1:
        return f"at most one LIDAR sensor ({' or '.join(LIDAR_SENSORS)}), got {list(sensors)}"
    return ""


def model_inputs(sensors: Sequence[str]) -> List[Tuple[str, List[int]]]:
    """(input node name, shape) per sensor, in the metadata's order."""
    return [(input_name(s), INPUT_SHAPES[s]) for s in sensors]


def sensors_of_inputs(names) -> List[str]:
    """The sensors whose input nodes are among `names` (graph placeholder names)."""
    names = {n[:-2] if n.endswith(":0") else n for n in names}
    return [s for s in SENSORS if input_name(s) in names]
