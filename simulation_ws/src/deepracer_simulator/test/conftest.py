"""Shared fixtures: the URDF car and the re:Invent 2018 track."""
import pytest

from deepracer_simulation.car_model import load_car_model
from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track


@pytest.fixture(scope="session")
def car():
    return load_car_model()


@pytest.fixture(scope="session")
def reinvent():
    return Track(load_route("reinvent_base"), name="reinvent_base")
