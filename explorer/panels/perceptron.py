"""The perceptron panel: a gate's four points, the line w1 x1 + w2 x2 + b = 0 and its half-planes,
the perceptron rule one example at a time, its failure on XOR, and the two-layer answer."""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np

from explorer.core import perceptron as P
from explorer.live import LiveFigure
from explorer.panels.base import Panel
from explorer.panels.controls import Slider
from explorer.panels.perceptron_state import BOX, PerceptronState
from explorer.plots import perceptron_plots as pp
from explorer.plots.perceptron_plots import num
from explorer.plots.style import CLASS_COLORS, FONT, tidy

LARGE_LR = 100.0  # from here on the message explains that the size of lr hardly matters
NO_LINE = "w = 0: every point gets the same output; there is no line."
TICKS = {"pm1": [-1, 0, 1], "01": [0, 1]}
HIDDEN_COLORS = ("#009E73", "#CC79A7")  # h1, h2 (Okabe-Ito green, reddish purple)
LEGEND = {"t0": "t = −1", "t1": "t = 1", "line": "z = 0", "mistake": "mistake",
          "last": "last\nexample"}
LEGEND_TWO = {"t0": "t = −1", "t1": "t = 1", "h1": "$h_1$'s line", "h2": "$h_2$'s line",
              "line": "OR unit's\nline"}


