"""The lecture's perceptron y = f(w.x + b): its learning rule, the logic gates, XOR in two layers.

Encodings: "pm1" (the lecture's +/-1 tables, f = sign with sign(0) = +1) and "01"
(f = step, 1 if z >= 0).
Samples are rows of X, shape (m, d); w has shape (d,), b is a float. The lecture's example
"w = [0.79, 0.96, 0.66]" is read as w1 = 0.79, w2 = 0.96 and bias b = w0 = 0.66 (the last entry).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core._checks import array2d, choice, positive
from explorer.core.activations import get_activation

ENCODINGS: dict[str, str] = {"pm1": "sign", "01": "step"}  # encoding -> activation f
LECTURE_W = (0.79, 0.96)  # the lecture's example start: w1, w2 ...
LECTURE_B = 0.66  # ... and b (w0)
DECIMALS = 12  # weights and z are rounded to this many decimals, see train()

# Rows in the lecture's order: (x1, x2) = (-1,-1), (-1,1), (1,-1), (1,1).
INPUTS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
GATES: dict[str, tuple[int, int, int, int]] = {  # name -> column t of the +/-1 truth table
    "AND": (-1, -1, -1, 1),
    "OR": (-1, 1, 1, 1),
    "NAND": (1, 1, 1, -1),
    "NOR": (1, -1, -1, -1),
    "XOR": (-1, 1, 1, -1),
}


def _encoding(encoding: str) -> str:
    return choice("encoding", encoding, ENCODINGS)


def _to01(a: np.ndarray) -> np.ndarray:
    return (a + 1.0) / 2.0


def gate(name: str, encoding: str = "pm1") -> tuple[np.ndarray, np.ndarray]:
    """Truth table of a gate (any case): X (4, 2) and t (4,), float64, lecture's row order."""
    key = name.upper() if isinstance(name, str) else None
    if key not in GATES:
        raise ValueError(f"unknown gate {name!r}; choose one of: {', '.join(GATES)} (any case)")
    X, t = INPUTS.copy(), np.array(GATES[key], dtype=np.float64)
    return (X, t) if _encoding(encoding) == "pm1" else (_to01(X), _to01(t))


def predict(X, w, b: float, encoding: str = "pm1") -> np.ndarray:
    """Outputs y = f(X w + b), shape (m,), with f = sign (pm1) or step (01)."""
    f = get_activation(ENCODINGS[_encoding(encoding)]).f
    z = np.round(np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b, DECIMALS)
    return f(z + 0.0)  # + 0.0 turns a rounded -0.0 into 0.0


def mistakes(X, t, w, b: float, encoding: str = "pm1") -> int:
    """Number of rows of X (m, d) whose output f(w.x + b) differs from the target t (m,)."""
    return int(np.sum(predict(X, w, b, encoding) != np.asarray(t, dtype=np.float64)))


def decision_line(w, b: float, xlim=(-1.5, 1.5), ylim=None) -> np.ndarray | None:
    """The segment of w1 x1 + w2 x2 + b = 0 inside the box xlim x ylim (ylim defaults to xlim).

    Returns an array of shape (2, 2), one point (x1, x2) per row, or None when there is no line
    (w1 = w2 = 0: every point is on the same side) or the line misses the box.
    """
    w1, w2 = (float(v) for v in np.asarray(w, dtype=np.float64).reshape(2))
    (x_lo, x_hi), (y_lo, y_hi) = xlim, ylim if ylim is not None else xlim
    tol = 1e-12 * max(1.0, abs(x_lo), abs(x_hi), abs(y_lo), abs(y_hi))
    points = []
    if w2 != 0:
        points += [(x, -(w1 * x + b) / w2) for x in (x_lo, x_hi)]
    if w1 != 0:
        points += [(-(w2 * y + b) / w1, y) for y in (y_lo, y_hi)]
    inside = [
        p for p in points
        if x_lo - tol <= p[0] <= x_hi + tol and y_lo - tol <= p[1] <= y_hi + tol
    ]
    if len(inside) < 2:
        return None
    pts = np.array(inside)
    d = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=-1)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    return None if d[i, j] <= tol else pts[[i, j]]


@dataclass(frozen=True)
class TrainResult:
    """History of the perceptron rule, one entry per example presented (a "step").

    w: (steps+1, d) and b: (steps+1,) before the first and after every step; index: (steps,) the row
    of X presented; epoch: (steps,) 1-based; changed: (steps,) True where it was a mistake and the
    weights moved; mistakes_per_epoch: (epochs,). status is "converged", "cycle" or "cap".
    """

    w: np.ndarray
    b: np.ndarray
    index: np.ndarray
    epoch: np.ndarray
    changed: np.ndarray
    mistakes_per_epoch: np.ndarray
    converged: bool
    status: str
    verdict: str
    cycle: tuple[int, int] | None  # (earlier epoch, epoch whose start state repeats it), 1-based

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.mistakes_per_epoch)


def _targets(t, m: int, encoding: str) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    allowed = (-1.0, 1.0) if encoding == "pm1" else (0.0, 1.0)
    if t.shape != (m,):
        raise ValueError(f"t must have shape ({m},), got shape {t.shape}")
    if not np.all(np.isin(t, allowed)):
        raise ValueError(f"t must hold only {allowed[0]:g} and {allowed[1]:g} for encoding "
                         f"{encoding!r}, got values {sorted(set(t.tolist()))}")
    return t


