"""The user's three files: checked before the first episode, then copied into the model store.

Each bad file raises its own ValueError subclass naming the file (and the key or
line): `RewardFunctionError`, `ConfigError`, or `UserFilesError` for what only
the worker knows (a setting the networks cannot honour, a model trained with
another action space).
"""
import json
from dataclasses import dataclass
from typing import Callable

from deepracer_simulation.routes import load_route
from deepracer_simulation.track import Track
from markov.config import (Hyperparameters, ModelMetadata, load_hyperparameters,
                           load_model_metadata)
from markov.reward import check_reward_function, load_reward_function
from markov.reward_params import sample_reward_params
from markov.sensors import camera_obs_shape
from markov.store import NotFoundError, layout


class UserFilesError(ValueError):
    """A user file the loaders accept but the worker cannot use; the message names it."""


@dataclass(frozen=True)
class UserFiles:
    """The user's files, loaded and checked."""

    reward_function: Callable[[dict], float]  # the user's reward_function, checked on the track
    reward_path: str  # its file
    model_metadata: ModelMetadata  # action space and network
    metadata_path: str
    hyperparameters: Hyperparameters  # PPO and episode settings
    hyperparameters_path: str
    track_length: float  # centre-line length of the chosen track, m


def check_user_files(settings) -> UserFiles:
    """Load and check the reward function (on the chosen track), metadata and hyperparameters."""
    track = Track(load_route(settings.world_name), name=settings.world_name)
    reward = load_reward_function(settings.reward_file)
    check_reward_function(reward, sample_reward_params(track.waypoints, track.width),
                          settings.reward_file)
    metadata = load_model_metadata(settings.model_metadata_file)
    try:
        camera_obs_shape(metadata.sensor)
    except ValueError as error:
        raise UserFilesError(f"{settings.model_metadata_file}: {error}") from None
    hyperparameters = load_hyperparameters(settings.hyperparameters_file)
    if hyperparameters.stack_size != 1:
        raise UserFilesError(f"{settings.hyperparameters_file}: stack_size: only 1 (one camera "
                             f"frame) is supported, got {hyperparameters.stack_size}")
    return UserFiles(reward, settings.reward_file, metadata, settings.model_metadata_file,
                     hyperparameters, settings.hyperparameters_file, track.length)


def stored_metadata(store):
    """The model_metadata.json kept in `store`, or None when it has none."""
    try:
        raw = store.get_bytes(layout.MODEL_METADATA_KEY)
    except NotFoundError:
        return None
    source = store.describe(layout.MODEL_METADATA_KEY)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserFilesError(f"{source}: not valid JSON ({err})") from None
    return load_model_metadata(data, source=source)


def check_same_model(user: UserFiles, trained: ModelMetadata, where: str) -> None:
    """Raise UserFilesError when the user's metadata cannot continue the model trained at `where`."""
    mine = user.model_metadata
    if (mine.neural_network, mine.action_space.kind, mine.n_actions) != (
            trained.neural_network, trained.action_space.kind, trained.n_actions):
        raise UserFilesError(
            f"{user.metadata_path}: {mine.neural_network} with {mine.n_actions} "
            f"{mine.action_space.kind} action(s) does not fit the model at {where}, trained with "
            f"{trained.neural_network} and {trained.n_actions} {trained.action_space.kind} "
            f"action(s); use another MODEL_S3_PREFIX or that model's model_metadata.json")
    if mine.training_algorithm != trained.training_algorithm:
        raise UserFilesError(
            f"{user.metadata_path}: training_algorithm {mine.training_algorithm!r} does not fit "
            f"the model at {where}, trained with {trained.training_algorithm!r}; use another "
            f"MODEL_S3_PREFIX or that model's model_metadata.json")
    if camera_obs_shape(mine.sensor).key != camera_obs_shape(trained.sensor).key:
        raise UserFilesError(
            f"{user.metadata_path}: sensor {list(mine.sensor)} does not match the network of the "
            f"model at {where}, trained with sensor {list(trained.sensor)}; the model and the "
            f"metadata do not match (use another MODEL_S3_PREFIX or that model's metadata)")


def upload_user_files(store, user: UserFiles) -> None:
    """Copy the files as given into the store (model/model_metadata.json, ip/, reward_function.py)."""
    store.put_file(user.reward_path, layout.REWARD_FUNCTION_KEY)
    store.put_file(user.metadata_path, layout.MODEL_METADATA_KEY)
    store.put_file(user.hyperparameters_path, layout.HYPERPARAMETERS_KEY)
