"""SAC's networks: the actor (a tanh-squashed Gaussian policy) and the twin critic.

- Actor (`policy_net`): camera tower (markov.ppo.networks) -> dense 256 (relu) ->
  dense 4 = (mean, log_std) per (steering, speed); log_std is clipped to
  [-20, 2] as in DeepRacer's SAC head. Acting samples a = tanh(mean + std * noise);
  greedy (evaluation, the car) takes tanh(mean).
- Critic (`critic_net`): its own camera tower; the features, concatenated with the
  action, feed two heads dense 256 (relu) -> 1, giving Q1 and Q2 (one tower for both
  heads keeps the update affordable on a CPU). The trainer keeps a target copy.

The same interface as PPOPolicy where the workers use it (`act`, `action_output`,
`policy_net`, `continuous`, `n_actions`, `obs_shape`), so the rollout, evaluation,
export and car package code serve both algorithms.
"""
import keras
import numpy as np
import tensorflow as tf

from markov.ppo.networks import OBS_SHAPE, make_network, seed_stream
from markov.sac.losses import squashed_sample

ACTION_DIM = 2  # steering, speed
LOG_STD_BOUNDS = (-20.0, 2.0)
HIDDEN = 256


def _check_obs(obs_batch, shape):
    obs = np.asarray(obs_batch)
    if obs.ndim != 4 or obs.shape[1:] != tuple(shape):
        raise ValueError(f"SACPolicy: images must have shape (B, {', '.join(map(str, shape))}), "
                         f"got {obs.shape}")
    return obs


def _dense(width, seed, name, activation=None):
    return keras.layers.Dense(width, activation=activation, name=name,
                              kernel_initializer=keras.initializers.GlorotUniform(seed=seed))


def make_actor(network_name, obs_shape=OBS_SHAPE, seed=None):
    """image -> (B, 4): the Gaussian means then the raw (unclipped) log-stds."""
    seeds = seed_stream(seed)
    image = keras.Input(obs_shape, dtype="float32", name="image")
    features = make_network(network_name, seed=next(seeds), prefix="actor_tower",
                            input_shape=obs_shape)(image)
    hidden = _dense(HIDDEN, next(seeds), "actor_hidden", "relu")(features)
    head = _dense(2 * ACTION_DIM, next(seeds), "sac_head")(hidden)
    return keras.Model(image, head, name="actor")


def make_critic(network_name, obs_shape=OBS_SHAPE, seed=None, name="critic"):
    """(image, action) -> (B, 2): Q1 and Q2."""
    seeds = seed_stream(seed)
    image = keras.Input(obs_shape, dtype="float32", name="image")
    action = keras.Input((ACTION_DIM,), dtype="float32", name="action")
    features = make_network(network_name, seed=next(seeds), prefix=f"{name}_tower",
                            input_shape=obs_shape)(image)
    joined = keras.layers.Concatenate()([features, action])
    qs = [_dense(1, next(seeds), f"{name}_q{i}")(_dense(HIDDEN, next(seeds), f"{name}_hidden{i}",
                                                        "relu")(joined)) for i in (1, 2)]
    return keras.Model([image, action], keras.layers.Concatenate()(qs), name=name)


def split_head(head):
    """(mean, clipped log_std) from the actor's (B, 4) output."""
    mean, log_std = head[:, :ACTION_DIM], head[:, ACTION_DIM:]
    return mean, tf.clip_by_value(log_std, *LOG_STD_BOUNDS)


class SACPolicy:
    """The actor and the online twin critic of one SAC model."""

    continuous = True
    n_actions = None

    def __init__(self, network_name, seed=None, obs_shape=OBS_SHAPE):
        self.network_name = network_name
        self.obs_shape = obs_shape if isinstance(obs_shape, tuple) else tuple(obs_shape)
        seeds = seed_stream(seed)
        self.policy_net = make_actor(network_name, self.obs_shape, next(seeds))
        self.critic_net = make_critic(network_name, self.obs_shape, next(seeds))
        self._rng = np.random.default_rng(seed)
        spec = tf.TensorSpec([None, *self.obs_shape], tf.float32)
        self._head_graph = tf.function(lambda obs: self.policy_net(obs, training=False),
                                       input_signature=[spec])

    def checkpoint_objects(self):
        """What a checkpoint holds for this policy (markov.ppo.checkpoint)."""
        return {"policy_net": self.policy_net, "critic_net": self.critic_net}

    @property
    def trainable_variables(self):
        return self.policy_net.trainable_variables + self.critic_net.trainable_variables

    def action_output(self, obs):
        """What model.pb outputs: tanh(mean) in [-1, 1] per (steering, speed)."""
        mean, _ = split_head(self.policy_net(tf.cast(obs, tf.float32), training=False))
        return tf.tanh(mean)

    def act(self, obs_batch, greedy=False, rng=None, with_value=True):
        """`(actions, log_probs, None)` as numpy for a batch of images: actions (B, 2) in [-1, 1].

        Sampling draws the noise from `rng` (default: the policy's, seeded by `seed`);
        `greedy` takes tanh(mean) (log_probs are then those of the mean). SAC has no
        value tower: the third item is always None (`with_value` is accepted and ignored).
        """
        obs = _check_obs(obs_batch, self.obs_shape).astype(np.float32, copy=False)
        mean, log_std = split_head(self._head_graph(obs))
        rng = self._rng if rng is None else rng
        noise = (np.zeros(mean.shape, np.float32) if greedy
                 else rng.standard_normal(mean.shape).astype(np.float32))
        actions, log_probs = squashed_sample(mean, log_std, noise)
        return actions.numpy(), log_probs.numpy(), None

    def sample(self, obs, noise, training=True):
        """Tensors `(actions, log_probs)` for images `obs` and standard-normal `noise` (B, 2)."""
        mean, log_std = split_head(self.policy_net(tf.cast(obs, tf.float32), training=training))
        return squashed_sample(mean, log_std, noise)
