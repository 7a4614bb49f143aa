"""Write a DeepRacer-shaped frozen graph with random weights (for tests, demos, benchmarks).

The graph has the contract's input and output nodes: float32 [1, 120, 160, 1] raw
0-255 values in, softmax over `n_outputs` actions (or 2 tanh means, continuous) out.
Networks: "shallow" is DEEP_CONVOLUTIONAL_NETWORK_SHALLOW (conv 32x8x8/4, 64x4x4/2,
64x3x3/1, dense 512); "tiny" (conv 8x8x8/4, 16x4x4/2, global mean) converts in a blink.
Needs TensorFlow (not needed on the car).
"""
from pathlib import Path

import numpy as np

from model_optimizer.convert import INPUT_NAME, INPUT_SHAPE, OUTPUT_NAME
from model_optimizer.sensors import CAMERA_SENSORS, FRONT_FACING_CAMERA, model_inputs

_CONVS = {  # network -> [(filters, kernel, stride)]
    "shallow": [(32, 8, 4), (64, 4, 2), (64, 3, 1)],
    "tiny": [(8, 8, 4), (16, 4, 2)],
}


def _weights(rng, shape, fan_in, gain=2.0):
    return (rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32)


def sample_graph_def(n_outputs, continuous=False, network="tiny", seed=0,
                     sensors=(FRONT_FACING_CAMERA,)):
    """The GraphDef of a random policy network (He-normal weights from `seed`).

    `sensors` other than the single front camera give one input per sensor
    (model_optimizer.sensors), each through its own tower, concatenated.
    """
    import tensorflow as tf

    if network not in _CONVS:
        raise ValueError(f"network must be one of {', '.join(_CONVS)}, got {network!r}")
    if tuple(sensors) != (FRONT_FACING_CAMERA,):
        return _multi_sensor_graph_def(n_outputs, continuous, network, seed, sensors)
    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, INPUT_SHAPE, name=INPUT_NAME) / 255.0
        channels = 1
        for filters, kernel, stride in _CONVS[network]:
            w = _weights(rng, (kernel, kernel, channels, filters), kernel * kernel * channels)
            x = tf.nn.relu(tf.nn.conv2d(x, w, stride, "VALID") + 0.1)
            channels = filters
        if network == "tiny":
            x = tf.reduce_mean(x, axis=[1, 2])
        else:
            x = tf.reshape(x, [1, -1])
            x = tf.nn.relu(tf.matmul(x, _weights(rng, (x.shape[1], 512), x.shape[1])))
        logits = tf.matmul(x, _weights(rng, (x.shape[1], n_outputs), x.shape[1], gain=4.0))
        out = tf.tanh(logits) if continuous else tf.nn.softmax(logits)
        tf.identity(out, name=OUTPUT_NAME)
    return graph.as_graph_def()


def _multi_sensor_graph_def(n_outputs, continuous, network, seed, sensors):
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    with graph.as_default():
        features = []
        for sensor, (name, shape) in zip(sensors, model_inputs(sensors)):
            x = tf.compat.v1.placeholder(tf.float32, shape, name=name)
            if sensor in CAMERA_SENSORS:
                x, channels = x / 255.0, shape[-1]
                for filters, kernel, stride in _CONVS[network]:
                    w = _weights(rng, (kernel, kernel, channels, filters), kernel * kernel * channels)
                    x = tf.nn.relu(tf.nn.conv2d(x, w, stride, "VALID") + 0.1)
                    channels = filters
                x = tf.reduce_mean(x, axis=[1, 2])
            else:
                x = tf.nn.relu(tf.matmul(x, _weights(rng, (shape[1], 32), shape[1])))
            features.append(x)
        x = tf.concat(features, axis=1)
        logits = tf.matmul(x, _weights(rng, (x.shape[1], n_outputs), x.shape[1], gain=4.0))
        out = tf.tanh(logits) if continuous else tf.nn.softmax(logits)
        tf.identity(out, name=OUTPUT_NAME)
    return graph.as_graph_def()


def write_sample_model(path, n_outputs, continuous=False, network="tiny", seed=0,
                       sensors=(FRONT_FACING_CAMERA,)) -> Path:
    """Write the random policy network as a frozen model.pb at `path`; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sample_graph_def(n_outputs, continuous, network, seed, sensors).SerializeToString())
    return path
