"""Suite "update": the PPO update's throughput on one core against the hardware (Build 3).

    .venv/bin/python scripts/benchmark.py update            # ~1 min

update_flops_per_sample: one sample's FLOPs in the update step of the shipped network
(policy and value towers: forward, backward, Adam), counted from the layer shapes
(markov.ppo.flops); update_flops_per_sample_tf: TensorFlow's own count of the same
step's graph (its profiler; null when it cannot count). update_samples_per_s: samples
(x epochs) per second of PPOTrainer.update on one core; update_gflops_per_s = the two
multiplied. peak_matmul_gflops_per_s: a float32 matmul of --matmul x --matmul in
TensorFlow on one core (the practical peak); cpu_nominal_gflops_per_s: FLOPs per cycle
from /proc/cpuinfo's flags times its clock. update_fraction_of_peak: update over the
matmul peak; update_fraction_of_nominal: over the nominal figure. The *_cpu_s figures
divide by the process's CPU time instead of the wall time (on a shared machine the core
is not all ours; update_cores_used says how much of it we had).
"""


def _options(parser):
    parser.add_argument("--samples", type=bench.positive_int, default=640,
                        help="samples in the timed update (one epoch, minibatches of 64)")
    parser.add_argument("--matmul", type=bench.positive_int, default=2048,
                        help="size of the square float32 matmul of the peak figure")


bench.suite("update", "PPO update throughput (one core) against the machine's peak FLOP/s",
            _options)

_FIGURES = {}


def _policy():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.config import load_model_metadata
    from markov.envs.defaults import MODEL_METADATA, shipped_config
    from markov.ppo import PPOPolicy

    metadata = load_model_metadata(shipped_config(MODEL_METADATA))
    return PPOPolicy(metadata.neural_network, n_actions=metadata.n_actions, seed=0)


def _tf_profiler_flops(trainer, batch):
    """TensorFlow's FLOP count of one update step on `batch` samples, per sample (None: the
    profiler could not count)."""
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    policy = trainer.policy
    actions = tf.TensorSpec([batch], tf.int64)
    vector = tf.TensorSpec([batch], tf.float32)
    graph = tf.function(trainer._train_step).get_concrete_function(
        tf.TensorSpec([batch, *policy.obs_shape], tf.uint8), actions, vector, vector, vector).graph
    options = option_builder.ProfileOptionBuilder(
        option_builder.ProfileOptionBuilder.float_operation()).with_empty_output().build()
    level = tf.get_logger().level
    tf.get_logger().setLevel("ERROR")  # its TF1 graph helpers warn that they are deprecated
    try:
        total = model_analyzer.profile(graph, options=options).total_float_ops
    except Exception:  # noqa: BLE001 - the profiler is an optional cross-check
        return None
    finally:
        tf.get_logger().setLevel(level)
    return total / batch if total else None


@bench.benchmark("update", "update_flops_per_sample")
def update_flops_per_sample(args):
    from markov.ppo import PPOConfig, PPOTrainer
    from markov.ppo.flops import update_flops_per_sample as count

    policy = _policy()
    trainer = PPOTrainer(policy, PPOConfig(num_epochs=1), seed=0)
    flops = count(policy, trainer.config.batch_size)
    _FIGURES["flops"] = flops.total
    yield "update_flops_per_sample", flops.total, "FLOPs"
    yield "update_forward_flops_per_sample", flops.forward, "FLOPs"
    yield "update_parameters", flops.parameters, "parameters"
    yield "update_flops_per_sample_tf", _tf_profiler_flops(trainer, trainer.config.batch_size), \
        "FLOPs"


@bench.benchmark("update", "update_samples_per_s")
def update_samples_per_s(args):
    import time

    import numpy as np

    from markov.ppo import PPOConfig, PPOTrainer
    from markov.ppo.buffer import RolloutBuffer

    policy = _policy()
    trainer = PPOTrainer(policy, PPOConfig(num_epochs=1), seed=0)
    rng = np.random.default_rng(0)
    n = args.samples
    obs = rng.integers(0, 256, (n, *policy.obs_shape), dtype=np.uint8)
    actions = rng.integers(0, policy.n_actions, n)
    buffer = RolloutBuffer.from_arrays(obs, actions, np.full(n, -1.9, np.float32),
                                       rng.normal(size=n).astype(np.float32),
                                       rng.normal(size=n), np.arange(n) % 100 == 99)
    trainer.update(RolloutBuffer.from_arrays(  # traces the step first (not timed)
        obs[:64], actions[:64], np.full(64, -1.9, np.float32), np.zeros(64, np.float32),
        np.zeros(64), np.ones(64, bool)))
    cpu, wall = time.process_time(), time.perf_counter()
    rate = trainer.update(buffer)["samples_per_s"]
    cores = (time.process_time() - cpu) / (time.perf_counter() - wall)
    _FIGURES["rate"] = rate
    yield "update_samples_per_s", rate, "samples/s"
    yield "update_cores_used", cores, "cores"  # below 1: others took part of the core
    if "flops" in _FIGURES:
        _FIGURES["gflops"] = rate * _FIGURES["flops"] / 1e9
        _FIGURES["gflops_cpu"] = _FIGURES["gflops"] / cores
        yield "update_gflops_per_s", _FIGURES["gflops"], "GFLOP/s"
        yield "update_gflops_per_cpu_s", _FIGURES["gflops_cpu"], "GFLOP/cpu-s"


@bench.benchmark("update", "peak_matmul_gflops_per_s")
def peak_matmul_gflops_per_s(args):
    import time

    import tensorflow as tf

    from markov.ppo.flops import nominal_peak

    n = args.matmul
    a = tf.random.uniform((n, n), dtype=tf.float32, seed=1)
    b = tf.random.uniform((n, n), dtype=tf.float32, seed=2)
    matmul = tf.function(tf.linalg.matmul)
    matmul(a, b).numpy()
    best = best_cpu = 0.0
    for _ in range(5):
        start, cpu = time.perf_counter(), time.process_time()
        matmul(a, b).numpy()
        best = max(best, 2.0 * n ** 3 / (time.perf_counter() - start) / 1e9)
        best_cpu = max(best_cpu, 2.0 * n ** 3 / (time.process_time() - cpu) / 1e9)
    yield "peak_matmul_gflops_per_s", best, "GFLOP/s"
    yield "peak_matmul_gflops_per_cpu_s", best_cpu, "GFLOP/cpu-s"
    per_cycle, ghz, _ = nominal_peak()
    nominal = per_cycle * ghz
    yield "cpu_fp32_flops_per_cycle", per_cycle, "FLOPs/cycle"
    yield "cpu_nominal_gflops_per_s", nominal, "GFLOP/s"
    if "gflops" in _FIGURES:
        yield "update_fraction_of_peak", _FIGURES["gflops"] / best, "fraction"
        yield "update_fraction_of_nominal", _FIGURES["gflops"] / nominal, "fraction"
        # per CPU-second: the same ratio, less sensitive to other processes on the core
        yield "update_fraction_of_peak_per_cpu_s", _FIGURES["gflops_cpu"] / best_cpu, "fraction"
