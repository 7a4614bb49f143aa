"""Ways to run the simulation under the env: in-process or through ROS."""
from .base import BACKENDS, Frame, SimBackend, make_backend

__all__ = ["BACKENDS", "Frame", "SimBackend", "make_backend"]
