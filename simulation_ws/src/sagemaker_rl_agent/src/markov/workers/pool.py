"""Rollout workers as Ray actors (ROLLOUT_WORKERS > 1): the only module that imports ray.

`RolloutPool(settings, log)` starts a private Ray instance (127.0.0.1, no
dashboard) or, when `settings.ray_address` is set, joins that cluster, and
creates `settings.rollout_workers` actors. Each actor builds, once, the policy,
the explorer and `settings.envs_per_worker` envs from the user's files (the
same paths on every machine) and plays its share of each iteration's episodes
with a `VectorCollector`. `collect` sends the current policy weights with one
`ray.put`, gives worker w a contiguous block of episode numbers and returns the
same `(Rollout, [EpisodeResult])` as the in-process collector, the blocks in
episode order, their sim trace rows appended to `trace`.

A training seed fixes the episodes whatever the worker count: episode n is seeded
from the seed and n (markov.workers.vector), whichever worker plays it. A worker that
dies (its process killed) is replaced by a new actor, which plays its block
again; the iteration completes and the log says so. A cluster that goes away
raises `RolloutPoolError`.

Each actor reserves one CPU and uses one: TensorFlow's intra- and inter-op pools,
OpenCV and the BLAS/OpenMP libraries get one thread each (with their defaults,
every actor sized its pools to all the machine's cores and N actors
oversubscribed N cores).
"""
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Optional

import ray
from ray.exceptions import RayActorError

from markov.workers.rollout import Rollout
_PROBE_EVERY_S = 5.0  # while waiting for the workers: is the cluster still there?
_PROBE_TIMEOUT_S = 3.0
# Set in every worker process before it starts: its native libraries use one thread.
_ONE_THREAD_ENV = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                          "MKL_NUM_THREADS")}


class RolloutPoolError(ConnectionError):
    """The Ray cluster of the rollout workers cannot be reached or went away. `partial`:
    (Rollout, results, sim trace rows) of the iteration's episodes finished before (or None)."""

    partial = None


def use_one_thread():
    """Make TensorFlow and OpenCV in this process use one thread each (a rollout actor holds
    one CPU). Call before TensorFlow runs anything; later it is left as it is."""
    import cv2
    import tensorflow as tf

    cv2.setNumThreads(1)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already initialised in this process
        pass


def _library_paths() -> List[str]:
    """Folders to put on the workers' PYTHONPATH: where markov and the simulator libraries live."""
    import deepracer_simulation
    import deepracer_simulator
    import markov

    paths = [str(Path(m.__file__).resolve().parents[1])
             for m in (markov, deepracer_simulation, deepracer_simulator)]
    old = os.environ.get("PYTHONPATH", "")
    return list(dict.fromkeys(paths + [p for p in old.split(os.pathsep) if p]))


class _Worker:
    """One rollout worker: the policy, explorer and envs built once; `play` per iteration."""

    def __init__(self, settings, index: int, seed: Optional[int]):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        use_one_thread()
        from markov.ppo import PPOPolicy
        from markov.sim_trace import SimTraceWriter
        from markov.workers.rollout import Explorer
        from markov.workers.userfiles import check_user_files
        from markov.workers.vector import VectorCollector, make_training_envs

        user = check_user_files(settings)
        metadata, hp = user.model_metadata, user.hyperparameters
        continuous = metadata.action_space.is_continuous
        from markov.sensors import camera_obs_shape

        if metadata.training_algorithm == "sac":  # the actor of SAC (markov.sac)
            from markov.policies import make_policy
            self.policy = make_policy(metadata, seed)
        else:
            self.policy = PPOPolicy(metadata.neural_network, continuous=continuous,
                                    n_actions=None if continuous else metadata.n_actions,
                                    seed=seed, obs_shape=camera_obs_shape(metadata.sensor))
        self.explorer = Explorer(self.policy, hp.exploration_type, hp.e_greedy_value,
                                 hp.epsilon_steps)  # seeded episodes bring their own draws
        envs = make_training_envs(settings, user, settings.envs_per_worker)
        self.collector = VectorCollector(envs, self.explorer, SimTraceWriter())

    def pid(self) -> int:
        return os.getpid()

    def play(self, weights, count, first_episode, seed, steps_done):
        """Play episodes `first_episode ..` with these policy weights; return
        (Rollout, results, trace rows, node id)."""
        self.policy.policy_net.set_weights(weights)
        self.explorer.steps_done = steps_done
        rollout, results = self.collector.collect(count, first_episode, seed=seed)
        return rollout, results, self.collector.trace.take_lines(), \
            ray.get_runtime_context().get_node_id()

    def play_steps(self, weights, budget, first_episode, seed):
        """Benchmark: play whole episodes with these weights, starting none once `budget`
        steps are played; return (steps played, CPU seconds this process used)."""
        self.policy.policy_net.set_weights(weights)
        played, cpu = [], time.process_time()
        rollout, _ = self.collector.collect(10**9, first_episode, seed=seed,
                                            may_start=lambda: sum(played) < budget,
                                            on_episode=lambda result: played.append(result.steps))
        self.collector.trace.take_lines()
        return len(rollout), time.process_time() - cpu


