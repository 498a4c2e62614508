"""A small network / computational-graph drawer: nodes as labelled circles, edges as labelled lines.

Positions are in data units of an axes whose units are inches (see `diagram_axes`), so text offsets and
radii read the same on every figure. Everything that a stepper changes (colours, texts, positions) is
changed in place on the artists `draw_diagram` returns; nothing is ever re-plotted.

The plain nodes and edges do not change from step to step: they can stay in a live figure's cached
background. A highlight is drawn by overlays (a thick edge, a haloed circle with the node's name again)
that are shown over them, so that a step redraws only the overlays and texts that changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.text import Text

from explorer.plots.fasttext import fast
from explorer.plots.style import COLORS

INK, FAINT, PAPER = "#333333", "#9a9a9a", "white"
VALUE, GRAD, HIGHLIGHT, HALO = COLORS[0], COLORS[3], COLORS[1], "#fff0d4"
SIDES = ("split", "above", "below", "left", "right")  # split: value above the node, grad below
PLAIN_LW, LIT_EDGE_LW, LIT_NODE_LW = 1.6, 4.0, 3.5  # points
@dataclass
class Diagram:
    """The artists of a drawn network, by node name and edge key: the plain nodes and edges, their
    highlight overlays (hidden unless highlighted) and the texts."""

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
    lit_edges: dict[str, Line2D] = field(default_factory=dict)
    lit_circles: dict[str, Circle] = field(default_factory=dict)
    lit_names: dict[str, Text] = field(default_factory=dict)
    sides: dict[str, str] = field(default_factory=dict)
    label_at: dict[str, float] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)  # nodes and edges not shown

    def artists(self) -> list[Artist]:
        """Every artist, in drawing order."""
        groups = (self.edges, self.circles, self.names)
        return [a for g in groups for a in g.values()] + self.changing()

    def changing(self) -> list[Artist]:
        """The artists a step changes, in drawing order (highlight overlays, edge labels, node
        texts): those a live figure animates; the plain nodes and edges stay in its background."""
        groups = (self.lit_edges, self.lit_circles, self.lit_names, self.labels, self.values,
                  self.grads)
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
        d.edges[key] = ax.add_line(Line2D([0, 0], [0, 0], color=FAINT, lw=PLAIN_LW, zorder=1))
        d.lit_edges[key] = ax.add_line(Line2D([0, 0], [0, 0], color=HIGHLIGHT, lw=LIT_EDGE_LW,
                                              solid_capstyle="butt", zorder=1, visible=False))
        box = dict(facecolor=PAPER, edgecolor="none", pad=1.0, alpha=0.9)
        d.labels[key] = fast(ax.text(0, 0, "", ha="center", va="center", fontsize=note_size,
                                     color=INK, bbox=box, zorder=4, linespacing=1.15,
                                     visible=False))
    for n in pos:
        d.circles[n] = ax.add_patch(Circle((0, 0), radius, facecolor=PAPER, edgecolor=INK,
                                           lw=PLAIN_LW, zorder=2))
        d.lit_circles[n] = ax.add_patch(Circle((0, 0), radius, facecolor=HALO, edgecolor=HIGHLIGHT,
                                               lw=LIT_NODE_LW, zorder=2, visible=False))
        for group, visible in ((d.names, True), (d.lit_names, False)):
            group[n] = fast(ax.text(0, 0, (names or {}).get(n, n), ha="center", va="center",
                                    fontsize=fontsize, color=INK, zorder=3, visible=visible))
        d.values[n] = fast(ax.text(0, 0, "", ha="center", fontsize=note_size, color=VALUE,
                                   zorder=5, linespacing=1.15, visible=False))
        d.grads[n] = fast(ax.text(0, 0, "", ha="center", fontsize=note_size, color=GRAD,
                                  zorder=5, linespacing=1.15, visible=False))
    place(d, d.pos)
    return d


def place(d: Diagram, pos: Mapping[str, tuple[float, float]]) -> None:
    """Move the nodes named in `pos` (and their edges and texts) to new positions, in place."""
    d.pos.update({k: tuple(v) for k, v in pos.items()})
    r, gap = d.radius, 0.06
    for n, (x, y) in d.pos.items():
        for artist in (d.circles[n], d.lit_circles[n]):
            artist.set_center((x, y))
        for artist in (d.names[n], d.lit_names[n]):
            artist.set_position((x, y))
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
    outline = PLAIN_LW / 2 / 72  # inches: a lit edge stops outside a plain circle's outline
    for key, (a, b) in d.ends.items():
        (xa, ya), (xb, yb) = np.asarray(d.pos[a]), np.asarray(d.pos[b])
        u = np.array([xb - xa, yb - ya]) / max(np.hypot(xb - xa, yb - ya), 1e-9)
        start, end = np.array([xa, ya]) + r * u, np.array([xb, yb]) - r * u
        d.edges[key].set_data([start[0], end[0]], [start[1], end[1]])
        (x0, y0), (x1, y1) = start + outline * u, end - outline * u
        d.lit_edges[key].set_data([x0, x1], [y0, y1])
        t = d.label_at[key]
        d.labels[key].set_position(tuple(start + t * (end - start)))


def set_name(d: Diagram, node: str, text: str, fontsize: float | None = None) -> None:
    """The text inside a node's circle (and its size), in its plain and highlighted look."""
    for artist in (d.names[node], d.lit_names[node]):
        artist.set_text(text)
        if fontsize is not None:
            artist.set_fontsize(fontsize)


def highlight(d: Diagram, nodes: Iterable[str] = (), edges: Iterable[str] = (),
              color: str = HIGHLIGHT) -> None:
    """Show the named nodes and edges in `color` with thick lines, every other one plain. Only the
    overlays whose look changes are touched: a touched artist is redrawn on the next frame."""
    nodes, edges = set(nodes) - d.hidden, set(edges) - d.hidden
    for n, circle in d.lit_circles.items():
        _show(circle, n in nodes)
        _show(d.lit_names[n], n in nodes)
        if n in nodes and circle.get_edgecolor() != to_rgba(color):
            circle.set_edgecolor(color)
    for key, line in d.lit_edges.items():
        _show(line, key in edges)
        if key in edges and line.get_color() != color:
            line.set_color(color)


def _show(artist: Artist, on: bool) -> None:
    if artist.get_visible() != on:
        artist.set_visible(on)


def show(d: Diagram, visible: Mapping[str, bool]) -> None:
    """Show or hide nodes (with their texts) and edges (with their labels) by name, in place. A hidden
    one is never highlighted and its texts stay hidden (see set_texts)."""
    for name, on in visible.items():
        node = name in d.circles
        if on:
            d.hidden.discard(name)
        else:
            d.hidden.add(name)
        for group in [d.circles, d.names] if node else [d.edges]:
            group[name].set_visible(bool(on))
        for group in [d.values, d.grads] if node else [d.labels]:
            _show(group[name], bool(on) and group[name].get_text() != "")
        if not on:
            for group in [d.lit_circles, d.lit_names] if node else [d.lit_edges]:
                _show(group[name], False)


def set_texts(texts: Mapping[str, Text], content: Mapping[str, str],
              hidden: Collection[str] = ()) -> None:
    """Set the text of several Text artists by name (e.g. d.values, d.grads, d.labels; `hidden`:
    d.hidden). An empty text is hidden: a live figure would redraw a visible empty one every frame
    (it never finishes drawing)."""
    for name, s in content.items():
        texts[name].set_text(s)
        _show(texts[name], s != "" and name not in hidden)
