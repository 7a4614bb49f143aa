"""PPO's pure loss functions (TensorFlow) and GAE (numpy, re-exported from `advantages`)."""
import math

import tensorflow as tf

from markov.ppo.advantages import gae  # noqa: F401  (part of this module's API)

_LOG_2PI = math.log(2.0 * math.pi)


def clipped_surrogate_loss(log_probs, old_log_probs, advantages, clip_epsilon=0.2):
    """Clipped surrogate objective negated (a loss to minimise), averaged over the batch.

    ratio = exp(log_probs - old_log_probs);
    loss = -mean(min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A))
    """
    ratio = tf.exp(log_probs - old_log_probs)
    clipped = tf.clip_by_value(ratio, 1.0 - clip_epsilon, 1.0 + clip_epsilon)
    return -tf.reduce_mean(tf.minimum(ratio * advantages, clipped * advantages))


def value_loss(values, returns, loss_type="huber"):
    """Mean value loss: "huber" (delta 1: 0.5 e^2 if |e| <= 1 else |e| - 0.5) or
    "mean squared error" (0.5 e^2), with e = returns - values."""
    error = returns - values
    if loss_type == "huber":
        abs_error = tf.abs(error)
        quadratic = tf.minimum(abs_error, 1.0)
        return tf.reduce_mean(0.5 * tf.square(quadratic) + (abs_error - quadratic))
    if loss_type == "mean squared error":
        return tf.reduce_mean(0.5 * tf.square(error))
    raise ValueError(f"value_loss: loss_type must be 'huber' or 'mean squared error', got {loss_type!r}")


def categorical_entropy(log_probs_all):
    """Entropy -sum p log p of each row of log-probabilities (B, n) -> (B,); 0 log 0 counts as 0."""
    log_probs_all = tf.convert_to_tensor(log_probs_all, tf.float32)
    return -tf.reduce_sum(tf.math.multiply_no_nan(log_probs_all, tf.exp(log_probs_all)), axis=-1)


def gaussian_entropy(log_std):
    """Entropy of a diagonal Gaussian: sum over dims of log_std + 0.5 + 0.5 log(2 pi)."""
    return tf.reduce_sum(log_std + 0.5 + 0.5 * _LOG_2PI, axis=-1)


def gaussian_log_prob(actions, means, log_std):
    """Log-density of `actions` (B, d) under N(means, exp(log_std)^2), summed over d -> (B,)."""
    z = (actions - means) * tf.exp(-log_std)
    return tf.reduce_sum(-0.5 * tf.square(z) - log_std - 0.5 * _LOG_2PI, axis=-1)

