"""The clipped-PPO update: `num_epochs` passes over shuffled minibatches of a finished buffer."""
import time

import numpy as np
import tensorflow as tf

from markov.ppo.adam import FusedAdam
from markov.ppo.advantages import explained_variance
from markov.ppo.config import PPOConfig
from markov.ppo.losses import clipped_surrogate_loss, value_loss
from markov.ppo.networks import OBS_SHAPE

_STATS = ("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac")


class PPOTrainer:
    """Owns the Adam optimizer (`optimizer`, a FusedAdam) of a PPOPolicy and updates it from buffers."""

    def __init__(self, policy, config=PPOConfig(), seed=None, jit_compile=False):
        self.policy, self.config = policy, config
        self.optimizer = FusedAdam(learning_rate=config.lr, epsilon=config.adam_epsilon)
        self.optimizer.build(policy.trainable_variables)
        self.rng = np.random.default_rng(seed)  # shuffles the minibatches
        action_spec = (tf.TensorSpec([None, 2], tf.float32) if policy.continuous
                       else tf.TensorSpec([None], tf.int64))
        vector = tf.TensorSpec([None], tf.float32)
        self._step = tf.function(self._train_step, jit_compile=jit_compile, input_signature=[
            tf.TensorSpec([None, *getattr(policy, "obs_shape", OBS_SHAPE)], tf.uint8), action_spec,
            vector, vector, vector])

    def _train_step(self, obs, actions, old_log_probs, advantages, returns):
        """One Adam step on one minibatch; returns the minibatch's statistics in `_STATS` order."""
        cfg = self.config
        with tf.GradientTape() as tape:
            log_probs, entropies, values = self.policy.evaluate(obs, actions)
            entropy = tf.reduce_mean(entropies)
            pi_loss = clipped_surrogate_loss(log_probs, old_log_probs, advantages, cfg.clip_epsilon)
            v_loss = value_loss(values, returns, cfg.loss_type)
            loss = pi_loss - cfg.beta_entropy * entropy + v_loss
        variables = self.policy.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        log_ratio = log_probs - old_log_probs
        approx_kl = tf.reduce_mean(tf.exp(log_ratio) - 1.0 - log_ratio)
        clipped = tf.abs(tf.exp(log_ratio) - 1.0) > cfg.clip_epsilon
        clipfrac = tf.reduce_mean(tf.cast(clipped, tf.float32))
        return tf.stack([pi_loss, v_loss, entropy, approx_kl, clipfrac])

    def update(self, buffer):
        """Train on a finished RolloutBuffer; return diagnostics averaged over its minibatches."""
        cfg, n = self.config, len(buffer)
        if n == 0 or buffer.advantages is None:
            raise ValueError("PPOTrainer.update: the buffer is empty or not finished (call finish())")
        advantages = buffer.advantages
        if cfg.normalize_advantages and n > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        arrays = (buffer.obs, buffer.actions, buffer.log_probs, advantages.astype(np.float32),
                  buffer.returns)
        start, stats = time.perf_counter(), []
        for _ in range(cfg.num_epochs):
            order = self.rng.permutation(n)
            for first in range(0, n, cfg.batch_size):
                rows = order[first:first + cfg.batch_size]
                stats.append(self._step(*(a[rows] for a in arrays)))
        stats = np.mean([s.numpy() for s in stats], axis=0)
        elapsed = time.perf_counter() - start
        result = {name: float(value) for name, value in zip(_STATS, stats)}
        result.update(explained_variance=explained_variance(buffer.values, buffer.returns),
                      samples_per_s=cfg.num_epochs * n / elapsed, update_s=elapsed,
                      num_minibatches=cfg.num_epochs * -(-n // cfg.batch_size))
        return result
