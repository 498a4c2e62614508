"""Drawing helpers for an error surface over two weights: a square view, filled contours with lines,
descent paths, and an arrow where a path leaves the view."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.text import Annotation

CMAP = ListedColormap(mpl.colormaps["Blues"](np.linspace(0.0, 0.42, 256)))  # pale: paths stand out
LEVELS = 14


def view_box(points, pad: float = 0.6, frac: float = 0.25) -> tuple[tuple, tuple]:
    """Square limits (xlim, ylim) around points (k, 2): their box grown by pad + frac * its size."""
    p = np.atleast_2d(np.asarray(points, dtype=np.float64))
    lo, hi = p.min(axis=0), p.max(axis=0)
    half = (hi - lo).max() / 2 * (1 + 2 * frac) + pad
    mid = (lo + hi) / 2
    return (mid[0] - half, mid[0] + half), (mid[1] - half, mid[1] + half)


def inside(xlim, ylim, p, margin: float = 0.0) -> bool:
    """Whether point p (2,) lies in the view, `margin` (a fraction of its size) inside the edge."""
    mx, my = margin * (xlim[1] - xlim[0]), margin * (ylim[1] - ylim[0])
    return bool(xlim[0] + mx <= p[0] <= xlim[1] - mx and ylim[0] + my <= p[1] <= ylim[1] - my)


def grid(xlim, ylim, k: int = 161) -> tuple[np.ndarray, np.ndarray]:
    """A k x k meshgrid over the view."""
    return np.meshgrid(np.linspace(*xlim, k), np.linspace(*ylim, k))


def contours(ax: Axes, W0: np.ndarray, W1: np.ndarray, E: np.ndarray) -> list:
    """Filled contours and thin lines of E over the grid; levels even in log(E - min E)."""
    lo, top = float(E.min()), float(E.max() - E.min())
    levels = lo + np.concatenate([[0.0], np.geomspace(max(top, 1e-300) * 1e-4, top, LEVELS)])
    levels = np.unique(levels)
    if len(levels) < 3:  # a flat surface (all t and x zero): one colour
        levels = np.array([lo - 1, lo, lo + 1])
    norm = BoundaryNorm(levels, CMAP.N)
    filled = ax.contourf(W0, W1, E, levels=levels, cmap=CMAP, norm=norm)
    lines = ax.contour(W0, W1, E, levels=levels[1:], colors="#7a8a99", linewidths=0.6)
    return [filled, lines]


def remove(artists: list) -> None:
    """Take artists (e.g. contour sets) off their axes."""
    for a in artists:
        a.remove()


def path_line(ax: Axes, color: str, label: str, ms: float = 5.0, lw: float = 1.8,
              edge: bool = True) -> Line2D:
    """An empty path of weights: a line with markers (white-edged if `edge`)."""
    return ax.plot([], [], "-o", color=color, ms=ms, lw=lw, mec="white" if edge else color,
                   mew=0.6 if edge else 0, label=label, zorder=4)[0]


def _finite(path: np.ndarray) -> np.ndarray:
    return path[np.all(np.isfinite(path), axis=1)]


def set_path(line: Line2D, path: np.ndarray, xlim, ylim) -> None:
    """Show `path` (k, 2) up to where it last leaves the view (clipped there), finite rows only."""
    p, hit = _finite(path), exit_point(path, xlim, ylim)
    if hit is not None:
        p = np.vstack([p[: hit[0] + 1], hit[1]])
    line.set_data(p[:, 0], p[:, 1])


def exit_arrow(ax: Axes, color: str) -> Annotation:
    """A hidden arrow that `place_exit_arrow` puts where a path leaves the view."""
    arrow = ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6, annotation_clip=False,
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2.5,
                                    "mutation_scale": 22, "shrinkA": 0, "shrinkB": 0})
    arrow.set_visible(False)
    return arrow


def exit_point(path: np.ndarray, xlim, ylim) -> tuple[int, np.ndarray, np.ndarray] | None:
    """Where the path last leaves the view: (index of the last row inside, the point on the edge,
    the unit direction), or None if it ends inside."""
    p = _finite(path)
    ins = ((xlim[0] <= p[:, 0]) & (p[:, 0] <= xlim[1])
           & (ylim[0] <= p[:, 1]) & (p[:, 1] <= ylim[1]))  # inside() for every row at once
    if len(p) < 2 or ins[-1] or not ins.any():
        return None
    j = int(np.flatnonzero(ins)[-1])
    a, d = p[j], p[j + 1] - p[j]
    ts = [((hi if dk > 0 else lo) - ak) / dk
          for ak, dk, (lo, hi) in zip(a, d, (xlim, ylim)) if dk != 0]
    return j, a + min(ts) * d, d / np.hypot(*d)


def place_exit_arrow(arrow: Annotation, path: np.ndarray, xlim, ylim) -> bool:
    """Point `arrow` out of the view where `path` leaves it; hide it if the path ends inside."""
    hit = exit_point(path, xlim, ylim)
    arrow.set_visible(hit is not None)
    if hit is not None:
        _, tip, u = hit
        size = 0.09 * (xlim[1] - xlim[0])
        arrow.xy = tuple(tip)
        arrow.set_position(tuple(tip - size * u))
    return hit is not None
