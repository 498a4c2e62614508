"""Drawing helpers for the initialization panel: a grid of histogram cells (rows: hidden layers,
columns: starts) made once and moved or updated in place, and the bins they use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator
from matplotlib.transforms import Affine2D

from explorer.plots.style import FONT

BINS = 40
RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}  # fixed bins for bounded activations
START_FILL = "#c8c8c8"
HEADROOM = 1.45  # the top of a cell is this times its tallest bar: room for its text


@dataclass
class Cell:
    """One histogram cell: grey filled start, coloured after-training outline, a std text. The
    bars hold counts; `height` scales them to the cell's fixed y range (0 to HEADROOM), since a
    cell shows no y ticks: a new tallest bar then moves no limits, so only the bars are redrawn."""

    ax: Axes
    start: StepPatch
    after: StepPatch
    text: Text
    height: Affine2D


def edges(hidden: str, *values: np.ndarray | None) -> np.ndarray:
    """BINS + 1 bin edges: the activation's range if bounded, else 0 to the largest value."""
    if hidden in RANGE:
        return np.linspace(*RANGE[hidden], BINS + 1)
    top = max([float(np.max(v)) for v in values if v is not None and v.size] + [0.0])
    return np.linspace(0.0, top if top > 0 else 1.0, BINS + 1)


def counts(values: np.ndarray, bin_edges: np.ndarray) -> np.ndarray:
    """np.histogram counts of every value (any shape) over `bin_edges`."""
    return np.histogram(np.ravel(values), bins=bin_edges)[0]


def make_cell(fig: Figure, color: str) -> Cell:
    """An empty cell (axes without y ticks) whose after-training outline is drawn in `color`."""
    ax = fig.add_axes([0, 0, 0.1, 0.1])
    ax.set_yticks([])
    ax.tick_params(labelsize=FONT["tick"], length=3, pad=2)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_ylim(0.0, HEADROOM)
    e = np.linspace(-1, 1, BINS + 1)
    height = Affine2D()
    start = ax.stairs(np.zeros(BINS), e, fill=True, color=START_FILL, lw=0)
    after = ax.stairs(np.zeros(BINS), e, color=color, lw=1.8, visible=False)
    for bars in (start, after):
        bars.set_transform(height + ax.transData)
    text = ax.text(0.5, 0.97, "", transform=ax.transAxes, ha="center", va="top",
                   fontsize=FONT["tick"], color="#333333")
    return Cell(ax, start, after, text, height)


def set_cell(cell: Cell, a0: np.ndarray, a1: np.ndarray | None, bin_edges: np.ndarray,
             clip_first: bool = False) -> None:
    """Histograms of the start activations a0 and (if given) the current ones a1, same bins;
    with clip_first the y range ignores the first bin (ReLU's zeros run off the top). Bars that
    already show these counts are left alone, so a live figure does not redraw them."""
    hs = [counts(a0, bin_edges)]
    _set_bars(cell.start, hs[0], bin_edges)
    cell.after.set_visible(a1 is not None)
    if a1 is not None:
        hs.append(counts(a1, bin_edges))
        _set_bars(cell.after, hs[1], bin_edges)
    top = max(h[1:].max() if clip_first else h.max() for h in hs)
    if clip_first and top == 0:
        top = max(h.max() for h in hs)
    if cell.ax.get_xlim() != (bin_edges[0], bin_edges[-1]):
        cell.ax.set_xlim(bin_edges[0], bin_edges[-1])
    if clip_first:  # two ticks, none at the right edge (it would touch the next cell's)
        cell.ax.set_xticks([0.0, float(f"{bin_edges[-1] / 2:.1g}")])
    scale = 1.0 / max(top, 1)  # the tallest bar reaches 1 of HEADROOM
    if cell.height.get_matrix()[1, 1] != scale:
        cell.height.clear().scale(1.0, scale)
        cell.start.stale = cell.after.stale = True  # a new transform does not tell them


def _set_bars(bars: StepPatch, values: np.ndarray, bin_edges: np.ndarray) -> None:
    old = bars.get_data()
    if not (np.array_equal(old.values, values) and np.array_equal(old.edges, bin_edges)):
        bars.set_data(values, bin_edges)


def set_ticks(ax: Axes, hidden: str) -> None:
    """x ticks of a cell: the ends and middle of a bounded activation's range (set_cell places
    the others)."""
    if hidden in RANGE:
        lo, hi = RANGE[hidden]
        ax.xaxis.set_major_locator(FixedLocator([lo, (lo + hi) / 2, hi]))


def grid_boxes(rows: int, cols: int, box: tuple[float, float, float, float],
               gap: tuple[float, float]) -> list[list[tuple[float, float, float, float]]]:
    """Axes rectangles [x, y, w, h] (figure fractions) of a rows x cols grid filling
    box = (x0, y0, x1, y1), row 0 at the top, with gaps (gx, gy) between cells."""
    x0, y0, x1, y1 = box
    w = (x1 - x0 - (cols - 1) * gap[0]) / cols
    h = (y1 - y0 - (rows - 1) * gap[1]) / rows
    return [[(x0 + c * (w + gap[0]), y1 - (r + 1) * h - r * gap[1], w, h) for c in range(cols)]
            for r in range(rows)]


def log_limits(values: np.ndarray, floor: float = 1e-4, ceiling: float = 10.0):
    """Whole-decade limits of a log axis holding the finite positive values, clipped to
    [floor, ceiling] (a diverging curve leaves through the top)."""
    v = values[np.isfinite(values) & (values > 0)]
    lo = max(float(v.min()), floor) if v.size else 0.1
    hi = min(float(v.max()) * 1.01, ceiling) if v.size else 1.0
    return 10.0 ** np.floor(np.log10(lo)), 10.0 ** np.ceil(np.log10(hi))
