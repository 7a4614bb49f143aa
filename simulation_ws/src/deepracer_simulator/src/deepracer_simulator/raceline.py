"""Race lines and their lap-time limit, from a track and the car's limits.

Pure numpy (no scipy). A line is the centre line shifted sideways by an
offset per point, ``p_i = c_i + alpha_i * n_i`` (n = left normal), with
``alpha`` kept inside the road minus a margin of the car's half width.

- centre line: ``alpha = 0``;
- minimum curvature: ``alpha`` minimising the summed squared second
  difference of the points (projected, accelerated gradient descent);
- minimum time: the fastest line of the family between the shortest path
  and the minimum-curvature line (and the centre line), judged by the lap
  time of its speed profile. It is never slower than either, by construction.

The speed profile uses the same limits as the simulator's dynamics
(`deepracer_simulator.dynamics`, `SimConfig`): top speed ``max_speed``,
lateral acceleration ``mu * g``, the first-order speed response
``dv/dt = (v_target - v) / tau`` (accelerating towards the top speed,
braking towards ``min_speed``), and the minimum radius the steering limit
allows (``wheelbase / tan(max_steering_angle)``). All come from the URDF and
the SimConfig: `CarLimits.from_car`.
"""
import math
from dataclasses import dataclass
from typing import Dict

import numpy as np

from .simulator import SimConfig

DEFAULT_SPACING = 0.05  # m, distance between race-line points
OPTIMISE_SPACING = 0.2  # m, point spacing while optimising offsets (coarse = well conditioned)
CURVATURE_STENCIL = 0.25  # m, curvature is read from points this far before and after
MIN_COMMAND_SPEED = 0.1  # m/s, the agent's slowest speed command (markov.config.SPEED_LIMITS_MPS)


class RaceLineError(ValueError):
    """A track on which no race line can be computed (open route, too narrow)."""


@dataclass(frozen=True)
class CarLimits:
    """What bounds the car's speed along a line."""

    max_speed: float  # m/s, top speed
    grip: float  # m/s^2, largest lateral acceleration (mu * g)
    speed_time_constant: float  # s, tau of dv/dt = (v_target - v) / tau
    min_speed: float  # m/s, speed command when braking hardest
    min_radius: float  # m, tightest turn the steering allows
    half_width: float  # m, car's half width: margin kept from each road edge

    @classmethod
    def from_car(cls, car, config: SimConfig = SimConfig(),
                 min_speed: float = MIN_COMMAND_SPEED) -> "CarLimits":
        """Limits of a CarModel (URDF) driven by the simulator with `config`."""
        g = car.geometry
        return cls(max_speed=float(config.max_speed),
                   grip=float(config.vehicle.friction_coefficient * config.vehicle.gravity),
                   speed_time_constant=float(config.vehicle.speed_time_constant),
                   min_speed=float(min_speed),
                   min_radius=float(g.wheelbase / math.tan(g.max_steering_angle)),
                   half_width=float((g.track + g.wheel_width) / 2.0))


@dataclass(frozen=True)
class RaceLine:
    """One closed line: points, per-point speed and the lap time it gives."""

    name: str  # "centre", "min_curvature" or "min_time"
    xy: np.ndarray  # m, (N, 2) points; the loop closes from the last back to the first
    speed: np.ndarray  # m/s, (N,) speed profile
    curvature: np.ndarray  # 1/m, (N,) signed, left positive
    lap_time: float  # s, one lap at the speed profile
    feasible: bool = True  # False: somewhere tighter than the steering allows (speed capped there)

    @property
    def length(self) -> float:
        return float(np.sum(_segment_lengths(self.xy)))

    def as_array(self) -> np.ndarray:
        """(N, 3) float64 x, y, speed: the saved .npy format."""
        return np.column_stack([self.xy, self.speed])


# ---------------------------------------------------------------- geometry
def _segment_lengths(xy):
    """Length of segment i -> i+1 on the closed loop."""
    d = np.roll(xy, -1, axis=0) - xy
    return np.hypot(d[:, 0], d[:, 1])


