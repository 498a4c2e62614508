"""The training panel's figure, built once: the decision over the input plane (left), loss and
accuracy per epoch (middle), and the network diagram with each unit's output as a small map (right).
Every method takes arrays and updates artists in place; limits change in few, large steps, so the
background is rarely redrawn.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.ticker import FuncFormatter

from explorer.live import LiveFigure
from explorer.plots import boundary as bd
from explorer.plots.curves import x_limit, y_limits
from explorer.plots.network import NetworkDiagram, lut
from explorer.plots.style import CLASS_COLORS, COLORS, FONT, tidy

WIDTH, HEIGHT = 10.4, 4.0  # inches: under the controls, within a 1280 x 720 projector
RUN_COLORS = [COLORS[2], COLORS[4], COLORS[5], COLORS[1], COLORS[7]]  # kept runs, oldest first
OUTPUT_TITLES = {
    "sigmoid": "decision: p(class 1 | x)",
    "softmax": "decision: most likely class",
    "linear": "decision: y (class 1 where y > 0)",
}


def _label(v: float, _pos=None) -> str:
    """A tick label: plain for 0.001 to 10000, a power of ten beyond."""
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:g}"
    k = np.floor(np.log10(abs(v)))
    m = v / 10**k
    return f"$10^{{{k:.0f}}}$" if np.isclose(m, 1) else f"${m:.2g}\\times10^{{{k:.0f}}}$"


def _minor_label(v: float, _pos) -> str:
    """Label the minor ticks 2 and 5 of each decade on a log axis (between 0.001 and 10000)."""
    if v <= 0:
        return ""
    m = round(v / 10 ** np.floor(np.log10(v)))
    return _label(v) if m in (2, 5) and 1e-3 <= v < 1e4 else ""


def _no_label(v: float, _pos) -> str:
    return ""


def _box(fig, left, bottom, width, height):
    """Axes at a position given in inches."""
    return fig.add_axes((left / WIDTH, bottom / HEIGHT, width / WIDTH, height / HEIGHT))


class TrainingView:
    """The artists of the training figure in `live`; n is the side of the grid the network is
    evaluated on (n*n points in [-LIM, LIM]^2)."""

    def __init__(self, live: LiveFigure, n: int = 64):
        self.live, self.n = live, n
        self.grid = bd.grid(n).astype(np.float32)  # the core runs float32 display passes
        fig = live.figure
        self.ax = tidy(_box(fig, 0.7, 0.5, 3.05, 3.05), xlabel="$x_1$", ylabel="$x_2$")
        self.ax.grid(False)
        a = live.animate
        self.image = a(bd.decision_image(self.ax, n))
        self.boundary = a(bd.boundary_lines(self.ax))
        self.train_points = [a(c) for c in bd.points(self.ax)]
        self.test_points = [a(c) for c in bd.points(self.ax, test=True)]
        box = dict(fc="white", ec="#b00020", alpha=0.9)
        self.banner = a(self.ax.text(0, 0, "", ha="center", va="center", fontsize=15, zorder=5,
                                     color="#b00020", weight="bold", bbox=box))
        self.loss_ax = tidy(_box(fig, 4.5, 1.95, 2.75, 1.7), "loss per epoch", ylabel="loss $E$")
        self.acc_ax = tidy(_box(fig, 4.5, 0.5, 2.75, 1.05), xlabel="epoch", ylabel="accuracy")
        self.acc_ax.set_ylim(0, 1.04)
        self.runs = []  # kept runs' lines (static)
        line = self.loss_ax.plot
        self.train_loss = a(line([], [], color=COLORS[0], lw=2, label="this run: train")[0])
        self.test_loss = a(line([], [], color=COLORS[0], lw=1.4, ls="--", label="test")[0])
        self.train_acc = a(self.acc_ax.plot([], [], color=COLORS[0], lw=2)[0])
        self.test_acc = a(self.acc_ax.plot([], [], color=COLORS[0], lw=1.4, ls="--")[0])
        dw, dh = 2.9, 3.9
        self.diagram = NetworkDiagram(_box(fig, 7.45, 0.05, dw, dh), dw, dh)
        a(self.diagram.edges)
        a(self.diagram.image)
        self.note = self.diagram.ax.text(dw / 2, 0.3, "", ha="center", va="bottom", fontsize=9.5,
                                         color="#8a5a00", weight="bold")
        self.xmax, self.ylim, self.log = 0.0, None, False
        self.kind = ("sigmoid", 0.0, 1.0)  # output activation and the range its map is shown in
        self.midpoint, self.unit, self.tables = 0.5, None, []
        self._network = self._choice = self._scale = None  # what the static artists show now

    # ---- what changes with a run -------------------------------------------------------------
    def show_data(self, X_train, y_train, X_test, y_test) -> None:
        bd.set_points(self.train_points, X_train, y_train)
        bd.set_points(self.test_points, X_test, y_test)

    def show_network(self, sizes: list[int], output: str, midpoint: float) -> None:
        """Lay out the diagram for layer sizes; output: the output activation (sigmoid, softmax or
        linear), midpoint: the output value between the two classes. The same network again (a
        new run on other data or weights) changes nothing here, so no background is redrawn."""
        if (list(sizes), output, midpoint) == self._network:
            return
        self._network, self._choice = (list(sizes), output, midpoint), None  # selection cleared
        L = len(sizes) - 1
        self.diagram.set_sizes(sizes)
        lo, hi = (-1.0, 1.0) if output == "linear" else (0.0, 1.0)
        self.kind, self.midpoint = (output, lo, hi), midpoint
        k = sizes[-1]
        out_table = lut(bd.class_cmap()) if k == 1 else np.stack([
            lut(LinearSegmentedColormap.from_list("p", ["#ffffff", c])) for c in CLASS_COLORS[:k]
        ])
        self.tables = [lut(bd.UNIT_CMAP)] * L + [out_table]
        self.live.invalidate()  # the diagram's labels and layout are static

    def show_unit_choice(self, unit: tuple[int, int] | None, activation: str) -> None:
        """Show a unit (hidden layer from 1, unit from 0) large on the left; None: the decision."""
        choice = (unit, activation, self.kind[0])
        if choice == self._choice:
            return
        self.unit, self._choice = unit, choice
        if unit is None:
            self.diagram.select(len(self.diagram.layout.sizes) - 1)
            title = OUTPUT_TITLES[self.kind[0]]
        else:
            self.diagram.select(unit[0], slice(unit[1], unit[1] + 1))
            title = f"layer {unit[0]}, unit {unit[1] + 1}: its output a = {activation}(z)"
        self.ax.set_title(title, fontsize=FONT["title"])
        self.live.invalidate()

    # ---- what changes every frame -------------------------------------------------------------
    def show_grid(self, a: list[np.ndarray] | None, rest: float, maps: bool = True) -> None:
        """Show the layer outputs a[l] (n*n, n_l) on the grid (a[0]: the inputs); rest = g(0) of
        the hidden activation, where a unit's map is white; the unit maps only if `maps`. None (a
        network that is no longer finite) keeps the last picture."""
        if a is None:
            return
        n, y = self.n, a[-1]
        if self.unit is None:
            bd.show_output(self.image, y, n, *self.kind[1:])
        else:
            l, j = self.unit
            spread = float(self._spread(a[l][:, j : j + 1], rest)[0])
            bd.show_unit(self.image, a[l][:, j], n, rest, spread)
        lines = bd.boundary_segments(y, n, self.midpoint) if self.unit is None else []
        self.boundary.set_segments(lines)
        if maps:
            lo, hi = self.kind[1:]
            scaled = [0.5 + a[0] / (2 * bd.LIM)]
            scaled += [0.5 + (al - rest) / (2 * self._spread(al, rest)) for al in a[1:-1]]
            scaled.append((y - lo) / (hi - lo) if y.shape[1] == 1 else y)
            self.diagram.show_maps(scaled, self.tables, n)

    @staticmethod
    def _spread(a: np.ndarray, rest: float) -> np.ndarray:
        """How far each unit's output (column of a) gets from its resting value, shape (n_l,)."""
        return np.maximum(np.max(np.abs(a - rest), axis=0), 1e-6)

    def show_weights(self, W: list[np.ndarray]) -> None:
        self.diagram.show_weights(W)

    def show_curve(self, curve, show_test: bool) -> None:
        """Loss and accuracy per epoch from `curve` (a Curve: arrays by name)."""
        e = curve["epoch"]
        self.train_loss.set_data(e, curve["train_loss"])
        self.train_acc.set_data(e, curve["train_acc"])
        none = ([], [])  # a hidden test curve: no x either (the legend's "best" place reads both)
        self.test_loss.set_data(*((e, curve["test_loss"]) if show_test else none))
        self.test_acc.set_data(*((e, curve["test_acc"]) if show_test else none))
        self._fit(e[-1], curve["train_loss"], curve["test_loss"] if show_test else None)

    def show_banner(self, text: str) -> None:
        """A large warning over the decision (e.g. 'diverged'), or none."""
        self.banner.set_text(text)
        self.banner.set_visible(bool(text))

    def show_note(self, text: str) -> None:
        """A short warning under the diagram (e.g. identical units), or none."""
        if self.note.get_text() != text:
            self.note.set_text(text)
            self.live.invalidate()

    def show_test(self, visible: bool) -> None:
        for markers in self.test_points:
            markers.set_visible(visible)

    # ---- kept runs and limits ----------------------------------------------------------------
    def show_runs(self, runs: list[tuple[str, np.ndarray, np.ndarray]], current: str) -> None:
        """Kept runs as (label, epochs, training loss), drawn thin under this run's curve, which is
        labelled `current`. The same runs and label again change nothing (no background redraw)."""
        if self._same_runs(runs, f"this run: {current}"):
            return
        self.train_loss.set_label(f"this run: {current}")
        for line in self.runs:
            line.remove()
        self.runs = [
            self.loss_ax.plot(e, loss, color=RUN_COLORS[i % len(RUN_COLORS)], lw=1.4, label=label,
                              zorder=1)[0]
            for i, (label, e, loss) in enumerate(runs)
        ]
        handles = [self.train_loss, self.test_loss, *self.runs]
        self.loss_ax.legend(handles=handles, fontsize=8, loc="best", framealpha=0.85)
        self.live.invalidate()

    def _same_runs(self, runs: list[tuple[str, np.ndarray, np.ndarray]], label: str) -> bool:
        """Whether the loss axes already show these kept runs and this run's label."""
        return (self.train_loss.get_label() == label and len(runs) == len(self.runs) and all(
            line.get_label() == name and np.array_equal(line.get_xdata(), e)
            and np.array_equal(line.get_ydata(), loss)
            for line, (name, e, loss) in zip(self.runs, runs)
        ))

    def new_limits(self, log: bool) -> None:
        """Fit the curve axes from scratch (a new run, other kept runs, or the scale toggled); limits
        that come out the same leave the background as it is."""
        self.log, self.xmax, self.ylim = log, 0.0, None
        if self._scale != log:
            self._scale = log
            self.loss_ax.set_yscale("log" if log else "linear")  # resets the tick formatters
            self.loss_ax.yaxis.set_major_formatter(FuncFormatter(_label))
            self.loss_ax.yaxis.set_minor_formatter(FuncFormatter(_minor_label if log else _no_label))
        for line in self.runs:
            e = np.asarray(line.get_xdata())
            self._fit(e[-1] if len(e) else 0, np.asarray(line.get_ydata()))

    def _fit(self, last_epoch: float, *series) -> None:
        values = np.concatenate([np.asarray(s, dtype=float) for s in series if s is not None])
        self.xmax = x_limit(self.xmax, last_epoch)
        self.ylim = y_limits(values, self.log, self.ylim)
        for ax in (self.loss_ax, self.acc_ax):
            if ax.get_xlim() != (0.0, self.xmax):
                ax.set_xlim(0.0, self.xmax)
        if self.loss_ax.get_ylim() != self.ylim:
            self.loss_ax.set_ylim(*self.ylim)
