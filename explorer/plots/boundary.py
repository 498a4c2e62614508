"""The decision over the input plane: the network's output on a grid as a heat map, the class
boundary as a line, and the data points. Grids are row-major: x1 along a row, x2 up the rows.
"""

from __future__ import annotations

import functools

import contourpy
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D

from explorer.plots.fastimage import fast_imshow
from explorer.plots.style import CLASS_COLORS

LIM = 1.5  # the plane shown: [-LIM, LIM]^2
WHITE = np.ones(3)
# A unit's output: orange below its resting value, purple above (colour-blind safe).
UNIT_CMAP = LinearSegmentedColormap.from_list("unit", ["#b35806", "#f7f7f7", "#542788"])


def grid(n: int = 64, lim: float = LIM) -> np.ndarray:
    """n*n points (rows of shape (n*n, 2)) covering [-lim, lim]^2; reshape values to (n, n)."""
    t = np.linspace(-lim, lim, n)
    x1, x2 = np.meshgrid(t, t)
    return np.column_stack([x1.ravel(), x2.ravel()])


def pale(color, amount: float = 0.55) -> np.ndarray:
    """`color` mixed with white (amount 0 = the colour, 1 = white), as RGB floats."""
    return (1 - amount) * np.asarray(to_rgb(color)) + amount * WHITE


@functools.cache
def class_cmap() -> LinearSegmentedColormap:
    """Two classes: pale class-0 colour at 0, white in the middle, pale class-1 colour at 1."""
    colors = [pale(CLASS_COLORS[0]), WHITE, pale(CLASS_COLORS[1])]
    return LinearSegmentedColormap.from_list("classes", colors)


def class_rgb(P: np.ndarray) -> np.ndarray:
    """RGB (m, 3) for class probabilities P (m, k): the classes' pale colours mixed by probability,
    fading to white where the network is unsure (max p near 1/k)."""
    k = P.shape[1]
    colors = np.array([pale(c) for c in CLASS_COLORS[:k]])
    mix = P @ colors / np.maximum(P.sum(axis=1, keepdims=True), 1e-12)
    sure = np.clip((P.max(axis=1, keepdims=True) - 1 / k) / (1 - 1 / k), 0, 1)
    return np.clip(sure * mix + (1 - sure) * WHITE, 0, 1)


def decision_image(ax: Axes, n: int = 64, lim: float = LIM) -> AxesImage:
    """An n x n heat map filling `ax` = [-lim, lim]^2 for the network's output (see show_output)."""
    extent = (-lim, lim, -lim, lim)
    image = fast_imshow(ax, np.full((n, n), 0.5), extent, cmap=class_cmap(), zorder=0)
    image.set_clim(0, 1)
    return image


def show_output(image: AxesImage, Y: np.ndarray, n: int, lo: float = 0.0, hi: float = 1.0) -> None:
    """Show outputs Y (n*n, k) on the grid: one output in [lo, hi] as a scalar map, or k >= 2
    outputs as class colours."""
    if Y.shape[1] == 1:
        if image.get_cmap() is not class_cmap():
            image.set_cmap(class_cmap())
        image.set_data(Y[:, 0].reshape(n, n))
        image.set_clim(lo, hi)
    else:
        image.set_data(class_rgb(Y).reshape(n, n, 3))


def show_unit(image: AxesImage, a: np.ndarray, n: int, rest: float, vmax: float) -> None:
    """Show one unit's output a (n*n,) on the grid, white at its resting value, +-vmax saturated."""
    if image.get_cmap() is not UNIT_CMAP:
        image.set_cmap(UNIT_CMAP)
    image.set_data(a.reshape(n, n))
    image.set_clim(rest - vmax, rest + vmax)


def boundary_lines(ax: Axes) -> LineCollection:
    """An empty collection for the class boundary (set its segments with boundary_segments)."""
    lines = LineCollection([], colors="#222222", linewidths=1.6, zorder=2)
    ax.add_collection(lines)
    return lines


def boundary_segments(Y: np.ndarray, n: int, midpoint: float, lim: float = LIM) -> list:
    """Polylines (arrays (p, 2)) where the predicted class changes, from outputs Y (n*n, k)."""
    t = np.linspace(-lim, lim, n)
    if Y.shape[1] == 1:
        fields = [Y[:, 0] - midpoint]
    else:  # class j's margin over the best other class; 0 on the boundary of j's region
        fields = [Y[:, j] - np.delete(Y, j, axis=1).max(axis=1) for j in range(Y.shape[1])]
    segments = []
    for f in fields:
        if np.all(np.isfinite(f)):
            gen = contourpy.contour_generator(t, t, f.reshape(n, n), line_type="Separate")
            segments.extend(gen.lines(0.0))
    return segments


def points(ax: Axes, test: bool = False) -> list[Line2D]:
    """Empty marker lines for data points, one per class (markers on a Line2D draw several times
    faster than a scatter): training points as dots, test points as outlined diamonds."""
    style = dict(marker="D", ms=5, mec="#000000", mew=1.0) if test else dict(
        marker="o", ms=5, mec="white", mew=0.7
    )
    return [ax.plot([], [], ls="", color=c, zorder=3, **style)[0] for c in CLASS_COLORS]


def set_points(lines: list[Line2D], X: np.ndarray, labels: np.ndarray) -> None:
    """Place points X (m, 2) among the marker lines of their classes (labels (m,))."""
    for k, line in enumerate(lines):
        line.set_data(X[labels == k, 0], X[labels == k, 1])
