"""Losses E(y, t) averaged over the m samples (rows), each with dE/dy beside it, and a registry by name.

y and t have shape (m, k). The per-sample loss sums over the k outputs, as in the lecture's worked example
E_total = sum 1/2 (t - y)^2. Where an output activation and a loss belong together (sigmoid + bce,
softmax + softmax_ce), `fused[output]` gives E and dE/dz straight from the net input z: stable for any z.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from explorer.core.activations import sigmoid, softmax

Array = np.ndarray
EPS = 1e-12  # keeps log(y) finite when y comes in as exactly 0 or 1


@dataclass(frozen=True)
class Fused:
    """E(z, t) and dE/dz for an output activation paired with its natural loss; dE/dz also from y."""

    value: Callable[[Array, Array], float]
    dz: Callable[[Array, Array], Array]
    dz_from_y: Callable[[Array, Array], Array]  # the same dE/dz from the output y = g(z)


@dataclass(frozen=True)
class Loss:
    """A loss with its value E(y, t), its gradient dE/dy, its formula, and fused forms by output name."""

    name: str
    value: Callable[[Array, Array], float]
    dy: Callable[[Array, Array], Array]
    formula: str
    fused: dict[str, Fused] = field(default_factory=dict)


def _m(y: Array) -> int:
    return y.shape[0] if y.ndim > 1 else 1


def _mse(y, t) -> float:
    return float(0.5 * np.sum((t - y) ** 2) / _m(y))


def _mse_dy(y, t) -> Array:
    return (y - t) / _m(y)


def _bce(y, t) -> float:
    y = np.clip(y, EPS, 1 - EPS)
    return float(-np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)) / _m(y))


def _bce_dy(y, t) -> Array:
    y = np.clip(y, EPS, 1 - EPS)
    return (y - t) / (y * (1 - y)) / _m(y)


def _bce_from_z(z, t) -> float:
    # -[t log s(z) + (1-t) log(1-s(z))] = max(z, 0) - t z + log(1 + e^-|z|)
    e = np.log1p(np.exp(-np.abs(z)))
    return float(np.add.reduce(np.maximum(z, 0) - t * z + e, axis=None) / _m(z))


def _bce_dz(z, t) -> Array:
    return (sigmoid(z) - t) / _m(z)


def _bce_dz_from_y(y, t) -> Array:
    return (y - t) / _m(y)


def _ce(y, t) -> float:
    return float(-np.sum(t * np.log(np.clip(y, EPS, 1.0))) / _m(y))


def _ce_dy(y, t) -> Array:
    return -t / np.clip(y, EPS, 1.0) / _m(y)


def _ce_from_z(z, t) -> float:
    shift = z - z.max(axis=-1, keepdims=True)
    log_softmax = shift - np.log(np.sum(np.exp(shift), axis=-1, keepdims=True))
    return float(-np.sum(t * log_softmax) / _m(z))


def _ce_dz(z, t) -> Array:
    return _ce_dz_from_y(softmax(z), t)


def _ce_dz_from_y(y, t) -> Array:
    return (y * t.sum(axis=-1, keepdims=True) - t) / _m(y)


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse, _mse_dy, r"E = \sum_k \tfrac{1}{2}(t_k - y_k)^2"),
    "bce": Loss(
        "bce",
        _bce,
        _bce_dy,
        r"E = -\sum_k \left[t_k \log y_k + (1 - t_k)\log(1 - y_k)\right]",
        {"sigmoid": Fused(_bce_from_z, _bce_dz, _bce_dz_from_y)},
    ),
    "softmax_ce": Loss(
        "softmax_ce",
        _ce,
        _ce_dy,
        r"E = -\sum_k t_k \log \mathrm{softmax}(z)_k",
        {"softmax": Fused(_ce_from_z, _ce_dz, _ce_dz_from_y)},
    ),
}
