"""Freeze a PPO policy into DeepRacer's `model.pb`, and load one back (pure functions over files).

The frozen GraphDef takes float32 NHWC images [1, 120, 160, 1] of raw 0-255 values at
INPUT_NAME and gives, at OUTPUT_NAME, the softmax over the actions (continuous: the 2
Gaussian means in [-1, 1]). The names are the ones the car's model optimizer and the
community tools look for.

`freeze_policy(..., action_space=...)` also stores the action space the model was
trained with (model_metadata.json's `action_space_type` and `action_space`) as a
string constant at ACTION_SPACE_NODE, outside the policy's computation (OpenVINO
and TensorFlow readers of the output never see it). The car's model optimizer
compares it with the model_metadata.json it is given and refuses a mismatch
(e.g. continuous speed ranges that are not the ones the outputs were trained for).
"""
import json
from pathlib import Path

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

INPUT_NAME = "main_level/agent/main/online/network_0/FRONT_FACING_CAMERA/FRONT_FACING_CAMERA"
OUTPUT_NAME = "main_level/agent/main/online/network_1/ppo_head_0/policy"
INPUT_SHAPE = (1, 120, 160, 1)
STEREO_INPUT_NAME = "main_level/agent/main/online/network_0/STEREO_CAMERAS/STEREO_CAMERAS"
STEREO_INPUT_SHAPE = (1, 120, 160, 2)  # left, right grey views (markov.sensors)
ACTION_SPACE_NODE = "main_level/agent/main/online/network_1/ppo_head_0/action_space"
ACTION_SPACE_KEY = "deepracer_action_space"  # the constant's JSON: {ACTION_SPACE_KEY: {...}}


def _input_of(policy):
    """(input node name, shape) of a policy's model.pb: the stereo pair for 2-channel images."""
    shape = (1, *getattr(policy, "obs_shape", INPUT_SHAPE[1:]))
    return (STEREO_INPUT_NAME if shape == STEREO_INPUT_SHAPE else INPUT_NAME), shape


class FrozenGraphError(ValueError):
    """A model.pb that cannot be read or lacks the contract's input or output node."""


def _rename_node(graph_def, old, new):
    """Rename node `old` to `new` and every reference to it (`old`, `old:k`, `^old`)."""
    for node in graph_def.node:
        if node.name == old:
            node.name = new
        for i, ref in enumerate(node.input):
            bare, _, port = ref.lstrip("^").partition(":")
            if bare == old:
                node.input[i] = ("^" if ref.startswith("^") else "") + new + (f":{port}" if port else "")


def _prune(graph_def, output):
    """Keep only the nodes `output` depends on (drops the function's NoOp and Identity)."""
    nodes = {node.name: node for node in graph_def.node}
    keep, todo = set(), [output]
    while todo:
        name = todo.pop()
        if name not in keep:
            keep.add(name)
            todo.extend(ref.lstrip("^").partition(":")[0] for ref in nodes[name].input)
    pruned = tf.compat.v1.GraphDef()
    pruned.versions.CopyFrom(graph_def.versions)
    pruned.library.CopyFrom(graph_def.library)
    pruned.node.extend(node for node in graph_def.node if node.name in keep)
    return pruned


def _lidar_concrete(policy, layout):
    """The policy as a function of one input per sensor (DeepRacer's model.pb contract): the
    camera image [1, H, W, C] and the LIDAR vector [1, n], packed in the graph as the
    workers pack them (markov.sensors.NetworkInput; the LIDAR plane is not rounded here)."""
    from markov.sensors import OBSERVATION_SHAPES

    camera_shape = (1, *OBSERVATION_SHAPES[layout.camera][0])
    plane = layout[0] * layout[1]

    def policy_output(camera, lidar):
        values = tf.pad(lidar * 255.0, [[0, 0], [0, plane - layout.lidar_size]])
        packed = tf.concat([camera, tf.reshape(values, (-1, layout[0], layout[1], 1))], axis=-1)
        return tf.identity(policy.action_output(packed), name=OUTPUT_NAME)

    specs = [tf.TensorSpec(shape=camera_shape, dtype=tf.float32, name="camera"),
             tf.TensorSpec(shape=(1, layout.lidar_size), dtype=tf.float32, name="lidar")]
    concrete = tf.function(policy_output, input_signature=specs).get_concrete_function()
    return concrete, {"camera": input_name_of(layout.camera), "lidar": input_name_of(layout.lidar)}


def input_name_of(sensor):
    """A sensor's model.pb input node (markov.sensors.input_name)."""
    from markov.sensors import input_name

    return input_name(sensor)


def action_space_json(action_space) -> str:
    """The text stored at ACTION_SPACE_NODE for a markov.config.ActionSpace."""
    return json.dumps({ACTION_SPACE_KEY: {"action_space_type": action_space.kind,
                                          "action_space": action_space.to_json_value()}},
                      sort_keys=True)


def _add_action_space(graph_def, action_space):
    node = graph_def.node.add()
    node.name, node.op = ACTION_SPACE_NODE, "Const"
    node.attr["dtype"].type = tf.string.as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(action_space_json(action_space)))


