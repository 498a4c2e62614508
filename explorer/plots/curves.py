"""Axis limits for curves that grow while they are drawn: limits change in few, large steps (the x
range grows fourfold, the y range by nice numbers or whole decades), so a live figure rarely has to
redraw its background."""

from __future__ import annotations

import numpy as np

LOG_FLOOR = 1e-6  # the lowest loss a log axis shows


def nice_ceil(v: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is >= v (v > 0)."""
    k = np.floor(np.log10(v))
    for m in (1, 2, 5, 10):
        if m * 10**k >= v * (1 - 1e-12):
            return float(m * 10**k)
    return float(10 ** (k + 1))


def x_limit(current: float, last: float, start: float = 50.0, factor: float = 4.0) -> float:
    """The right end of an epoch axis: `current` (at least `start`) times `factor` until it holds
    `last`; each change redraws the figure's background, so it changes in few, large steps."""
    right = max(current, start)
    while last > right:
        right *= factor
    return right


def y_limits(values: np.ndarray, log: bool, current: tuple | None) -> tuple[float, float]:
    """Limits that hold the finite values (>= 0): kept if they already do, else widened in steps."""
    v = values[np.isfinite(values)]
    if log:
        v = v[v > 0]
    if v.size == 0:
        return current or ((LOG_FLOOR * 1e5, 10.0) if log else (0.0, 1.0))
    lo, hi = float(v.min()), float(v.max())
    if log:
        lo = max(lo, LOG_FLOOR)
        if current and current[0] <= lo and hi <= current[1]:
            return current
        return float(10 ** np.floor(np.log10(lo))), nice_ceil(hi * 1.01)
    if current and current[0] == 0 and hi <= current[1]:
        return current
    return 0.0, nice_ceil(max(hi * 1.05, 1e-9))
