"""The training worker: DeepRacer's loop of playing episodes, PPO updates and checkpoints.

Order of a run: check the user's files, open the model store, resume from its
latest complete checkpoint (or seed from PRETRAINED_MODEL_PREFIX), copy the
user's files into the store, then iterate: play `num_episodes_between_training`
exploring episodes, update the policy, save checkpoint N and model_N.pb (pointer
last), play greedy evaluation episodes, keep the best checkpoint, write metrics
and the iteration's sim trace, prune. At the end the best checkpoint becomes the
car package `model.tar.gz`. Run it with `python -m markov.workers.training`
(settings from the environment) or `TrainingWorker(settings).run()`.

Training episode k of the model (TrainingMetrics `episode` k, 1-based, counted
across iterations and resumed runs) is episode k - 1 in the sim trace (0-based);
evaluation episodes take no number. A checkpoint whose upload fails is kept in
`StoreSettings.unsent_dir()` and uploaded at the start of the next run.
"""
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from markov import laptime
from markov.metrics import TrainingMetrics
from markov.rules import OFF_TRACK
from markov.sim_trace import SimTraceWriter
from markov.sensors import camera_obs_shape
from markov.store import NotFoundError, layout
from markov.workers import checkpoints
from markov.workers.cli import run_worker
from markov.workers.progress import IterationReport, Progress, StopRequest
from markov.workers.rollout import Explorer, evaluation_seeds, play_evaluation
from markov.workers.settings import TrainingSettings, training_settings
from markov.workers.userfiles import (check_same_model, check_user_files, stored_metadata,
                                      upload_user_files)
from markov.workers.vector import VectorCollector, make_training_envs, step_threads


@dataclass(frozen=True)
class TrainingSummary:
    """What a training run did."""

    iterations: int  # iterations completed in this run
    episodes: int  # training episodes of the model so far (all runs)
    steps: int  # env steps trained on so far (all runs)
    best_checkpoint: Optional[str]  # best checkpoint by mean evaluation progress
    best_eval_progress: Optional[float]  # its mean evaluation progress, %
    last_checkpoint: Optional[str]  # newest checkpoint
    stop_reason: str  # why the run ended
    minutes_to_full_lap: Optional[float]  # wall-clock minutes from the start until an evaluation
    #                                       first completed every lap (None: not in this run)
    rollout_steps_per_s: Optional[float]  # env steps per second while playing training episodes
    update_samples_per_s: Optional[float]  # PPO update throughput (samples x epochs per second)
    reports: Tuple[IterationReport, ...]  # one per iteration


