"""Time PPO on one CPU core: act() per rollout step, batched values, and update samples/s.

    python -m markov.ppo.benchmark [--network NAME] [--samples 256] [--epochs 2] [--cores 1]
"""
import argparse
import os
import time


def _per_call_ms(fn, repeats):
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return 1e3 * times[len(times) // 2], 1e3 * sum(times) / len(times)


def run(network, samples, epochs, continuous, jit_compile):
    import numpy as np  # after pinning, so every thread pool sees the pinned cores

    from markov.ppo.buffer import RolloutBuffer
    from markov.ppo.config import PPOConfig
    from markov.ppo.policy import PPOPolicy
    from markov.ppo.trainer import PPOTrainer

    kind = {"continuous": True} if continuous else {"n_actions": 5}
    policy = PPOPolicy(network, seed=0, **kind)
    rng = np.random.default_rng(0)
    one = rng.integers(0, 256, (1, 120, 160, 1), dtype=np.uint8)
    for label, with_value in (("act (policy + value)", True), ("act (policy only)", False)):
        median, mean = _per_call_ms(lambda: policy.act(one, with_value=with_value), 300)
        print(f"{label:24s} batch 1: median {median:.2f} ms, mean {mean:.2f} ms per step")
    obs = rng.integers(0, 256, (samples, 120, 160, 1), dtype=np.uint8)
    median, _ = _per_call_ms(lambda: policy.predict_values(obs), 3)
    print(f"predict_values           batch {samples}: {median / samples:.3f} ms per sample")
    actions, log_probs, values = policy.act(obs)
    buffer = RolloutBuffer.from_arrays(obs, actions, log_probs, values, rng.normal(size=samples),
                                       np.arange(samples) % 100 == 99)
    trainer = PPOTrainer(policy, PPOConfig(num_epochs=epochs), seed=0, jit_compile=jit_compile)
    trainer.update(RolloutBuffer.from_arrays(obs[:70], actions[:70], log_probs[:70], values[:70],
                                             np.zeros(70), np.ones(70)))  # trace first
    stats = trainer.update(buffer)
    print(f"update ({samples} samples x {epochs} epochs, batch 64): "
          f"{stats['samples_per_s']:.0f} samples/s ({stats['update_s']:.1f} s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="DEEP_CONVOLUTIONAL_NETWORK_SHALLOW")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--cores", type=int, default=1, help="pin to the first N cores (0: no pinning)")
    parser.add_argument("--continuous", action="store_true")
    parser.add_argument("--jit", action="store_true", help="XLA-compile the update step")
    args = parser.parse_args(argv)
    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
    print(f"cores: {sorted(os.sched_getaffinity(0))}, network: {args.network}")
    run(args.network, args.samples, args.epochs, args.continuous, args.jit)


if __name__ == "__main__":
    main()
