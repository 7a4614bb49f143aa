"""Where the shipped default user files live (config/ of the sagemaker_rl_agent package).

Source tree: `sagemaker_rl_agent/config/`; installed workspace:
`<prefix>/share/sagemaker_rl_agent/config/` (see the package's CMakeLists.txt).
"""
from pathlib import Path

PACKAGE = "sagemaker_rl_agent"
REWARD_FUNCTION = "reward_function.py"
MODEL_METADATA = "model_metadata.json"
HYPERPARAMETERS = "hyperparameters.json"


def _candidates():
    here = Path(__file__).resolve().parent
    yield here.parents[2] / "config"  # <pkg>/src/markov/envs -> <pkg>/config
    for parent in here.parents:  # <prefix>/lib/python3/dist-packages/markov/envs -> <prefix>
        yield parent / "share" / PACKAGE / "config"


def shipped_config(name: str) -> Path:
    """Path of a shipped default file such as 'reward_function.py'; FileNotFoundError if absent."""
    tried = []
    for folder in _candidates():
        path = folder / name
        if path.is_file():
            return path
        tried.append(str(folder))
    raise FileNotFoundError(f"shipped default {name!r} not found; looked in: {', '.join(tried)}")
