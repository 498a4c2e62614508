"""The linear neuron of the lecture: y = w^T x with x = {1, x1, x2, ...}, solved two ways.

The slide's error has no 1/2: E = sum_i (t_i - y_i)^2, and we keep it. Its gradient is therefore
dE/dw_j = -2 sum_i (t_i - y_i) x_ij. (The slide writes -sum_i (t_i - y_i) x_ij, the gradient of
E/2; the factor only rescales the learning rate and does not move the minimum A w = b.)
Samples are rows: X is the design matrix (m, n_w) with a first column of ones, t has shape (m,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core._checks import array2d, choice, positive

METHODS = ("batch", "stochastic", "minibatch")
DIVERGED = 1e12  # an error above this counts as diverged


def design(x) -> np.ndarray:
    """Design matrix (m, d+1): a column of ones then x, for x of shape (m,) or (m, d)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    x = array2d("x", x)
    return np.column_stack([np.ones(x.shape[0]), x])


def _data(X, t) -> tuple[np.ndarray, np.ndarray]:
    X = array2d("X", X)
    t = np.asarray(t, dtype=np.float64)
    if t.shape != (X.shape[0],):
        raise ValueError(f"t must have shape ({X.shape[0]},), got shape {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("t must be finite; it holds NaN or inf")
    return X, t


def _weights(w, n_w: int, arg: str = "w") -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n_w,) or not np.all(np.isfinite(w)):
        raise ValueError(f"{arg} must be {n_w} finite numbers, got {w.tolist()!r}")
    return w


def solve(X, t) -> np.ndarray:
    """The analytical solution of A w = b with A = X^T X, b = X^T t; w has shape (n_w,)."""
    X, t = _data(X, t)
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        raise ValueError(
            f"A = X^T X is singular (rank {rank} < {X.shape[1]} weights), so A w = b has no unique "
            "solution; the inputs must vary (e.g. not all x equal) and m >= number of weights"
        )
    return np.linalg.solve(X.T @ X, X.T @ t)


def error(w, X, t) -> float:
    """E = sum_i (t_i - w^T x_i)^2 for X (m, n_w), t (m,), w (n_w,)."""
    X, t = _data(X, t)
    r = t - X @ _weights(w, X.shape[1])
    return float(r @ r)


def gradient(w, X, t) -> np.ndarray:
    """dE/dw = -2 X^T (t - X w), shape (n_w,)."""
    X, t = _data(X, t)
    return _gradient(_weights(w, X.shape[1]), X, t)


