"""DeepRacer agent library: gym env, rewards, rules, PPO, export, model store.

TensorFlow is imported lazily by `markov.ppo` and `markov.export` only.
"""
