"""Drawing helpers for the convolution panel: images with a sliding window, small k x k grids of
numbers (window, theta, products), feature maps whose unvisited cells are blank, and where the maps
go. Functions take an Axes and arrays and return artists, or update them in place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from explorer.plots.fastimage import FastImage
from explorer.plots.fasttext import fast
from explorer.plots.style import COLORS

WINDOW = COLORS[1]  # orange: the window and the map entry it computes
GRAY = LinearSegmentedColormap.from_list("gray01", ["black", "white"]).with_extremes(
    bad=(0, 0, 0, 0))
DIVERGING = LinearSegmentedColormap.from_list(  # blue (negative), white (0), vermillion (positive)
    "bwv", ["#0b4f8a", COLORS[0], "#ffffff", COLORS[3], "#7a2e00"]).with_extremes(bad=(0, 0, 0, 0))
CHANNELS = {c: LinearSegmentedColormap.from_list(f"black-{c}", ["black", color])
            for c, color in (("R", "#ff0000"), ("G", "#00c000"), ("B", "#0040ff"))}
UNVISITED = "#d0d0d0"  # hatching behind a map's cells not computed yet


def num(v: float) -> str:
    """v for a small grid cell: at most 3 significant digits, a true minus sign, no "-0"."""
    if abs(v) < 5e-4:
        return "0"
    s = f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return s.replace("-", "−")


def extent(rows: int, cols: int, offset: int = 0) -> tuple[float, float, float, float]:
    """imshow extent for a (rows, cols) grid whose cell (0, 0) sits at (-offset, -offset)."""
    return (-offset - 0.5, cols - offset - 0.5, rows - offset - 0.5, -offset - 0.5)


def show_image(ax: Axes, x: np.ndarray, cmap=GRAY) -> AxesImage:
    """x (H, W) or (H, W, 3) in [0, 1], pixel (r, c) centred at (c, r), row 0 at the top."""
    ax.set_xticks([])
    ax.set_yticks([])
    return ax.imshow(x, cmap=cmap, vmin=0, vmax=1, interpolation="nearest",
                     extent=extent(*x.shape[:2]))


def set_image(image: AxesImage, x: np.ndarray, offset: int = 0) -> None:
    """Show x (rows, cols[, 3]) with cell (0, 0) at (-offset, -offset); fit the axes to it."""
    image.set_data(x)
    box, ax = extent(x.shape[0], x.shape[1], offset), image.axes
    if (*image.get_extent(), *ax.get_xlim(), *ax.get_ylim()) != box * 2:  # else nothing to do
        image.set_extent(box)
        ax.set_xlim(box[0], box[1])
        ax.set_ylim(box[2], box[3])


def window_rect(ax: Axes, lw: float = 3.0) -> Rectangle:
    """The window: an orange square with a dark outline (visible on any colour)."""
    rect = Rectangle((0, 0), 1, 1, fill=False, ec=WINDOW, lw=lw, zorder=5)
    rect.set_path_effects([patheffects.withStroke(linewidth=lw + 2.5, foreground="black")])
    return ax.add_patch(rect)


def outline(ax: Axes) -> Rectangle:
    """A dashed frame around the image itself, inside its padding (see set_bounds)."""
    return ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, ls="--", ec=COLORS[5], lw=1.5))


def place(rect: Rectangle, row: float, col: float, k: int) -> None:
    """Put a k x k square over cells row..row+k-1, col..col+k-1 (data coordinates)."""
    rect.set_xy((col - 0.5, row - 0.5))
    rect.set_width(k)
    rect.set_height(k)


class GridImage(FastImage):
    """A small grid drawn cell by cell (nearest) and fast; NaN cells take the colour map's "bad"
    colour (transparent here). Its extent must equal the axes' limits."""

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        A = self._A
        self._A = self.to_rgba(A, bytes=True)  # scalars through norm and cmap, NaN -> bad
        try:
            return super().make_image(renderer, magnification, unsampled)
        finally:
            self._A = A


def grid_image(ax: Axes, A: np.ndarray, cmap=GRAY, clim: tuple[float, float] = (0, 1)) -> GridImage:
    """A GridImage of A (rows, cols[, 3]) filling `ax`, row 0 at the top; sets the axes' limits."""
    image = GridImage(ax, origin="upper", interpolation="nearest", cmap=cmap)
    image.set_clim(*clim)
    ax.add_image(image)
    set_image(image, A)
    return image


