"""FLOPs of the PPO networks, counted from their layer shapes, and the CPU's nominal peak.

`forward_flops(model)`: floating-point operations of one sample through a Keras model's
convolutions and dense layers (2 per multiply-add; the bias adds, ReLUs, the 1/255
scaling and the softmax are left out: together well under 1% for the shipped network).
`update_flops_per_sample(policy, batch_size)`: one sample's share of a PPO update step:
the forward pass of the policy and value networks, the backward pass (the weight gradient
of every layer costs its forward pass again, the input gradient too, except for each
tower's first layer, whose input is the image) and the Adam step (about 10 operations per
parameter per minibatch). `nominal_peak()`: float32 FLOPs per cycle per core from
/proc/cpuinfo's flags and family, and the clock it reports. No TensorFlow import here:
the model objects come from the caller.
"""
from dataclasses import dataclass
from typing import Dict, Optional

ADAM_FLOPS_PER_PARAMETER = 10  # m, v, bias corrections, sqrt, divide, step


def _dims(shape):
    return [int(d) for d in shape[1:]]


def _layer_flops(layer):
    """(forward FLOPs per sample, whether it is a weighted layer) of one Keras layer."""
    kind = type(layer).__name__
    if kind == "Conv2D":
        out_h, out_w, filters = _dims(layer.output.shape)
        in_channels = _dims(layer.input.shape)[-1]
        kh, kw = layer.kernel_size
        return 2 * out_h * out_w * filters * kh * kw * in_channels, True
    if kind == "Dense":
        return 2 * _dims(layer.input.shape)[-1] * int(layer.units), True
    return 0, False


def _weighted_layers(model):
    """(layer, forward FLOPs) of every conv/dense layer, nested models flattened, in order."""
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            out += _weighted_layers(layer)
        else:
            flops, weighted = _layer_flops(layer)
            if weighted:
                out.append((layer, flops))
    return out


def forward_flops(model) -> int:
    """FLOPs of one sample's forward pass through `model`'s conv and dense layers."""
    return sum(flops for _, flops in _weighted_layers(model))


@dataclass(frozen=True)
class UpdateFlops:
    """One sample's FLOPs in a PPO update step (policy and value networks together)."""

    forward: int  # both networks' forward passes
    backward: int  # weight and input gradients
    optimizer: float  # Adam step over all parameters, divided by the minibatch size
    parameters: int  # trainable parameters of both networks

    @property
    def total(self) -> float:
        return self.forward + self.backward + self.optimizer


def update_flops_per_sample(policy, batch_size: int) -> UpdateFlops:
    """FLOPs per sample of PPOTrainer's update step for `policy` (a PPOPolicy)."""
    forward = backward = 0
    for model in (policy.policy_net, policy.value_net):
        layers = _weighted_layers(model)
        for i, (_, flops) in enumerate(layers):
            forward += flops
            backward += flops if i == 0 else 2 * flops  # no input gradient for the image
    parameters = sum(int(v.shape.num_elements()) for v in policy.trainable_variables)
    return UpdateFlops(forward, backward, ADAM_FLOPS_PER_PARAMETER * parameters / batch_size,
                       parameters)


def cpu_info(path="/proc/cpuinfo") -> Dict[str, str]:
    """The first processor's fields of /proc/cpuinfo."""
    info = {}
    with open(path) as f:
        for line in f:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
    return info


def nominal_peak(info: Optional[Dict[str, str]] = None):
    """(float32 FLOPs per cycle per core, clock GHz, how it was derived) from cpuinfo.

    Two FMA pipes per core (every x86 server core of the last decade); each as wide as the
    widest vector the flags allow, except AMD Zen 4 (family 25 with AVX-512), which runs
    512-bit operations on 256-bit pipes. An FMA is 2 FLOPs per float32 lane.
    """
    info = cpu_info() if info is None else info
    flags = set(info.get("flags", "").split())
    bits = 512 if "avx512f" in flags else 256 if "avx" in flags else 128
    vendor, family = info.get("vendor_id", ""), int(info.get("cpu family", "0") or 0)
    note = f"{bits}-bit vectors"
    if bits == 512 and vendor == "AuthenticAMD" and family == 25:
        bits, note = 256, "AVX-512 on 256-bit pipes (AMD family 25, Zen 4)"
    fma = "fma" in flags
    per_cycle = 2 * (bits // 32) * (2 if fma else 1)
    ghz = float(info.get("cpu MHz", "0") or 0) / 1000.0
    why = (f"{vendor} family {family}, {note}, {'2 FMA pipes' if fma else 'no FMA'}: "
           f"{per_cycle} float32 FLOPs/cycle at {ghz:.2f} GHz")
    return per_cycle, ghz, why
