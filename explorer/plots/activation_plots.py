"""Drawing helpers for the activation panel: pools of artists made once, then updated in place."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle, StepPatch
from matplotlib.text import Text

from explorer.plots.style import FONT

SHADE = "#8c8c8c"
PROBE = "#333333"


def curve_pool(ax: Axes, names: tuple[str, ...]) -> dict[str, Line2D]:
    """One hidden line per name on `ax`, to be shown and fed with set_data."""
    return {name: ax.plot([], [], lw=2.4, visible=False, zorder=2)[0] for name in names}


def span_pool(ax: Axes, n: int = 4) -> list[Rectangle]:
    """n hidden bands on `ax` spanning its height, for shading intervals of x."""
    bands = [
        Rectangle((0, 0), 0, 1, transform=ax.get_xaxis_transform(), color=SHADE,
                  alpha=0.25, lw=0, visible=False, zorder=0)
        for _ in range(n)
    ]
    for band in bands:
        ax.add_patch(band)
    return bands


def set_spans(bands: list[Rectangle], spans: list[tuple[float, float]], visible: bool = True):
    """Show one band per (x0, x1) in `spans` (extras merge into the last band), hide the rest."""
    if len(spans) > len(bands):
        spans = spans[: len(bands) - 1] + [(spans[len(bands) - 1][0], spans[-1][1])]
    for i, band in enumerate(bands):
        if i < len(spans):
            band.set_x(spans[i][0])
            band.set_width(spans[i][1] - spans[i][0])
        band.set_visible(visible and i < len(spans))


def probe_pool(ax: Axes) -> tuple[Line2D, PathCollection]:
    """A vertical dashed line and a set of dots (one per shown curve) marking the probe on `ax`."""
    line = ax.axvline(0.0, color=PROBE, lw=1.3, ls="--", zorder=3)
    dots = ax.scatter(np.zeros(0), np.zeros(0), s=70, zorder=4, edgecolors="white", linewidths=1.5)
    return line, dots


def set_probe(line: Line2D, dots: PathCollection, z: float, ys: np.ndarray, colors: list) -> None:
    """Move the probe to z with one dot at (z, y) per y in `ys` (shape (k,)), coloured `colors`."""
    line.set_xdata([z, z])
    dots.set_offsets(np.column_stack([np.full(len(ys), z), ys]))
    dots.set_facecolor(colors if colors else "none")


@dataclass
class KeyRow:
    """One row of the key: a colour swatch, the name, g(z) and g'(z) at the probe."""

    swatch: Line2D
    name: Text
    g: Text
    dg: Text

    def artists(self) -> list:
        return [self.swatch, self.name, self.g, self.dg]


COLUMNS = (0.0, 0.12, 0.70, 0.99)  # x of swatch, name, g (right edge), g' (right edge)


def key_table(ax: Axes, names: tuple[str, ...]) -> tuple[Text, dict[str, KeyRow]]:
    """A legend with readouts on `ax` (axis off): a header text and one hidden KeyRow per name."""
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    size = FONT["note"]
    header = ax.text(COLUMNS[1], 0.96, "", va="top", fontsize=size, fontweight="bold")
    for x, label in ((COLUMNS[2], "g(z)"), (COLUMNS[3], "g′(z)")):
        ax.text(x, 0.96, label, ha="right", va="top", fontsize=size, fontweight="bold")
    rows = {}
    for name in names:
        rows[name] = KeyRow(
            ax.plot([COLUMNS[0], COLUMNS[1] - 0.03], [0, 0], lw=3, solid_capstyle="butt")[0],
            ax.text(COLUMNS[1], 0, name, va="center", fontsize=size),
            ax.text(COLUMNS[2], 0, "", ha="right", va="center", fontsize=size),
            ax.text(COLUMNS[3], 0, "", ha="right", va="center", fontsize=size),
        )
        for artist in rows[name].artists():
            artist.set_visible(False)
    return header, rows


def place_key_row(row: KeyRow, rank: int, n: int, color: str, ls: str) -> None:
    """Show `row` as row `rank` of `n` in its colour and line style (values are set apart)."""
    step = min(0.15, 0.74 / max(n - 1, 1))
    y = 0.74 - rank * step
    size = FONT["note"] if n <= 6 else FONT["tick"] - 1
    row.swatch.set_data([COLUMNS[0], COLUMNS[1] - 0.03], [y, y])
    row.swatch.set_color(color)
    row.swatch.set_linestyle(ls)
    for text in (row.name, row.g, row.dg):
        text.set_y(y)
        text.set_fontsize(size)
    for artist in row.artists():
        artist.set_visible(True)


def hide_key_row(row: KeyRow) -> None:
    """Hide every artist of `row`."""
    for artist in row.artists():
        artist.set_visible(False)


def set_readouts(row: KeyRow, g: float, dg: float) -> None:
    """Write g(z) and g'(z) into `row`."""
    row.g.set_text(readout(g))
    row.dg.set_text(readout(dg))


def readout(value: float) -> str:
    """A probe value as shown in the key: 3 decimals."""
    return f"{value:.3f}"


def hist_artist(ax: Axes) -> StepPatch:
    """A filled histogram outline on `ax`, fed later with set_hist."""
    return ax.stairs(np.zeros(1), np.array([0.0, 1.0]), fill=True, lw=1.5, zorder=2)


def set_hist(stairs: StepPatch, counts: np.ndarray, edges: np.ndarray, color: str) -> None:
    """Show `counts` (k,) over `edges` (k + 1,) in `color`."""
    stairs.set_data(counts, edges)
    stairs.set_facecolor(to_rgba(color, 0.45))
    stairs.set_edgecolor(color)


def nice_top(count: float) -> float:
    """A round upper y limit at least `count`, from a short ladder, so limits change rarely."""
    for top in (50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000):
        if count <= top:
            return float(top)
    return float(count)
