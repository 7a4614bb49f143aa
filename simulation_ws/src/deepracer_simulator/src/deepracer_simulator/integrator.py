"""Fixed-step integration of a derivative function over plain float tuples."""
import math


def rk4_step(derivative, state, drive, params, dt) -> tuple:
    """One classic Runge-Kutta 4 step of size dt (s) with the input held constant."""
    half = 0.5 * dt
    k1 = derivative(state, drive, params)
    k2 = derivative([s + half * k for s, k in zip(state, k1)], drive, params)
    k3 = derivative([s + half * k for s, k in zip(state, k2)], drive, params)
    k4 = derivative([s + dt * k for s, k in zip(state, k3)], drive, params)
    sixth = dt / 6.0
    return tuple([s + sixth * (a + 2.0 * (b + c) + d) for s, a, b, c, d in zip(state, k1, k2, k3, k4)])


def euler_step(derivative, state, drive, params, dt) -> tuple:
    """One explicit Euler step of size dt (s); cheaper, first-order accurate."""
    return tuple([s + dt * k for s, k in zip(state, derivative(state, drive, params))])


STEPPERS = {"rk4": rk4_step, "euler": euler_step}


def integrate(derivative, state, drive, params, duration, substeps, method="rk4") -> tuple:
    """Advance `state` by `duration` seconds in `substeps` equal fixed steps."""
    try:
        step = STEPPERS[method]
    except KeyError:
        raise ValueError(f"unknown integration method {method!r}; accepted: {sorted(STEPPERS)}") from None
    if not (isinstance(substeps, int) and substeps >= 1):
        raise ValueError(f"substeps must be an integer >= 1, got {substeps!r}")
    if not (math.isfinite(duration) and duration >= 0):
        raise ValueError(f"duration must be a finite number >= 0, got {duration!r}")
    dt = duration / substeps
    for _ in range(substeps):
        state = step(derivative, state, drive, params, dt)
    return state
