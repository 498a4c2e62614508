"""State of the activation panel (no widgets): the shown functions, their parameters, the z range,
the probe, and the N(0, sigma^2) input passed through one function. Every number comes from
explorer.core.activations."""

from __future__ import annotations

import math

import numpy as np
import traitlets

from explorer.core.activations import ACTIVATIONS, Activation, get_activation

NAMES = tuple(ACTIVATIONS)
DEFAULT_FUNCTIONS = ("sigmoid", "tanh", "relu")
Z_LIMIT = 20.0  # the z range may lie anywhere in [-Z_LIMIT, Z_LIMIT]
SIGMA_RANGE = (0.1, 20.0)
A_RANGE = (0.0, 3.0)
S_RANGE = (0.0, 3.0)
SATURATION = 0.05  # |g'(z)| below this counts as saturated: gradients vanish there
N_GRID = 601  # points on the z grid of the curves
N_SAMPLES = 5000  # draws of the input z ~ N(0, sigma^2)
N_BINS = 40


def _number(name: str, value: float, lo: float, hi: float) -> float:
    """`value` if it is a finite number in [lo, hi], else a TraitError that says what is allowed.
    A value within rounding noise of a bound (a browser slider at its end) becomes the bound."""
    tol = 1e-9 * max(1.0, abs(lo), abs(hi))
    if math.isfinite(value) and lo - tol <= value <= hi + tol:
        return min(max(value, lo), hi)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise traitlets.TraitError(
            f"{name} must be a finite number from {lo:g} to {hi:g}, got {value!r}"
        )
    return value


