"""State of the gradient-descent panel: data, start, learning rate, steps taken, and what the core
computes from them (the solution of A w = b, the regime of eta, the descent runs). No widgets."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import traitlets

from explorer.core import linear as L

MAX_N = 50  # data points (the stochastic path replays up to MAX_N * MAX_STEPS updates)
MAX_STEPS = 200  # steps (passes over the data) one run may take
SEED_MAX = 2**31 - 1  # as the training panel's seeds: a visitor's 1000-digit seed is refused
MAX_NOISE = 10.0
MAX_OFFSET = 25.0  # the start stays within this distance (per weight) of the solution
CRAWL = 0.1  # eta below CRAWL * eta_osc "crawls"
NAMES = {"batch": "batch", "stochastic": "stochastic", "minibatch": "mini-batch"}


@dataclass(frozen=True)
class Problem:
    """Data x, t (m,), design X (m, 2), solution w_star (2,) or None, least E, A's eigenvalues."""

    x: np.ndarray
    t: np.ndarray
    X: np.ndarray
    w_star: np.ndarray | None
    E_min: float  # E at the solution (at any minimiser when there is no unique solution)
    lam: np.ndarray  # eigenvalues of A = X^T X, ascending
    singular: str | None  # the core's reason when A w = b has no unique solution


def problem(x, t) -> Problem:
    """Design matrix, solution (if A is regular) and curvature of E for 1-D data x, t (m,)."""
    X = L.design(x)
    x, t = X[:, 1].copy(), np.asarray(t, dtype=np.float64)
    try:
        w_star, reason = L.solve(X, t), None
    except ValueError as e:
        w_star, reason = None, str(e)
    w_min = w_star if w_star is not None else np.linalg.lstsq(X, t, rcond=None)[0]
    return Problem(x, t, X, w_star, L.error(w_min, X, t), np.linalg.eigvalsh(X.T @ X), reason)


@dataclass(frozen=True)
class Regime:
    """What batch descent does at `lr`: name (crawls, converges, oscillates, diverges) and why."""

    name: str
    lr_osc: float  # 1 / (2 lambda_max): above it, steps overshoot the valley floor
    lr_div: float  # 1 / lambda_max: above it, the overshoot grows
    steps: float | None  # steps to get 1000 x closer to the minimum (None: never)
    sentence: str


def regime(lam: np.ndarray, lr: float) -> Regime:
    """Classify batch descent on E = sum (t - w^T x)^2 (Hessian 2A) by A's eigenvalues lam."""
    lam_min, lam_max = float(lam[0]), float(lam[-1])
    lr_osc, lr_div = 1 / (2 * lam_max), 1 / lam_max
    flat = lam_min <= 1e-12 * lam_max
    rho = max(abs(1 - 2 * lr * lam_max), 0.0 if flat else abs(1 - 2 * lr * lam_min))
    steps = math.log(1e-3) / math.log(rho) if 0 < rho < 1 else (0.0 if rho == 0 else None)
    if lr >= lr_div:
        name, why = "diverges", "η ≥ η_div, every step overshoots more"
    elif lr > lr_osc:
        name, why = "oscillates", "η_osc < η < η_div, it overshoots the valley floor but converges"
    elif lr < CRAWL * lr_osc:
        name, why = "crawls", f"η < {CRAWL:g} η_osc = {CRAWL * lr_osc:.3g}, tiny steps"
    else:
        name, why = "converges", "η ≤ η_osc, it slides down without overshooting"
    if flat:
        pace = "λ_min = 0: the valley floor is flat, there is no unique minimum"
    elif steps is None:
        pace = "it never gets closer"
    else:
        pace = f"about {math.ceil(steps)} steps to get 1000× closer"
    sentence = (f"η = {lr:.3g} {name}: {why}; {pace}. Thresholds for batch descent: "
                f"η_osc = 1/(2λ_max) = {lr_osc:.3g}, η_div = 1/λ_max = {lr_div:.3g} (λ_max = "
                f"{lam_max:.3g}, λ_min = {lam_min:.3g}: eigenvalues of A = XᵀX; E has no ½, so its "
                f"Hessian is 2A).")
    return Regime(name, lr_osc, lr_div, steps, sentence)


def _check(name: str, value, ok: bool, allowed: str):
    if not ok:
        raise traitlets.TraitError(f"{name} must be {allowed}, got {value!r}")
    return value


