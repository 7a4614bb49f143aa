"""Suite "rollout": training episodes played with the shipped network, no PPO update.

    .venv/bin/python scripts/benchmark.py rollout             # 1env and vec, ~1 min
    .venv/bin/python scripts/benchmark.py rollout --sweep 1,2,4,8,16

rollout_steps_per_s_1env: one env, batch-1 policy calls; rollout_steps_per_s_vec:
ENVS_PER_WORKER's default envs stepped together, one batched policy call per
step; both pinned to one core (the benchmark harness pins; rollout_vec_cores_used,
the process's CPU time over the wall time, shows it). rollout_steps_per_s_2workers:
2 Ray workers with the default envs each, on all cores. All three play whole
episodes back to back until --steps are played (each env starts its next episode
as soon as one ends; each worker plays half the steps), so they compare the
engines. The *_iterations figures play iterations of num_episodes_between_training
(20) episodes as training does: an iteration ends with its longest episode, the
envs that finished early wait, so they are lower (the more envs per episode, the
more waiting). --sweep adds rollout_steps_per_s_envs_<N> for each N (the figures
of docs/scaling.md's graph). The policy is the shipped network, freshly
initialised with --seed (its episodes are short: resets are part of the cost, as
in early training).
"""


def _options(parser):
    parser.add_argument("--world", default="reinvent_base", help="WORLD_NAME")
    parser.add_argument("--steps", type=bench.positive_int, default=3000,
                        help="env steps per figure (whole episodes: a little more)")
    parser.add_argument("--seed", type=int, default=0, help="network init and sampling seed")
    parser.add_argument("--sweep", default="", help="comma-separated env counts to add figures for")
    parser.add_argument("--iteration-episodes", type=bench.positive_int, default=20,
                        help="episodes per iteration of the *_iterations figures")


bench.suite("rollout", "rollout only: episodes with the shipped network on 1 env and on "
                       "ENVS_PER_WORKER envs (one batched policy call per step)", _options)


_FIGURES = {}  # figures of this run, for the ratios


def _rate(args, n_envs, iterations=False):
    """Env steps per second playing whole episodes on `n_envs` envs until --steps are done
    (back to back; `iterations`: in iterations of --iteration-episodes episodes)."""
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
        start, cpu = time.perf_counter(), time.process_time()
        if iterations:
            steps, episode = 0, 0
            while steps < args.steps:
                rollout, results = collector.collect(args.iteration_episodes, episode)
                steps, episode = steps + len(rollout), episode + len(results)
        else:
            rollout, _ = collector.collect(10**9, 0, may_start=lambda: sum(played) < args.steps,
                                           on_episode=lambda r: played.append(r.steps))
            steps = len(rollout)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        _FIGURES["cores_used"], _FIGURES["steps_per_cpu_s"] = cpu / wall, steps / cpu
        return steps / wall
    finally:
        collector.close()


def _track_length(world):
    from deepracer_simulation.routes import load_route
    from deepracer_simulation.track import Track

    return Track(load_route(world)).length


@bench.benchmark("rollout", "rollout_steps_per_s_1env")
def rollout_steps_per_s_1env(args):
    _FIGURES["1env"] = _rate(args, 1)
    yield "rollout_steps_per_s_1env", _FIGURES["1env"], "steps/s"


@bench.benchmark("rollout", "rollout_steps_per_s_vec")
def rollout_steps_per_s_vec(args):
    from markov.workers.settings import DEFAULT_ENVS_PER_WORKER

    _FIGURES["vec"] = _rate(args, DEFAULT_ENVS_PER_WORKER)
    yield "rollout_steps_per_s_vec", _FIGURES["vec"], "steps/s"
    yield "rollout_vec_cores_used", _FIGURES["cores_used"], "cores"
    yield "rollout_vec_steps_per_cpu_s", _FIGURES["steps_per_cpu_s"], "steps/cpu-s"
    yield "rollout_envs_per_worker", DEFAULT_ENVS_PER_WORKER, "envs"
    if "1env" in _FIGURES:
        yield "rollout_vec_over_1env", _FIGURES["vec"] / _FIGURES["1env"], "x"
    _FIGURES["vec_iterations"] = _rate(args, DEFAULT_ENVS_PER_WORKER, iterations=True)
    yield "rollout_steps_per_s_vec_iterations", _FIGURES["vec_iterations"], "steps/s"
    for count in [int(c) for c in args.sweep.split(",") if c.strip()]:
        yield f"rollout_steps_per_s_envs_{count}", _rate(args, count), "steps/s"


@bench.benchmark("rollout", "rollout_steps_per_s_2workers", one_core=False)
def rollout_steps_per_s_2workers(args):
    """2 Ray workers (a private local instance), each with the default envs; all cores.
    Ray's start and the workers' first build are not timed (a warm-up)."""
    import os
    import time

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.envs.defaults import MODEL_METADATA, shipped_config
    from markov.config import load_model_metadata
    from markov.ppo import PPOPolicy
    from markov.workers.pool import RolloutPool
    from markov.workers.settings import training_settings

    # the same env as the 1env and vec figures: the flat world through the URDF pinhole
    # (the in-process training default is the standard world through the wide-angle lens)
    settings = training_settings({"WORLD_NAME": args.world, "ROLLOUT_WORKERS": "2",
                                  "TRAINING_SEED": str(args.seed), "RANDOMIZATION_FILE": "none",
                                  "CAMERA_CALIBRATION": "pinhole"})
    metadata = load_model_metadata(shipped_config(MODEL_METADATA))
    weights = PPOPolicy(metadata.neural_network, n_actions=metadata.n_actions,
                        seed=args.seed).policy_net.get_weights()
    pool = RolloutPool(settings, log=lambda line: None)
    try:
        pool.play_steps(weights, 2 * settings.envs_per_worker, seed=args.seed)  # warm-up
        steps, seconds, cpu = pool.play_steps(weights, args.steps)
        workers = steps / seconds
        yield "rollout_steps_per_s_2workers", workers, "steps/s"
        yield "rollout_2workers_cores_used", cpu / seconds, "cores"
        yield "rollout_2workers_steps_per_cpu_s", steps / cpu, "steps/cpu-s"
        if "vec" in _FIGURES:
            yield "rollout_2workers_over_vec", workers / _FIGURES["vec"], "x"
        steps, start, episode = 0, time.perf_counter(), 0
        while steps < args.steps:
            rollout, results = pool.collect(weights, args.iteration_episodes, episode)
            steps, episode = steps + len(rollout), episode + len(results)
        iterations = steps / (time.perf_counter() - start)
        yield "rollout_steps_per_s_2workers_iterations", iterations, "steps/s"
        if "vec_iterations" in _FIGURES:
            yield "rollout_2workers_over_vec_iterations", iterations / _FIGURES["vec_iterations"], "x"
    finally:
        pool.close()