def _verdict(status: str, epochs: int, updates: int, cycle, last_mistakes: int) -> str:
    if status == "converged":
        return (f"Converged: epoch {epochs} made no mistakes, after {updates} weight updates; "
                "the line separates the two classes.")
    if status == "cycle":
        first, now = cycle
        return (f"No line separates these points: the weights at the start of epoch {now} "
                f"repeat those of epoch {first}, so the rule cycles forever.")
    return (f"Stopped at the cap of {epochs} epochs with {last_mistakes} mistakes in the last one; "
            "the weights did not repeat, so neither convergence nor a cycle is proven yet.")


def train(X, t, w0=None, b0: float = 0.0, lr: float = 0.1, max_epochs: int = 1000,
          encoding: str = "pm1") -> TrainResult:
    """Run w <- w + lr (t - y) x, b <- b + lr (t - y) over the rows of X (m, d) in fixed order.

    Stops when an epoch makes no mistake ("converged"), when the (w, b) at the start of an epoch
    equals that of an earlier epoch while mistakes remain ("cycle": the rule is deterministic, so it
    repeats forever and no line exists), or after max_epochs ("cap"). Weights are rounded to 12
    decimals after each update so that hand arithmetic (0.79 + 0.2 - 0.2 = 0.79) is reproduced
    exactly and a repeated state is a genuine repeat, not a float coincidence.
    """
    encoding = _encoding(encoding)
    X = array2d("X", X)
    m, d = X.shape
    t = _targets(t, m, encoding)
    w = np.zeros(d) if w0 is None else np.asarray(w0, dtype=np.float64).copy()
    if w.shape != (d,) or not np.all(np.isfinite(w)):
        raise ValueError(f"w0 must be {d} finite numbers, got {w0!r}")
    b = float(b0)
    if not np.isfinite(b):
        raise ValueError(f"b0 must be finite, got {b0!r}")
    lr = positive("lr", lr)
    max_epochs = positive("max_epochs", max_epochs, integer=True)
    f = get_activation(ENCODINGS[encoding]).f

    # plain floats, ~5x faster than numpy per example; rows get a 1 for the bias: (x1, ..., xd, 1)
    rows, targets = [x + [1.0] for x in X.tolist()], t.tolist()
    state = tuple(w.tolist()) + (b,)  # (w1, ..., wd, b)
    states, index, epoch, changed, per_epoch = [state], [], [], [], []
    starts: dict[tuple, int] = {}
    status, cycle = "cap", None
    for e in range(1, max_epochs + 1):
        if state in starts:
            status, cycle = "cycle", (starts[state], e)
            break
        starts[state] = e
        count = 0
        for i, (x, ti) in enumerate(zip(rows, targets, strict=True)):
            z = round(sum(v * xj for v, xj in zip(state, x, strict=True)), DECIMALS) + 0.0
            y = float(f(z))
            if y != ti:
                step = lr * (ti - y)
                state = tuple(
                    round(v + step * xj, DECIMALS) + 0.0 for v, xj in zip(state, x, strict=True)
                )
                count += 1
            states.append(state)
            index.append(i)
            epoch.append(e)
            changed.append(y != ti)
        per_epoch.append(count)
        if count == 0:
            status = "converged"
            break

    updates = int(np.sum(changed))
    verdict = _verdict(status, len(per_epoch), updates, cycle, per_epoch[-1])
    return TrainResult(
        w=np.array(states)[:, :-1], b=np.array(states)[:, -1], index=np.array(index, dtype=int),
        epoch=np.array(epoch, dtype=int), changed=np.array(changed, dtype=bool),
        mistakes_per_epoch=np.array(per_epoch, dtype=int), converged=status == "converged",
        status=status, verdict=verdict, cycle=cycle,
    )


@dataclass(frozen=True)
class XorNetwork:
    """The lecture's XOR = OR(AND(x1, not x2), AND(not x1, x2)) with fixed weights.

    W_hidden (2, 2): row k holds the weights of hidden unit h_{k+1}; b_hidden (2,);
    w_out (2,) and b_out: the OR unit on (h1, h2).
    """

    encoding: str
    W_hidden: np.ndarray
    b_hidden: np.ndarray
    w_out: np.ndarray
    b_out: float

    def forward(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Hidden outputs h (m, 2) and output y (m,) for inputs X (m, 2)."""
        X = array2d("X", X, cols=2)
        h = np.stack([predict(X, wk, bk, self.encoding)
                      for wk, bk in zip(self.W_hidden, self.b_hidden, strict=True)], axis=1)
        return h, predict(h, self.w_out, self.b_out, self.encoding)

    def table(self) -> np.ndarray:
        """The lecture's table, shape (4, 5): columns x1, x2, AND(x1,not x2), AND(not x1,x2), y."""
        X, _ = gate("XOR", self.encoding)
        h, y = self.forward(X)
        return np.column_stack([X, h, y])


def xor_network(encoding: str = "pm1") -> XorNetwork:
    """Two-layer XOR with the sign units of the lecture (pm1) or step units (01)."""
    W = np.array([[1.0, -1.0], [-1.0, 1.0]])  # h1 = AND(x1, not x2), h2 = AND(not x1, x2)
    if _encoding(encoding) == "pm1":
        return XorNetwork("pm1", W, np.array([-1.0, -1.0]), np.array([1.0, 1.0]), 1.0)
    return XorNetwork("01", W, np.array([-0.5, -0.5]), np.array([1.0, 1.0]), -0.5)
