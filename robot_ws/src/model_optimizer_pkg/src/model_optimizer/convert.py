"""model.pb (or model.tar.gz) -> OpenVINO IR (model.xml + model.bin), checked against its metadata.

Pure functions over files. The frozen graph must have DeepRacer's input node (float32
NHWC [1, 120, 160, 1], raw 0-255 values) and policy output node, and the output must
have one value per action (discrete) or 2 values (continuous). A model.pb that stores the
action space it was trained with (model_optimizer.trained_space) must match its metadata.
"""
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from model_optimizer.archive import METADATA_NAME, ModelError, extract_graph, metadata_text
from model_optimizer.metadata import FRONT_FACING_CAMERA, load_model_metadata
from model_optimizer.sensors import input_name, model_inputs, sensors_of_inputs
from model_optimizer.trained_space import check_trained_action_space

INPUT_NAME = "main_level/agent/main/online/network_0/FRONT_FACING_CAMERA/FRONT_FACING_CAMERA"
OUTPUT_NAME = "main_level/agent/main/online/network_1/ppo_head_0/policy"
INPUT_SHAPE = [1, 120, 160, 1]  # NHWC, one grayscale 160x120 frame
PRECISIONS = ("FP32", "FP16")  # FP16 stores the weights in half precision


def _check_precision(precision) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return precision


def check_graph(pb_path, sensors=(FRONT_FACING_CAMERA,), metadata_source=None) -> None:
    """Raise ModelError naming the file unless it is a frozen graph with the contract's nodes.

    `sensors` (model_metadata.json's list, read from `metadata_source`) must be
    exactly the sensors whose DeepRacer input nodes the graph has.
    """
    from openvino.frontend import FrontEndManager

    frontend = FrontEndManager().load_by_framework("tf")
    try:
        graph = frontend.load(str(pb_path))
    except Exception as error:  # OpenVINO raises GeneralFailure, a bare Exception subclass
        raise ModelError(f"{pb_path}: not a TensorFlow frozen graph "
                         f"({str(error).strip().splitlines()[-1]})") from None
    _check_sensor_inputs(graph, pb_path, sensors, metadata_source)
    for kind, name in [("input", input_name(s)) for s in sensors] + [("output", OUTPUT_NAME)]:
        if graph.get_place_by_tensor_name(name) is None:
            raise ModelError(f"{pb_path}: the graph has no {kind} node {name} "
                             f"(is it a DeepRacer {'+'.join(sensors)} model?)")


def _check_sensor_inputs(graph, pb_path, sensors, metadata_source) -> None:
    names = [n for place in graph.get_inputs() for n in place.get_names()]
    found = sensors_of_inputs(names)
    if found and sorted(found) != sorted(sensors):  # none found: the node check names it
        where = metadata_source or "model_metadata.json"
        raise ModelError(f"{pb_path}: the network's inputs are for sensors {found} but "
                         f"{where} lists sensor {list(sensors)}; the model and its metadata "
                         f"do not match")


def _has_name(port, name) -> bool:
    names = port.get_names()
    return name in names or f"{name}:0" in names


def _to_openvino(pb_path, sensors=(FRONT_FACING_CAMERA,)):
    """The OpenVINO model of the graph, cut to the policy output."""
    import openvino as ov

    if tuple(sensors) != (FRONT_FACING_CAMERA,):
        return _to_openvino_multi(pb_path, sensors)
    try:
        model = ov.convert_model(str(pb_path), input=INPUT_SHAPE)
    except Exception as error:  # ovc raises plain Exception with the reason on the last line
        raise ModelError(f"{pb_path}: OpenVINO cannot convert it with input shape {INPUT_SHAPE} "
                         f"({str(error).strip().splitlines()[-1]})") from None
    if len(model.inputs) != 1 or not _has_name(model.input(0), INPUT_NAME):
        raise ModelError(f"{pb_path}: expected one input {INPUT_NAME}, got "
                         f"{[sorted(p.get_names()) for p in model.inputs]}")
    policy = [port for port in model.outputs if _has_name(port, OUTPUT_NAME)]
    if not policy:
        raise ModelError(f"{pb_path}: {OUTPUT_NAME} is not an output of the graph (other nodes "
                         f"consume it); freeze the graph with it as the output")
    if len(model.outputs) > 1:
        model = ov.Model([policy[0]], model.get_parameters(), model.get_friendly_name())
    return model


