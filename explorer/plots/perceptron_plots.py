"""Drawing helpers for the perceptron: decision regions, points by class, rings, line segments, and
the truth tables (HTML). Functions take an Axes and arrays and return artists, or update them."""

from __future__ import annotations

import html

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.text import Text

from explorer.plots.style import CLASS_COLORS, FONT, MISTAKE

MARKERS = ("o", "s")  # class 0 (t = -1 or 0), class 1 (t = +1 or 1)
POINT_SIZE = 260


def lighten(color: str, amount: float = 0.8) -> tuple[float, float, float]:
    """`color` mixed with white: amount 0 keeps it, 1 gives white."""
    return tuple(c + (1.0 - c) * amount for c in to_rgb(color))


LIGHT = (lighten(CLASS_COLORS[0], 0.8), lighten(CLASS_COLORS[1], 0.8))  # regions of class 0, 1


def box_polygon(xlim, ylim) -> np.ndarray:
    """The corners of the box, shape (4, 2), counter-clockwise."""
    (x0, x1), (y0, y1) = xlim, ylim
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def clip(polygon: np.ndarray, w, b: float) -> np.ndarray:
    """The part of a convex polygon (k, 2) where w.x + b >= 0, shape (j, 2) (j = 0: none of it)."""
    w = np.asarray(w, dtype=float)
    z = polygon @ w + b
    out = []
    for k in range(len(polygon)):
        p, q, zp, zq = polygon[k], polygon[(k + 1) % len(polygon)], z[k], z[(k + 1) % len(polygon)]
        if zp >= 0:
            out.append(p)
        if (zp >= 0) != (zq >= 0):  # the edge crosses the line: keep the crossing point
            out.append(p + (q - p) * (zp / (zp - zq)))
    return np.array(out).reshape(-1, 2)


def pattern_region(W: np.ndarray, b: np.ndarray, signs, xlim, ylim=None) -> np.ndarray:
    """The part of the box where unit k's z_k = W[k].x + b[k] has sign signs[k] (+1: z >= 0), for
    W (n, 2), b (n,); a convex polygon (j, 2)."""
    polygon = box_polygon(xlim, ylim if ylim is not None else xlim)
    for sign, wk, bk in zip(signs, W, b):
        polygon = clip(polygon, sign * np.asarray(wk, dtype=float), sign * float(bk))
    return polygon


def regions(ax: Axes) -> PolyCollection:
    """Class-1 regions as filled polygons over the class-0 colour of the axes; see set_regions."""
    ax.set_facecolor(LIGHT[0])
    return ax.add_collection(PolyCollection([], facecolors=[LIGHT[1]], edgecolors="none", zorder=0))


def set_regions(regions: PolyCollection, polygons: list[np.ndarray]) -> None:
    """Fill these polygons (each (k, 2)) with the class-1 colour; the rest shows class 0."""
    regions.set_verts([p for p in polygons if len(p) >= 3])


def class_points(ax: Axes, size: float = POINT_SIZE) -> list[PathCollection]:
    """One scatter per class (marker and colour from MARKERS and CLASS_COLORS), empty for now."""
    return [ax.scatter([], [], s=size, marker=m, c=CLASS_COLORS[k], edgecolors="white",
                       linewidths=1.5, zorder=4) for k, m in enumerate(MARKERS)]


def set_class_points(points: list[PathCollection], XY: np.ndarray, cls: np.ndarray) -> None:
    """Place rows of XY (m, 2) into the scatter of their class cls (m,), 0 or 1."""
    for k, scatter in enumerate(points):
        scatter.set_offsets(XY[cls == k].reshape(-1, 2))


def rings(ax: Axes, size: float, color: str = MISTAKE, style: str = "solid") -> PathCollection:
    """Open circles drawn around points (set_offsets to place them)."""
    return ax.scatter([], [], s=size, marker="o", facecolors="none", edgecolors=color,
                      linewidths=2.5, linestyles=style, zorder=5)


# where a label goes beside a point, by corner of the box (right?, top?): dx, dy (in thirds of the
# box), horizontal and vertical alignment; chosen to stay inside the box and off the diagonals
LABEL_PLACES = {(False, True): (0.15, 0, "left", "center"),
                (True, True): (-0.15, 0, "right", "center"),
                (False, False): (-0.12, -0.13, "left", "top"),
                (True, False): (0.1, 0.15, "right", "bottom")}


def label_points(texts: list[Text], XY: np.ndarray, labels: list[str], box) -> None:
    """Write labels beside the points XY (m, 2); points at the same place share one text ("and")."""
    places: dict[tuple, list[str]] = {}
    for xy, label in zip(XY, labels):
        places.setdefault(tuple(xy), []).append(label)
    unit, mid = (box[1] - box[0]) / 3, sum(box) / 2
    for k, text in enumerate(texts):
        if k >= len(places):
            text.set_text("")
            continue
        (x, y), names = list(places.items())[k]
        dx, dy, ha, va = LABEL_PLACES[(x > mid, y > mid)]
        text.set_position((x + dx * unit, y + dy * unit))
        text.set_text("\nand ".join([names[0], *(n.removeprefix("x = ") for n in names[1:])]))
        text.set_horizontalalignment(ha)
        text.set_verticalalignment(va)


