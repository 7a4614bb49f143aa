"""DeepRacer agent library: gym env, rewards, rules, PPO, export, model store.

TensorFlow is imported lazily by `markov.ppo` and `markov.export` only.
"""

ENV_ID = "DeepRacerRacetrack-v0"


def _register_env() -> None:
    """Register the gym env by entry point (nothing heavy is imported); re-import is fine."""
    try:
        import gymnasium
    except ImportError:  # the car side has no gymnasium; the env is not needed there
        return
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point="markov.envs.deepracer_env:DeepRacerRacetrackEnv")


_register_env()
