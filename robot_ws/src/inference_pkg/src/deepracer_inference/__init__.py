"""The car's inference: camera frame -> policy output with an OpenVINO IR of model.pb."""
from deepracer_inference.engine import IMAGE_HEIGHT, IMAGE_WIDTH, InferenceEngine, preprocess

__all__ = ["IMAGE_HEIGHT", "IMAGE_WIDTH", "InferenceEngine", "preprocess"]
