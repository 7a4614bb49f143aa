"""Suite "rollout": training episodes played with the shipped network, no PPO update.

    .venv/bin/python scripts/benchmark.py rollout             # 1env and vec, ~1 min
    .venv/bin/python scripts/benchmark.py rollout --sweep 1,2,4,8,16

rollout_steps_per_s_1env: one env, batch-1 policy calls; rollout_steps_per_s_vec:
ENVS_PER_WORKER's default envs stepped together, one batched policy call per
step; both pinned to one core (the benchmark harness pins). --sweep adds
rollout_steps_per_s_envs_<N> for each N (the figures of docs/scaling.md's graph).
The policy is the shipped network, freshly initialised with --seed (its episodes
are short: resets are part of the cost, as in early training).
"""


def _options(parser):
    parser.add_argument("--world", default="reinvent_base", help="WORLD_NAME")
    parser.add_argument("--steps", type=bench.positive_int, default=3000,
                        help="env steps per figure (whole episodes: a little more)")
    parser.add_argument("--seed", type=int, default=0, help="network init and sampling seed")
    parser.add_argument("--sweep", default="", help="comma-separated env counts to add figures for")


bench.suite("rollout", "rollout only: episodes with the shipped network on 1 env and on "
                       "ENVS_PER_WORKER envs (one batched policy call per step)", _options)


def _rate(args, n_envs):
    """Env steps per second playing whole episodes on `n_envs` envs until --steps are done."""
    import os
    import time

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.envs import DeepRacerRacetrackEnv
    from markov.envs.defaults import MODEL_METADATA, REWARD_FUNCTION, shipped_config
    from markov.ppo import PPOPolicy
    from markov.reward import load_reward_function
    from markov.config import load_model_metadata
    from markov.sim_trace import SimTraceWriter
    from markov.workers.rollout import Explorer, episode_step_limit
    from markov.workers.vector import VectorCollector

    metadata = load_model_metadata(shipped_config(MODEL_METADATA))
    reward = load_reward_function(shipped_config(REWARD_FUNCTION))
    policy = PPOPolicy(metadata.neural_network, n_actions=metadata.n_actions, seed=args.seed)
    envs = [DeepRacerRacetrackEnv(args.world, reward_function=reward, model_metadata=metadata,
                                  sim_trace=SimTraceWriter(), max_steps=episode_step_limit(
                                      _track_length(args.world), metadata.action_space))
            for _ in range(n_envs)]
    collector = VectorCollector(envs, Explorer(policy, seed=args.seed), SimTraceWriter())
    try:
        collector.collect(n_envs, 0, seed=args.seed)  # warm-up: traces the policy graph
        played = []
        start = time.perf_counter()
        rollout, _ = collector.collect(10**9, 0, may_start=lambda: sum(played) < args.steps,
                                       on_episode=lambda r: played.append(r.steps))
        return len(rollout) / (time.perf_counter() - start)
    finally:
        collector.close()


def _track_length(world):
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track

    return Track(load_route(world)).length


@bench.benchmark("rollout", "rollout_steps_per_s_1env")
def rollout_steps_per_s_1env(args):
    yield "rollout_steps_per_s_1env", _rate(args, 1), "steps/s"


@bench.benchmark("rollout", "rollout_steps_per_s_vec")
def rollout_steps_per_s_vec(args):
    from markov.workers.settings import DEFAULT_ENVS_PER_WORKER

    yield "rollout_steps_per_s_vec", _rate(args, DEFAULT_ENVS_PER_WORKER), "steps/s"
    yield "rollout_envs_per_worker", DEFAULT_ENVS_PER_WORKER, "envs"
    for count in [int(c) for c in args.sweep.split(",") if c.strip()]:
        yield f"rollout_steps_per_s_envs_{count}", _rate(args, count), "steps/s"


@bench.benchmark("rollout", "rollout_steps_per_s_2workers", one_core=False)
def rollout_steps_per_s_2workers(args):
    """2 Ray workers (a private local instance), each with the default envs; all cores.
    Ray's start and the workers' first build are not timed (a warm-up iteration)."""
    import os
    import time

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.envs.defaults import MODEL_METADATA, shipped_config
    from markov.config import load_model_metadata
    from markov.ppo import PPOPolicy
    from markov.workers.pool import RolloutPool
    from markov.workers.settings import training_settings

    settings = training_settings({"WORLD_NAME": args.world, "ROLLOUT_WORKERS": "2",
                                  "TRAINING_SEED": str(args.seed)})
    metadata = load_model_metadata(shipped_config(MODEL_METADATA))
    weights = PPOPolicy(metadata.neural_network, n_actions=metadata.n_actions,
                        seed=args.seed).policy_net.get_weights()
    pool = RolloutPool(settings, log=lambda line: None)
    try:
        pool.collect(weights, 2 * settings.envs_per_worker, 0, seed=args.seed)  # warm-up
        steps, start, episode = 0, time.perf_counter(), 0
        while steps < args.steps:
            rollout, results = pool.collect(weights, 2 * settings.envs_per_worker, episode)
            steps, episode = steps + len(rollout), episode + len(results)
        yield "rollout_steps_per_s_2workers", steps / (time.perf_counter() - start), "steps/s"
    finally:
        pool.close()