def _gradient(w: np.ndarray, X: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -2.0 * X.T @ (t - X @ w)


def error_surface(X, t, w0_grid, w1_grid) -> np.ndarray:
    """E at every (w0, w1) of two same-shaped grids (e.g. from meshgrid), for X of shape (m, 2)."""
    X, t = _data(X, t)
    if X.shape[1] != 2:
        raise ValueError(f"X must have shape (m, 2) (ones and x1) for a surface, got {X.shape}")
    w0, w1 = np.asarray(w0_grid, dtype=np.float64), np.asarray(w1_grid, dtype=np.float64)
    if w0.shape != w1.shape:
        raise ValueError(
            f"w0_grid and w1_grid must have the same shape, got {w0.shape} and {w1.shape}"
        )
    r = t - w0[..., None] * X[:, 0] - w1[..., None] * X[:, 1]
    return np.einsum("...i,...i->...", r, r)


@dataclass(frozen=True)
class Descent:
    """A descent run: path (k+1, n_w) of w, errors (k+1,) of E, stopped: a reason or None."""

    path: np.ndarray
    errors: np.ndarray
    stopped: str | None

    @property
    def w(self) -> np.ndarray:
        """The last weights, shape (n_w,)."""
        return self.path[-1]


def _sums(X: np.ndarray, t: np.ndarray, size: int, steps: int,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A_k = X_k^T X_k (steps, n_w, n_w) and b_k = X_k^T t_k (steps, n_w) of the rows that update
    k uses: shuffled passes over the m rows, `size` rows at a time (size m: every row, always)."""
    m, n_w = X.shape
    if size == m or steps == 0:
        return (np.broadcast_to(X.T @ X, (steps, n_w, n_w)),
                np.broadcast_to(X.T @ t, (steps, n_w)))
    passes = -(-steps // -(-m // size))
    order = np.concatenate([rng.permutation(m) for _ in range(passes)])
    starts = (np.arange(passes)[:, None] * m + np.arange(0, m, size)).ravel()[:steps]
    used = order[:starts[-1] + size]  # to the last update's rows (a short last batch: the end)
    Xk, tk = X[used], t[used]
    return (np.add.reduceat(Xk[:, :, None] * Xk[:, None, :], starts),
            np.add.reduceat(Xk * tk[:, None], starts))


def _path(A: np.ndarray, b: np.ndarray, w: np.ndarray, lr: float) -> np.ndarray:
    """The weights before and after each update w <- w - lr 2 (A_k w - b_k): (steps + 1, n_w).
    Two weights (the panels' line fit) go through Python floats: ~10x faster than numpy on
    arrays of two."""
    c = 2.0 * lr
    if w.shape != (2,):
        out = [w]
        for Ak, bk in zip(A, b):
            w = w - c * (Ak @ w - bk)
            out.append(w)
        return np.array(out)
    w0, w1 = float(w[0]), float(w[1])
    out = [(w0, w1)]
    for a00, a01, a11, b0, b1 in zip(A[:, 0, 0].tolist(), A[:, 0, 1].tolist(), A[:, 1, 1].tolist(),
                                      b[:, 0].tolist(), b[:, 1].tolist()):
        w0, w1 = w0 - c * (a00 * w0 + a01 * w1 - b0), w1 - c * (a01 * w0 + a11 * w1 - b1)
        out.append((w0, w1))
    return np.array(out)


def _errors(path: np.ndarray, X: np.ndarray, t: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """E = sum (t - X w)^2 at every w of `path`, `chunk` of them at a time (bounded memory)."""
    out = np.empty(len(path))
    for i in range(0, len(path), chunk):
        r = t - path[i:i + chunk] @ X.T
        out[i:i + chunk] = np.einsum("ij,ij->i", r, r)
    return out


def descend(X, t, w0, lr: float, steps: int, method: str = "batch",
            batch_size: int | None = None, seed=0) -> Descent:
    """Run w <- w - lr dE/dw for `steps` updates; E is the slide's sum over the rows used.

    batch: all m rows per update; stochastic: one row; minibatch: batch_size rows (ignored by the
    other methods). Rows are visited in shuffled passes drawn from default_rng(seed). Stops early
    with a reason when E becomes non-finite or exceeds 1e12. Over the rows X_k of update k,
    dE/dw = 2 (A_k w - b_k) with A_k = X_k^T X_k and b_k = X_k^T t_k, summed before the updates.
    """
    X, t = _data(X, t)
    m, n_w = X.shape
    w = _weights(w0, n_w, "w0").copy()
    lr = positive("lr", lr)
    steps = positive("steps", steps, integer=True, allow_zero=True)
    choice("method", method, METHODS)
    if method == "minibatch":
        if batch_size is None:
            raise ValueError("batch_size must be an integer > 0 for method 'minibatch', got None")
        size = positive("batch_size", batch_size, integer=True)
        if size > m:
            raise ValueError(f"batch_size must be <= the {m} samples, got {batch_size!r}")
    else:
        size = m if method == "batch" else 1
    with np.errstate(over="ignore", invalid="ignore"):
        path = _path(*_sums(X, t, size, steps, np.random.default_rng(seed)), w, lr)
        errors = _errors(path, X, t)
    bad = np.flatnonzero(~(errors[1:] <= DIVERGED))  # NaN, inf or above DIVERGED
    if not len(bad):
        return Descent(path, errors, None)
    k = int(bad[0]) + 1
    return Descent(path[:k + 1], errors[:k + 1],
                   f"diverged at step {k}: E = {errors[k]:.2g}; try a smaller learning rate")


def toy_data(n: int = 20, seed=0, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """1-D data: x (n,) sorted uniform in [0, 1] and t (n,) = 0.5 + 2 x + noise * N(0, 1)."""
    n = positive("n", n, integer=True)
    noise = positive("noise", noise, allow_zero=True)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    return x, 0.5 + 2.0 * x + noise * rng.standard_normal(n)
