"""The env's ROS backend: one car driven through simulator_node's services in lockstep.

`RosBackend` calls `<namespace>/set_car_pose` and `<namespace>/advance_frame`
(deepracer_msgs) over persistent connections; each step sends the drive and
gets back the camera image and the car's state in one round trip; a reset
places the car (with the scene seed) and observes it with `frames = 0`, so no
simulated time passes, as in the in-process backend. It works
with the built-in simulator_node in `~mode lockstep` (see docs/simulator.md).
`markov.backends.make_backend("ros", ...)` builds it by name; this module, not
`markov`, is where rospy is imported.
"""
import numpy as np
import rosgraph
import rospy
from deepracer_msgs.msg import AckermannDrive
from deepracer_msgs.srv import AdvanceFrame, AdvanceFrameRequest, SetCarPose, SetCarPoseRequest

from markov.backends.base import Frame

IMAGE_SHAPE = (120, 160, 3)  # what Frame.image holds; other sizes are resized (area averaging)
ENCODINGS = ("rgb8", "bgr8")
SEED_LIMIT = 2 ** 63  # SetCarPose.seed is an int64; seeds are in [0, this)


class RosBackendError(RuntimeError):
    """The simulator's services cannot be reached or answered with an error."""


class WorldMismatchError(ValueError):
    """The simulator node runs a different track than the one the env was given."""


def image_to_rgb(msg) -> np.ndarray:
    """A sensor_msgs/Image (rgb8 or bgr8) as a writeable uint8 (H, W, 3) RGB array."""
    if msg.encoding not in ENCODINGS:
        raise RosBackendError(f"camera image encoding {msg.encoding!r} is not one of {ENCODINGS}")
    height, width, step = msg.height, msg.width, msg.step
    if step < width * 3 or len(msg.data) != height * step:
        raise RosBackendError(f"camera image of {len(msg.data)} bytes does not match "
                              f"{width}x{height} with step {step}")
    rows = np.frombuffer(msg.data, dtype=np.uint8).reshape(height, step)
    image = rows[:, :width * 3].reshape(height, width, 3)
    if msg.encoding == "bgr8":
        image = image[:, :, ::-1]
    return np.array(image, order="C")  # one copy: writeable, owned


def frame_image(image) -> np.ndarray:
    """An RGB image as Frame.image holds it: (120, 160, 3), resized by area averaging if needed."""
    if image.shape == IMAGE_SHAPE:
        return image
    import cv2  # only for non-default image sizes
    return cv2.resize(image, (IMAGE_SHAPE[1], IMAGE_SHAPE[0]), interpolation=cv2.INTER_AREA)


class RosBackend:
    """A SimBackend over the simulator node's services (lockstep mode).

    `track` (a Track) and `car` (a CarModel) describe what the node simulates;
    the node's `~world_name` must match `track.name` when both are set.
    `timeout` (s, wall clock) bounds the wait for the services at start.
    A rospy node named `node_name` (anonymous) is started unless one exists.
    """

    def __init__(self, track, car, namespace="/deepracer_simulator", timeout=10.0,
                 node_name="deepracer_env"):
        self.track, self.car = track, car
        self.namespace = namespace.rstrip("/")
        if not rospy.core.is_initialized():
            rospy.init_node(node_name, anonymous=True, disable_signals=True)
        self._advance = self._proxy("advance_frame", AdvanceFrame, timeout)
        self._set_pose = self._proxy("set_car_pose", SetCarPose, timeout)
        self._check_world()
        self._step_request = AdvanceFrameRequest(use_drive=True, drive=AckermannDrive(), frames=1)
        self._observe_request = AdvanceFrameRequest(use_drive=False, drive=AckermannDrive(), frames=0)

    def _proxy(self, name, service_class, timeout):
        full_name = f"{self.namespace}/{name}"
        try:
            rospy.wait_for_service(full_name, timeout=timeout)
        except rospy.ROSException as err:
            raise RosBackendError(f"service {full_name} not available after {timeout} s "
                                  f"(is simulator_node running in lockstep mode? ROS master "
                                  f"{rosgraph.get_master_uri()}): {err}") from None
        return rospy.ServiceProxy(full_name, service_class, persistent=True)

    def _check_world(self):
        world = rospy.get_param(f"{self.namespace}/world_name", "")
        if world and self.track.name and world != self.track.name:
            raise WorldMismatchError(f"the simulator node at {self.namespace} runs {world!r}, "
                                     f"the env was given track {self.track.name!r}")

    def _call(self, proxy, request):
        try:
            return proxy.call(request)
        except (rospy.ServiceException, rospy.ROSException) as err:
            raise RosBackendError(f"{proxy.resolved_name} failed: {err}") from None

    # ------------------------------------------------------------ SimBackend
    def reset(self, x, y, yaw, seed=None) -> Frame:
        """Place the car at rest at (x, y, yaw) (m, rad) and return the frame there (no time passes).

        `seed` (an int in [0, 2**63)) reseeds the node's scene randomization;
        None continues its random stream.
        """
        request = SetCarPoseRequest(x=x, y=y, yaw=yaw, use_seed=seed is not None,
                                    seed=0 if seed is None else _check_seed(seed))
        response = self._call(self._set_pose, request)
        if not response.success:
            with_seed = "" if seed is None else f" with seed {seed}"
            raise ValueError(f"{self._set_pose.resolved_name} refused pose ({x}, {y}, {yaw})"
                             f"{with_seed}: {response.message}")
        return self._frame(self._call(self._advance, self._observe_request))

    def step(self, steering_angle, speed) -> Frame:
        """Send the drive (rad, m/s; float32 on the wire), advance one frame, return it."""
        request = self._step_request
        request.drive.steering_angle, request.drive.speed = steering_angle, speed
        return self._frame(self._call(self._advance, request))

    @staticmethod
    def _frame(response) -> Frame:
        """The Frame of an AdvanceFrame response."""
        pose = response.pose
        return Frame(image=frame_image(image_to_rgb(response.image)), x=pose.x, y=pose.y, yaw=pose.yaw,
                     speed=pose.speed, steering=pose.steering_angle,
                     wheels_on_track=tuple(bool(w) for w in pose.wheels_on_track),
                     sim_time=pose.sim_time)

    def close(self) -> None:
        """Close the persistent service connections (the rospy node stays up)."""
        for proxy in (self._advance, self._set_pose):
            proxy.close()


def _check_seed(seed) -> int:
    """`seed` as an int for SetCarPose.seed, or a ValueError naming it."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= int(seed) < SEED_LIMIT:
        raise ValueError(f"RosBackend.reset seed must be an integer in [0, 2**63), got {seed!r}")
    return int(seed)
