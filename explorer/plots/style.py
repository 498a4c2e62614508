"""One look for every panel: colour-blind-safe colours (Okabe & Ito), type sizes that read on a projector."""

from __future__ import annotations

from matplotlib.axes import Axes

# Okabe & Ito (2008), distinguishable with every common colour-vision deficiency.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
CLASS_COLORS = ["#0072B2", "#D55E00", "#009E73"]  # class 0, 1, 2 (blue, vermillion, green)
MISTAKE = "#D55E00"
GRID = "#dddddd"
FONT = {"title": 13, "label": 12, "tick": 10, "legend": 10, "note": 11}


def tidy(ax: Axes, title: str = "", xlabel: str = "", ylabel: str = "") -> Axes:
    """Title, labels, light grid and readable ticks on `ax`."""
    ax.set_title(title, fontsize=FONT["title"])
    ax.set_xlabel(xlabel, fontsize=FONT["label"])
    ax.set_ylabel(ylabel, fontsize=FONT["label"])
    ax.tick_params(labelsize=FONT["tick"])
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
