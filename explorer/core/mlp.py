"""A multilayer perceptron with hand-written backpropagation, in the lecture's notation.

Samples are rows: X has shape (m, n_0). Layer l (l = 1..L, stored at index l-1) has weights W of shape
(n_l, n_{l-1}) and biases b of shape (n_l,):  z[l] = a[l-1] W[l]^T + b[l],  a[l] = g(z[l]),  a[0] = X.
Backward:  delta[L] = dE/dy * g'(z[L]) (or the fused dE/dz),  delta[l] = (delta[l+1] W[l+1]) * g'(z[l]),
dW[l] = delta[l]^T a[l-1],  db[l] = sum over samples of delta[l],  dX = delta[1] W[1].

For speed, every W[l] and b[l] is a view into one flat parameter buffer (one update for all of
them) and the passes run on preallocated arrays with the samples in columns, a[l] with a row of ones
appended, so that one product [W b] [a; 1] gives z and one product delta [a; 1]^T gives dW and db.
Assigning a new array to net.W[l] or net.b[l] works: its values are copied in at the next call.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from explorer.core._checks import array2d, choice, positive
from explorer.core.activations import (
    ACTIVATIONS,
    INTO,
    TIMES_DA,
    Activation,
    get_activation,
    softmax,
)
from explorer.core.losses import LOSSES

Array = np.ndarray
OUTPUTS = ("sigmoid", "softmax", "linear", *[n for n in ACTIVATIONS if n not in ("sigmoid", "linear")])
DTYPES = {"float32": np.float32, "float64": np.float64}  # float32 as PyTorch; float64: exact digits
Y_MINUS_T = (("sigmoid", "bce"), ("linear", "mse"))  # output + loss whose dE/dz is (y - t) / m
KEPT_WORKSPACES = 6  # per (m, dtype, role): train and test sets, batches, a display grid


def _normal(sigma_of):
    return lambda rng, n_out, n_in: rng.normal(0.0, sigma_of(n_in, n_out), (n_out, n_in))


def _uniform(bound_of):
    return lambda rng, n_out, n_in: rng.uniform(-bound_of(n_in, n_out), bound_of(n_in, n_out), (n_out, n_in))


INITS = {
    "zeros": lambda rng, n_out, n_in: np.zeros((n_out, n_in)),
    "normal": _normal(lambda n_in, n_out: 0.1),  # N(0, 0.1) as in the lecture
    "uniform": _uniform(lambda n_in, n_out: 1.0 / np.sqrt(n_in)),
    "xavier": _uniform(lambda n_in, n_out: np.sqrt(6.0 / (n_in + n_out))),  # Glorot & Bengio
    "he": _normal(lambda n_in, n_out: np.sqrt(2.0 / n_in)),  # He et al., for ReLU
}


@dataclass
class Forward:
    """The forward pass: z[l] and a[l] per layer (a[0] = X), and the output y = a[L], shape (m, n_L)."""

    z: list[Array]
    a: list[Array]

    @property
    def y(self) -> Array:
        return self.a[-1]


@dataclass
class Gradients:
    """E averaged over the samples, and dE/dW, dE/db, dE/dX and the errors delta[l] = dE/dz[l]."""

    loss: float
    dW: list[Array]
    db: list[Array]
    dX: Array
    delta: list[Array]


def one_hot(labels, k: int) -> Array:
    """Integer labels of shape (m,) as targets of shape (m, k): 1 in the label's column, else 0."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D integer array, got shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels must lie in 0..{k - 1}, got {labels.min()}..{labels.max()}")
    return np.eye(k)[labels]


def dtype_of(dtype) -> np.dtype:
    """np.float32 or np.float64 from a name or a numpy type, else a ValueError in words."""
    try:
        name = np.dtype(dtype).name if isinstance(dtype, (type, np.dtype)) else dtype
    except TypeError:
        name = dtype
    return np.dtype(choice("dtype", name, DTYPES))


class _Work:
    """Arrays for one pass over m samples in columns: A[l] = [a[l]; 1] of shape (n_l + 1, m) for
    l < L; Z[l], D[l] (delta) of shape (n_{l+1}, m); the output Y and targets T, shape (n_L, m)."""

    def __init__(self, sizes: list[int], m: int, dtype: np.dtype):
        self.m = m
        self.A = [np.empty((n + 1, m), dtype) for n in sizes[:-1]]
        for A in self.A:
            A[-1] = 1.0
        self.Z = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.D = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.tmp = [np.empty((n, m), dtype) for n in sizes[1:]]
        self.Y = np.empty((sizes[-1], m), dtype)
        self.T = np.empty((sizes[-1], m), dtype)

    def a(self, l: int) -> Array:
        """a[l] of shape (n_l, m), l = 0..L."""
        return self.A[l][:-1] if l < len(self.A) else self.Y


