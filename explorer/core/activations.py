"""Activation functions g(z), each with its derivative g'(z) beside it, and a registry by name.

Every function is elementwise on float64 arrays of any shape. sigmoid and tanh are stable for any finite z:
no overflow warning and no NaN.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from explorer.core._checks import choice

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An activation g with its derivative dg/dz and its formula in LaTeX."""

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array], Array]
    formula: str
    params: dict = field(default_factory=dict)
    da: Callable[[Array], Array] | None = None  # g'(z) from the output a = g(z), when it is cheaper

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"Activation({self.name}{', ' + extra if extra else ''})"


def _z(z) -> Array:
    """z as a float array: float32 stays float32 (fast display grids), anything else becomes float64."""
    z = np.asarray(z)
    return z if z.dtype in (np.float64, np.float32) else z.astype(np.float64)


def sigmoid(z) -> Array:
    """1 / (1 + e^-z) for any z: where e^-z overflows to inf the result is exactly 0, as it should be."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-_z(z)))


def softmax(z) -> Array:
    """Row-wise softmax of z with shape (m, k): e^z_j / sum_k e^z_k, shifted by the row max for stability."""
    z = _z(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid_df(z) -> Array:
    s = sigmoid(z)
    return s * (1.0 - s)


def _tanh_df(z) -> Array:
    return 1.0 - np.tanh(_z(z)) ** 2


def _step(z) -> Array:
    return (_z(z) >= 0).astype(np.float64)


def _sign(z) -> Array:
    return np.where(_z(z) >= 0, 1.0, -1.0)


def _zero(z) -> Array:
    return np.zeros_like(_z(z))


def _piecewise_linear_df(z) -> Array:
    z = _z(z)
    return ((z >= 0) & (z <= 1)).astype(np.float64)


def leaky_relu(alpha: float = 0.1) -> Activation:
    """max(alpha z, z) for 0 <= alpha <= 1; the lecture's leaky ReLU has alpha = 0.1."""
    if not (0.0 <= alpha <= 1.0):
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    return Activation(
        "leaky_relu",
        lambda z: np.maximum(alpha * _z(z), _z(z)),
        lambda z: np.where(_z(z) >= 0, 1.0, alpha),
        rf"g(z) = \max({alpha:g}\,z,\ z)",
        {"alpha": alpha},
        lambda a: np.where(a >= 0, 1.0, alpha) if alpha > 0 else (a > 0).astype(a.dtype),
    )


def scaled_tanh(A: float = 1.7159, S: float = 2 / 3) -> Activation:
    """A tanh(S z); LeCun's recommended A = 1.7159, S = 2/3, so that g(+-1) = +-1."""
    if not (np.isfinite(A) and np.isfinite(S)):
        raise ValueError(f"A and S must be finite, got A={A!r}, S={S!r}")
    return Activation(
        "scaled_tanh",
        lambda z: A * np.tanh(S * _z(z)),
        lambda z: A * S * (1.0 - np.tanh(S * _z(z)) ** 2),
        rf"g(z) = {A:g}\,\tanh({S:.4g}\,z)",
        {"A": A, "S": S},
        (lambda a: S * (A - a * a / A)) if A != 0 else None,
    )


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("step", _step, _zero, r"g(z) = 1 \text{ if } z \geq 0 \text{ else } 0"),
        Activation("sign", _sign, _zero, r"g(z) = +1 \text{ if } z \geq 0 \text{ else } -1"),
        Activation(
            "linear", lambda z: _z(z).copy(), lambda z: np.ones_like(_z(z)), r"g(z) = z",
            da=lambda a: np.ones_like(a),
        ),
        Activation(
            "piecewise_linear",
            lambda z: np.clip(_z(z), 0.0, 1.0),
            _piecewise_linear_df,
            r"g(z) = 0 \text{ if } z < 0,\ z \text{ if } 0 \leq z \leq 1,\ 1 \text{ if } z > 1",
        ),
        Activation(
            "sigmoid", sigmoid, _sigmoid_df, r"g(z) = \frac{1}{1 + e^{-z}}", da=lambda a: a * (1.0 - a)
        ),
        Activation("tanh", lambda z: np.tanh(_z(z)), _tanh_df, r"g(z) = \tanh(z)", da=lambda a: 1.0 - a * a),
        Activation(
            "bipolar_sigmoid",
            lambda z: np.tanh(_z(z) / 2),
            lambda z: 0.5 * (1.0 - np.tanh(_z(z) / 2) ** 2),
            r"g(z) = \tanh(z/2) = \frac{1 - e^{-z}}{1 + e^{-z}}",
            da=lambda a: 0.5 * (1.0 - a * a),
        ),
        scaled_tanh(),
        Activation(
            "relu",
            lambda z: np.maximum(_z(z), 0.0),
            lambda z: (_z(z) > 0).astype(np.float64),
            r"g(z) = \max(0, z)",
            da=lambda a: (a > 0).astype(a.dtype),
        ),
        leaky_relu(),
    ]
}

