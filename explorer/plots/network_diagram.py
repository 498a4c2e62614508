"""A small network / computational-graph drawer: nodes as labelled circles, edges as labelled lines.

Positions are in data units of an axes whose units are inches (see `diagram_axes`), so text offsets and
radii read the same on every figure. Everything that a stepper changes (colours, line widths, texts,
positions) is changed in place on the artists `draw_diagram` returns; nothing is ever re-plotted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.text import Text

from explorer.plots.style import COLORS

INK, FAINT, PAPER = "#333333", "#9a9a9a", "white"
VALUE, GRAD, HIGHLIGHT, HALO = COLORS[0], COLORS[3], COLORS[1], "#fff0d4"
SIDES = ("split", "above", "below", "left", "right")  # split: value above the node, grad below


@dataclass
class Diagram:
    """The artists of a drawn network, by node name and edge key."""

    pos: dict[str, tuple[float, float]]
    ends: dict[str, tuple[str, str]]
    radius: float
    line: float
    circles: dict[str, Circle] = field(default_factory=dict)
    names: dict[str, Text] = field(default_factory=dict)
    values: dict[str, Text] = field(default_factory=dict)
    grads: dict[str, Text] = field(default_factory=dict)
    edges: dict[str, Line2D] = field(default_factory=dict)
    labels: dict[str, Text] = field(default_factory=dict)
    sides: dict[str, str] = field(default_factory=dict)
    label_at: dict[str, float] = field(default_factory=dict)

    def artists(self) -> list[Artist]:
        """Every artist, in drawing order (edges, circles, names, edge labels, node texts)."""
        groups = (self.edges, self.circles, self.names, self.labels, self.values, self.grads)
        return [a for g in groups for a in g.values()]


def diagram_axes(fig: Figure, rect=(0.0, 0.0, 1.0, 1.0)) -> Axes:
    """An axes without frame or ticks over `rect` (figure fractions) whose data units are inches."""
    ax = fig.add_axes(rect)
    w, h = fig.get_size_inches()
    ax.set_xlim(0, w * rect[2])
    ax.set_ylim(0, h * rect[3])
    ax.set_axis_off()
    return ax


def draw_diagram(ax: Axes, pos: Mapping[str, tuple[float, float]], edges: Mapping[str, tuple[str, str]],
                 names: Mapping[str, str] | None = None, radius: float = 0.28, fontsize: float = 13,
                 note_size: float = 11, line: float = 0.2, sides: Mapping[str, str] | None = None,
                 label_at: Mapping[str, float] | None = None) -> Diagram:
    """Draw nodes at `pos` (name -> (x, y)) and edges (key -> (from, to)); return their artists.

    names: the text inside each circle (default: the node's name). sides: where a node's value and
    grad texts go (one of SIDES, default "split"). label_at: where along an edge (0..1) its label sits.
    """
    d = Diagram({k: tuple(v) for k, v in pos.items()}, dict(edges), radius, line,
                sides={n: (sides or {}).get(n, "split") for n in pos},
                label_at={k: (label_at or {}).get(k, 0.5) for k in edges})
    for key in edges:
        d.edges[key] = ax.add_line(Line2D([0, 0], [0, 0], color=FAINT, lw=1.6, zorder=1))
        box = dict(facecolor=PAPER, edgecolor="none", pad=1.0, alpha=0.9)
        d.labels[key] = ax.text(0, 0, "", ha="center", va="center", fontsize=note_size, color=INK,
                                bbox=box, zorder=4, linespacing=1.15)
    for n in pos:
        d.circles[n] = ax.add_patch(Circle((0, 0), radius, facecolor=PAPER, edgecolor=INK, lw=1.6,
                                           zorder=2))
        d.names[n] = ax.text(0, 0, (names or {}).get(n, n), ha="center", va="center",
                             fontsize=fontsize, color=INK, zorder=3)
        d.values[n] = ax.text(0, 0, "", ha="center", fontsize=note_size, color=VALUE, zorder=5,
                              linespacing=1.15)
        d.grads[n] = ax.text(0, 0, "", ha="center", fontsize=note_size, color=GRAD, zorder=5,
                             linespacing=1.15)
    place(d, d.pos)
    return d


def place(d: Diagram, pos: Mapping[str, tuple[float, float]]) -> None:
    """Move the nodes named in `pos` (and their edges and texts) to new positions, in place."""
    d.pos.update({k: tuple(v) for k, v in pos.items()})
    r, gap = d.radius, 0.06
    for n, (x, y) in d.pos.items():
        d.circles[n].set_center((x, y))
        d.names[n].set_position((x, y))
        top, bottom = (x, y + r + gap), (x, y - r - gap)
        below, above = (x, y - r - gap - d.line), (x, y + r + gap + d.line)
        left, right = (x - r - gap, y + d.line / 2), (x + r + gap, y + d.line / 2)
        spots = {"split": (top, "bottom", bottom, "top"), "above": (above, "bottom", top, "bottom"),
                 "below": (bottom, "top", below, "top"), "left": (left, "center"),
                 "right": (right, "center")}[d.sides[n]]
        if len(spots) == 2:  # beside the circle: value over grad, aligned on the circle's side
            xy, ha = spots[0], "right" if d.sides[n] == "left" else "left"
            spots = (xy, "center", (xy[0], xy[1] - d.line), "center")
            d.values[n].set_ha(ha)
            d.grads[n].set_ha(ha)
        d.values[n].set_position(spots[0])
        d.values[n].set_va(spots[1])
        d.grads[n].set_position(spots[2])
        d.grads[n].set_va(spots[3])
    for key, (a, b) in d.ends.items():
        (xa, ya), (xb, yb) = np.asarray(d.pos[a]), np.asarray(d.pos[b])
        u = np.array([xb - xa, yb - ya]) / max(np.hypot(xb - xa, yb - ya), 1e-9)
        start, end = np.array([xa, ya]) + r * u, np.array([xb, yb]) - r * u
        d.edges[key].set_data([start[0], end[0]], [start[1], end[1]])
        t = d.label_at[key]
        d.labels[key].set_position(tuple(start + t * (end - start)))


def highlight(d: Diagram, nodes: Iterable[str] = (), edges: Iterable[str] = (),
              color: str = HIGHLIGHT) -> None:
    """Draw the named nodes and edges in `color` with thick lines, every other one plain."""
    nodes, edges = set(nodes), set(edges)
    for n, c in d.circles.items():
        on = n in nodes
        c.set_edgecolor(color if on else INK)
        c.set_linewidth(3.5 if on else 1.6)
        c.set_facecolor(HALO if on else PAPER)
    for key, line in d.edges.items():
        on = key in edges
        line.set_color(color if on else FAINT)
        line.set_linewidth(4.0 if on else 1.6)


def show(d: Diagram, visible: Mapping[str, bool]) -> None:
    """Show or hide nodes (with their texts) and edges by name, in place."""
    for name, on in visible.items():
        parts = ([d.circles, d.names, d.values, d.grads] if name in d.circles
                 else [d.edges, d.labels])
        for group in parts:
            group[name].set_visible(bool(on))


def set_texts(texts: Mapping[str, Text], content: Mapping[str, str]) -> None:
    """Set the text of several Text artists by name (e.g. d.values, d.grads, d.labels)."""
    for name, s in content.items():
        texts[name].set_text(s)