def cluster_problem() -> Optional[str]:
    """None while the Ray cluster this process joined is there; else what does not answer:
    its GCS (TCP) or this machine's Ray node (the object store's socket)."""
    host, _, port = ray.get_runtime_context().gcs_address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=_PROBE_TIMEOUT_S).close()
    except OSError as err:
        return f"its GCS at {host}:{port} does not answer ({err.strerror or err})"
    store = ray._private.worker.global_worker.node.plasma_store_socket_name
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(_PROBE_TIMEOUT_S)
        try:
            probe.connect(store)
        except OSError as err:
            return f"this machine's Ray node does not answer ({err.strerror or err})"
    return None


def _finished(shares, done):
    """The finished blocks up to the first unfinished one (episode numbers without gaps)."""
    kept = {}
    for w, (_, size) in enumerate(shares):
        if size and w not in done:
            break
        if w in done:
            kept[w] = done[w]
    return kept


def blocks(count: int, workers: int) -> List[tuple]:
    """(first offset, size) of each worker's contiguous share of `count` episodes."""
    base, extra = divmod(count, workers)
    out, at = [], 0
    for w in range(workers):
        size = base + (1 if w < extra else 0)
        out.append((at, size))
        at += size
    return out


def _short_temp_root() -> str:
    """Where the private Ray instance's session folder goes: the temporary folder, unless
    its path is too long for Ray's Unix sockets (about 85 characters of folder, session and
    socket names follow it, and a socket path may not exceed 107 bytes); then /tmp."""
    root = tempfile.gettempdir()
    return root if len(root) <= 20 else "/tmp"


