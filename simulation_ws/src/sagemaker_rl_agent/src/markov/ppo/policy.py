"""The PPO actor-critic: a policy tower and a separate value tower on the same camera image.

Discrete actions: a softmax over `n_actions`. Continuous actions: a diagonal Gaussian over
(steering, speed) in [-1, 1] units whose means are tanh-squashed and whose log-std is a
learned, state-independent vector; samples are not clipped (the env clips and scales them).
"""
import math

import keras
import numpy as np
import tensorflow as tf

from markov.ppo.losses import categorical_entropy, gaussian_entropy, gaussian_log_prob
from markov.ppo.networks import OBS_SHAPE, make_features, seed_stream

CONTINUOUS_ACTION_DIM = 2  # steering, speed
_LOG_2PI = math.log(2.0 * math.pi)


class GaussianMeanHead(keras.layers.Layer):
    """tanh-squashed Gaussian means; holds the state-independent `log_std` weight too."""

    def __init__(self, dim, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(
            dim, activation="tanh", kernel_initializer=keras.initializers.Orthogonal(0.01, seed=seed))
        self.log_std = self.add_weight(shape=(dim,), initializer="zeros", name="log_std")

    def call(self, features):
        return self.dense(features)


def _model(network_name, head, seed, name, obs_shape=OBS_SHAPE):
    image = keras.Input(tuple(obs_shape), dtype="float32", name="image")
    features = make_features(network_name, image, seed=seed, prefix=f"{name}_tower", layout=obs_shape)
    return keras.Model(image, head(features), name=name)


def sample_categorical(log_probs, rng):
    """One action index per row of log-probabilities (B, n), drawn by inverse CDF from `rng`."""
    cdf = np.cumsum(np.exp(log_probs), axis=1)
    draws = rng.random((len(cdf), 1)) * cdf[:, -1:]
    return np.minimum((cdf < draws).sum(axis=1), cdf.shape[1] - 1).astype(np.int64)


def sample_gaussian(means, log_std, rng, greedy=False):
    """`(actions, log_probs)` from N(means, exp(log_std)^2) per row (B, d); greedy returns the means."""
    noise = np.zeros_like(means) if greedy else rng.standard_normal(means.shape).astype(np.float32)
    actions = means + np.exp(log_std) * noise
    log_probs = np.sum(-0.5 * noise**2 - log_std - 0.5 * _LOG_2PI, axis=1)
    return actions.astype(np.float32), log_probs.astype(np.float32)


def _check_obs(obs_batch, where, shape=OBS_SHAPE):
    obs = np.asarray(obs_batch)
    if obs.ndim != 4 or obs.shape[1:] != shape:
        raise ValueError(f"{where}: images must have shape (B, {', '.join(map(str, shape))}), "
                         f"got {obs.shape}")
    return obs


class PPOPolicy:
    """Two Keras models: `policy_net` (logits, or Gaussian means) and `value_net` (V(s))."""

    def __init__(self, network_name, n_actions=None, continuous=False, seed=None,
                 obs_shape=OBS_SHAPE):
        if continuous == (n_actions is not None):
            raise ValueError("PPOPolicy: give either n_actions (discrete) or continuous=True, not both")
        if not continuous and (isinstance(n_actions, bool) or not isinstance(n_actions, int)
                               or n_actions < 1):
            raise ValueError(f"PPOPolicy: n_actions must be an integer >= 1, got {n_actions!r}")
        self.network_name, self.continuous, self.n_actions = network_name, continuous, n_actions
        self.obs_shape = tuple(obs_shape)  # (120, 160, 1); (120, 160, 2) for STEREO_CAMERAS
        # markov.sensors.NetworkInput with a LIDAR: camera channels + the packed LIDAR plane
        self.layout = obs_shape
        self.sensors = tuple(getattr(obs_shape, "sensors", ()))
        seeds = seed_stream(seed)
        if continuous:
            head = GaussianMeanHead(CONTINUOUS_ACTION_DIM, seed=next(seeds), name="gaussian_head")
        else:
            head = keras.layers.Dense(n_actions, name="logits", kernel_initializer=keras.initializers
                                      .Orthogonal(0.01, seed=next(seeds)))
        self.policy_net = _model(network_name, head, next(seeds), "policy", self.layout)
        value_head = keras.layers.Dense(1, name="value", kernel_initializer=keras.initializers
                                        .Orthogonal(1.0, seed=next(seeds)))
        self.value_net = _model(network_name, value_head, next(seeds), "value", self.layout)
        self._rng = np.random.default_rng(seed)
        spec = tf.TensorSpec([None, *self.obs_shape], tf.float32)
        self._act_graph = tf.function(self._act_outputs, input_signature=[spec])
        self._policy_graph = tf.function(self._policy_outputs, input_signature=[spec])
        self._value_graph = tf.function(self.values, input_signature=[spec])

    @property
    def trainable_variables(self):
        """Every trained variable: policy tower and head (and log-std), then value tower and head."""
        return self.policy_net.trainable_variables + self.value_net.trainable_variables

    @property
    def log_std(self):
        """The Gaussian log-std variable (continuous only)."""
        return self.policy_net.get_layer("gaussian_head").log_std

    def action_output(self, obs):
        """What model.pb outputs: softmax probabilities, or the Gaussian means in [-1, 1]."""
        out = self.policy_net(tf.cast(obs, tf.float32), training=False)
        return out if self.continuous else tf.nn.softmax(out)

    def _policy_outputs(self, obs):
        out = self.policy_net(obs, training=False)
        return out if self.continuous else tf.nn.log_softmax(out)

    def _act_outputs(self, obs):
        return self._policy_outputs(obs), self.values(obs)

    def act(self, obs_batch, greedy=False, rng=None, with_value=True):
        """Return numpy `(actions, log_probs, values)` for a batch of images (B, 120, 160, 1).

        Sampling draws from `rng` (a numpy Generator; default: the policy's, seeded by `seed`).
        `greedy` takes the most likely action (discrete) or the means (continuous).
        `with_value=False` skips the value tower (values is None): half the cost of a
        batch-1 rollout step; get the values later in batches with `predict_values`.
        """
        obs = _check_obs(obs_batch, "PPOPolicy.act", self.obs_shape).astype(np.float32, copy=False)
        if with_value:
            out, values = (t.numpy() for t in self._act_graph(obs))
        else:
            out, values = self._policy_graph(obs).numpy(), None
        rng = self._rng if rng is None else rng
        if self.continuous:
            actions, log_probs = sample_gaussian(out, self.log_std.numpy(), rng, greedy)
            return actions, log_probs, values
        actions = np.argmax(out, axis=1) if greedy else sample_categorical(out, rng)
        return actions, out[np.arange(len(out)), actions], values

    def predict_values(self, obs_batch, batch_size=256):
        """V(s) as a float32 numpy array (B,), computed `batch_size` images at a time."""
        obs = _check_obs(obs_batch, "PPOPolicy.predict_values", self.obs_shape)
        parts = [self._value_graph(obs[i:i + batch_size].astype(np.float32)).numpy()
                 for i in range(0, len(obs), batch_size)]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def values(self, obs):
        """V(s) for a batch of images, as a float32 tensor (B,)."""
        return tf.squeeze(self.value_net(tf.cast(obs, tf.float32), training=False), -1)

    def evaluate(self, obs, actions):
        """Return tensors `(log_probs, entropies, values)`, each (B,), of `actions` taken at `obs`."""
        obs = tf.cast(obs, tf.float32)
        out = self.policy_net(obs, training=True)
        values = tf.squeeze(self.value_net(obs, training=True), -1)
        if self.continuous:
            log_std = tf.convert_to_tensor(self.log_std)
            log_probs = gaussian_log_prob(tf.cast(actions, tf.float32), out, log_std)
            return log_probs, tf.fill(tf.shape(log_probs), gaussian_entropy(log_std)), values
        log_p = tf.nn.log_softmax(out)
        log_probs = tf.gather(log_p, tf.cast(actions, tf.int32), batch_dims=1)
        return log_probs, categorical_entropy(log_p), values
