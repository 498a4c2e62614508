"""A multilayer perceptron with hand-written backpropagation, in the lecture's notation.

Samples are rows: X has shape (m, n_0). Layer l (l = 1..L, stored at index l-1) has weights W of shape
(n_l, n_{l-1}) and biases b of shape (n_l,):  z[l] = a[l-1] W[l]^T + b[l],  a[l] = g(z[l]),  a[0] = X.
Backward:  delta[L] = dE/dy * g'(z[L]) (or the fused dE/dz),  delta[l] = (delta[l+1] W[l+1]) * g'(z[l]),
dW[l] = delta[l]^T a[l-1],  db[l] = sum over samples of delta[l],  dX = delta[1] W[1].
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from explorer.core._checks import array2d, choice, positive
from explorer.core.activations import ACTIVATIONS, Activation, get_activation, softmax
from explorer.core.losses import LOSSES

Array = np.ndarray
OUTPUTS = ("sigmoid", "softmax", "linear", *[n for n in ACTIVATIONS if n not in ("sigmoid", "linear")])


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


class MLP:
    """A fully connected network of layer sizes [n_0, ..., n_L], trained by gradient descent."""

    def __init__(
        self,
        sizes: Sequence[int],
        hidden: str = "tanh",
        output: str = "sigmoid",
        loss: str = "bce",
        init: str = "xavier",
        seed: int = 0,
        **params: float,
    ):
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least 2 layer sizes, got {list(sizes)!r}")
        self.sizes = [positive("each layer size", n, integer=True) for n in sizes]
        choice("hidden activation", hidden, ACTIVATIONS)
        choice("output", output, OUTPUTS)
        choice("loss", loss, LOSSES)
        choice("init", init, INITS)
        self.hidden, self.output, self.loss_name, self.init, self.seed = hidden, output, loss, init, seed
        self.g: Activation = get_activation(hidden, **params)
        self.g_out = None if output == "softmax" else get_activation(output)
        self.E = LOSSES[loss]
        self.fused = self.E.fused.get(output)
        rng = np.random.default_rng(seed)
        pairs = list(zip(self.sizes[1:], self.sizes[:-1]))
        self.W: list[Array] = [INITS[init](rng, n_out, n_in) for n_out, n_in in pairs]
        self.b: list[Array] = [np.zeros(n_out) for n_out, _ in pairs]

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        return f"MLP({arch}, hidden={self.hidden}, output={self.output}, loss={self.loss_name})"

    def parameters(self) -> list[Array]:
        """Every weight matrix and bias vector, W[1], b[1], ..., W[L], b[L]."""
        return [p for pair in zip(self.W, self.b) for p in pair]

    def copy(self) -> MLP:
        return copy.deepcopy(self)

    def forward(self, X) -> Forward:
        """Forward pass for X of shape (m, n_0); a float32 X gives a float32 pass (for display grids)."""
        self._check_params()
        if not (isinstance(X, np.ndarray) and X.dtype == np.float32):
            X = array2d("X", X, cols=self.sizes[0])
        elif X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (m, {self.sizes[0]}), got shape {X.shape}")
        return self._forward(X)

    def _forward(self, X: Array) -> Forward:
        W = self.W if X.dtype == np.float64 else [w.astype(X.dtype) for w in self.W]
        b = self.b if X.dtype == np.float64 else [v.astype(X.dtype) for v in self.b]
        z, a = [], [X]
        for l in range(len(W)):
            z.append(a[-1] @ W[l].T + b[l])
            a.append(self._g(l, z[-1]))
        return Forward(z, a)

    def predict(self, X) -> Array:
        """The network's output y, shape (m, n_L)."""
        return self.forward(X).y

    def loss(self, X, T) -> float:
        """E averaged over the samples of X (m, n_0) with targets T (m, n_L)."""
        fw = self.forward(X)
        return self._loss(fw, self._targets(T, X))

    def gradients(self, X, T) -> Gradients:
        """E and its gradients for inputs X (m, n_0) and targets T (m, n_L), by the delta recursion."""
        X = array2d("X", X, cols=self.sizes[0])
        self._check_params()
        return self._gradients(X, self._targets(T, X))

    def _gradients(self, X: Array, T: Array) -> Gradients:
        fw = self._forward(X)
        L = len(self.W)
        delta = [None] * L
        delta[-1] = self._output_delta(fw, T)
        for l in range(L - 2, -1, -1):
            g_prime = self.g.da(fw.a[l + 1]) if self.g.da is not None else self.g.df(fw.z[l])
            delta[l] = (delta[l + 1] @ self.W[l + 1]) * g_prime
        dW = [d.T @ a for d, a in zip(delta, fw.a[:-1])]
        db = [d.sum(axis=0) for d in delta]
        return Gradients(self._loss(fw, T), dW, db, delta[0] @ self.W[0], delta)

    def step(self, X, T, lr: float) -> float:
        """One gradient-descent update W <- W - lr dE/dW, b <- b - lr dE/db; returns E before it."""
        positive("lr", lr)
        X = array2d("X", X, cols=self.sizes[0])
        self._check_params()
        return self._step(X, self._targets(T, X), lr)

    def _step(self, X: Array, T: Array, lr: float) -> float:
        """step() for arguments already checked (the Trainer checks its data once)."""
        gr = self._gradients(X, T)
        for W, b, dW, db in zip(self.W, self.b, gr.dW, gr.db):
            W -= lr * dW
            b -= lr * db
        return gr.loss

    def classify(self, X) -> Array:
        """Predicted class per sample, shape (m,): argmax of y, or y above the output's midpoint."""
        return self.labels_of(self.predict(X))

    def labels_of(self, Y) -> Array:
        """Classes from outputs or targets of shape (m, n_L)."""
        if self.sizes[-1] > 1:
            return np.argmax(Y, axis=1)
        return (Y[:, 0] >= self.midpoint).astype(int)

    @property
    def midpoint(self) -> float:
        """The output value that separates the two classes of a one-output network: the middle of a
        bounded output's range (0.5 for sigmoid, 0 for tanh), else 0.5 (targets 0 and 1)."""
        if self.g_out is None:
            return 0.5
        lo, hi = self.g_out.f(np.array([-1e4, 1e4]))
        return 0.5 * (lo + hi) if max(abs(lo), abs(hi)) < 1e3 else 0.5

    def _g(self, l: int, z: Array) -> Array:
        if l < len(self.W) - 1:
            return self.g.f(z)
        return softmax(z) if self.g_out is None else self.g_out.f(z)

    def _loss(self, fw: Forward, T: Array) -> float:
        if self.fused is not None:
            return self.fused.value(fw.z[-1], T)
        return self.E.value(fw.y, T)

    def _output_delta(self, fw: Forward, T: Array) -> Array:
        if self.fused is not None:
            return self.fused.dz_from_y(fw.y, T)
        dy = self.E.dy(fw.y, T)
        if self.g_out is None:  # softmax Jacobian: s * (dy - sum(dy * s))
            s = fw.y
            return s * (dy - np.sum(dy * s, axis=1, keepdims=True))
        g = self.g_out
        return dy * (g.da(fw.y) if g.da is not None else g.df(fw.z[-1]))

    def _targets(self, T, X: Array) -> Array:
        return array2d("T", T, cols=self.sizes[-1], rows=X.shape[0])

    def _check_params(self) -> None:
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            want = (self.sizes[l + 1], self.sizes[l])
            if np.shape(W) != want or np.shape(b) != want[:1]:
                raise ValueError(
                    f"W[{l}] must have shape {want} and b[{l}] shape {want[:1]}, "
                    f"got {np.shape(W)} and {np.shape(b)}"
                )