class RolloutPool:
    """`settings.rollout_workers` Ray actors playing training episodes; see the module doc."""

    def __init__(self, settings, log: Callable[[str], None] = print):
        self.settings, self.log = settings, log
        self._temp_dir = None
        self.workers = settings.rollout_workers
        runtime_env = {"env_vars": {"PYTHONPATH": os.pathsep.join(_library_paths()),
                                    "TF_CPP_MIN_LOG_LEVEL": "2", **_ONE_THREAD_ENV}}
        try:
            if settings.ray_address:
                ray.init(address=settings.ray_address, runtime_env=runtime_env,
                         log_to_driver=False, logging_level="error")
                where = f"the Ray cluster at {settings.ray_address}"
            else:  # its session files go in a folder of our own, removed by close()
                self._temp_dir = tempfile.mkdtemp(prefix="deepracer-ray-", dir=_short_temp_root())
                ray.init(address="local", num_cpus=self.workers, include_dashboard=False,
                         _node_ip_address="127.0.0.1", runtime_env=runtime_env,
                         _temp_dir=self._temp_dir,
                         log_to_driver=False, logging_level="error")
                where = "a private Ray instance on 127.0.0.1"
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RolloutPoolError(f"RAY_ADDRESS={settings.ray_address or '(unset)'}: cannot start "
                                   f"or join Ray: {exc}") from exc
        self._actor_class = ray.remote(num_cpus=1, max_restarts=0)(_Worker)
        self.actors = [self._start(w) for w in range(self.workers)]
        self.nodes = [None] * self.workers  # node id of each worker's last block
        self.failed = False  # the cluster went away
        self.log(f"rollout workers: {self.workers} Ray actors x {settings.envs_per_worker} envs "
                 f"on {where}")

    def _start(self, index):
        return self._actor_class.remote(self.settings, index, self.settings.seed)

    def pids(self) -> List[int]:
        """The process id of each worker (for tests and the log)."""
        return ray.get([actor.pid.remote() for actor in self.actors])

    def collect(self, weights, count, first_episode, seed=None, steps_done=0, trace=None,
                should_stop=None):
        """Play `count` episodes over the workers with `weights` (the policy net's); return
        (Rollout, [EpisodeResult]); rows go to `trace`. Stopping returns what finished (the
        finished blocks up to the first unfinished one: episode numbers without gaps).

        A cluster that went away (before or during the call) raises `RolloutPoolError`, with
        what finished in `.partial` (its rows not in `trace`)."""
        self._check_cluster(None)  # before ray.put: Ray ends a process whose object store died
        ref = ray.put(weights)
        shares = blocks(count, self.workers)
        pending = {}

        def submit(w):
            offset, size = shares[w]
            if size:
                pending[self.actors[w].play.remote(ref, size, first_episode + offset, seed,
                                                   steps_done)] = w
        for w in range(self.workers):
            submit(w)
        done, probed = {}, time.monotonic()
        try:
            while pending:
                if should_stop is not None and should_stop():
                    break
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
                if not ready and time.monotonic() - probed >= _PROBE_EVERY_S:
                    self._check_cluster(shares, done)
                    probed = time.monotonic()
                for future in ready:
                    w = pending.pop(future)
                    try:
                        done[w] = ray.get(future)
                    except RayActorError:
                        self._check_cluster(shares, done)
                        self.log(f"rollout worker {w} died; replaced by a new one, which plays "
                                 f"its {shares[w][1]} episode(s) again")
                        self.actors[w] = self._start(w)
                        submit(w)
        except (ConnectionError, ray.exceptions.RaySystemError) as exc:
            if isinstance(exc, RolloutPoolError):
                raise
            self._lost()
            error = RolloutPoolError(f"the Ray cluster of the rollout workers "
                                     f"(RAY_ADDRESS={self.settings.ray_address or '(unset)'}) "
                                     f"went away: {exc}")
            error.partial = self._partial(shares, done)
            raise error from exc
        return self._merge(_finished(shares, done), trace)

    def _check_cluster(self, shares, done=None):
        """Raise RolloutPoolError (with the finished blocks) unless the cluster's GCS and this
        machine's Ray node (its object store) still accept connections."""
        problem = cluster_problem()
        if problem is None:
            return
        self._lost()
        error = RolloutPoolError(f"the Ray cluster of the rollout workers "
                                 f"(RAY_ADDRESS={self.settings.ray_address or '(unset)'}) "
                                 f"went away: {problem}")
        error.partial = self._partial(shares, done or {}) if shares else None
        raise error

    def _lost(self):
        """The cluster went away: disconnect from it at once. (Ray ends a process that touches
        an object store that is gone, even by releasing an object reference.)"""
        self.failed = True
        ray.shutdown()

    def _partial(self, shares, done):
        """(Rollout, results, sim trace rows) of the finished blocks up to the first unfinished."""
        rows = []
        return self._merge(_finished(shares, done), rows) + (rows,)

    def play_steps(self, weights, steps, seed=None):
        """Benchmark: every worker plays whole episodes until it has played its share of
        `steps` (no iterations: no worker waits for another); return (steps played, seconds,
        the workers' CPU seconds)."""
        ref = ray.put(weights)
        share = -(-steps // self.workers)
        start = time.perf_counter()
        played = ray.get([actor.play_steps.remote(ref, share, w * 10**6, seed)
                          for w, actor in enumerate(self.actors)])
        seconds = time.perf_counter() - start
        return sum(p[0] for p in played), seconds, sum(p[1] for p in played)

    def _merge(self, done, trace):
        """(Rollout, results) of the finished blocks `done` (worker -> play's return), in
        episode order; their sim trace rows appended to `trace` (a writer or a list)."""
        rollout, results = Rollout(), []
        for w in sorted(done):  # contiguous blocks: worker order is episode order
            part, part_results, rows, node = done[w]
            self.nodes[w] = node
            results += part_results
            for name in ("obs", "actions", "log_probs", "rewards", "dones"):
                getattr(rollout, name).extend(getattr(part, name))
            if trace is not None:
                trace.extend(rows)
        return rollout, results

    def close(self):
        """Stop the workers; stop the private Ray instance (or leave the cluster). After the
        cluster went away only this process's side is shut down."""
        if not self.failed:  # else already disconnected
            for actor in self.actors:
                ray.kill(actor)
            ray.shutdown()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

