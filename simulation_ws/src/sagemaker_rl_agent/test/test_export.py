"""model.pb export round trip: Keras policy = frozen graph = OpenVINO on the same images."""
import numpy as np
import pytest

from markov.export import (INPUT_NAME, OUTPUT_NAME, FrozenGraphError, freeze_policy, load_frozen,
                           read_graph_def)
from markov.ppo.policy import PPOPolicy

SHALLOW = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"


def spread_policy(**kind):
    """A policy whose head is scaled up so its outputs are far from uniform (a sharper comparison)."""
    policy = PPOPolicy(SHALLOW, seed=3, **kind)
    layer = policy.policy_net.get_layer("gaussian_head").dense if "continuous" in kind \
        else policy.policy_net.get_layer("logits")
    layer.kernel.assign(layer.kernel * 100.0)
    return policy


def random_images(n):
    return np.random.default_rng(0).integers(0, 256, (n, 1, 120, 160, 1)).astype(np.float32)


def simulator_image():
    """A grey camera frame from the built-in simulator, or None where it is not importable."""
    try:
        from deepracer_simulation.car_model import load_car_model
        from deepracer_simulation.routes import load_route
        from deepracer_simulation.track import Track
        from deepracer_simulator.simulator import Simulator
    except ImportError:
        return None
    sim = Simulator(Track(load_route("reInvent2019_track")), load_car_model(), seed=0)
    return sim.render_gray().reshape(1, 120, 160, 1).astype(np.float32)


@pytest.fixture(scope="module", params=[{"n_actions": 5}, {"continuous": True}],
                ids=["discrete", "continuous"])
def exported(request, tmp_path_factory):
    policy = spread_policy(**request.param)
    path = freeze_policy(policy, tmp_path_factory.mktemp("model") / "agent" / "model.pb")
    return policy, path


def test_frozen_graph_has_the_contract_node_names(exported):
    policy, path = exported
    nodes = {node.name: node for node in read_graph_def(path).node}
    placeholders = [name for name, node in nodes.items() if node.op == "Placeholder"]
    assert placeholders == [INPUT_NAME]
    assert INPUT_NAME == "main_level/agent/main/online/network_0/FRONT_FACING_CAMERA/FRONT_FACING_CAMERA"
    assert OUTPUT_NAME == "main_level/agent/main/online/network_1/ppo_head_0/policy"
    assert [d.size for d in nodes[INPUT_NAME].attr["shape"].shape.dim] == [1, 120, 160, 1]
    assert OUTPUT_NAME in nodes
    assert not any(node.op in ("VarHandleOp", "ReadVariableOp") for node in nodes.values())


def test_frozen_graph_matches_the_keras_policy(exported):
    policy, path = exported
    frozen = load_frozen(path)
    frames = list(random_images(4))
    sim = simulator_image()
    if sim is not None:
        frames.append(sim)
    for image in frames:
        expected = policy.action_output(image).numpy()
        np.testing.assert_allclose(frozen(image), expected, rtol=0, atol=1e-5)
    width = 2 if policy.continuous else 5
    assert expected.shape == (1, width)
    if not policy.continuous:
        assert expected.max() - expected.min() > 0.05  # the comparison is not between flat outputs
        np.testing.assert_allclose(expected.sum(), 1.0, atol=1e-6)
    frozen.close()


def test_openvino_converts_and_matches(exported):
    ov = pytest.importorskip("openvino")
    policy, path = exported
    model = ov.convert_model(str(path), input=[1, 120, 160, 1])
    assert f"{INPUT_NAME}:0" in model.inputs[0].get_names()
    assert f"{OUTPUT_NAME}:0" in model.outputs[0].get_names()
    # f32: the CPU plugin defaults to bf16 on CPUs with bf16 units, which is ~1e-3 off
    compiled = ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    for image in random_images(2):
        np.testing.assert_allclose(compiled(image)[0], policy.action_output(image).numpy(), rtol=0, atol=1e-5)


def test_load_frozen_names_bad_files(tmp_path):
    garbage = tmp_path / "model.pb"
    garbage.write_bytes(b"\xff not a graph")
    with pytest.raises(FrozenGraphError, match="model.pb"):
        load_frozen(garbage)
    empty = tmp_path / "empty.pb"
    empty.write_bytes(b"")
    with pytest.raises(FrozenGraphError, match="FRONT_FACING_CAMERA"):
        load_frozen(empty)


def test_renaming_an_input_updates_every_reference():
    tf = pytest.importorskip("tensorflow")
    from markov.export import _rename_node
    graph_def = tf.compat.v1.GraphDef()
    graph_def.node.add(name="image", op="Placeholder")
    graph_def.node.add(name="scaled", op="Mul", input=["image", "image:0"])
    graph_def.node.add(name="done", op="NoOp", input=["^image"])
    _rename_node(graph_def, "image", INPUT_NAME)
    assert [n.name for n in graph_def.node] == [INPUT_NAME, "scaled", "done"]
    assert list(graph_def.node[1].input) == [INPUT_NAME, f"{INPUT_NAME}:0"]
    assert list(graph_def.node[2].input) == [f"^{INPUT_NAME}"]