def curvature(xy, stencil=CURVATURE_STENCIL) -> np.ndarray:
    """Signed curvature (1/m, left positive) of the circle through p[i-k], p[i], p[i+k].

    k is the number of points spanning `stencil` metres (at least 1).
    """
    step = float(np.mean(_segment_lengths(xy)))
    k = max(1, int(round(stencil / step)))
    a, b, c = np.roll(xy, k, axis=0), xy, np.roll(xy, -k, axis=0)
    ab, bc, ca = b - a, c - b, a - c
    cross = ab[:, 0] * bc[:, 1] - ab[:, 1] * bc[:, 0]
    den = (np.hypot(*ab.T) * np.hypot(*bc.T) * np.hypot(*ca.T))
    return np.divide(2.0 * cross, den, out=np.zeros(len(xy)), where=den > 1e-12)


@dataclass(frozen=True)
class Corridor:
    """The resampled centre line, its left normals and the allowed offsets."""

    centre: np.ndarray  # m, (N, 2)
    normal: np.ndarray  # (N, 2) unit left normals
    low: np.ndarray  # m, (N,) smallest offset (right edge + margin), <= 0
    high: np.ndarray  # m, (N,) largest offset (left edge - margin), >= 0

    def points(self, alpha) -> np.ndarray:
        return self.centre + self.normal * np.asarray(alpha)[:, None]


def corridor(track, margin: float, spacing: float = DEFAULT_SPACING) -> Corridor:
    """Resample a closed Track's centre line every ~`spacing` m with its road half widths."""
    if not track.closed:
        raise RaceLineError(f"track {track.name!r} is not a closed loop: no lap, no race line")
    n = max(8, int(round(track.length / spacing)))
    s = np.arange(n) * (track.length / n)
    cum = track.cumulative
    x = np.interp(s, cum, track.centre[:, 0])
    y = np.interp(s, cum, track.centre[:, 1])
    centre = np.column_stack([x, y])
    tangent = np.roll(centre, -1, axis=0) - np.roll(centre, 1, axis=0)
    tangent /= np.hypot(*tangent.T)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    high = np.interp(s, cum, track.half_left) - margin
    low = -(np.interp(s, cum, track.half_right) - margin)
    if np.any(high < 0) or np.any(low > 0):
        raise RaceLineError(f"track {track.name!r} is narrower than the car "
                            f"(margin {margin:.3f} m each side)")
    return Corridor(centre=centre, normal=normal, low=low, high=high)


# ------------------------------------------------------- line optimisation
_SECOND_DIFF = np.array([1.0, -4.0, 6.0, -4.0, 1.0])  # D2^T D2 stencil, offsets -2..2
_FIRST_DIFF = np.array([0.0, -1.0, 2.0, -1.0, 0.0])  # D1^T D1 stencil


def _apply(stencil, p):
    return sum(w * np.roll(p, 2 - j, axis=0) for j, w in enumerate(stencil) if w)


def smooth_offsets(cor: Corridor, stencil, iterations: int = 4000) -> np.ndarray:
    """Offsets minimising ||D p(alpha)||^2 within the corridor (projected FISTA).

    `stencil` is D^T D as 5 weights (_SECOND_DIFF: curvature, _FIRST_DIFF: length).
    """
    lipschitz = 2.0 * float(np.sum(np.abs(stencil)))
    alpha = np.zeros(len(cor.centre))
    y, t = alpha.copy(), 1.0
    for _ in range(iterations):
        grad = 2.0 * np.einsum("ij,ij->i", _apply(stencil, cor.points(y)), cor.normal)
        new = np.clip(y - grad / lipschitz, cor.low, cor.high)
        t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        y = new + ((t - 1.0) / t_new) * (new - alpha)
        alpha, t = new, t_new
    return alpha


def resample(xy, spacing: float) -> np.ndarray:
    """Points every ~`spacing` m along the closed polyline `xy`."""
    seg = _segment_lengths(xy)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(8, int(round(cum[-1] / spacing)))
    s = np.arange(n) * (cum[-1] / n)
    loop = np.vstack([xy, xy[:1]])
    return np.column_stack([np.interp(s, cum, loop[:, 0]), np.interp(s, cum, loop[:, 1])])