class MLP:
    """A fully connected network of layer sizes [n_0, ..., n_L], trained by gradient descent.
    dtype float32 (default, like PyTorch) or float64 (for the lecture's exact digits)."""

    def __init__(
        self,
        sizes: Sequence[int],
        hidden: str = "tanh",
        output: str = "sigmoid",
        loss: str = "bce",
        init: str = "xavier",
        seed: int = 0,
        dtype: str = "float32",
        **params: float,
    ):
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least 2 layer sizes, got {list(sizes)!r}")
        self.sizes = [positive("each layer size", n, integer=True) for n in sizes]
        choice("hidden activation", hidden, ACTIVATIONS)
        choice("output", output, OUTPUTS)
        choice("loss", loss, LOSSES)
        choice("init", init, INITS)
        self.dtype = dtype_of(dtype)
        self.hidden, self.output, self.loss_name, self.init, self.seed = hidden, output, loss, init, seed
        self.g: Activation = get_activation(hidden, **params)
        self.g_out = None if output == "softmax" else get_activation(output)
        self.E = LOSSES[loss]
        self.fused = self.E.fused.get(output)
        self._y_minus_t = (output, loss) in Y_MINUS_T
        self.midpoint = self._midpoint()
        rng = np.random.default_rng(seed)  # the same draws for both dtypes
        pairs = list(zip(self.sizes[1:], self.sizes[:-1]))
        W = [INITS[init](rng, n_out, n_in) for n_out, n_in in pairs]
        self._bind(W, [np.zeros(n_out) for n_out, _ in pairs])

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        return f"MLP({arch}, hidden={self.hidden}, output={self.output}, loss={self.loss_name})"

    def parameters(self) -> list[Array]:
        """Every weight matrix and bias vector, W[1], b[1], ..., W[L], b[L]."""
        return [p for pair in zip(self.W, self.b) for p in pair]

    def copy(self) -> MLP:
        return copy.deepcopy(self)

    def __getstate__(self) -> dict:  # the buffers and views are rebuilt by __setstate__
        skip = ("W", "b", "_theta", "_grad", "_P", "_G", "_Wv", "_bv", "_work", "_last")
        state = {k: v for k, v in self.__dict__.items() if k not in skip}
        return {**state, "W": [np.array(w) for w in self.W], "b": [np.array(v) for v in self.b]}

    def __setstate__(self, state: dict) -> None:
        W, b = state.pop("W"), state.pop("b")
        self.__dict__.update(state)
        self._bind(W, b)

    # ---- public passes: arguments checked, results fresh arrays in the row layout ---------------
    def forward(self, X) -> Forward:
        """Forward pass for X of shape (m, n_0) in the net's dtype; a float32 X gives a float32 pass
        (for display grids)."""
        X = self._inputs(X)
        self._sync()
        P = self._params_for(X)
        ws = _Work(self.sizes, len(X), P[0].dtype)
        self._run(ws, P, X)
        a = [ws.a(l).T for l in range(len(self.sizes))]
        return Forward([z.T for z in ws.Z], a)

    def predict(self, X) -> Array:
        """The network's output y, shape (m, n_L)."""
        X = self._inputs(X)
        self._sync()
        P = self._params_for(X)
        ws = self._work_for(len(X), P[0].dtype, "eval")
        self._run(ws, P, X)
        return ws.Y.T.copy()

    def loss(self, X, T) -> float:
        """E averaged over the samples of X (m, n_0) with targets T (m, n_L)."""
        X = array2d("X", X, cols=self.sizes[0])
        return self._evaluate(X, self._targets(T, X))[0]

    def gradients(self, X, T) -> Gradients:
        """E and its gradients for inputs X (m, n_0) and targets T (m, n_L), by the delta recursion."""
        X = array2d("X", X, cols=self.sizes[0])
        T = self._targets(T, X)
        self._sync()
        ws = _Work(self.sizes, len(X), self.dtype)
        loss = self._pass(ws, X, T)
        self._backward(ws)
        dW, db = [g[:, :-1].copy() for g in self._G], [g[:, -1].copy() for g in self._G]
        return Gradients(loss, dW, db, (self.W[0].T @ ws.D[0]).T, [d.T for d in ws.D])

    def step(self, X, T, lr: float) -> float:
        """One gradient-descent update W <- W - lr dE/dW, b <- b - lr dE/db; returns E before it."""
        positive("lr", lr)
        X = array2d("X", X, cols=self.sizes[0])
        return self._step(X, self._targets(T, X), lr)

    def classify(self, X) -> Array:
        """Predicted class per sample, shape (m,): argmax of y, or y above the output's midpoint."""
        return self.labels_of(self.predict(X))

    def labels_of(self, Y) -> Array:
        """Classes from outputs or targets of shape (m, n_L)."""
        if self.sizes[-1] > 1:
            return np.argmax(Y, axis=1)
        return (Y[:, 0] >= self.midpoint).astype(int)

    def _midpoint(self) -> float:
        """The output value that separates the two classes of a one-output network: the middle of a
        bounded output's range (0.5 for sigmoid, 0 for tanh), else 0.5 (targets 0 and 1)."""
        if self.g_out is None:
            return 0.5
        lo, hi = self.g_out.f(np.array([-1e4, 1e4]))
        return float(0.5 * (lo + hi)) if max(abs(lo), abs(hi)) < 1e3 else 0.5

    # ---- the trainer's path: arguments already checked -------------------------------------------
    def _step(self, X: Array, T: Array, lr: float, go=None) -> float:
        """step() for checked arguments; returns E before the update. go(E), if given, is asked
        after the forward pass whether to update (the trainer records an epoch there)."""
        self._sync()
        ws = self._last = self._work_for(len(X), self.dtype, "step")
        loss = self._pass(ws, X, T)
        if go is None or go(loss):
            self._backward(ws)
            np.multiply(self._grad, lr, out=self._grad)
            np.subtract(self._theta, self._grad, out=self._theta)
        return loss

    def _last_y(self) -> Array:
        """The output y (m, n_L) of the last _step's forward pass (a view, valid until the next)."""
        return self._last.Y.T

    def _evaluate(self, X: Array, T: Array) -> tuple[float, Array]:
        """E and the output y (m, n_L, a view valid until the next evaluation) for checked X, T."""
        self._sync()
        ws = self._work_for(len(X), self.dtype, "eval")
        return self._pass(ws, X, T), ws.Y.T

    # ---- the passes on a workspace ---------------------------------------------------------------
    def _pass(self, ws: _Work, X: Array, T: Array) -> float:
        """Forward pass of X into ws with targets T; returns E."""
        self._run(ws, self._P, X)
        np.copyto(ws.T, T.T)
        if self.fused is not None:
            return self.fused.value(ws.Z[-1].T, ws.T.T)
        return self.E.value(ws.Y.T, ws.T.T)

    def _run(self, ws: _Work, P: list[Array], X: Array) -> None:
        """z[l] = [W b] [a; 1] and a[l] = g(z[l]) into ws, for X (m, n_0) and parameters P."""
        np.copyto(ws.A[0][:-1], X.T)
        if ws.Y.dtype == np.float32:  # no in-place kernel overflows in float32
            self._layers(ws, P)
            return
        with np.errstate(over="ignore"):  # float64 tanh: e^2z overflows to inf where g is +-1
            self._layers(ws, P)

    def _layers(self, ws: _Work, P: list[Array]) -> None:
        for l in range(len(P)):
            np.matmul(P[l], ws.A[l], out=ws.Z[l])
            self._g(l, ws.Z[l], ws.a(l + 1))

    def _g(self, l: int, z: Array, out: Array) -> None:
        g = self.g if l < len(self._P) - 1 else self.g_out
        if g is None:
            np.copyto(out, softmax(z.T).T)
        elif not g.params and g.name in INTO:
            INTO[g.name](z, out)
        else:
            np.copyto(out, g.f(z))

    def _backward(self, ws: _Work) -> None:
        """delta[l] into ws.D and [dW db] into the flat gradient buffer, after _pass on ws."""
        self._output_delta(ws)
        for l in range(len(self._P) - 1, 0, -1):
            np.matmul(self._Wv[l].T, ws.D[l], out=ws.D[l - 1])
            self._times_g_prime(l - 1, ws)
        for l, G in enumerate(self._G):
            np.matmul(ws.D[l], ws.A[l].T, out=G)

    def _times_g_prime(self, l: int, ws: _Work) -> None:
        g, D, a = self.g, ws.D[l], ws.a(l + 1)
        if not g.params and g.name in TIMES_DA:
            TIMES_DA[g.name](D, a, ws.tmp[l])
        else:
            D *= g.da(a) if g.da is not None else g.df(ws.Z[l])

    def _output_delta(self, ws: _Work) -> None:
        D, Y, T = ws.D[-1], ws.Y, ws.T
        if self._y_minus_t:
            np.subtract(Y, T, out=D)
            np.divide(D, ws.m, out=D)
        elif self.fused is not None:
            np.copyto(D, self.fused.dz_from_y(Y.T, T.T).T)
        else:
            dy = self.E.dy(Y.T, T.T).T
            if self.g_out is None:  # softmax Jacobian: s * (dy - sum(dy * s))
                np.copyto(D, Y * (dy - np.sum(dy * Y, axis=0, keepdims=True)))
            else:
                g = self.g_out
                np.copyto(D, dy * (g.da(Y) if g.da is not None else g.df(ws.Z[-1])))

    # ---- parameters and workspaces ---------------------------------------------------------------
    def _bind(self, W: list, b: list) -> None:
        """Copy W and b into one flat buffer; self.W, self.b become lists of views into it."""
        shapes = [(n_out, n_in + 1) for n_out, n_in in zip(self.sizes[1:], self.sizes[:-1])]
        ends = np.cumsum([r * c for r, c in shapes])
        self._theta, self._grad = np.empty(ends[-1], self.dtype), np.empty(ends[-1], self.dtype)
        self._P = [p.reshape(s) for p, s in zip(np.split(self._theta, ends[:-1]), shapes)]
        self._G = [g.reshape(s) for g, s in zip(np.split(self._grad, ends[:-1]), shapes)]
        self._Wv, self._bv = [P[:, :-1] for P in self._P], [P[:, -1] for P in self._P]
        self.W, self.b, self._work, self._last = list(W), list(b), {}, None
        self._sync()

    def _sync(self) -> None:
        """Copy arrays assigned to W[l] or b[l] since the last call into the buffer (checked)."""
        W, b, Wv, bv = self.W, self.b, self._Wv, self._bv
        if len(W) == len(Wv) == len(b) and all(map(operator.is_, W + b, Wv + bv)):
            return
        self._check_params()
        for l, (w, v) in enumerate(zip(W, b)):
            self._Wv[l][...] = w
            self._bv[l][...] = v
        self.W, self.b = list(self._Wv), list(self._bv)

    def _check_params(self) -> None:
        L = len(self.sizes) - 1
        if len(self.W) != L or len(self.b) != L:
            raise ValueError(
                f"W and b must each hold {L} arrays, got {len(self.W)} and {len(self.b)}"
            )
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            want = (self.sizes[l + 1], self.sizes[l])
            if np.shape(W) != want or np.shape(b) != want[:1]:
                raise ValueError(
                    f"W[{l}] must have shape {want} and b[{l}] shape {want[:1]}, "
                    f"got {np.shape(W)} and {np.shape(b)}"
                )

    def _params_for(self, X: Array) -> list[Array]:
        """[W b] per layer for a pass over X: float32 copies if X is float32 and the net float64."""
        if X.dtype == np.float32 and self.dtype != np.float32:
            return [P.astype(np.float32) for P in self._P]
        return self._P

    def _work_for(self, m: int, dtype: np.dtype, role: str) -> _Work:
        """The kept workspace for m samples (one per role, so evaluating never clobbers a step)."""
        key = (m, np.dtype(dtype), role)
        ws = self._work.get(key)
        if ws is None:
            if len(self._work) >= KEPT_WORKSPACES:
                del self._work[next(iter(self._work))]
            ws = self._work[key] = _Work(self.sizes, m, dtype)
        return ws

    def _inputs(self, X) -> Array:
        if not (isinstance(X, np.ndarray) and X.dtype == np.float32):
            return array2d("X", X, cols=self.sizes[0])
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (m, {self.sizes[0]}), got shape {X.shape}")
        return X

    def _targets(self, T, X: Array) -> Array:
        return array2d("T", T, cols=self.sizes[-1], rows=X.shape[0])
