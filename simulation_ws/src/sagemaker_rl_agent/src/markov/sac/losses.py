"""SAC's pure functions (TensorFlow): the squashed Gaussian, the soft target, the three losses
and the Polyak update of the target critic.

Notation: u ~ N(mean, exp(log_std)^2) is the pre-squash action, a = tanh(u) the action
in [-1, 1]; log pi(a|s) = log N(u) - sum_i log(1 - tanh(u_i)^2 + eps).
"""
import math

import tensorflow as tf

from markov.ppo.losses import value_loss

_LOG_2PI = math.log(2.0 * math.pi)
SQUASH_EPS = 1e-6  # keeps log(1 - tanh(u)^2) finite at |a| = 1


def squashed_sample(mean, log_std, noise):
    """`(a, log_prob)`: a = tanh(mean + exp(log_std) * noise) and its log-density, (B, d), (B,)."""
    u = mean + tf.exp(log_std) * noise
    a = tf.tanh(u)
    gaussian = tf.reduce_sum(-0.5 * tf.square(noise) - log_std - 0.5 * _LOG_2PI, axis=-1)
    return a, gaussian - tf.reduce_sum(tf.math.log(1.0 - tf.square(a) + SQUASH_EPS), axis=-1)


def soft_target(rewards, dones, next_q1, next_q2, next_log_probs, alpha, gamma):
    """y = r + gamma (1 - done) (min(Q1', Q2')(s', a') - alpha log pi(a'|s')), a' ~ pi(s'); (B,)."""
    soft_value = tf.minimum(next_q1, next_q2) - alpha * next_log_probs
    return rewards + gamma * (1.0 - dones) * soft_value


def critic_loss(q1, q2, targets, loss_type="huber"):
    """Sum of both critics' losses against the (fixed) targets: value_loss(Q1, y) + value_loss(Q2, y)."""
    targets = tf.stop_gradient(targets)
    return value_loss(q1, targets, loss_type) + value_loss(q2, targets, loss_type)


def actor_loss(log_probs, q1, q2, alpha):
    """mean(alpha log pi(a|s) - min(Q1, Q2)(s, a)) for actions a ~ pi(s) (reparameterized)."""
    return tf.reduce_mean(alpha * log_probs - tf.minimum(q1, q2))


def alpha_loss(log_alpha, log_probs, target_entropy):
    """-mean(log_alpha (log pi(a|s) + target_entropy)): raises alpha while the entropy
    -log pi is below the target, lowers it above."""
    return -tf.reduce_mean(log_alpha * tf.stop_gradient(log_probs + target_entropy))


def polyak_update(target_variables, online_variables, tau):
    """target <- (1 - tau) target + tau online, variable by variable (in place)."""
    for target, online in zip(target_variables, online_variables):
        target.assign((1.0 - tau) * target + tau * online)