# ------------------------------------------------------------ speed profile
def _accelerate(v0, ds, target, tau):
    """Speed after `ds` m of the first-order response v -> target, starting at v0 (> 0)."""
    # s(t) = target*t - tau*(target - v0)*(1 - exp(-t/tau)); solve s(t) = ds by Newton.
    t = ds / max(v0, 1e-3)
    for _ in range(20):
        e = math.exp(-t / tau)
        f = target * t - tau * (target - v0) * (1.0 - e) - ds
        df = target - (target - v0) * e
        if df <= 1e-9:
            return target
        step = f / df
        t -= step
        if t <= 0:
            t = 1e-9
        if abs(step) < 1e-12:
            break
    return target - (target - v0) * math.exp(-t / tau)


def speed_profile(xy, limits: CarLimits, strict: bool = True):
    """(speed (N,), curvature (N,), lap time s) of a closed line at the car's limits.

    strict: raise RaceLineError where the line turns tighter than the steering
    allows; else those points are driven at the tightest turn's speed.

    Lateral limit v <= sqrt(grip / |kappa|) and top speed; a forward pass
    accelerating with the first-order response towards max_speed, a backward
    pass braking with it towards min_speed; two laps so the loop is periodic.
    """
    kappa = curvature(xy)
    tight = np.abs(kappa) > 1.0 / limits.min_radius
    if strict and np.any(tight):
        i = int(np.argmax(np.abs(kappa)))
        raise RaceLineError(f"the line turns tighter (radius {1.0 / abs(kappa[i]):.3f} m at "
                            f"point {i}) than the steering allows ({limits.min_radius:.3f} m)")
    vmax = np.minimum(limits.max_speed,
                      np.sqrt(limits.grip / np.clip(np.abs(kappa), 1e-9, 1.0 / limits.min_radius)))
    ds = _segment_lengths(xy)
    n = len(xy)
    v = vmax.copy()
    tau = limits.speed_time_constant
    for _ in range(2):  # forward: accelerating
        for i in range(n):
            j = (i + 1) % n
            reach = _accelerate(v[i], ds[i], limits.max_speed, tau)
            if reach < v[j]:
                v[j] = reach
    for _ in range(2):  # backward: braking (the forward response run in reverse time)
        for i in range(n - 1, -1, -1):
            j = (i + 1) % n
            entry = _brake_entry(v[j], ds[i], limits.min_speed, tau)
            if entry < v[i]:
                v[i] = entry
    mean = (v + np.roll(v, -1)) / 2.0
    return v, kappa, float(np.sum(ds / mean))


def _brake_entry(v_exit, ds, floor, tau):
    """Highest speed from which braking towards `floor` reaches v_exit within ds."""
    # Braking: v(t) = floor + (v0 - floor) exp(-t/tau). Distance from v0 down to v1:
    # s = floor*t + tau*(v0 - v1), t = tau*ln((v0 - floor)/(v1 - floor)). Bisect on v0.
    if v_exit <= floor:
        return v_exit
    lo, hi = v_exit, v_exit + ds / tau + 1.0
    for _ in range(50):
        mid = (lo + hi) / 2.0
        s = floor * tau * math.log((mid - floor) / (v_exit - floor)) + tau * (mid - v_exit)
        lo, hi = (mid, hi) if s <= ds else (lo, mid)
    return lo


def make_line(name, xy, limits: CarLimits) -> RaceLine:
    """A RaceLine through `xy`; feasible=False where it is tighter than the steering allows."""
    speed, kappa, lap = speed_profile(xy, limits, strict=False)
    feasible = bool(np.all(np.abs(kappa) <= 1.0 / limits.min_radius))
    return RaceLine(name=name, xy=xy, speed=speed, curvature=kappa, lap_time=lap, feasible=feasible)


def _refine(alpha, n, cor: Corridor) -> np.ndarray:
    """Offsets at n evenly spaced points from offsets at len(alpha) ones (periodic linear)."""
    m = len(alpha)
    u = np.arange(n) * (m / n)
    fine = np.interp(u, np.arange(m + 1), np.append(alpha, alpha[0]))
    return np.clip(fine, cor.low, cor.high)