class TrainingWorker:
    """One training run; `run()` returns a TrainingSummary. Library code: no ROS, no exits."""

    def __init__(self, settings: TrainingSettings, stop: Optional[StopRequest] = None,
                 progress: Optional[Progress] = None):
        self.settings = settings
        self.stop = stop or StopRequest()
        self.progress = progress or Progress("training", bar=settings.progress_bar)

    # ------------------------------------------------------------------ setup
    def run(self) -> TrainingSummary:
        self._started = time.monotonic()
        settings = self.settings
        self.progress.configuration(settings.summary())
        user = check_user_files(settings)
        self.progress.line("hyperparameters: " + ", ".join(
            f"{k}={v}" for k, v in user.hyperparameters.to_dict().items()))
        self.progress.line(f"model: {user.model_metadata.neural_network}, "
                           f"{user.model_metadata.n_actions} {user.model_metadata.action_space.kind}"
                           f" action(s)")
        store = settings.store.make_store()
        sent = checkpoints.upload_unsent(store, settings.store.unsent_dir())
        if sent is not None:
            self.progress.line(f"uploaded {sent}, kept from an earlier failed upload, to "
                               f"{store.describe()}")
        start = self._starting_point(store, user)
        upload_user_files(store, user)
        with tempfile.TemporaryDirectory(prefix="deepracer-training-") as workdir:
            self.workdir = Path(workdir)
            self._build(store, user, start)
            try:
                summary = self._loop()
            finally:
                self.collector.close()
                if self.pool is not None:
                    self.pool.close()
        if self.pool_error is not None:  # raised only now: after saving
            raise type(self.pool_error)(f"{self.pool_error}; training stopped, the last "
                                        f"checkpoint saved: {store.latest_checkpoint()}")
        return summary

    def _starting_point(self, store, user):
        """("resume", store, name), ("pretrained", store, name) or None for a new model."""
        latest = store.latest_checkpoint()
        if latest is not None:
            trained = stored_metadata(store)
            if trained is not None:
                check_same_model(user, trained, store.describe())
            return "resume", store, latest
        pretrained = checkpoints.pretrained_checkpoint(self.settings)
        if pretrained is None:
            return None
        source, name = pretrained
        trained = stored_metadata(source)
        if trained is not None:
            check_same_model(user, trained, source.describe())
        return "pretrained", source, name

    def _build(self, store, user, start):
        from markov.ppo import PPOConfig, PPOPolicy, PPOTrainer

        settings, hp, metadata = self.settings, user.hyperparameters, user.model_metadata
        self.store, self.hp = store, hp
        self.action_space = metadata.action_space  # stored in each model_<N>.pb
        continuous = metadata.action_space.is_continuous
        self.sac = metadata.training_algorithm == "sac"
        if self.sac:  # markov.sac: continuous actions, replay buffer, its own trainer state
            from markov.policies import make_policy
            from markov.sac import SACConfig, SACTrainer
            self.policy = make_policy(metadata, settings.seed)
            self.trainer = SACTrainer(self.policy, SACConfig.from_mapping(hp.to_dict()),
                                      seed=settings.seed)
        else:
            self.policy = PPOPolicy(metadata.neural_network, continuous=continuous,
                                    n_actions=None if continuous else metadata.n_actions,
                                    seed=settings.seed, obs_shape=camera_obs_shape(metadata.sensor))
            self.trainer = PPOTrainer(self.policy, PPOConfig.from_mapping(hp.to_dict()),
                                      seed=settings.seed)
        self.progress.line(f"learner device: {learner_device()}")
        self.n, self.steps = 0, 0
        if start is not None:
            kind, source, name = start
            optimizer = self.trainer.optimizer if kind == "resume" else None
            ckpt = checkpoints.restore_from_store(source, name, self.workdir, self.policy, optimizer)
            if kind == "resume":
                self.n, self.steps = ckpt.index + 1, ckpt.steps
            self.progress.line(f"{'resuming from' if kind == 'resume' else 'pretrained model:'} "
                               f"{name} at {source.describe()}")
        else:
            self.progress.line(f"new model at {store.describe()}")
        self.metrics = TrainingMetrics(self.workdir / "TrainingMetrics.json",
                                       best_model_metric=settings.best_model_metric)
        self.metrics.entries = self._stored_metrics() if start and start[0] == "resume" else []
        self.episodes = sum(1 for e in self.metrics.entries if e.get("phase") == "training")
        self.tracker = checkpoints.BestTracker(
            store, lower_is_better=settings.best_model_metric == "lap_time")
        self.trace = SimTraceWriter()
        self.explorer = Explorer(self.policy, "categorical" if self.sac else hp.exploration_type,
                                 hp.e_greedy_value,
                                 hp.epsilon_steps, steps_done=self.steps, seed=settings.seed)
        self.pool, self.pool_error = None, None
        if settings.rollout_workers > 1:
            from markov.workers.pool import RolloutPool
            self.pool = RolloutPool(settings, self.progress.line)
        envs = make_training_envs(settings, user, 1 if self.pool else settings.envs_per_worker,
                                  self.episodes)
        self.envs, self.env = envs, envs[0]  # they also play the evaluation episodes
        self.collector = VectorCollector(envs, self.explorer, self.trace,
                                         threads=step_threads(len(envs)))
        from markov.watch.feed import LiveFeed, make_feed
        feed = make_feed(self.env.sim_trace, settings)  # for scripts/viewer.py; idle when nobody
        if feed is not None:  # watches; the car and camera of env 0, every env's episodes
            self.env.sim_trace, feed.env = feed, self.env
            for env in envs[1:]:
                env.sim_trace = LiveFeed(env.sim_trace, feed.folder, feed.world, episodes_only=True)

    def _stored_metrics(self) -> list:
        try:
            raw = self.store.get_bytes(layout.TRAINING_METRICS_KEY)
        except NotFoundError:
            return []
        try:
            entries = json.loads(raw).get("metrics", [])
        except (ValueError, AttributeError):
            entries = None
        if not isinstance(entries, list):
            self.progress.line(f"warning: {self.store.describe(layout.TRAINING_METRICS_KEY)} is "
                               f"malformed; starting a new one")
            return []
        return entries

    # ------------------------------------------------------------------ the loop
    def _loop(self) -> TrainingSummary:
        reports, full_lap_streak, first_full_lap = [], 0, None
        rollout_steps, rollout_s, samples, trainer_s = 0, 0.0, 0.0, 0.0
        seed, reason = self.settings.seed, None
        while reason is None:
            reason = self._reason_before_iteration()
            if reason is not None:
                break
            wanted = min(self.hp.num_episodes_between_training,
                         self.hp.term_cond_max_episodes - self.episodes)
            t0 = time.perf_counter()
            rollout, results = self._collect(wanted, seed)
            played_s = time.perf_counter() - t0
            if self.stop() and results:
                # Stopped mid-iteration: train on the episodes finished so far and save them
                # as checkpoint N, so the saved state is the one at the signal (no evaluation).
                report, _ = self._train_and_save(rollout, results, played_s)
                reports.append(report)
                self.progress.iteration(report)
                self.progress.line(f"saved {report.checkpoint} after {len(results)} of {wanted} "
                                   f"episodes of the iteration")
            if self.stop() or not results:
                reason = f"stopped ({self.stop.reason})" if self.stop() else self._budget_reason()
                break
            report, stats = self._train_and_save(rollout, results, played_s)
            rollout_steps, rollout_s = rollout_steps + len(rollout), rollout_s + played_s
            samples += stats["samples_per_s"] * stats["update_s"]
            trainer_s += stats["update_s"]
            reports.append(report)
            self.progress.iteration(report)
            complete = report.eval_laps == f"{self.settings.eval_episodes}/{self.settings.eval_episodes}"
            full_lap_streak = full_lap_streak + 1 if complete else 0
            if complete and first_full_lap is None:
                first_full_lap = (time.monotonic() - self._started) / 60.0
            reason = self._reason_after_iteration(report, full_lap_streak)
        self.progress.line(f"stopping: {reason}")
        return self._finish(reason, reports, first_full_lap, rollout_steps / max(rollout_s, 1e-9),
                            samples / max(trainer_s, 1e-9))

    def _collect(self, count, seed):
        """Play up to `count` exploring episodes on the envs; return (Rollout, [EpisodeResult])."""
        bar = self.progress.episode_bar(count, f"iteration {self.n}")

        def ended(result):
            bar.update()
            bar.set_postfix_str(f"progress {result.progress:.0f}%")
        try:
            if self.pool is not None:
                try:
                    rollout, results = self.pool.collect(
                        self.policy.policy_net.get_weights(), count, self.episodes, seed=seed,
                        steps_done=self.explorer.steps_done, trace=self.trace,
                        should_stop=self.stop)
                except ConnectionError as err:  # RolloutPoolError: the Ray cluster went away
                    rollout, results = self._pool_lost(err)
                self.explorer.steps_done += len(rollout)
            else:
                rollout, results = self.collector.collect(
                    count, self.episodes, seed=seed, should_stop=self.stop,  # episodes 0-based
                    may_start=lambda: not self._over_budget(), on_episode=ended)
        finally:
            bar.close()
        for trial, result in enumerate(results, 1):  # in episode order
            self.episodes += 1
            self.metrics.add_episode(episode=self.episodes, trial=trial,
                                     reward=result.reward, progress=result.progress,
                                     status=result.status, start_time_ms=result.start_ms,
                                     end_time_ms=result.end_ms)
        return rollout, results

    def _pool_lost(self, err):
        """The rollout workers' Ray cluster went away: stop as on a signal (the episodes that
        finished are trained on and saved, without evaluation); run() raises `err` after."""
        from markov.workers.rollout import Rollout

        self.pool_error = err
        self.stop.set("the Ray cluster of the rollout workers went away")
        if getattr(err, "partial", None) is None:
            return Rollout(), []
        rollout, results, rows = err.partial
        self.trace.extend(rows)
        return rollout, results

    def _train_and_save(self, rollout, results, played_s):
        """Update on the rollout, save checkpoint N, evaluate it; return (report, update stats)."""
        t0 = time.perf_counter()
        if self.sac:  # the episodes join the replay buffer; minibatches are sampled from it
            stats, buffer_s = self.trainer.update_rollout(rollout), 0.0
        else:
            buffer = rollout.to_buffer(self.policy, self.hp.discount_factor,
                                       self.trainer.config.gae_lambda)
            buffer_s = time.perf_counter() - t0
            stats = self.trainer.update(buffer)
        self.steps += len(rollout)
        name = checkpoints.save_to_store(self.store, self.workdir, self.n, self.steps, self.policy,
                                         self.trainer.optimizer, self._iteration_files(),
                                         self.settings.store.unsent_dir(),
                                         action_space=self.action_space)
        (self.workdir / f"{self.n}-iteration.csv").unlink()
        evaluation, eval_progress, best, race_line = self._evaluate(name)
        self.tracker.prune(self.settings.keep_checkpoints)
        report = IterationReport(
            iteration=self.n, episodes=self.episodes,
            mean_reward=float(np.mean([r.reward for r in results])),
            mean_progress=float(np.mean([r.progress for r in results])),
            full_lap_pct=100.0 * float(np.mean([r.lap_complete for r in results])),
            eval_progress=eval_progress,
            eval_laps=f"{sum(r.lap_complete for r in evaluation)}/{len(evaluation)}",
            steps_per_s=len(rollout) / max(played_s, 1e-9), update_s=stats["update_s"] + buffer_s,
            samples_per_s=stats["samples_per_s"], checkpoint=name, best=best, race=race_line)
        self.n += 1
        return report, stats

    def _evaluate(self, name):
        """Greedy episodes with checkpoint `name`; record them.

        Returns (results, mean progress, best?, race summary line or None).
        """
        count = self.settings.eval_episodes
        evaluation = [] if self.stop() else play_evaluation(
            self.envs, self.policy, count, seeds=evaluation_seeds(self.settings.seed, self.n, count),
            should_stop=self.stop, stepper=self.collector.stepper)
        for trial, result in enumerate(evaluation, 1):
            self.metrics.add_episode(episode=self.episodes, trial=trial, reward=result.reward,
                                     progress=result.progress, status=result.status,
                                     start_time_ms=result.start_ms, end_time_ms=result.end_ms,
                                     phase="evaluation", lap_time_s=result.lap_time)
        eval_progress = float(np.mean([r.progress for r in evaluation])) if evaluation else None
        lap_times = [r.lap_time if r.lap_complete else None for r in evaluation]
        score = laptime.best_model_score(self.settings.best_model_metric,
                                      [r.progress for r in evaluation], lap_times)
        best = self.tracker.record(name, score)  # None (skipped): the last, not the best
        self.store.put_file(self.metrics.write(), layout.TRAINING_METRICS_KEY)
        self._write_plot()
        summary = laptime.summarize(lap_times, self._lap_limit(), sum(
            r.status == OFF_TRACK for r in evaluation)) if evaluation else None
        return evaluation, eval_progress, best, summary.line() if summary else None

    def _lap_limit(self):
        """The track's minimum-time lap (s), computed once; None for an open track."""
        return laptime.lap_limit_s(self.settings.world_name)

    def _write_plot(self):
        """plots/training.png and training.csv after each iteration (a failure only warns)."""
        from markov.store import StoreError
        from markov.watch.plots import write_training_plot
        try:
            write_training_plot(self.store, self.metrics.entries)
        except (StoreError, OSError, ValueError) as err:
            self.progress.line(f"warning: training plot not written: {err}")

    def _iteration_files(self) -> dict:
        """The metrics so far and this iteration's sim trace, to upload before the pointer
        (so a resumed run counts the episodes of every saved checkpoint)."""
        trace = self.trace.flush_iteration(self.workdir / f"{self.n}-iteration.csv")
        return {layout.TRAINING_METRICS_KEY: self.metrics.write(),
                layout.training_simtrace_key(self.n): trace}

    # ------------------------------------------------------------------ stopping
    def _over_budget(self) -> bool:
        minutes = self.settings.max_training_minutes
        return minutes is not None and time.monotonic() - self._started >= minutes * 60.0

    def _budget_reason(self):
        if self._over_budget():
            return f"MAX_TRAINING_MINUTES ({self.settings.max_training_minutes:g}) reached"
        return "no episode played"

    def _reason_before_iteration(self):
        if self.stop():
            return f"stopped ({self.stop.reason})"
        if self.episodes >= self.hp.term_cond_max_episodes:
            return f"term_cond_max_episodes ({self.hp.term_cond_max_episodes}) reached"
        if self._over_budget():
            return self._budget_reason()
        return None

    def _reason_after_iteration(self, report, full_lap_streak):
        needed = self.settings.stop_after_full_laps
        if needed and full_lap_streak >= needed:
            return f"every evaluation lap complete in {needed} consecutive iterations"
        if report.mean_reward >= self.hp.term_cond_avg_score:
            return (f"term_cond_avg_score ({self.hp.term_cond_avg_score:g}) reached: mean reward "
                    f"{report.mean_reward:.1f}")
        return self._reason_before_iteration()

    def _finish(self, reason, reports, first_full_lap, rollout_rate, update_rate):
        best, last = self.tracker.best, self.tracker.last
        if best is not None:
            key = checkpoints.export_car_package(self.store, best.name)
            metric = (f"mean evaluation lap {best.avg_eval_metric:.2f} s"
                      if self.tracker.lower_is_better
                      else f"mean evaluation progress {best.avg_eval_metric:.1f}%")
            self.progress.line(f"car package of {best.name} ({metric}): {self.store.describe(key)}")
        elif last is not None:  # no checkpoint evaluated yet
            key = checkpoints.export_car_package(self.store, last.name)
            why = ("no evaluation completed every lap" if self.tracker.lower_is_better
                   else "not evaluated")
            self.progress.line(f"car package of {last.name} ({why}): {self.store.describe(key)}")
        return TrainingSummary(
            iterations=len(reports), episodes=self.episodes, steps=self.steps,
            best_checkpoint=best.name if best else None,
            best_eval_progress=best.avg_eval_metric if best else None,
            last_checkpoint=last.name if last else None, stop_reason=reason,
            minutes_to_full_lap=first_full_lap,
            rollout_steps_per_s=rollout_rate if reports else None,
            update_samples_per_s=update_rate if reports else None, reports=tuple(reports))


def learner_device() -> str:
    """Where TensorFlow runs the PPO update: its first GPU when it sees one, else the CPU."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU ({gpus[0].name})" if gpus else "CPU (TensorFlow sees no GPU)"


def main(environ=None, params=None, extra_errors=()) -> int:
    """Train with settings from the environment (and launch `params`); return the exit code."""
    return run_worker("training", training_settings, TrainingWorker, environ, params, extra_errors)


if __name__ == "__main__":
    sys.exit(main())