def _to_openvino_multi(pb_path, sensors):
    """`_to_openvino` for a model with one input per sensor (stereo, LIDAR)."""
    import openvino as ov

    inputs = model_inputs(sensors)
    try:
        model = ov.convert_model(str(pb_path), input=[(f"{name}:0", shape) for name, shape in inputs])
    except Exception as error:
        raise ModelError(f"{pb_path}: OpenVINO cannot convert it with inputs {inputs} "
                         f"({str(error).strip().splitlines()[-1]})") from None
    policy = [port for port in model.outputs if _has_name(port, OUTPUT_NAME)]
    if not policy:
        raise ModelError(f"{pb_path}: {OUTPUT_NAME} is not an output of the graph")
    if len(model.outputs) > 1:
        model = ov.Model([policy[0]], model.get_parameters(), model.get_friendly_name())
    return model


def _output_size(model, pb_path) -> int:
    shape = model.output(0).get_partial_shape()
    if shape.is_dynamic or len(shape) != 2 or shape[0].get_length() != 1:
        raise ModelError(f"{pb_path}: {OUTPUT_NAME} should have shape [1, N], got {shape}")
    return shape[1].get_length()


def convert(model_path, out_dir, precision="FP32", metadata_path=None):
    """Convert model.pb or model.tar.gz to IR in `out_dir`; return (xml_path, bin_path).

    The metadata (`metadata_path`, else the archive's, else model_metadata.json beside
    model.pb) is checked against the graph and copied beside the IR.
    """
    import openvino as ov

    _check_precision(precision)
    source, text = metadata_text(model_path, metadata_path)
    metadata = load_model_metadata(source, text=text)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:
        pb_path = extract_graph(model_path, scratch)
        shown = model_path if pb_path.parent == Path(scratch) else pb_path
        check_graph(pb_path, metadata.sensor, source)
        check_trained_action_space(pb_path.read_bytes(), shown, text, source)
        model = _to_openvino(pb_path, metadata.sensor)
        size, expected = _output_size(model, shown), metadata.action_space.n_outputs
        if size != expected:
            what = (f"the continuous action space of {source} needs 2 (steering, speed)"
                    if metadata.action_space.kind == "continuous" else f"{source} lists {expected} actions")
            raise ModelError(f"{shown}: the policy outputs {size} values per image but {what}")
        stem = "model" if pb_path.parent == Path(scratch) else pb_path.stem
        xml_path = out_dir / f"{stem}.xml"
        ov.save_model(model, str(xml_path), compress_to_fp16=precision == "FP16")
    (out_dir / METADATA_NAME).write_text(text)
    return xml_path, xml_path.with_suffix(".bin")


def ensure_ir(model_path, cache_dir, precision="FP32", metadata_path=None) -> Path:
    """An IR .xml for `model_path`: itself if it is one, else a cached conversion in cache_dir.

    The cache key hashes the model file, the metadata text, the precision and the
    OpenVINO version, so a changed model is converted again.
    """
    import openvino as ov

    model_path = Path(model_path)
    if model_path.suffix == ".xml":
        if not model_path.is_file():
            raise ModelError(f"{model_path}: no such file")
        return model_path
    _check_precision(precision)
    if not model_path.is_file():
        raise ModelError(f"{model_path}: no such file")
    _, text = metadata_text(model_path, metadata_path)
    digest = hashlib.sha256(model_path.read_bytes())
    digest.update(f"\0{text}\0{precision}\0{ov.__version__}".encode())
    target = Path(cache_dir) / f"{model_path.name.split('.')[0]}-{precision}-{digest.hexdigest()[:16]}"
    done = sorted(target.glob("*.xml"))
    if done and done[0].with_suffix(".bin").is_file():
        return done[0]
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".converting-", dir=cache_dir))
    try:
        xml_path, _ = convert(model_path, partial, precision, metadata_path)
        try:
            os.rename(partial, target)
        except OSError:
            if not target.is_dir():
                raise
        return target / xml_path.name  # another process may have converted it first: same name
    finally:
        shutil.rmtree(partial, ignore_errors=True)