# ------------------------------------------------------------------ the API
def race_lines(track, limits: CarLimits, spacing: float = DEFAULT_SPACING,
               blends: int = 11) -> Dict[str, RaceLine]:
    """{"centre", "min_curvature", "min_time"} RaceLines of a closed Track."""
    cor = corridor(track, limits.half_width, spacing)
    coarse = corridor(track, limits.half_width, OPTIMISE_SPACING)
    centre = make_line("centre", cor.centre, limits)
    a_curv = _refine(smooth_offsets(coarse, _SECOND_DIFF), len(cor.centre), cor)
    a_short = _refine(smooth_offsets(coarse, _FIRST_DIFF), len(cor.centre), cor)
    min_curv = make_line("min_curvature", resample(cor.points(a_curv), spacing), limits)
    candidates = [min_curv, centre]
    for w in np.linspace(0.0, 1.0, blends)[1:]:
        alpha = (1.0 - w) * a_curv + w * a_short
        candidates.append(make_line("min_time", resample(cor.points(alpha), spacing), limits))
    # The fastest; where a line turns tighter than the steering allows (feasible False,
    # e.g. hairpins narrower than the car's turning circle) its speed there is capped.
    best = min(candidates, key=lambda line: line.lap_time)
    min_time = RaceLine("min_time", best.xy, best.speed, best.curvature, best.lap_time,
                        best.feasible)
    return {"centre": centre, "min_curvature": min_curv, "min_time": min_time}


# ------------------------------------------------------- checking a line
def drive_line(sim, line: RaceLine, lookahead: float = 0.25, lookahead_time: float = 0.25,
               laps: int = 2,
               max_time: float = 300.0) -> float:
    """Time (s, simulated) of the last of `laps` laps of a pure-pursuit driver following `line`.

    The car starts at rest on the line's first point, so the first lap is a
    standing start; the later ones are flying laps, like the profile's.
    Steering: pure pursuit on the line's points `lookahead` m ahead of the
    rear axle (`lookahead` + `lookahead_time` * speed). Speed: the feed-forward command that makes the simulator's
    first-order response follow the profile, v_cmd = v + tau * v * dv/ds.
    A lap is the line's length driven. Raises RaceLineError when the car
    leaves the road (no wheel on it) or does not finish within `max_time`.
    """
    xy, v = line.xy, line.speed
    n = len(xy)
    ds = _segment_lengths(xy)
    length = float(np.sum(ds))
    dvds = (np.roll(v, -1) - v) / ds
    tau = sim.config.vehicle.speed_time_constant
    wheelbase = sim.car.geometry.wheelbase
    max_steer = sim.car.geometry.max_steering_angle
    d0 = xy[1] - xy[0]
    sim.reset(float(xy[0, 0]), float(xy[0, 1]), math.atan2(d0[1], d0[0]))
    travelled, i, t, lap_start = 0.0, 0, 0.0, 0.0
    st = sim.state
    while travelled < laps * length:
        if t > max_time:
            raise RaceLineError(f"no {laps} laps within {max_time} s (driven {travelled:.1f} m)")
        window = (i + np.arange(-5, 40)) % n
        i = int(window[int(np.argmin(np.hypot(xy[window, 0] - st.x, xy[window, 1] - st.y)))])
        k = i
        reach = lookahead + lookahead_time * abs(st.speed)
        while math.hypot(xy[k, 0] - st.x, xy[k, 1] - st.y) < reach:
            k = (k + 1) % n
        alpha = math.atan2(xy[k, 1] - st.y, xy[k, 0] - st.x) - st.yaw
        dist = math.hypot(xy[k, 1] - st.y, xy[k, 0] - st.x)
        steer = math.atan(2.0 * wheelbase * math.sin(alpha) / dist)
        sim.set_drive(max(-max_steer, min(max_steer, steer)),
                      float(np.clip(v[i] + tau * v[i] * dvds[i], 0.0, sim.config.max_speed)))
        before = st
        st = sim.step_frame()
        t += sim.frame_period
        if not bool(np.any(sim.wheels_on_track())):
            raise RaceLineError(f"the car left the road at ({st.x:.2f}, {st.y:.2f}) after {t:.2f} s")
        step = math.hypot(st.x - before.x, st.y - before.y)
        if travelled + step >= (laps - 1) * length > travelled:  # crossing into the last lap
            lap_start = t - sim.frame_period * ((travelled + step - (laps - 1) * length) / step)
        travelled += step
    overshoot = (travelled - laps * length) / max(st.speed, 1e-6)
    return t - overshoot - lap_start
