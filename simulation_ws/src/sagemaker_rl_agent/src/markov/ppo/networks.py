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
