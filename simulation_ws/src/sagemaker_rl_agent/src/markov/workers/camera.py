"""CAMERA_CALIBRATION: the lens the in-process simulator renders through.

Unset: `deepracer_wide_angle` (the car's lens) for the in-process TIME_TRIAL, `pinhole`
otherwise. `pinhole` keeps the URDF's pinhole (the Gazebo camera). A shipped lens name
(`deepracer_wide_angle`: the car's wide-angle lens, robot_ws deepracer_camera/data) or a
calibration file (cv2-calibrate JSON/YAML or a ROS camera_info YAML) renders through that
lens at its native size and reduces the frame to 160x120 with the car camera node's
`preprocess`. Checked when the settings are resolved, before training starts. The ROS
backend's simulator_node reads the same variable as its ~camera_calibration default.
"""


DEFAULT_LENS = "deepracer_wide_angle"
PINHOLE = "pinhole"  # the URDF's pinhole camera (no lens file)


def default_calibration(backend: str = "inprocess", race_type: str = "TIME_TRIAL") -> str:
    """CAMERA_CALIBRATION when unset: the car's wide-angle lens for the in-process TIME_TRIAL;
    the URDF pinhole for the ros backend (its node reads ~camera_calibration) and race types
    (their objects are drawn with the pinhole)."""
    return DEFAULT_LENS if backend == "inprocess" and race_type == "TIME_TRIAL" else PINHOLE


def check_calibration(value: str, race_type: str = "TIME_TRIAL") -> str:
    """`value` stripped, after loading it once (ValueError naming CAMERA_CALIBRATION)."""
    from deepracer_simulator.lens_camera import load_lens
    value = (value or "").strip()
    if not value or value == PINHOLE:
        return value
    try:
        load_lens(value)
    except ValueError as error:
        raise ValueError(f"CAMERA_CALIBRATION: {error}") from None
    if race_type != "TIME_TRIAL":
        raise ValueError(f"CAMERA_CALIBRATION: {value}: the lens applies to TIME_TRIAL only "
                         f"(RACE_TYPE={race_type} draws its objects with the URDF pinhole)")
    return value


def backend_options(backend: str, calibration: str) -> dict:
    """The env's `backend_options` for the lens: {"lens": CameraModel} for "inprocess",
    {} otherwise (the ROS simulator node reads CAMERA_CALIBRATION itself)."""
    if not calibration or calibration == PINHOLE or backend != "inprocess":
        return {}
    from deepracer_simulator.lens_camera import load_lens
    return {"lens": load_lens(calibration)}
