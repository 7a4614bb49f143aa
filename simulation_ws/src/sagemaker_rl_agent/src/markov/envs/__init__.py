"""Gymnasium environments; `DeepRacerRacetrackEnv` is registered as `DeepRacerRacetrack-v0`."""
from .deepracer_env import DeepRacerRacetrackEnv, EnvArgumentError, LapProgress

__all__ = ["DeepRacerRacetrackEnv", "EnvArgumentError", "LapProgress"]
