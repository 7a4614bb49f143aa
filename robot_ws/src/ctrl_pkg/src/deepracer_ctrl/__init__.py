"""The car's control switch: relays navigation's commands to the servo in autonomous mode."""
from deepracer_ctrl.relay import NEUTRAL, DriveRelay

__all__ = ["DriveRelay", "NEUTRAL"]
