"""The convolutional towers named in model_metadata.json's `neural_network`.

A tower maps float32 NHWC images of raw 0-255 values, shape (B, 120, 160, 1), to a
feature vector; it scales its input by 1/255 itself.
"""
import math

import keras
import numpy as np

OBS_SHAPE = (120, 160, 1)

# name: (conv layers as (filters, kernel, stride), dense layer widths)
_ARCHITECTURES = {
    "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW": (((32, 8, 4), (64, 4, 2), (64, 3, 1)), (512,)),
    "DEEP_CONVOLUTIONAL_NETWORK": (((32, 8, 4), (32, 4, 2), (64, 4, 2), (64, 3, 1), (128, 3, 1)),
                                   (512,)),
    "DEEP_CONVOLUTIONAL_NETWORK_DEEP": (((32, 5, 2), (32, 3, 1), (64, 3, 2), (64, 3, 1),
                                        (128, 3, 2), (128, 3, 1), (128, 3, 1)), (512, 512)),
}
NETWORK_NAMES = tuple(_ARCHITECTURES)


class UnknownNetworkError(ValueError):
    """A `neural_network` name that is not one of NETWORK_NAMES."""


def seed_stream(seed):
    """Endless distinct int seeds for Keras initializers (None: fresh randomness each)."""
    rng = np.random.default_rng(seed)
    while True:
        yield None if seed is None else int(rng.integers(2**31 - 1))


def make_network(name, seed=None, prefix="tower", input_shape=OBS_SHAPE):
    """A Keras Sequential tower for network `name`; `seed` fixes its initial weights.

    `input_shape` (H, W, C): C = 2 for STEREO_CAMERAS (markov.sensors).
    """
    if name not in _ARCHITECTURES:
        raise UnknownNetworkError(f"unknown neural_network {name!r}; accepted: {', '.join(NETWORK_NAMES)}")
    convs, denses = _ARCHITECTURES[name]
    seeds = seed_stream(seed)
    layers = [keras.Input(tuple(input_shape), dtype="float32"), keras.layers.Rescaling(1.0 / 255.0)]
    for i, (filters, kernel, stride) in enumerate(convs):
        layers.append(keras.layers.Conv2D(
            filters, kernel, strides=stride, activation="relu", name=f"{prefix}_conv{i}",
            kernel_initializer=keras.initializers.Orthogonal(math.sqrt(2.0), seed=next(seeds))))
    layers.append(keras.layers.Flatten())
    for i, width in enumerate(denses):  # He init: an orthogonal (11264, 512) takes seconds to draw
        layers.append(keras.layers.Dense(
            width, activation="relu", name=f"{prefix}_dense{i}",
            kernel_initializer=keras.initializers.HeNormal(seed=next(seeds))))
    return keras.Sequential(layers, name=prefix)


LIDAR_LAYERS = (256, 256)  # the LIDAR embedder: dense ReLU layers on the LIDAR vector


@keras.saving.register_keras_serializable(package="markov")
class SplitPacked(keras.layers.Layer):
    """Splits a packed observation (B, H, W, C + 1) of raw 0-255 values (markov.sensors
    NetworkInput) into the camera image (B, H, W, C), still 0-255, and the LIDAR vector
    (B, lidar_size), back in its own units (the plane's first values / 255)."""

    def __init__(self, camera_channels, lidar_size, **kwargs):
        super().__init__(**kwargs)
        self.camera_channels, self.lidar_size = int(camera_channels), int(lidar_size)

    def call(self, packed):
        camera = packed[..., :self.camera_channels]
        plane = keras.ops.reshape(packed[..., self.camera_channels], (-1, packed.shape[1] * packed.shape[2]))
        return camera, plane[:, :self.lidar_size] / 255.0

    def get_config(self):
        return {**super().get_config(), "camera_channels": self.camera_channels,
                "lidar_size": self.lidar_size}


def make_lidar_embedder(size, seed=None, prefix="lidar"):
    """A Keras Sequential on the LIDAR vector (B, size): LIDAR_LAYERS dense ReLU layers."""
    seeds = seed_stream(seed)
    layers = [keras.Input((int(size),), dtype="float32")]
    for i, width in enumerate(LIDAR_LAYERS):
        layers.append(keras.layers.Dense(
            width, activation="relu", name=f"{prefix}_dense{i}",
            kernel_initializer=keras.initializers.Orthogonal(math.sqrt(2.0), seed=next(seeds))))
    return keras.Sequential(layers, name=prefix)


def make_features(name, inputs, seed=None, prefix="tower", layout=OBS_SHAPE):
    """Feature vector of the observation tensor `inputs` (B, *layout): the camera tower alone,
    or, for a layout with a LIDAR (markov.sensors.NetworkInput), the camera tower on the
    camera channels concatenated with the LIDAR embedder on the LIDAR vector."""
    lidar_size = getattr(layout, "lidar_size", 0)
    if not lidar_size:
        return make_network(name, seed=seed, prefix=prefix, input_shape=tuple(layout))(inputs)
    seeds = seed_stream(seed)
    channels = layout.camera_channels
    camera, lidar = SplitPacked(channels, lidar_size, name=f"{prefix}_split")(inputs)
    image = make_network(name, seed=next(seeds), prefix=prefix,
                         input_shape=(layout[0], layout[1], channels))(camera)
    embedded = make_lidar_embedder(lidar_size, seed=next(seeds), prefix=f"{prefix}_lidar")(lidar)
    return keras.layers.Concatenate(name=f"{prefix}_merge")([image, embedded])