class DescentState(traitlets.HasTraits):
    """Inputs (n ... show_minibatch), `steps` taken, derived `data` (Problem) and runs by method."""

    n = traitlets.Int(20)
    noise = traitlets.Float(0.3)
    seed = traitlets.Int(0)
    lr = traitlets.Float(0.01)
    w0 = traitlets.Float(3.0)
    w1 = traitlets.Float(0.0)
    batch_size = traitlets.Int(5)
    steps = traitlets.Int(0)
    show_batch = traitlets.Bool(True)
    show_stochastic = traitlets.Bool(True)
    show_minibatch = traitlets.Bool(True)
    data = traitlets.Instance(Problem)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._runs: dict[str, L.Descent] = {}
        self.new_data()
        self.observe(lambda _: self.new_data(), names=["n", "noise", "seed"])
        self.observe(lambda _: self._runs.clear(), names=["lr", "w0", "w1", "batch_size", "data"])

    def new_data(self) -> None:
        """Draw the toy data of the core for n, noise, seed."""
        self.data = problem(*L.toy_data(self.n, seed=self.seed, noise=self.noise))

    def set_data(self, x, t) -> None:
        """Use your own 1-D data x, t (m,) (at most MAX_N points)."""
        _check("the data", f"{len(x)} points", 0 < len(x) <= MAX_N, f"1 to {MAX_N} points")
        self.data = problem(x, t)

    @traitlets.validate("n")
    def _n(self, p):
        return _check("n (data points)", p["value"], 1 <= p["value"] <= MAX_N, f"1 to {MAX_N}")

    @traitlets.validate("noise")
    def _noise(self, p):
        v = p["value"]
        return _check("noise", v, math.isfinite(v) and 0 <= v <= MAX_NOISE,
                      f"a number from 0 to {MAX_NOISE:g}")

    @traitlets.validate("seed")
    def _seed(self, p):
        return _check("seed", p["value"], 0 <= p["value"] <= SEED_MAX, f"0 to {SEED_MAX}")

    @traitlets.validate("lr")
    def _lr(self, p):
        v = p["value"]
        return _check("the learning rate η", v, math.isfinite(v) and v > 0,
                      "a number > 0 (η ≤ 0 or NaN does not descend)")

    @traitlets.validate("w0", "w1")
    def _w(self, p):
        return _check("the start " + p["trait"].name, p["value"], math.isfinite(p["value"]),
                      "a finite number")

    @traitlets.validate("batch_size")
    def _batch_size(self, p):
        return _check("batch size B", p["value"], 1 <= p["value"] <= MAX_N, f"1 to {MAX_N}")

    @traitlets.validate("steps")
    def _steps(self, p):
        return _check("steps", p["value"], 0 <= p["value"] <= MAX_STEPS, f"0 to {MAX_STEPS}")

    @property
    def start(self) -> np.ndarray:
        """The start (w0, w1), shape (2,)."""
        return np.array([self.w0, self.w1])

    @property
    def center(self) -> np.ndarray:
        """The solution, or the smallest minimiser of E when it is not unique; shape (2,)."""
        d = self.data
        return d.w_star if d.w_star is not None else np.linalg.lstsq(d.X, d.t, rcond=None)[0]

    def nearest_minimum(self) -> np.ndarray:
        """The minimiser of E closest to the start (the solution when it is unique); shape (2,)."""
        d, w = self.data, self.start
        return d.w_star if d.w_star is not None else w + np.linalg.lstsq(d.X, d.t - d.X @ w,
                                                                         rcond=None)[0]

    def regime(self) -> Regime:
        """How batch descent behaves at the current learning rate."""
        return regime(self.data.lam, self.lr)

    def updates_per_step(self, method: str) -> int:
        """Updates in one step (one pass over the m samples): 1, m, or ceil(m / B)."""
        m = len(self.data.t)
        return {"batch": 1, "stochastic": m, "minibatch": math.ceil(m / self.batch_size)}[method]

    def batch_problem(self) -> str | None:
        """Why the mini-batch path cannot be drawn (B > m), or None."""
        m = len(self.data.t)
        if self.batch_size <= m:
            return None
        samples = f"{m} sample{'s' * (m > 1)}"
        return (f"Batch size B = {self.batch_size} is more than the {samples}; choose B ≤ {m} "
                "(the mini-batch path is hidden until then).")

    def run(self, method: str) -> L.Descent | None:
        """The core's descend() from the start for `steps` passes (None if B > m): path, errors."""
        if method == "minibatch" and self.batch_problem():
            return None
        per, want = self.updates_per_step(method), self.steps * self.updates_per_step(method)
        cached = self._runs.get(method)
        if cached is None or (cached.stopped is None and len(cached.errors) - 1 < want):
            more = max(want, 2 * (len(cached.errors) - 1) if cached else 0)  # amortise replays
            cached = L.descend(self.data.X, self.data.t, self.start, self.lr,
                               min(more, MAX_STEPS * per), method, self.batch_size, self.seed)
            self._runs[method] = cached
        if len(cached.errors) - 1 <= want:
            return cached
        return L.Descent(cached.path[: want + 1], cached.errors[: want + 1], None)
