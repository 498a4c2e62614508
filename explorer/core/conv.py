"""The convolution of the CNN lecture: a filter theta slides over an image x, and at each window

    a = sum_ij theta_ij x_ij

(summed over the channels of a colour image too). The filter is not flipped: this is the
cross-correlation, which is what deep-learning libraries (and the lecture) call a "convolution".
Images are (H, W) grayscale or (H, W, C) with C stacked channels (R, G, B); zero padding p on each
side, stride s; the feature map has floor((H + 2p - k) / s) + 1 rows (and likewise columns).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.core._checks import choice, positive

KERNEL_SIZES = (3, 4)


def output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Length of the feature map along a side of n pixels: floor((n + 2p - k) / s) + 1."""
    n, k = positive("n (image size)", n, integer=True), positive("k (kernel size)", k, integer=True)
    s = positive("stride", stride, integer=True)
    p = positive("padding", padding, integer=True, allow_zero=True)
    if k > n + 2 * p:
        raise ValueError(f"the kernel (k = {k}) is larger than the padded image (n + 2p = {n} + "
                         f"2·{p} = {n + 2 * p}); use more padding or a smaller kernel")
    return (n + 2 * p - k) // s + 1


def flattened_length(shape: tuple[int, ...]) -> int:
    """How many numbers an image of this shape flattens into (64 x 64 x 3 -> 12,288)."""
    return math.prod(int(n) for n in shape)


def _image(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3) or 0 in x.shape:
        raise ValueError(f"x must be an image of shape (H, W) or (H, W, C), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite; it holds NaN or inf")
    return x


def _kernel(theta, x: np.ndarray) -> np.ndarray:
    theta = np.asarray(theta, dtype=np.float64)
    want = "(kh, kw)"
    if x.ndim == 3:
        want = f"(kh, kw, {x.shape[2]}) to match the {x.shape[2]} channels of x"
    if theta.ndim != x.ndim or (x.ndim == 3 and theta.shape[2] != x.shape[2]) or 0 in theta.shape:
        raise ValueError(f"theta must have shape {want}, got shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta must be finite; it holds NaN or inf")
    return theta