def runs(z: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """The (start, end) z of each run of True in `mask`; z and mask have shape (n,)."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(z[s]), float(z[e])) for s, e in zip(starts, ends, strict=True)]


class ActivationState(traitlets.HasTraits):
    """What the activation panel shows; derived arrays are methods that call the core."""

    functions = traitlets.Tuple(DEFAULT_FUNCTIONS)
    alpha = traitlets.Float(0.1)
    A = traitlets.Float(1.7159)
    S = traitlets.Float(2 / 3)
    z_min = traitlets.Float(-6.0)
    z_max = traitlets.Float(6.0)
    z_probe = traitlets.Float(1.5)
    show_derivative = traitlets.Bool(True)
    sigma = traitlets.Float(1.0)
    hist_function = traitlets.Unicode("sigmoid")

    def __init__(self, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self._eps = np.random.default_rng(seed).standard_normal(N_SAMPLES)  # fixed N(0, 1) draws

    @traitlets.validate("functions")
    def _check_functions(self, proposal) -> tuple:
        names = tuple(proposal["value"])
        for name in names:
            if name not in ACTIVATIONS:
                raise traitlets.TraitError(
                    f"unknown function {name!r}; choose from: {', '.join(NAMES)}"
                )
        return tuple(n for n in NAMES if n in names)  # registry order, no duplicates

    @traitlets.validate("alpha")
    def _check_alpha(self, proposal) -> float:
        return _number("leaky ReLU alpha", proposal["value"], 0.0, 1.0)

    @traitlets.validate("A", "S")
    def _check_scale(self, proposal) -> float:
        name = proposal["trait"].name
        lo, hi = A_RANGE if name == "A" else S_RANGE
        return _number(f"scaled tanh {name}", proposal["value"], lo, hi)

    @traitlets.validate("z_min", "z_max")
    def _check_range(self, proposal) -> float:
        name, value = proposal["trait"].name, proposal["value"]
        _number(name, value, -Z_LIMIT, Z_LIMIT)
        lo, hi = (value, self.z_max) if name == "z_min" else (self.z_min, value)
        if lo >= hi:
            raise traitlets.TraitError(
                f"the z range from {lo:g} to {hi:g} is empty: z_min must be less than z_max"
            )
        return value

    @traitlets.validate("z_probe")
    def _check_probe(self, proposal) -> float:
        return _number("the probe z", proposal["value"], self.z_min, self.z_max)

    @traitlets.validate("sigma")
    def _check_sigma(self, proposal) -> float:
        return _number("sigma", proposal["value"], *SIGMA_RANGE)

    @traitlets.validate("hist_function")
    def _check_hist_function(self, proposal) -> str:
        name = proposal["value"]
        if name not in self.functions:
            shown = ", ".join(self.functions) or "none"
            raise traitlets.TraitError(f"{name!r} is not shown; the input can go through: {shown}")
        return name

    @traitlets.observe("functions")
    def _keep_hist_function(self, change) -> None:
        if change["new"] and self.hist_function not in change["new"]:
            self.hist_function = change["new"][0]

    @traitlets.observe("z_min", "z_max")
    def _keep_probe(self, change) -> None:
        self.z_probe = min(max(self.z_probe, self.z_min), self.z_max)

    def set_range(self, z_min: float, z_max: float) -> None:
        """Set both ends of the z range at once; an empty range is rejected and the old one kept."""
        old = (self.z_min, self.z_max)
        try:
            with self.hold_trait_notifications():
                self.z_min, self.z_max = z_min, z_max
        except traitlets.TraitError as e:
            raise traitlets.TraitError(f"{e}; keeping z from {old[0]:g} to {old[1]:g}") from None

    def reset(self) -> None:
        """Every trait back to its default (the lecture's values)."""
        with self.hold_trait_notifications():
            for name, trait in self.traits().items():
                setattr(self, name, trait.default())

    def activation(self, name: str) -> Activation:
        """The core's activation `name` with this state's parameters."""
        params = {"leaky_relu": {"alpha": self.alpha}, "scaled_tanh": {"A": self.A, "S": self.S}}
        return get_activation(name, **params.get(name, {}))

    def grid(self) -> np.ndarray:
        """The z grid of the curves, shape (N_GRID,)."""
        return np.linspace(self.z_min, self.z_max, N_GRID)

    def saturation(self, name: str) -> tuple[list[tuple[float, float]], str]:
        """The z intervals where |g'(z)| < SATURATION for `name`, and a sentence about them."""
        g = self.activation(name)
        z = self.grid()
        dg = g.df(z)
        if np.all(dg == 0):
            if np.ptp(g.f(z)) == 0:
                return [], f"{name} is flat here: g′(z) = 0 for every z, so no gradient flows"
            return [], f"{name}: g′(z) = 0 wherever it exists (it jumps at z = 0): no gradient"
        spans = runs(z, np.abs(dg) < SATURATION)
        if not spans:
            return [], f"{name}: |g′(z)| ≥ {SATURATION:g} on this whole range: no saturation"
        return spans, f"shaded: |g′(z)| < {SATURATION:g} for {name} — gradients vanish here"

    def histogram(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Counts (N_BINS,) and edges (N_BINS + 1,) of a = g(z) for the fixed sample
        z ~ N(0, sigma^2) through hist_function, and the fraction of z with |g'(z)| < SATURATION."""
        g = self.activation(self.hist_function)
        z = self.sigma * self._eps
        lo, hi = self._output_range(g)
        counts, edges = np.histogram(np.clip(g.f(z), lo, hi), bins=N_BINS, range=(lo, hi))
        return counts, edges, float(np.mean(np.abs(g.df(z)) < SATURATION))

    def _output_range(self, g: Activation) -> tuple[float, float]:
        """The whole output range of a bounded g; of an unbounded one, g over |z| <= 4 sigma."""
        far = g.f(np.array([-1e3, 1e3, -1e4, 1e4]))
        if np.allclose(far[:2], far[2:]):
            lo, hi = float(far.min()), float(far.max())
        else:
            a = g.f(np.linspace(-4 * self.sigma, 4 * self.sigma, N_GRID))
            lo, hi = float(a.min()), float(a.max())
        return (lo - 0.5, hi + 0.5) if hi - lo < 1e-9 else (lo, hi)