class PerceptronPanel(Panel):
    """Controls, a live figure (input space; the rule and mistakes per epoch, or the hidden
    space) and a truth table."""

    def __init__(self, state: PerceptronState | None = None) -> None:
        super().__init__()
        self.state = state if state is not None else PerceptronState()
        self._make_controls()
        self.live = LiveFigure(8.8, 4.6)
        self._make_figure()
        self.table = widgets.HTML(layout=widgets.Layout(width="335px"))
        self.state.observe(self.guard(self._update), names=[
            "gate", "encoding", "w1", "w2", "b", "lr", "show_two_layer", "steps"])
        self._update()
        self.widget = self._layout()

    # Controls -------------------------------------------------------------------------------
    def _make_controls(self) -> None:
        s, small = self.state, {"description_width": "initial"}
        gate = widgets.ToggleButtons(options=list(P.GATES), style={"button_width": "62px"})
        self.bind("gate", gate, s, "gate")
        enc = widgets.ToggleButtons(options=[("±1 (sign)", "pm1"), ("0/1 (step)", "01")],
                                    style={"button_width": "86px"})
        self.bind("encoding", enc, s, "encoding")
        two = widgets.ToggleButton(description="show the two-layer answer", icon="sitemap",
                                   layout=widgets.Layout(width="230px"))
        self.bind("two_layer", two, s, "show_two_layer")
        for name in ("w1", "w2", "b"):
            slider = Slider(min=-3, max=3, step=0.01, description=name, readout_format=".2f",
                            style=small, layout=widgets.Layout(width="250px"))
            self.bind(name, slider, s, name)
        text = widgets.Text(description="w =", placeholder="w1, w2, b", continuous_update=False,
                            style=small, layout=widgets.Layout(width="220px"))
        self.controls["w"] = text
        text.observe(self.guard(self._typed_weights), "value")
        s.observe(lambda _: self._show_weights(), names=["w1", "w2", "b"])
        self._show_weights()
        lr = widgets.FloatText(description="η (lr)", style=small,
                               layout=widgets.Layout(width="140px"))
        self.bind("lr", lr, s, "lr")
        for name, label, fn in [("update", "one update", lambda: self.step(1)),
                                ("epoch", "one epoch", self.epoch), ("reset", "reset", self.reset),
                                ("lecture", "lecture w", self.lecture_start)]:
            button = widgets.Button(description=label, layout=widgets.Layout(width="100px"))
            button.on_click(self.guard(lambda _b, fn=fn: fn()))
            self.controls[name] = button
        play = widgets.Play(min=0, max=10**9, interval=350, show_repeat=False,
                            layout=widgets.Layout(width="110px"))
        play.observe(self.guard(self._tick), "value")
        self.controls["play"] = play

    def _layout(self) -> widgets.Widget:
        c, row = self.controls, functools.partial(widgets.HBox, layout=widgets.Layout(
            align_items="center", flex_flow="row wrap"))
        title = widgets.HTML("<b style='font-size:18px'>Perceptron</b> "
                             "<span style='font-size:16px'>y = f(w<sub>1</sub>x<sub>1</sub> + "
                             "w<sub>2</sub>x<sub>2</sub> + b)</span>")
        return widgets.VBox([
            row([title, c["gate"], c["encoding"], c["two_layer"]]),
            row([c["w1"], c["w2"], c["b"], c["w"]]),
            row([c["lr"], c["update"], c["epoch"], c["play"], c["reset"], c["lecture"]]),
            widgets.HBox([self.live.widget, self.table]),
            self.message,
        ])

    def _typed_weights(self, change) -> None:
        parts = change["new"].strip().strip("[]()").replace(",", " ").split()
        if not change["new"].strip():
            return
        try:
            values = [float(v) for v in parts]
        except ValueError:
            values = []
        if len(values) != 3:
            self._show_weights()
            raise ValueError(f"w must be three numbers w1, w2, b (e.g. 0.79, 0.96, 0.66), "
                             f"got {change['new']!r}")
        try:
            self.state.set_weights(*values)
        finally:
            self._show_weights()

    def _show_weights(self) -> None:
        s = self.state
        self.controls["w"].value = f"{s.w1:g}, {s.w2:g}, {s.b:g}"

    # Learning -------------------------------------------------------------------------------
    def step(self, k: int = 1) -> int:
        """Present the next k examples to the perceptron rule; return how many were presented."""
        return self.state.advance(k)

    def epoch(self) -> int:
        """Present examples up to the end of the current epoch (4 from an epoch's start)."""
        return self.step(4 - self.state.steps % 4)

    def reset(self) -> None:
        """Back to the start weights (the sliders); the run's history is replayed from there."""
        self.controls["play"].playing = False
        self.state.steps = 0

    def lecture_start(self) -> None:
        """The lecture's example w = [0.79, 0.96, 0.66] (w1, w2, b) as start weights."""
        self.controls["play"].playing = False
        self.state.set_weights(*P.LECTURE_W, P.LECTURE_B)

    def _tick(self, change) -> None:
        if change["new"] > change["old"] and self.step(1) == 0:
            self.controls["play"].playing = False  # the run has ended: nothing more to show

    # Figure ---------------------------------------------------------------------------------
    def _make_figure(self) -> None:
        fig, anim = self.live.figure, self.live.animate
        self.ax_in = tidy(fig.add_axes([0.065, 0.10, 0.41, 0.80]), xlabel="$x_1$", ylabel="$x_2$")
        self.ax_hid = tidy(fig.add_axes([0.695, 0.20, 0.285, 0.62]), title="hidden space",
                           xlabel="$h_1$ = AND($x_1$, ¬$x_2$)", ylabel="$h_2$ = AND(¬$x_1$, $x_2$)")
        self.ax_rule = fig.add_axes([0.615, 0.36, 0.38, 0.59])
        self.ax_rule.set_axis_off()
        self.ax_hist = tidy(fig.add_axes([0.67, 0.10, 0.31, 0.19]), title="mistakes per epoch",
                            xlabel="epoch")
        for axes in (self.ax_in, self.ax_hid):
            axes.grid(False)  # the regions are drawn over the background: a grid would show half
        self.ax_hist.set_ylim(-0.4, 4.5)
        self.ax_hist.set_yticks([0, 2, 4])
        ax, a = self.ax_in, {}
        a["regions"] = anim(pp.regions(ax))
        a["hidden"] = [anim(ax.plot([], [], color=c, lw=2.5, ls="--", zorder=3)[0])
                       for c in HIDDEN_COLORS]
        a["line"] = anim(ax.plot([], [], color="black", lw=2.5, zorder=3)[0])
        a["points"] = [anim(p) for p in pp.class_points(ax)]
        a["mistakes"] = anim(pp.rings(ax, 700))
        a["last"] = anim(pp.rings(ax, 1100, "black"))
        a["head"] = anim(ax.text(0, 1.03, "", transform=ax.transAxes, fontsize=FONT["label"] + 1))
        a["no_line"] = anim(ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center",
                                    fontsize=FONT["label"] + 1, color="#444444", zorder=6))
        hid = self.ax_hid
        a["h_regions"] = anim(pp.regions(hid))
        a["out"] = anim(hid.plot([], [], color="black", lw=2.5, zorder=3)[0])
        a["h_points"] = [anim(p) for p in pp.class_points(hid, 150)]
        a["h_labels"] = [anim(hid.text(0, 0, "", fontsize=FONT["tick"] + 1, zorder=6,
                                       linespacing=1.2)) for _ in range(4)]
        rule, size = self.ax_rule, FONT["note"] + 1
        rule.text(0, 1, "Perceptron rule, one example at a time:\n"
                  r"  $\mathbf{w} \leftarrow \mathbf{w} + \eta\,(t - y)\,\mathbf{x}$,   "
                  r"$b \leftarrow b + \eta\,(t - y)$", va="top", fontsize=size, linespacing=1.6)
        a["f"] = anim(rule.text(0, 0.77, "", va="top", fontsize=size, linespacing=1.6))
        a["step"] = anim(rule.text(0, 0.51, "", va="top", fontsize=size, linespacing=1.5))
        a["hist"] = anim(self.ax_hist.plot([], [], "o-", color=CLASS_COLORS[1], lw=2, ms=6)[0])
        self.a = a
        self._legends = {two: fig.legend(handles=pp.legend_handles(labels), loc="center left",
                                         bbox_to_anchor=(0.485, 0.5), fontsize=FONT["legend"],
                                         frameon=False, handlelength=1.6)
                         for two, labels in [(False, LEGEND), (True, LEGEND_TWO)]}
        self._drawn = None  # (encoding, two-layer view) the static parts were drawn for

    def _update(self, change=None) -> None:
        s = self.state
        two = s.show_two_layer and s.gate == "XOR"
        self._static(s.encoding, two)
        w, b = s.weights()
        segment = self._draw_input(two)
        if two:
            self._draw_hidden()
        else:
            self._draw_rule()
        self._draw_history()
        self.table.value = self._tables(two)
        for name in ("update", "epoch", "play"):
            self.controls[name].disabled = two
        if two:
            self.controls["play"].playing = False
        self.controls["two_layer"].disabled = s.gate != "XOR"
        self.say(*self._status(w, b, segment, two))
        self.live.draw_idle()

    def _static(self, encoding: str, two: bool) -> None:
        """What changes only with the encoding or the view: box, ticks, legends, visibility."""
        if self._drawn == (encoding, two):
            return
        self._drawn = (encoding, two)
        box, ticks = BOX[encoding], TICKS[encoding]
        for ax in (self.ax_in, self.ax_hid):
            ax.set_xlim(box)
            ax.set_ylim(box)
            ax.set_xticks(ticks)
            ax.set_yticks(ticks)
        neg = "−1" if encoding == "pm1" else "0"
        for legend in self._legends.values():
            legend.get_texts()[0].set_text(f"t = {neg}")
            legend.get_texts()[1].set_text("t = 1")
        self._legends[True].set_visible(two)
        self._legends[False].set_visible(not two)
        self.ax_hid.set_visible(two)
        self.ax_rule.set_visible(not two)
        self.ax_hist.set_visible(not two)
        self.a["hist"].set_visible(not two)
        for key in ("h_regions", "out"):
            self.a[key].set_visible(two)
        for artist in self.a["h_points"] + self.a["h_labels"]:
            artist.set_visible(two)
        for key in ("f", "step"):
            self.a[key].set_visible(not two)
        self.live.invalidate()

    def _draw_input(self, two: bool):
        s, a = self.state, self.a
        X, t = s.data()
        box = BOX[s.encoding]
        pp.set_class_points(a["points"], X, (t > 0).astype(int))
        net = P.xor_network(s.encoding)
        for line, wk, bk in zip(a["hidden"], net.W_hidden, net.b_hidden):
            pp.set_segment(line, P.decision_line(wk, bk, box, box) if two else None)
        if two:
            pp.set_regions(a["regions"], _network_regions(net, box, s.encoding))
            pp.set_segment(a["line"], None)
            a["mistakes"].set_offsets(np.empty((0, 2)))
            a["last"].set_offsets(np.empty((0, 2)))
            a["head"].set_text("Two layers: y = OR($h_1$, $h_2$), 0 mistakes")
            a["no_line"].set_text("")
            return None
        w, b = s.weights()
        pp.set_regions(a["regions"], [pp.clip(pp.box_polygon(box, box), w, b)])
        segment = P.decision_line(w, b, box, box)
        pp.set_segment(a["line"], segment)
        wrong = P.predict(X, w, b, s.encoding) != t
        a["mistakes"].set_offsets(X[wrong].reshape(-1, 2))
        last = s.last_example()
        a["last"].set_offsets(X[[] if last is None else [last]].reshape(-1, 2))
        a["head"].set_text(f"w₁ = {num(w[0])},  w₂ = {num(w[1])},  b = {num(b)}    "
                           f"mistakes: {int(wrong.sum())}/4")
        a["no_line"].set_text("" if segment is not None else
                              "w = 0: no line,\nthe same output everywhere" if not np.any(w) else
                              "the line is outside this box")
        return segment

    def _draw_hidden(self) -> None:
        s, a = self.state, self.a
        X, t = s.data()
        box = BOX[s.encoding]
        net = P.xor_network(s.encoding)
        H, _ = net.forward(X)
        pp.set_regions(a["h_regions"], [pp.clip(pp.box_polygon(box, box), net.w_out, net.b_out)])
        pp.set_segment(a["out"], P.decision_line(net.w_out, net.b_out, box, box))
        pp.set_class_points(a["h_points"], H, (t > 0).astype(int))
        pp.label_points(a["h_labels"], H, [f"x = {pp.point(x)}" for x in X], box)

    def _draw_rule(self) -> None:
        s, a = self.state, self.a
        f = "sign" if s.encoding == "pm1" else "step"
        low = "−1" if s.encoding == "pm1" else "0"
        a["f"].set_text(f"f = {f}: y = 1 if z ≥ 0, else {low}\nlearning rate η = {num(s.lr)}")
        X, t = s.data()
        i = s.last_example()
        upcoming = "Next: x = " + pp.point(X[s.steps % 4])
        if i is None:
            a["step"].set_text(f"No example presented yet.\n{upcoming}")
            return
        (w0, b0), (w1, b1) = s.weights(s.steps - 1), s.weights()
        y = P.predict(X[i : i + 1], w0, b0, s.encoding)[0]
        lines = [f"Step {s.steps} (epoch {(s.steps - 1) // 4 + 1}): x = {pp.point(X[i])}",
                 f"  t = {num(t[i])},  y = {num(y)}: "
                 + ("mistake" if y != t[i] else "correct, no change")]
        if y != t[i]:
            lines.append(f"  Δw = {pp.point(w1 - w0)},  Δb = {num(b1 - b0)}")
        a["step"].set_text("\n".join([*lines, self._short_verdict() or upcoming]))

    def _short_verdict(self) -> str:
        """The core's verdict in a line or two for the figure, once the replay has reached it."""
        s, h = self.state, self.state.history
        if not s.verdict_reached:
            return ""
        if h.status == "converged":
            return f"Converged: epoch {h.epochs} made no mistakes."
        if h.status == "cycle":
            first, now = h.cycle
            return (f"Cycle: epoch {now} starts like epoch {first},\n"
                    "so no line separates these points.")
        return f"Stopped at the cap of {h.epochs} epochs."

    def _draw_history(self) -> None:
        counts = self.state.mistakes_per_epoch()
        epochs = np.arange(1, counts.size + 1)
        self.a["hist"].set_data(epochs, counts)
        self.ax_hist.set_xlim(0.5, max(8, counts.size) + 0.5)

    def _tables(self, two: bool) -> str:
        s = self.state
        X, t = s.data()
        w, b = s.weights()
        z = np.round(X @ w + b, P.DECIMALS) + 0.0  # as the core rounds it before f
        y = P.predict(X, w, b, s.encoding)
        f, enc = ("sign", "±1") if s.encoding == "pm1" else ("step", "0/1")
        caption = (f"<b>{s.gate}</b>, one perceptron, encoding {enc}:<br>"
                   f"z = w<sub>1</sub>x<sub>1</sub> + w<sub>2</sub>x<sub>2</sub> + b, y = {f}(z)")
        html = pp.gate_table_html(caption, X, z, y, t, s.last_example())
        return html + pp.xor_table_html(P.xor_network(s.encoding).table()) if two else html

    def _status(self, w: np.ndarray, b: float, segment, two: bool) -> tuple[str, str]:
        s, h = self.state, self.state.history
        if two:
            return ("Two layers: the hidden units AND(x1, not x2) and AND(not x1, x2) send the "
                    "four points to three corners of the hidden space, where one line (the OR "
                    "unit) separates them.", "info")
        texts, level = [], "info"
        if not np.any(w):
            texts.append(NO_LINE)
            level = "warning"
        elif segment is None:
            texts.append("The line lies outside the box shown: every point is on the same side.")
        if s.verdict_reached:
            texts.append(h.verdict)
            if h.status == "cycle":
                texts.append("Turn on 'show the two-layer answer'." if s.gate == "XOR" else "")
            level = "info" if h.converged and level == "info" else "warning"
        if s.lr >= LARGE_LR:
            texts.append(f"η = {s.lr:g} is large: the weights jump far, but only the sign of z "
                         "matters, so the rule is scale-free in direction (exactly so from w = 0).")
        if not texts:
            n = P.mistakes(*s.data(), w, b, s.encoding)
            texts.append(f"On the wrong side: {n} of 4 points. " + (
                "Press 'one update' to apply the rule to the next example." if n else
                "Finish the epoch: an epoch without mistakes ends the rule."))
        return " ".join(t for t in texts if t), level


def _network_regions(net: P.XorNetwork, box, encoding: str) -> list[np.ndarray]:
    """Polygons where the two-layer network outputs 1: one per hidden pattern mapped to 1."""
    lo, hi = (-1.0, 1.0) if encoding == "pm1" else (0.0, 1.0)
    patterns = [(s1, s2) for s1 in (1, -1) for s2 in (1, -1)]
    h = np.array([[hi if s1 > 0 else lo, hi if s2 > 0 else lo] for s1, s2 in patterns])
    y = P.predict(h, net.w_out, net.b_out, encoding)
    return [pp.pattern_region(net.W_hidden, net.b_hidden, signs, box)
            for signs, yi in zip(patterns, y) if yi > 0]
