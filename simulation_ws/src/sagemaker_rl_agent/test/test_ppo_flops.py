"""FLOPs of the PPO update counted from the layer shapes, against a count by hand."""
import pytest

from markov.ppo.flops import nominal_peak, update_flops_per_sample

# DEEP_CONVOLUTIONAL_NETWORK_SHALLOW on 120x160x1, 'valid' padding: multiply-adds per sample
CONV0 = 29 * 39 * 32 * 8 * 8 * 1  # 8x8 stride 4 -> 29x39x32
CONV1 = 13 * 18 * 64 * 4 * 4 * 32  # 4x4 stride 2 -> 13x18x64
CONV2 = 11 * 16 * 64 * 3 * 3 * 64  # 3x3 stride 1 -> 11x16x64
DENSE = 11 * 16 * 64 * 512


def test_update_flops_of_the_shallow_network_match_a_count_by_hand():
    from markov.ppo import PPOPolicy

    policy = PPOPolicy("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", n_actions=7, seed=0)
    flops = update_flops_per_sample(policy, batch_size=64)
    rest = {"policy": CONV1 + CONV2 + DENSE + 512 * 7, "value": CONV1 + CONV2 + DENSE + 512}
    assert flops.forward == 2 * sum(CONV0 + r for r in rest.values()) == 88_965_120
    # weight gradients of every layer, input gradients of all but the first conv
    assert flops.backward == 2 * sum(CONV0 + 2 * r for r in rest.values())
    assert flops.parameters == sum(int(v.shape.num_elements()) for v in policy.trainable_variables)
    assert flops.optimizer == pytest.approx(10 * flops.parameters / 64)
    assert flops.total == pytest.approx(flops.forward + flops.backward + flops.optimizer)


@pytest.mark.parametrize("vendor, family, flags, per_cycle", [
    ("AuthenticAMD", "26", "fma avx avx2 avx512f", 64),  # Zen 5: 512-bit pipes
    ("AuthenticAMD", "25", "fma avx avx2 avx512f", 32),  # Zen 4: AVX-512 on 256-bit pipes
    ("GenuineIntel", "6", "fma avx avx2", 32),
    ("GenuineIntel", "6", "sse2", 8),
])
def test_nominal_peak_from_cpuinfo(vendor, family, flags, per_cycle):
    info = {"vendor_id": vendor, "cpu family": family, "flags": flags, "cpu MHz": "2500.0"}
    got, ghz, why = nominal_peak(info)
    assert (got, ghz) == (per_cycle, 2.5) and f"{per_cycle} float32 FLOPs/cycle" in why
