"""Run a converted DeepRacer model (OpenVINO IR) on camera frames.

The observation matches training: the frame resized to 160x120, converted to grey
(luma, cv2.COLOR_BGR2GRAY of the car's BGR frame = cv2.COLOR_RGB2GRAY of the
simulator's RGB), raw 0-255 values as float32 [1, 120, 160, 1] (the graph scales itself).
"""
from pathlib import Path

import cv2
import numpy as np

IMAGE_WIDTH, IMAGE_HEIGHT = 160, 120  # pixels, the model's input frame
INPUT_SHAPE = (1, IMAGE_HEIGHT, IMAGE_WIDTH, 1)


class InferenceError(ValueError):
    """A model or an image the engine cannot use; the message names the file or the shape."""


def preprocess(bgr_image, out=None) -> np.ndarray:
    """A BGR (H, W, 3) or grey (H, W) uint8 frame -> float32 [1, 120, 160, 1] of 0-255 values."""
    image = np.asarray(bgr_image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise InferenceError(f"expected a uint8 BGR (H, W, 3) or grey (H, W) image, "
                             f"got {image.dtype} {image.shape}")
    if image.shape[:2] != (IMAGE_HEIGHT, IMAGE_WIDTH):
        image = cv2.resize(image, (IMAGE_WIDTH, IMAGE_HEIGHT), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    if out is None:
        out = np.empty(INPUT_SHAPE, np.float32)
    out[0, :, :, 0] = grey
    return out


_SENSORS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS", "LIDAR", "SECTOR_LIDAR")


def _sensor_inputs(model) -> dict:
    """{sensor: input index} for a model whose inputs are DeepRacer sensors other than the
    single front camera (the car's contract: .../network_0/<SENSOR>/<SENSOR>); else {}."""
    found = {}
    for index, port in enumerate(model.inputs):
        for name in port.get_names():
            stem = name[:-2] if name.endswith(":0") else name
            sensor = stem.rsplit("/", 1)[-1]
            if sensor in _SENSORS and stem.endswith(f"network_0/{sensor}/{sensor}"):
                found[sensor] = index
    return {} if list(found) in ([], ["FRONT_FACING_CAMERA"]) else found


class InferenceEngine:
    """An IR compiled for the CPU, tuned for latency: one stream, `num_threads` threads."""

    def __init__(self, xml_path, num_threads=1, device="CPU"):
        import openvino as ov

        self.xml_path = Path(xml_path)
        if not self.xml_path.is_file():
            raise InferenceError(f"{self.xml_path}: no such model file")
        core = ov.Core()
        try:
            model = core.read_model(str(self.xml_path))
        except RuntimeError as error:
            raise InferenceError(f"{self.xml_path}: not an OpenVINO IR ({error})") from None
        self.sensors = _sensor_inputs(model)  # sensor -> input index; {} for a plain camera model
        shape = tuple(model.input(0).get_partial_shape().to_shape()) if model.inputs else ()
        if not self.sensors and (len(model.inputs) != 1 or shape != INPUT_SHAPE):
            raise InferenceError(f"{self.xml_path}: expected one input of shape {list(INPUT_SHAPE)}, "
                                 f"got {[str(p.get_partial_shape()) for p in model.inputs]}")
        config = {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1",
                  "INFERENCE_NUM_THREADS": str(num_threads), "INFERENCE_PRECISION_HINT": "f32"}
        self._compiled = core.compile_model(model, device, config)
        self._request = self._compiled.create_infer_request()
        self._input = np.empty(INPUT_SHAPE, np.float32)
        self.n_outputs = int(self._compiled.output(0).get_partial_shape()[1].get_length())
        self.input_shapes = {name: tuple(model.input(i).get_partial_shape().to_shape())
                             for name, i in self.sensors.items()}
        if self.sensors:  # warm-up: the first run is slow
            self.infer_inputs({n: np.zeros(sh, np.float32) for n, sh in self.input_shapes.items()})
        else:
            self.infer_observation(np.zeros(INPUT_SHAPE, np.float32))

    def infer_inputs(self, inputs) -> np.ndarray:
        """The policy output (N,) for a model with one input per sensor (stereo, LIDAR):
        `inputs` maps each sensor name (model_optimizer.sensors) to its float32 array."""
        if set(inputs) != set(self.sensors):
            raise InferenceError(f"{self.xml_path}: the model's inputs are for sensors "
                                 f"{sorted(self.sensors)}, got {sorted(inputs)}")
        feed = {}
        for name, index in self.sensors.items():
            value = np.asarray(inputs[name], np.float32).reshape(self.input_shapes[name])
            feed[index] = value
        self._request.infer(feed)
        return self._request.get_output_tensor(0).data[0].copy()

    def infer_stereo(self, left_bgr, right_bgr, lidar=None) -> np.ndarray:
        """The policy output for a STEREO_CAMERAS model (with its LIDAR input, if it has one)."""
        pair = np.concatenate([preprocess(left_bgr), preprocess(right_bgr)], axis=3)
        inputs = {"STEREO_CAMERAS": pair}
        for name in ("LIDAR", "SECTOR_LIDAR"):
            if name in self.sensors:
                inputs[name] = lidar
        return self.infer_inputs(inputs)

    def infer_observation(self, observation) -> np.ndarray:
        """The policy output (N,) float32 for a float32 [1, 120, 160, 1] observation."""
        self._request.infer({0: observation})
        return self._request.get_output_tensor(0).data[0].copy()

    def infer(self, bgr_image) -> np.ndarray:
        """The policy output (N,) for a camera frame: probabilities, or 2 means in [-1, 1]."""
        return self.infer_observation(preprocess(bgr_image, out=self._input))