def _geometry(x, theta, stride, padding) -> tuple:
    """Checked x, theta, stride, padding and the output shape (rows, cols)."""
    x = _image(x)
    theta = _kernel(theta, x)
    s = positive("stride", stride, integer=True)
    p = positive("padding", padding, integer=True, allow_zero=True)
    (H, W), (kh, kw) = x.shape[:2], theta.shape[:2]
    if kh > H + 2 * p or kw > W + 2 * p:
        raise ValueError(f"theta ({kh} x {kw}) is larger than the padded image ({H + 2 * p} x "
                         f"{W + 2 * p}: {H} x {W} with padding {p}); use more padding or a smaller "
                         "kernel")
    return x, theta, s, p, ((H + 2 * p - kh) // s + 1, (W + 2 * p - kw) // s + 1)


def pad(x, padding: int) -> np.ndarray:
    """x (H, W) or (H, W, C) with `padding` rows and columns of zeros on each side."""
    x = _image(x)
    p = positive("padding", padding, integer=True, allow_zero=True)
    return np.pad(x, [(p, p), (p, p)] + [(0, 0)] * (x.ndim - 2))


def correlate2d(x, theta, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Feature map (rows, cols): a = sum of theta * window at every stride-th window of the
    zero-padded x; x (H, W) with theta (kh, kw), or x (H, W, C) with theta (kh, kw, C)."""
    x, theta, s, p, (rows, cols) = _geometry(x, theta, stride, padding)
    xp = pad(x, p)
    a = np.zeros((rows, cols))
    for u, v, c in _terms(theta):  # the same order as window(), so the sums agree to the last bit
        block = xp[u : u + s * (rows - 1) + 1 : s, v : v + s * (cols - 1) + 1 : s]
        a += theta[(u, v, c)[: theta.ndim]] * (block if c is None else block[..., c])
    return a


def _terms(theta: np.ndarray):
    """Indices (u, v, c) of theta in row-major order (c None for a 2-D theta)."""
    channels = range(theta.shape[2]) if theta.ndim == 3 else [None]
    kh, kw = theta.shape[:2]
    return [(u, v, c) for u in range(kh) for v in range(kw) for c in channels]


@dataclass(frozen=True)
class Window:
    """One output position (i, j): the padded window x (kh, kw[, C]) whose top-left is at (row, col)
    of the padded image, the products theta * x (same shape) and their sum a."""

    i: int
    j: int
    row: int
    col: int
    x: np.ndarray
    products: np.ndarray
    a: float


def window(x, theta, i: int, j: int, stride: int = 1, padding: int = 0) -> Window:
    """The window, element-wise products and their sum a for output position (i, j)."""
    x, theta, s, p, (rows, cols) = _geometry(x, theta, stride, padding)
    for name, value, n, side in (("i", i, rows, "rows"), ("j", j, cols, "columns")):
        integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        if not integer or not 0 <= value < n:
            raise ValueError(f"{name} must be an integer from 0 to {n - 1} (the feature map has "
                             f"{n} {side}), got {value!r}")
    kh, kw = theta.shape[:2]
    xw = pad(x, p)[i * s : i * s + kh, j * s : j * s + kw].copy()
    products = theta * xw
    a = 0.0
    for t in _terms(theta):
        a += products[t[: theta.ndim]]
    return Window(int(i), int(j), int(i * s), int(j * s), xw, products, float(a))


@dataclass(frozen=True)
class Filter:
    """A preset theta: its name, kernels by size k (each (k, k)) and a sentence on what it does."""

    name: str
    kernels: dict[int, np.ndarray]
    about: str


def _sobel4() -> np.ndarray:
    return np.outer([1.0, 2.0, 2.0, 1.0], [-1.0, -1.0, 1.0, 1.0])


def _ring4(centre: float, ring: float) -> np.ndarray:
    t = np.full((4, 4), ring)
    t[1:3, 1:3] = centre
    return t


def _one_at(k: int, r: int, c: int) -> np.ndarray:
    t = np.zeros((k, k))
    t[r, c] = 1.0
    return t


_SOBEL3 = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_LAPLACE3 = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])

FILTERS: dict[str, Filter] = {f.name: f for f in [
    Filter("vertical edge", {3: _SOBEL3, 4: _sobel4()},
           "Sobel x: large where the image gets brighter from left to right (a vertical edge)"),
    Filter("horizontal edge", {3: _SOBEL3.T.copy(), 4: _sobel4().T.copy()},
           "Sobel y: large where the image gets brighter from top to bottom (a horizontal edge)"),
    Filter("edge (Laplacian)", {3: _LAPLACE3, 4: _ring4(-3.0, 1.0)},
           "Laplacian: zero on flat or evenly sloping regions, large at edges and spots "
           "(4 x 4: a 2 x 2 centre against its ring)"),
    Filter("blur", {3: np.full((3, 3), 1 / 9), 4: np.full((4, 4), 1 / 16)},
           "box blur: the mean of the window"),
    Filter("sharpen", {3: _one_at(3, 1, 1) - _LAPLACE3, 4: _ring4(1.0, -0.25)},
           "sharpen: the centre minus the Laplacian, so edges stand out more"),
    Filter("identity", {3: _one_at(3, 1, 1), 4: _one_at(4, 1, 1)},
           "identity: copies one pixel (4 x 4 has no centre: row 2, column 2 of the window)"),
]}
for _f in FILTERS.values():
    for _t in _f.kernels.values():
        _t.flags.writeable = False


def get_filter(name: str, k: int = 3) -> np.ndarray:
    """A copy of the preset theta `name` of size (k, k)."""
    f = FILTERS[choice("filter", name, FILTERS)]
    if k not in f.kernels:
        sizes = ", ".join(str(n) for n in f.kernels)
        raise ValueError(f"filter {name!r} comes in sizes k = {sizes}, got k = {k!r}")
    return f.kernels[k].copy()
