"""The policy of a model_metadata.json: PPO (`clipped_ppo`, discrete or continuous) or SAC.

One factory for the workers, the car package and the tools, so that each builds
the network the checkpoints of that model hold.
"""
from markov.sensors import camera_obs_shape


def make_policy(metadata, seed=None):
    """A fresh PPOPolicy or SACPolicy for a markov.config.ModelMetadata."""
    obs_shape = camera_obs_shape(metadata.sensor)
    if metadata.training_algorithm == "sac":
        from markov.sac.policy import SACPolicy
        return SACPolicy(metadata.neural_network, seed=seed, obs_shape=obs_shape)
    from markov.ppo.policy import PPOPolicy
    continuous = metadata.action_space.is_continuous
    return PPOPolicy(metadata.neural_network, continuous=continuous,
                     n_actions=None if continuous else metadata.n_actions, seed=seed,
                     obs_shape=obs_shape)
