"""Close the car stack over the simulator: simulator camera -> car camera, servo -> drive command."""
from deepracer_sim_bridge.bridge import ServoDecoder, camera_frame

__all__ = ["ServoDecoder", "camera_frame"]
