"""Generalized advantage estimation and explained variance (numpy only)."""
import numpy as np


def gae(rewards, values, dones, last_value, gamma, lam):
    """Return `(advantages, returns)` for one rollout of T steps, float32 arrays of shape (T,).

    `values[t]` is V(s_t); `dones[t]` is true when the episode ended after step t, so
    step t does not bootstrap from V(s_{t+1}) and the advantage sum stops there.
    `last_value` is V of the state after the final step, used unless `dones[-1]`.
        delta_t = r_t + gamma * V_{t+1} * (1 - d_t) - V_t
        A_t = delta_t + gamma * lam * (1 - d_t) * A_{t+1};  returns = A + V
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    not_done = 1.0 - np.asarray(dones, dtype=np.float64)
    if not rewards.ndim == values.ndim == not_done.ndim == 1 or not (
            rewards.shape == values.shape == not_done.shape):
        raise ValueError(f"gae: rewards, values and dones must be 1-D of one length, got shapes "
                         f"{rewards.shape}, {values.shape}, {not_done.shape}")
    next_values = np.append(values[1:], float(last_value))
    deltas = rewards + gamma * next_values * not_done - values
    advantages = np.zeros_like(deltas)
    running = 0.0
    for t in range(len(deltas) - 1, -1, -1):
        running = deltas[t] + gamma * lam * not_done[t] * running
        advantages[t] = running
    return advantages.astype(np.float32), (advantages + values).astype(np.float32)


def explained_variance(values, returns):
    """1 - Var(returns - values) / Var(returns); nan when the returns do not vary."""
    values, returns = np.asarray(values, np.float64), np.asarray(returns, np.float64)
    var_returns = np.var(returns)
    return float("nan") if var_returns == 0 else float(1.0 - np.var(returns - values) / var_returns)
