"""A small diagram of a fully connected network: one square per unit showing that unit's output
over the input plane, and one edge per weight, coloured by its sign and as wide as its size.

The diagram's axes use inches as data units (so squares stay square); all unit maps are pasted into
one RGBA image, so the whole diagram costs two artists to redraw: the edges and that image.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap, to_rgba
from matplotlib.patches import Rectangle

from explorer.plots.fastimage import fast_imshow

POSITIVE, NEGATIVE, ZERO = "#542788", "#b35806", "#999999"  # purple, orange (as the maps), grey


@dataclass
class Layout:
    """Where the units sit: centres[l] has shape (n_l, 2) in inches; every square has side s."""

    sizes: list[int]
    centres: list[np.ndarray]
    s: float


def layout(sizes: list[int], width: float, height: float, top: float = 0.55,
           bottom: float = 0.3) -> Layout:
    """Columns of squares for layer sizes [n_0, ..., n_L] in a box of width x height inches,
    leaving `top` inches for titles and `bottom` for the key."""
    cols = len(sizes)
    spacing = (width - 0.2) / max(cols - 0.2, 1)
    tallest = max(sizes)
    s = min(0.62, 0.42 * spacing, (height - top - bottom) / (1.3 * tallest - 0.3))
    xs = 0.1 + spacing * (np.arange(cols) + 0.4)
    mid = bottom + (height - top - bottom) / 2
    centres = [
        np.column_stack([np.full(n, x), mid + 1.3 * s * ((n - 1) / 2 - np.arange(n))])
        for x, n in zip(xs, sizes)
    ]
    return Layout(list(sizes), centres, s)


def lut(cmap: Colormap) -> np.ndarray:
    """A 256-entry RGBA table (uint8) for `cmap`, indexed by round(255 * value in [0, 1])."""
    return (cmap(np.linspace(0, 1, 256)) * 255).round().astype(np.uint8)


class NetworkDiagram:
    """The diagram's artists in `ax` (width x height inches): edges, unit maps, selection, text."""

    def __init__(self, ax: Axes, width: float, height: float, px: int = 100):
        self.ax, self.width, self.height, self.px = ax, width, height, px
        ax.set_axis_off()
        self.edges = LineCollection([], zorder=1, capstyle="butt")
        ax.add_collection(self.edges)
        self.canvas = np.zeros((round(height * px), round(width * px), 4), np.uint8)
        extent = (0, width, 0, height)
        self.image = fast_imshow(ax, self.canvas, extent, interpolation="nearest", zorder=2)
        self.selection = Rectangle((0, 0), 0, 0, fill=False, lw=2.2, ec="#000000", zorder=3,
                                   visible=False)
        ax.add_patch(self.selection)
        self.labels: list = []
        self.layout: Layout | None = None

    def set_sizes(self, sizes: list[int]) -> None:
        """Lay out layers of `sizes` units (inputs first) with titles; clears the unit maps."""
        self.layout = lay = layout(sizes, self.width, self.height)
        pairs = []
        for src, dst in zip(lay.centres[:-1], lay.centres[1:]):
            a = src[None, :, :] + [lay.s / 2, 0]  # (1, n_in, 2): right side of each source square
            b = dst[:, None, :] - [lay.s / 2, 0]  # (n_out, 1, 2): left side of each target square
            a, b = np.broadcast_arrays(a, b)  # (n_out, n_in, 2), row-major like W
            pairs.append(np.stack([a, b], axis=2).reshape(-1, 2, 2))
        self.edges.set_segments(np.concatenate(pairs))
        self.canvas[:] = 0
        for label in self.labels:
            label.remove()
        x = [c[0, 0] for c in lay.centres]
        top = self.height - 0.05
        text = functools.partial(self.ax.text, ha="center", va="top", fontsize=10)
        self.labels = [text(x[0], top, "input"), text(x[-1], top, "output")]
        if len(sizes) > 2:
            self.labels.append(text((x[1] + x[-2]) / 2, top, "hidden layers"))
            self.labels += [text(xl, top - 0.2, str(l)) for l, xl in enumerate(x[1:-1], 1)]
        key = functools.partial(self.ax.text, y=0.03, va="bottom", fontsize=9)
        self.labels += [
            key(x=0.05, s="edges:", color="#444444"),
            key(x=0.6, s="w > 0", color=POSITIVE, weight="bold"),
            key(x=1.15, s="w < 0", color=NEGATIVE, weight="bold"),
            key(x=1.7, s="width |w|", color="#444444"),
        ]
        self.selection.set_visible(False)

    def show_weights(self, W: list[np.ndarray]) -> None:
        """Edge colour from the sign of each weight, width from its size relative to the largest
        (or to 1 while all are small); W[l] has shape (n_l, n_{l-1}). Dense layers: thinner."""
        w = np.concatenate([np.ravel(Wl) for Wl in W])
        w = np.where(np.isfinite(w), w, 0.0)
        densest = max(np.size(Wl) for Wl in W)
        widest = 3.2 * min(1.0, np.sqrt(64 / densest))
        self.edges.set_linewidths(0.25 + widest * np.abs(w) / max(1.0, np.abs(w).max()))
        alpha = 0.8 if densest <= 64 else 0.6
        colors = np.empty((w.size, 4))
        colors[:] = to_rgba(ZERO, 0.6)
        colors[w > 0] = to_rgba(POSITIVE, alpha)
        colors[w < 0] = to_rgba(NEGATIVE, alpha)
        self.edges.set_color(colors)

    def show_maps(self, maps: list[np.ndarray], tables: list[np.ndarray], n: int) -> None:
        """Paste each unit's map: maps[l] has shape (n*n, n_l), values in [0, 1] (colour positions)
        on a grid of side n, coloured by tables[l]: a lut (256, 4) for the layer, or one per unit
        (n_l, 256, 4)."""
        lay = self.layout
        S = max(2, round(lay.s * self.px))
        pick = ((np.arange(S) + 0.5) * n / S).astype(int)
        canvas = self.canvas.view(np.uint32)[..., 0]  # a word per pixel: 4x fewer items to move
        for centres, values, table in zip(lay.centres, maps, tables):
            idx = (np.clip(np.nan_to_num(values, nan=0.5), 0, 1) * 255 + 0.5).astype(np.uint8)
            idx = idx.reshape(n, n, -1).take(pick, axis=0).take(pick, axis=1)  # (S, S, n_l)
            words = np.ascontiguousarray(table).view(np.uint32)[..., 0]  # (256,) or (n_l, 256)
            for j, (x, y) in enumerate(centres):
                r, c = round((y - lay.s / 2) * self.px), round((x - lay.s / 2) * self.px)
                table_j = words[j] if words.ndim == 2 else words
                canvas[r : r + S, c : c + S] = table_j[idx[:, :, j]]
        self.image.set_data(self.canvas)

    def unit_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(layer index into sizes, unit index) of the square under data point (x, y), or None."""
        if self.layout is None:
            return None
        half = self.layout.s / 2 * 1.15
        for l, c in enumerate(self.layout.centres):
            hit = np.nonzero((np.abs(c[:, 0] - x) <= half) & (np.abs(c[:, 1] - y) <= half))[0]
            if hit.size:
                return l, int(hit[0])
        return None

    def select(self, layer: int, units: slice = slice(None)) -> None:
        """Outline the squares of `units` in layer index `layer` (all of the layer by default)."""
        centres = self.layout.centres[layer][units]
        pad = self.layout.s / 2 + 0.04
        x, y0, y1 = centres[0, 0], centres[:, 1].min(), centres[:, 1].max()
        self.selection.set_bounds(x - pad, y0 - pad, 2 * pad, y1 - y0 + 2 * pad)
        self.selection.set_visible(True)