# ---- in-place forms for the MLP's preallocated arrays: the same maths, no temporaries ------------


def tanh_into(z: Array, out: Array) -> None:
    """tanh(z) into out. float32: np.tanh. float64: 1 - 2 / (e^2z + 1), about twice as fast as
    np.tanh here, absolute error below 4e-16 (so the relative error grows as z -> 0: about 1e-6 at
    |z| = 1e-10); e^2z overflows to inf above z = 355, giving exactly 1 (so call it inside
    np.errstate(over="ignore"))."""
    if out.dtype == np.float32:
        np.tanh(z, out=out)
        return
    np.multiply(z, 2.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(2.0, out, out=out)
    np.subtract(1.0, out, out=out)


def sigmoid_into(z: Array, out: Array) -> None:
    """1 / (1 + e^-z) into out, with -z capped where e^-z would overflow (there g is below 1e-38
    in float32, 1e-307 in float64): no overflow, so no np.errstate needed."""
    np.negative(z, out=out)
    np.minimum(out, 88.0 if out.dtype == np.float32 else 709.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)


def times_tanh_da(delta: Array, a: Array, tmp: Array) -> None:
    """delta *= 1 - a^2, tanh's g' from its output a; tmp is scratch of the same shape."""
    np.multiply(a, a, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    delta *= tmp


def times_sigmoid_da(delta: Array, a: Array, tmp: Array) -> None:
    """delta *= a (1 - a), sigmoid's g' from its output a; tmp is scratch of the same shape."""
    np.subtract(1.0, a, out=tmp)
    tmp *= a
    delta *= tmp


INTO: dict[str, Callable[[Array, Array], None]] = {
    "tanh": tanh_into,
    "sigmoid": sigmoid_into,
    "relu": lambda z, out: np.maximum(z, 0.0, out=out),
    "linear": lambda z, out: np.copyto(out, z),
}
TIMES_DA: dict[str, Callable[[Array, Array, Array], None]] = {
    "tanh": times_tanh_da,
    "sigmoid": times_sigmoid_da,
}

_FACTORIES: dict[str, Callable[..., Activation]] = {
    "leaky_relu": leaky_relu,
    "scaled_tanh": scaled_tanh,
}


def get_activation(name: str, **params: float) -> Activation:
    """The activation `name`; leaky_relu takes alpha, scaled_tanh takes A and S (others take none)."""
    choice("activation", name, ACTIVATIONS)
    if not params:
        return ACTIVATIONS[name]
    if name not in _FACTORIES:
        raise ValueError(f"activation {name!r} takes no parameters, got {sorted(params)}")
    allowed = list(inspect.signature(_FACTORIES[name]).parameters)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        got = ", ".join(unknown)
        raise ValueError(f"{name} takes the parameters {', '.join(allowed)}; got unknown {got}")
    return _FACTORIES[name](**params)
