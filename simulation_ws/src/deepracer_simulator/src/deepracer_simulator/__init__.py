"""The built-in simulator: track raster, vehicle dynamics, camera renderer, wheel checks."""
from .randomization import RandomizationSpec, SceneVariation
from .raster import RasterConfig, TrackColours, TrackRaster, build_raster
from .dynamics import VehicleResponse
from .simulator import CommandWarning, SimConfig, SimState, Simulator, SimulatorError

__all__ = ["CommandWarning", "RandomizationSpec", "RasterConfig", "SceneVariation", "SimConfig",
           "SimState", "Simulator", "SimulatorError", "TrackColours", "TrackRaster", "VehicleResponse",
           "build_raster"]
