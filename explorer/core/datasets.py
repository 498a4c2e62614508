"""Small 2-D classification data sets for the panels, and a seeded train/test split.

Every set returns X of shape (n, 2), float64, with inputs roughly in [-1, 1]^2 (noise can push a few
points a little outside), and integer labels 0..k-1 of shape (n,). noise is the standard deviation
of Gaussian jitter added to every point. Randomness comes only from numpy.random.default_rng(seed).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from explorer.core._checks import array2d, choice, positive

Data = tuple[np.ndarray, np.ndarray]


def _balanced(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Labels 0..k-1 as evenly spread as n allows, in random order, shape (n,)."""
    return rng.permutation(np.arange(n) % k)


def _uniform(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=(n, 2))


def xor(n: int, k: int, rng: np.random.Generator) -> Data:
    """Uniform in [-1, 1]^2; label 1 where x1 and x2 have opposite signs (the XOR quadrants)."""
    X = _uniform(n, rng)
    return X, (X[:, 0] * X[:, 1] < 0).astype(np.int64)


def linear(n: int, k: int, rng: np.random.Generator) -> Data:
    """Uniform in [-1, 1]^2; label 1 above the line x2 = 0.5 x1 + 0.1 (separable when noise = 0)."""
    X = _uniform(n, rng)
    return X, (X[:, 1] > 0.5 * X[:, 0] + 0.1).astype(np.int64)


def circles(n: int, k: int, rng: np.random.Generator) -> Data:
    """Label 0: a disk of radius 0.45; label 1: a ring of radii 0.65 to 0.95, both around 0."""
    labels = _balanced(n, 2, rng)
    r = np.where(labels == 0, rng.uniform(0.0, 0.45, n), rng.uniform(0.65, 0.95, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return np.column_stack([r * np.cos(angle), r * np.sin(angle)]), labels


def moons(n: int, k: int, rng: np.random.Generator) -> Data:
    """Two interleaved half circles, scaled into x1 in [-1, 1], x2 in [-0.5, 0.5]."""
    labels = _balanced(n, 2, rng)
    a = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(a), np.sin(a)])
    lower = np.column_stack([1.0 - np.cos(a), 0.5 - np.sin(a)])
    X = np.where(labels[:, None] == 0, upper, lower)
    return (X - [0.5, 0.25]) / 1.5, labels


def spiral(n: int, k: int, rng: np.random.Generator) -> Data:
    """k interleaved spiral arms from the centre out to radius 0.9, 1.25 turns each."""
    labels = _balanced(n, k, rng)
    s = rng.uniform(0.0, 1.0, n)
    angle = 2 * np.pi * (1.25 * s + labels / k)
    r = 0.05 + 0.85 * s
    return np.column_stack([r * np.cos(angle), r * np.sin(angle)]), labels


def gaussians(n: int, k: int, rng: np.random.Generator) -> Data:
    """k round blobs (std 0.15) centred on a circle of radius 0.55."""
    labels = _balanced(n, k, rng)
    angle = 2 * np.pi * labels / k + np.pi / 4
    centres = 0.55 * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres + 0.15 * rng.standard_normal((n, 2)), labels


DATASETS: dict[str, Callable[[int, int, np.random.Generator], Data]] = {
    "xor": xor,
    "circles": circles,
    "moons": moons,
    "spiral": spiral,
    "gaussians": gaussians,
    "linear": linear,
}
MAX_CLASSES = 10
CLASSES: dict[str, tuple[int, int]] = {  # name -> (fewest, most) classes allowed
    name: (2, MAX_CLASSES if name in ("spiral", "gaussians") else 2) for name in DATASETS
}


def make(name: str, n: int = 200, noise: float = 0.1, seed=0, classes: int = 2) -> Data:
    """Data set `name`: X (n, 2) float64, roughly in [-1, 1]^2, and labels (n,) int64 in 0..k-1."""
    choice("data set", name, DATASETS)
    n = positive("n", n, integer=True)
    noise = positive("noise", noise, allow_zero=True)
    k = positive("classes", classes, integer=True)
    lo, hi = CLASSES[name]
    if not lo <= k <= hi:
        allowed = f"{lo}" if lo == hi else f"{lo} to {hi}"
        raise ValueError(f"classes must be {allowed} for {name!r}, got {classes!r}")
    rng = np.random.default_rng(seed)
    X, labels = DATASETS[name](n, k, rng)
    X = X + noise * rng.standard_normal((n, 2))
    return X.astype(np.float64), labels.astype(np.int64)


def split(X, labels, test_fraction: float = 0.25, seed=0) -> tuple[np.ndarray, ...]:
    """Shuffled (X_train, y_train, X_test, y_test) with floor(n * test_fraction) test rows."""
    X = array2d("X", X)
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},), got shape {labels.shape}")
    f = positive("test_fraction", test_fraction, allow_zero=True)
    if f >= 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(X.shape[0])
    n_test = int(np.floor(X.shape[0] * f + 1e-9))
    test, train = order[:n_test], order[n_test:]
    return X[train], labels[train], X[test], labels[test]