def read_action_space(path):
    """The `{"action_space_type", "action_space"}` stored in a model.pb, or None if it has none."""
    for node in read_graph_def(path).node:
        if node.name == ACTION_SPACE_NODE:
            text = tf.make_ndarray(node.attr["value"].tensor).item().decode("utf-8")
            return json.loads(text)[ACTION_SPACE_KEY]
    return None


def freeze_policy(policy, path, action_space=None):
    """Write the policy's action output as a frozen GraphDef at `path`; return the path.

    A policy with a LIDAR (its layout a markov.sensors.NetworkInput with `lidar`) gets
    two inputs, the camera's and the LIDAR's, each under DeepRacer's name.
    `action_space` (a markov.config.ActionSpace) is stored at ACTION_SPACE_NODE when given.
    """
    def policy_output(image):
        return tf.identity(policy.action_output(image), name=OUTPUT_NAME)

    layout = getattr(policy, "layout", None)
    if getattr(layout, "lidar", None):
        concrete, renames = _lidar_concrete(policy, layout)
    else:
        input_name, input_shape = _input_of(policy)
        spec = tf.TensorSpec(shape=input_shape, dtype=tf.float32, name=input_name)
        concrete = tf.function(policy_output, input_signature=[spec]).get_concrete_function()
        renames = None
    graph_def = convert_variables_to_constants_v2(concrete).graph.as_graph_def()
    placeholders = [n.name for n in graph_def.node if n.op == "Placeholder"]
    if renames is not None:
        if sorted(placeholders) != sorted(renames):
            raise FrozenGraphError(f"freeze_policy: expected input placeholders {sorted(renames)}, "
                                   f"found {placeholders}")
        for old, new in renames.items():
            _rename_node(graph_def, old, new)
    elif len(placeholders) != 1:
        raise FrozenGraphError(f"freeze_policy: expected one input placeholder, found {placeholders}")
    elif placeholders[0] != input_name:
        _rename_node(graph_def, placeholders[0], input_name)
    if OUTPUT_NAME not in {n.name for n in graph_def.node}:
        raise FrozenGraphError(f"freeze_policy: output node {OUTPUT_NAME} missing from the frozen graph")
    graph_def = _prune(graph_def, OUTPUT_NAME)
    if action_space is not None:
        _add_action_space(graph_def, action_space)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")  # a reader never sees half a file
    partial.write_bytes(graph_def.SerializeToString())
    partial.replace(path)
    return path


def read_graph_def(path):
    """The GraphDef in `path`; raises FrozenGraphError naming the file if it is not one."""
    graph_def = tf.compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(Path(path).read_bytes())
    except DecodeError as error:
        raise FrozenGraphError(f"{path}: not a TensorFlow GraphDef ({error})") from None
    return graph_def


class FrozenPolicy:
    """A model.pb loaded with tf.compat.v1 import_graph_def into its own graph and session."""

    def __init__(self, path):
        from markov.sensors import SENSORS, input_name as sensor_input

        graph_def = read_graph_def(path)
        names = {node.name for node in graph_def.node}
        input_name, self.input_shape = INPUT_NAME, INPUT_SHAPE
        if INPUT_NAME not in names and STEREO_INPUT_NAME in names:
            input_name, self.input_shape = STEREO_INPUT_NAME, STEREO_INPUT_SHAPE
        for name in (input_name, OUTPUT_NAME):
            if name not in names:
                raise FrozenGraphError(f"{path}: node {name} not found in the graph")
        self.sensors = tuple(s for s in SENSORS if sensor_input(s) in names)  # model.pb's inputs
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
        self._input = self.graph.get_tensor_by_name(f"{input_name}:0")
        self._inputs = {s: self.graph.get_tensor_by_name(f"{sensor_input(s)}:0") for s in self.sensors}
        self._output = self.graph.get_tensor_by_name(f"{OUTPUT_NAME}:0")
        self._session = tf.compat.v1.Session(graph=self.graph)

    def __call__(self, image):
        """Run the graph on one image [1, 120, 160, 1] or [120, 160, 1] of raw 0-255 values;
        for a model with several inputs (a LIDAR), a dict sensor -> array (batch of 1)."""
        if isinstance(image, dict):
            if set(image) != set(self.sensors):
                raise ValueError(f"FrozenPolicy: inputs for {sorted(image)} given, the model "
                                 f"takes {list(self.sensors)}")
            feed = {self._inputs[s]: np.asarray(v, np.float32).reshape(self._inputs[s].shape.as_list())
                    for s, v in image.items()}
            return self._session.run(self._output, feed)
        feed = np.asarray(image, dtype=np.float32)
        shape = self.input_shape
        if feed.shape not in (shape, shape[1:]):
            raise ValueError(f"FrozenPolicy: image must have shape {shape}, got {feed.shape}")
        feed = feed.reshape(shape)
        return self._session.run(self._output, {self._input: feed})

    def close(self):
        """Release the session."""
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def load_frozen(path):
    """Load `path` (a model.pb) as a FrozenPolicy callable: image -> probabilities or means."""
    return FrozenPolicy(path)
