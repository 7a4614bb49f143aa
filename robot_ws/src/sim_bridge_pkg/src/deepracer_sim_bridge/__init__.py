"""Close the car stack over the simulator: simulator camera -> car camera, servo -> drive command."""
from deepracer_sim_bridge.bridge import ServoDecoder, camera_frame
from deepracer_sim_bridge.pwm import PulseError, PwmDecoder, PwmReader, pulse_value

__all__ = ["PulseError", "PwmDecoder", "PwmReader", "ServoDecoder", "camera_frame", "pulse_value"]