@dataclass
class NumberGrid:
    """A k x k grid of coloured cells with a number in each (up to `size` x `size` cells)."""

    image: AxesImage
    texts: list[list[Text]]


def number_grid(ax: Axes, size: int = 4, fontsize: float = 10) -> NumberGrid:
    """An empty grid of up to size x size cells; fill it with set_grid."""
    ax.set_xticks([])
    ax.set_yticks([])
    image = grid_image(ax, np.zeros((size, size)))
    texts = [[fast(ax.text(c, r, "", ha="center", va="center", fontsize=fontsize),
                   pixel_aligned=True)
              for c in range(size)] for r in range(size)]
    return NumberGrid(image, texts)


def set_grid(grid: NumberGrid, values: np.ndarray, cmap, clim: tuple[float, float],
             labels: np.ndarray | None = None, faint: np.ndarray | None = None) -> None:
    """Colour the cells by values (k, k) (or show an RGB patch (k, k, 3)), write `labels`
    (default: the values) in black or white by the cell's brightness, grey where `faint`."""
    k = values.shape[0]
    grid.image.set_cmap(cmap)
    grid.image.set_clim(*clim)
    set_image(grid.image, values)
    rgba = grid.image.to_rgba(values) if values.ndim == 2 else np.dstack([values, np.ones((k, k))])
    for r, row in enumerate(grid.texts):
        for c, text in enumerate(row):
            shown = r < k and c < k and (labels is not None or values.ndim == 2)
            text.set_visible(shown)
            if not shown:
                continue
            text.set_text(labels[r, c] if labels is not None else num(values[r, c]))
            light = np.dot(rgba[r, c, :3], [0.299, 0.587, 0.114]) > 0.5
            color = ("0.35" if light else "0.75") if faint is not None and faint[r, c] else None
            color = color or ("black" if light else "white")
            if text.get_color() != color:  # setting it, even unchanged, would redraw the text
                text.set_color(color)


def map_image(ax: Axes) -> AxesImage:
    """A feature map; NaN (not yet computed) cells are transparent over grey hatching."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.patch.set_facecolor("white")
    ax.patch.set_hatch("///")
    ax.patch.set_edgecolor(UNVISITED)
    return grid_image(ax, np.full((2, 2), np.nan), DIVERGING)


def map_colours(a: np.ndarray) -> tuple[object, tuple[float, float]]:
    """Colour map and limits for a full feature map: gray from 0 if it has no negative entry
    (an identity or blur map looks like the image), else blue-white-vermillion around 0."""
    top = float(np.max(np.abs(a))) or 1.0
    if a.min() >= 0:
        return GRAY, (0.0, max(top, 1.0))
    return DIVERGING, (-top, top)


def visited(a: np.ndarray, position: int) -> np.ndarray:
    """The map a (rows, cols) with the entries after `position` (row by row) set to NaN."""
    out = np.array(a, dtype=np.float64)
    out.reshape(-1)[position + 1 :] = np.nan
    return out


def map_slots(n: int, box: tuple[float, float, float, float], aspect: float) -> list:
    """Rectangles (left, bottom, width, height; figure fractions) for n maps in `box`: one big,
    or two or three in a 2 x 2 grid. `aspect` is the figure's height / width."""
    left, bottom, width, height = box
    if n == 1:
        return [box]
    gap = 0.1 * height
    w, h = (width - gap * aspect) / 2, (height - gap) / 2
    top = bottom + height - h
    slots = [(left, top), (left + w + gap * aspect, top), (left, bottom)]
    if n == 2:
        mid = bottom + (height - h) / 2
        slots = [(left, mid), (left + w + gap * aspect, mid)]
    return [(x, y, w, h) for x, y in slots[:n]]


def frame(ax: Axes, current: bool) -> None:
    """Mark the current filter's map with a thick orange frame."""
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_edgecolor(WINDOW if current else "0.6")
        spine.set_linewidth(3.0 if current else 1.0)


def size_tex(H: int, W: int, k: int, s: int, p: int) -> str:
    """The map size with numbers, as mathtext: floor((H + 2p - k)/s) + 1 = rows (and columns)."""
    def one(n: int) -> str:
        return rf"\lfloor({n} + 2\cdot{p} - {k})/{s}\rfloor + 1 = {(n + 2 * p - k) // s + 1}"

    head = r"map size $\lfloor(H + 2p - k)/s\rfloor + 1$:"
    if H == W:
        return f"{head}\n${one(H)}$"
    return f"{head}\nrows ${one(H)}$, columns ${one(W)}$"