def point(x) -> str:
    """(x1, x2) as the lecture writes it."""
    return f"({num(x[0])}, {num(x[1])})"


def set_segment(line: Line2D, segment: np.ndarray | None) -> None:
    """Draw the segment (2, 2) (one point per row), or nothing when it is None."""
    xy = np.empty((0, 2)) if segment is None else np.asarray(segment)
    line.set_data(xy[:, 0], xy[:, 1])


def legend_handles(labels: dict[str, str]) -> list[Line2D]:
    """Proxy artists for a legend: keys 't0', 't1', 'mistake', 'last', 'line', 'h1', 'h2'."""
    kinds = {
        "t0": dict(marker=MARKERS[0], color=CLASS_COLORS[0], linestyle="", markersize=11),
        "t1": dict(marker=MARKERS[1], color=CLASS_COLORS[1], linestyle="", markersize=11),
        "mistake": dict(marker="o", markerfacecolor="none", markeredgecolor=MISTAKE,
                        markeredgewidth=2.5, linestyle="", markersize=15),
        "last": dict(marker="o", markerfacecolor="none", markeredgecolor="black",
                     markeredgewidth=1.8, linestyle="", markersize=15),
        "line": dict(color="black", linewidth=2.5),
        "h1": dict(color="#009E73", linewidth=2.5, linestyle="--"),
        "h2": dict(color="#CC79A7", linewidth=2.5, linestyle="--"),
    }
    return [Line2D([], [], label=text, **kinds[key]) for key, text in labels.items()]


def num(v: float) -> str:
    """A number as the lecture writes it: up to 4 significant digits, a true minus sign."""
    return f"{float(v) + 0.0:.4g}".replace("-", "\u2212")


def gate_table_html(caption: str, X: np.ndarray, z: np.ndarray, y: np.ndarray, t: np.ndarray,
                    last: int | None) -> str:
    """The truth table x1, x2, z, y, t of X (m, 2) and z, y, t (m,); mistakes (y != t) shaded."""
    rows = [[num(v) for v in (x[0], x[1], zi, yi, ti)] for x, zi, yi, ti in zip(X, z, y, t)]
    bad = list(np.asarray(y) != np.asarray(t))
    note = (f'<div style="font-size:{FONT["note"] + 2}px;color:#555;margin-top:3px">'
            f"mistakes: {sum(bad)} of {len(rows)} (shaded); &#9654; last example</div>")
    return table_html(caption, ["x<sub>1</sub>", "x<sub>2</sub>", "z", "y", "t"], rows, bad,
                      last) + note


def xor_table_html(table: np.ndarray) -> str:
    """The lecture's two-layer XOR table (4, 5): x1, x2, AND(x1, not x2), AND(not x1, x2), y."""
    x1, x2, h1, h2 = "x<sub>1</sub>", "x<sub>2</sub>", "h<sub>1</sub>", "h<sub>2</sub>"
    heads = [x1, x2, f"{h1} =<br>AND({x1},¬{x2})", f"{h2} =<br>AND(¬{x1},{x2})",
             f"y =<br>OR({h1},{h2})"]
    rows = [[num(v) for v in row] for row in table]
    return table_html("<br><b>Two layers</b> (the lecture's XOR):", heads, rows)


def table_html(caption: str, headers: list[str], rows: list[list[str]],
               bad: list[bool] | None = None, last: int | None = None) -> str:
    """An HTML table (headers may hold HTML): rows where `bad` is True are shaded, row `last` gets
    a marker and bold type."""
    bad = bad or [False] * len(rows)
    cell = "padding:3px 6px;text-align:center;border-bottom:1px solid #ddd"
    head = "".join(f'<th style="{cell};border-bottom:2px solid #555;font-size:85%;'
                   f'vertical-align:bottom;white-space:nowrap">{h}</th>' for h in ["", *headers])
    body = []
    for i, row in enumerate(rows):
        shade = f"background:{_hex(lighten(MISTAKE, 0.75))};" if bad[i] else ""
        mark = "&#9654;" if i == last else ""
        weight = "font-weight:bold;" if i == last else ""
        tds = "".join(f'<td style="{cell}">{html.escape(v)}</td>' for v in row)
        body.append(f'<tr style="{shade}{weight}"><td style="{cell}">{mark}</td>{tds}</tr>')
    size = FONT["note"] + 4
    return (f'<div style="font-size:{size}px;line-height:1.3">{caption}'
            f'<table style="border-collapse:collapse;margin-top:4px">'
            f'<tr>{head}</tr>{"".join(body)}</table></div>')


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)
