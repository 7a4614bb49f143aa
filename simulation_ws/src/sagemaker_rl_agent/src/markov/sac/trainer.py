"""The SAC update: each iteration's episodes go into the replay buffer, then
`updates_per_step` x (steps collected) minibatch updates, each of them:

1. target  y = r + gamma (1 - done) (min Q'(s', a') - alpha log pi(a'|s')),  a' ~ pi(s'),
   Q' the target critic;
2. critic  value_loss(Q1(s, a), y) + value_loss(Q2(s, a), y)  (replayed a);
3. actor   mean(alpha log pi(a~|s) - min Q(s, a~)),  a~ ~ pi(s) reparameterized;
4. alpha   -mean(log_alpha (log pi(a~|s) + target_entropy))  (when learn_alpha);
5. target critic <- (1 - tau) target + tau critic.

All four losses come from one forward pass; each network gets only its own loss's
gradients (Adam on TensorFlow's fused kernel, markov.ppo.adam).
"""
import math
import time

import numpy as np
import tensorflow as tf

from markov.ppo.adam import FusedAdam
from markov.sac.buffer import ReplayBuffer
from markov.sac.config import SACConfig
from markov.sac.losses import actor_loss, alpha_loss, critic_loss, polyak_update, soft_target
from markov.sac.policy import ACTION_DIM, make_critic

_STATS = ("critic_loss", "actor_loss", "alpha_loss", "alpha", "entropy", "q_mean")


class SACState(tf.Module):
    """What a checkpoint keeps of the trainer beside the policy: the target critic, the
    temperature and the three Adam states (passed as the checkpoint's `optimizer`)."""

    built = True  # markov.ppo.checkpoint builds unbuilt optimizers; this one always is

    def __init__(self, target_critic, log_alpha, actor_adam, critic_adam, alpha_adam):
        super().__init__(name="sac_state")
        self.target_critic, self.log_alpha = target_critic, log_alpha
        self.actor_adam, self.critic_adam, self.alpha_adam = actor_adam, critic_adam, alpha_adam


class SACTrainer:
    """Owns the replay buffer, the target critic, alpha and the optimizers of a SACPolicy."""

    def __init__(self, policy, config=SACConfig(), seed=None):
        self.policy, self.config = policy, config
        self.buffer = ReplayBuffer(config.replay_buffer_size, policy.obs_shape, ACTION_DIM, seed)
        self.rng = np.random.default_rng(None if seed is None else seed + 1)  # the update's noise
        self.target_critic = make_critic(policy.network_name, policy.obs_shape, name="target_critic")
        self.target_critic.set_weights(policy.critic_net.get_weights())
        self.log_alpha = tf.Variable(math.log(config.sac_alpha), dtype=tf.float32, name="log_alpha")
        adams = [FusedAdam(config.lr, config.adam_epsilon) for _ in range(3)]
        adams[0].build(policy.policy_net.trainable_variables)
        adams[1].build(policy.critic_net.trainable_variables)
        adams[2].build([self.log_alpha])
        self.optimizer = SACState(self.target_critic, self.log_alpha, *adams)
        obs = tf.TensorSpec([None, *policy.obs_shape], tf.uint8)
        vector, pairs = tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, ACTION_DIM], tf.float32)
        self._step = tf.function(self.train_step, input_signature=[
            obs, pairs, vector, obs, vector, pairs, pairs])

    @property
    def alpha(self):
        return float(tf.exp(self.log_alpha))

    def train_step(self, obs, actions, rewards, next_obs, dones, next_noise, noise):
        """One update on one minibatch (noise: standard normal (B, 2) for a' and a~);
        returns the statistics in `_STATS` order."""
        cfg, policy = self.config, self.policy
        obs, next_obs = tf.cast(obs, tf.float32), tf.cast(next_obs, tf.float32)
        actions, rewards, dones = (tf.convert_to_tensor(x, tf.float32)
                                   for x in (actions, rewards, dones))
        alpha = tf.exp(self.log_alpha)
        next_actions, next_log_probs = policy.sample(next_obs, next_noise, training=False)
        next_q = self.target_critic([next_obs, next_actions], training=False)
        targets = soft_target(rewards, dones, next_q[:, 0], next_q[:, 1], next_log_probs, alpha,
                              cfg.discount_factor)
        actor_vars = policy.policy_net.trainable_variables
        critic_vars = policy.critic_net.trainable_variables
        with tf.GradientTape(persistent=True) as tape:
            q = policy.critic_net([obs, actions], training=True)
            c_loss = critic_loss(q[:, 0], q[:, 1], targets, cfg.loss_type)
            new_actions, log_probs = policy.sample(obs, noise)
            q_new = policy.critic_net([obs, new_actions], training=True)
            a_loss = actor_loss(log_probs, q_new[:, 0], q_new[:, 1], tf.stop_gradient(alpha))
            al_loss = alpha_loss(self.log_alpha, log_probs, cfg.target_entropy)
        self.optimizer.critic_adam.apply_gradients(zip(tape.gradient(c_loss, critic_vars), critic_vars))
        self.optimizer.actor_adam.apply_gradients(zip(tape.gradient(a_loss, actor_vars), actor_vars))
        if cfg.learn_alpha:
            self.optimizer.alpha_adam.apply_gradients(
                [(tape.gradient(al_loss, self.log_alpha), self.log_alpha)])
        del tape
        polyak_update(self.target_critic.trainable_variables, critic_vars, cfg.tau)
        return tf.stack([c_loss, a_loss, al_loss, alpha, -tf.reduce_mean(log_probs),
                         tf.reduce_mean(q)])

    def update_rollout(self, rollout):
        """Add a Rollout's episodes to the replay buffer and train on it; return diagnostics
        (`samples_per_s` counts minibatch samples, as PPO's does)."""
        self.buffer.add_episodes(rollout.obs, rollout.actions, rollout.rewards, rollout.dones)
        updates = max(1, int(math.ceil(self.config.updates_per_step * len(rollout))))
        return self.update(updates)

    def update(self, updates):
        """`updates` minibatch updates sampled from the replay buffer."""
        batch, stats = self.config.batch_size, []
        start = time.perf_counter()
        for _ in range(updates):
            b = self.buffer.sample(batch)
            noise = self.rng.standard_normal((2, batch, ACTION_DIM)).astype(np.float32)
            stats.append(self._step(b["obs"], b["actions"], b["rewards"], b["next_obs"], b["dones"],
                                    noise[0], noise[1]))
        stats = np.mean([s.numpy() for s in stats], axis=0)
        elapsed = time.perf_counter() - start
        result = {name: float(value) for name, value in zip(_STATS, stats)}
        result.update(samples_per_s=updates * batch / max(elapsed, 1e-9), update_s=elapsed,
                      num_minibatches=updates, replay_size=len(self.buffer))
        return result
