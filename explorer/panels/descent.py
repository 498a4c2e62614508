"""The gradient-descent panel: the linear neuron's error surface over (w0, w1), the solution of
A w = b, and batch, stochastic and mini-batch paths from a start you click, step by step."""

from __future__ import annotations

import functools
import html
import math

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from explorer.core import linear as L
from explorer.live import LiveFigure
from explorer.panels.base import Panel, settle
from explorer.panels.controls import LogSlider, Slider
from explorer.panels.descent_state import MAX_N, MAX_OFFSET, MAX_STEPS, NAMES, DescentState
from explorer.plots import surface as S
from explorer.plots.style import COLORS, FONT, tidy

COLOR = {"batch": COLORS[0], "stochastic": COLORS[1], "minibatch": COLORS[2]}
MARKER_SIZE = {"batch": 6.0, "stochastic": 4.0, "minibatch": 4.0}
VERDICT_COLOR = {"crawls": "#8a5a00", "converges": "#00704a", "oscillates": "#0060a0",
                 "diverges": "#b00020"}


def _num(v: float, paren: bool = True) -> str:
    """A number for the update rule: 4 significant digits, negatives in parentheses if asked."""
    s = f"{v:.4g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant} \\times 10^{{{int(exp)}}}"
    return f"({s})" if v < 0 and paren else s


class DescentPanel(Panel):
    """Controls, a live figure (surface with paths, data with lines, E per step) and the rule."""

    def __init__(self, state: DescentState | None = None) -> None:
        super().__init__()
        self.state = state if state is not None else DescentState()
        self._notes: list[tuple[str, str]] = []  # (text, level) shown once, with the next update
        self._make_controls()
        self.live = LiveFigure(10.0, 4.5)
        self._make_figure()
        self.live.on_click = self.guard(self.click)
        s = self.state
        s.observe(self.guard(self._on_data), names=["data"])
        s.observe(self.guard(self._on_start), names=["w0", "w1"])
        s.observe(self.guard(self._update), names=[
            "lr", "batch_size", "steps", "show_batch", "show_stochastic", "show_minibatch"])
        self.verdict = widgets.HTML(layout=widgets.Layout(min_height="2.6em"))
        self.rule = widgets.HTMLMath()
        self._on_data()
        self.widget = self._layout()

    # Controls -------------------------------------------------------------------------------
    def _make_controls(self) -> None:
        s, small = self.state, {"description_width": "initial"}
        box = functools.partial(widgets.Layout, width="auto")
        # unclamped: the state allows any η > 0 and says what it does; a clamping slider would
        # silently pull a larger η (set from Python or a visitor) back to its own end
        lr = LogSlider(base=10, min=-4, max=0.5, step=0.05, description="η (lr)",
                                    readout_format=".3g", style=small,
                                    layout=widgets.Layout(width="300px"))
        self.bind("lr", lr, s, "lr")
        for name in ("w0", "w1"):
            text = widgets.FloatText(description=f"start {name}", step=0.1, style=small,
                                     layout=widgets.Layout(width="140px"))
            self.bind(name, text, s, name)
        self.bind("n", widgets.IntSlider(min=1, max=MAX_N, description="points", style=small,
                                         layout=widgets.Layout(width="230px")), s, "n")
        self.bind("noise", Slider(min=0, max=1, step=0.05, description="noise",
                                               style=small, layout=widgets.Layout(width="210px")),
                  s, "noise")
        self.bind("seed", widgets.IntText(description="seed", style=small,
                                          layout=widgets.Layout(width="110px")), s, "seed")
        self.bind("batch_size", widgets.IntText(description="B", style=small,
                                                layout=widgets.Layout(width="85px")),
                  s, "batch_size")
        for method in NAMES:
            check = widgets.Checkbox(description=NAMES[method], indent=False, layout=box())
            self.bind(method, check, s, f"show_{method}")
        for name, label, fn in [("step", "1 step", lambda: self.step(1)),
                                ("step10", "10 steps", lambda: self.step(10)),
                                ("reset", "reset", self.reset)]:
            button = widgets.Button(description=label, layout=widgets.Layout(width="80px"))
            button.on_click(self.guard(lambda _b, fn=fn: fn()))
            self.controls[name] = button
        play = widgets.Play(min=0, max=10**9, interval=250, show_repeat=False,
                            layout=widgets.Layout(width="110px"))
        play.observe(self.guard(self._tick), "value")
        self.controls["play"] = play

    def _layout(self) -> widgets.Widget:
        c, row = self.controls, functools.partial(widgets.HBox, layout=widgets.Layout(
            align_items="center", flex_flow="row wrap", grid_gap="6px"))
        title = widgets.HTML("<b style='font-size:18px'>Gradient descent</b>")
        return widgets.VBox([
            row([title, c["play"], c["step"], c["step10"], c["reset"], c["lr"], c["w0"], c["w1"]]),
            row([widgets.HTML("<b>data</b>"), c["n"], c["noise"], c["seed"],
                 widgets.HTML("&nbsp;<b>paths</b>"), c["batch"], c["stochastic"], c["minibatch"],
                 c["batch_size"]]),
            self.live.widget, self.verdict, self.message, self.rule,
        ])

    # Stepping -------------------------------------------------------------------------------
    def step(self, k: int = 1) -> int:
        """Take k more steps (passes over the data) on every path; return how many were taken."""
        runs = self._runs()
        if runs and all(r.stopped for r in runs.values()):
            self._stop("Every shown path has stopped; press reset or choose a smaller η.")
            return 0
        if self.state.steps >= MAX_STEPS:
            self._stop(f"{MAX_STEPS} steps is the most this panel takes; press reset.")
            return 0
        before = self.state.steps
        self.state.steps = min(before + k, MAX_STEPS)
        return self.state.steps - before

    def reset(self) -> None:
        """Back to step 0 at the start, the view fitted around the solution and the start."""
        self.controls["play"].playing = False
        self._fit_view()
        if self.state.steps == 0:
            self._update()
        self.state.steps = 0

    def click(self, fx: float, fy: float) -> None:
        """A click at figure fractions (fx, fy) on the surface sets the start there."""
        disp = (fx * self.live.figure.bbox.width, fy * self.live.figure.bbox.height)
        if not self.ax.bbox.contains(*disp):
            self.say("Click on the error surface (left) to choose where descent starts.")
            return
        w = self.ax.transData.inverted().transform(disp)
        digits = max(0, 2 - math.floor(math.log10(self.ax.get_xlim()[1] - self.ax.get_xlim()[0])))
        with self.state.hold_trait_notifications():
            self.state.w0, self.state.w1 = (round(float(v), digits) for v in w)

    def _tick(self, change) -> None:
        if change["new"] > change["old"] and self.step(1) == 0:
            self.controls["play"].playing = False

    def _stop(self, text: str) -> None:
        self.controls["play"].playing = False
        self.say(text, "warning")

    # State changes --------------------------------------------------------------------------
    def _on_data(self, _change=None) -> None:
        d = self.state.data
        self.scatter.set_offsets(np.column_stack([d.x, d.t]))
        self._fit_data_axes()
        self._fit_view()
        self._update()

    def _on_start(self, _change=None) -> None:
        s, c = self.state, self.state.center
        w = np.clip(s.start, c - MAX_OFFSET, c + MAX_OFFSET)
        if not np.array_equal(w, s.start):
            where = "solution" if s.data.w_star is not None else "smallest minimiser"
            self._notes.append((f"The start ({s.w0:.4g}, {s.w1:.4g}) is far off the surface; it "
                                f"was moved to ({w[0]:.4g}, {w[1]:.4g}), within {MAX_OFFSET:g} of "
                                f"the {where}.", "warning"))
            with s.hold_trait_notifications():
                s.w0, s.w1 = float(w[0]), float(w[1])
            return
        if not S.inside(self.ax.get_xlim(), self.ax.get_ylim(), w, margin=0.02):
            self._fit_view()
        self._update()

    def _runs(self) -> dict[str, L.Descent]:
        s = self.state
        return {m: r for m in NAMES if getattr(s, f"show_{m}") and (r := s.run(m)) is not None}

    # Figure ---------------------------------------------------------------------------------
    def _make_figure(self) -> None:
        fig, anim = self.live.figure, self.live.animate
        self.ax = tidy(fig.add_axes([0.075, 0.11, 0.37, 0.82]), "error surface E(w₀, w₁)",
                       "$w_0$", "$w_1$")
        self.ax.set_aspect("equal", adjustable="box")
        self.ax.grid(False)
        self.ax_data = tidy(fig.add_axes([0.615, 0.62, 0.37, 0.31]),
                            "data and the line y = w₀ + w₁x", "x", "t")
        self.ax_err = tidy(fig.add_axes([0.615, 0.11, 0.37, 0.31]), "E per step (log scale)",
                           "step (one pass over the data)")
        self.ax_err.set_yscale("log", nonpositive="mask")
        self.ax_err.xaxis.set_major_locator(MaxNLocator(integer=True))
        self._surface: list = []
        self.solution = self.ax.plot([], [], "*", color="black", ms=15, mec="white", mew=0.8,
                                     label="solution\nof A w = b", zorder=5)[0]
        self.paths, self.arrows, self.lines, self.curves = {}, {}, {}, {}
        for m in NAMES:
            self.paths[m] = S.path_line(self.ax, COLOR[m], NAMES[m], ms=MARKER_SIZE[m],
                                        lw=1.8 if m == "batch" else 1.1, edge=m == "batch")
            self.arrows[m] = S.exit_arrow(self.ax, COLOR[m])
            self.lines[m] = self.ax_data.plot([], [], color=COLOR[m], lw=2)[0]
            self.curves[m] = self.ax_err.plot([], [], color=COLOR[m], lw=1.6)[0]
        for m in ("batch", "minibatch", "stochastic"):  # drawn in this order: noisiest on top
            for artists in (self.paths, self.arrows, self.lines, self.curves):
                anim(artists[m])
        self.start_marker = anim(self.ax.plot([], [], "o", ms=9, mfc="white", mec="black", mew=2,
                                              label="start", zorder=6)[0])
        self.ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=FONT["legend"],
                       frameon=False, borderaxespad=0, handlelength=1.6)
        box = fig.add_axes([0.455, 0.02, 0.15, 0.45])  # the step and regime; clipped here, so a
        box.set_axis_off()  # frame re-sends this whole box when the text changes size
        self.info = anim(box.text(0.04, 0.2, "", transform=box.transAxes, va="bottom",
                                  fontsize=FONT["title"], linespacing=1.5, clip_on=True,
                                  bbox={"boxstyle": "round", "fc": "white", "ec": "0.6"}))
        self.scatter = self.ax_data.scatter([], [], s=22, color="0.25", zorder=3, label="data")
        self.fit_line = self.ax_data.plot([], [], "--", color="black", lw=1.2, label="A w = b")[0]
        self.ax_data.legend(loc="best", fontsize=FONT["legend"], frameon=False)
        self.E_min = self.ax_err.axhline(1.0, ls="--", color="black", lw=1.0)

    def _fit_view(self) -> None:
        s = self.state
        xlim, ylim = S.view_box([s.start, s.nearest_minimum()])
        self.ax.set_xlim(*xlim)
        self.ax.set_ylim(*ylim)
        S.remove(self._surface)
        W0, W1 = S.grid(xlim, ylim)
        self._surface = S.contours(self.ax, W0, W1, L.error_surface(s.data.X, s.data.t, W0, W1))
        self.live.invalidate()

    def _fit_data_axes(self) -> None:
        d, ax = self.state.data, self.ax_data
        lo, hi = min(d.x.min(), 0.0), max(d.x.max(), 1.0)
        self.xs = np.linspace(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 50)
        ax.set_xlim(self.xs[0], self.xs[-1])
        tlo, thi = min(d.t.min(), 0.0), max(d.t.max(), 1.0)
        ax.set_ylim(tlo - 0.15 * (thi - tlo), thi + 0.15 * (thi - tlo))
        star = d.w_star is not None
        self.solution.set_data(*([[d.w_star[0]], [d.w_star[1]]] if star else [[], []]))
        fit = d.w_star[0] + d.w_star[1] * self.xs if star else np.full_like(self.xs, np.nan)
        self.fit_line.set_data(self.xs, fit)
        self.E_min.set_ydata([d.E_min] * 2)
        legend = self.ax.get_legend()
        legend.get_texts()[0].set_text("solution\nof A w = b" if star else "no unique\nsolution")
        legend.legend_handles[0].set_alpha(1.0 if star else 0.25)

    def _update(self, _change=None) -> None:
        s, notes = self.state, self._notes
        self._notes = []
        runs = self._runs()
        if s.data.singular:
            notes.append((f"The data give no unique solution: {s.data.singular}. "
                          "Descent still runs; its path slides into the flat valley.", "warning"))
        if s.show_minibatch and s.batch_problem():
            notes.append((s.batch_problem(), "warning"))
        for m, run in runs.items():
            per = s.updates_per_step(m)
            count = "" if per == 1 else f" (counting updates, {per} per step)"
            if run.stopped:
                notes.append((f"{NAMES[m].capitalize()} path{count}: {run.stopped}.", "warning"))
        for m in NAMES:
            self._draw_run(m, runs.get(m))
        self.start_marker.set_data([s.w0], [s.w1])
        self._fit_error_axes(runs)
        self._say_regime()
        self._write_rule(s.run("batch"))
        self.say(" ".join(t for t, _ in notes), "warning" if notes else "info")
        self.live.draw_idle()

    def _draw_run(self, m: str, run: L.Descent | None) -> None:
        shown = run is not None
        for artist in (self.paths[m], self.lines[m], self.curves[m]):
            artist.set_visible(shown)
        if not shown:
            self.arrows[m].set_visible(False)
            return
        S.set_path(self.paths[m], run.path, self.ax.get_xlim(), self.ax.get_ylim())
        self.paths[m].set_markevery(self.state.updates_per_step(m))  # a marker per pass
        S.place_exit_arrow(self.arrows[m], run.path, self.ax.get_xlim(), self.ax.get_ylim())
        w = run.path[-1]
        self.lines[m].set_data(self.xs, w[0] + w[1] * self.xs)
        k = np.arange(len(run.errors)) / self.state.updates_per_step(m)
        self.curves[m].set_data(k, run.errors)

    def _fit_error_axes(self, runs: dict[str, L.Descent]) -> None:
        """Limits in whole decades and doublings, so they change (and re-cache) rarely."""
        ax, d = self.ax_err, self.state.data
        xlim = (0, 10 * 2 ** math.ceil(math.log2(max(self.state.steps, 10) / 10)))
        E0 = max(L.error(self.state.start, d.X, d.t), 1e-300)
        top = max([E0] + [float(r.errors[np.isfinite(r.errors)].max()) for r in runs.values()])
        floor = d.E_min if d.E_min > 1e-12 * E0 else 1e-6 * E0
        ylim = (10.0 ** math.floor(math.log10(floor) - 0.2),
                10.0 ** math.ceil(math.log10(top) + 0.2))
        if ax.get_xlim() != xlim:
            ax.set_xlim(*xlim)
        if ax.get_ylim() != ylim:
            ax.set_ylim(*ylim)

    def _say_regime(self) -> None:
        s, r = self.state, self.state.regime()
        color = VERDICT_COLOR[r.name]
        head, rest = r.sentence.split(":", 1)
        self.verdict.value = (f'<span style="font-size:14px"><b style="color:{color}">'
                              f'{html.escape(head)}</b>:{html.escape(rest)}</span>')
        self.verdict_text = r.sentence
        label = {"oscillates": "oscillates,\nconverges"}.get(r.name, r.name)
        self.info.set_text(f"step {s.steps}\nη = {s.lr:.3g}\n{label}")
        self.info.get_bbox_patch().set_edgecolor(color)
        self.info.set_color(color)

    def _write_rule(self, run: L.Descent) -> None:
        s, d = self.state, self.state.data
        w = run.path[-1]
        if not np.all(np.isfinite(w)):
            settle(self.rule, "The weights are no longer finite numbers; press reset.", after=self.live)
            return
        with np.errstate(over="ignore", invalid="ignore"):
            g = L.gradient(w, d.X, d.t)
            new = w - s.lr * g
        parts = [f"w_{j} \\leftarrow {_num(w[j], False)} - {_num(s.lr)} \\times {_num(g[j])} = "
                 f"{_num(new[j], False)}" for j in range(2)]
        when = (f"stopped after step {len(run.errors) - 1}: the next update would be"
                if run.stopped else f"next batch update, from step {s.steps}:")
        settle(self.rule, r"Rule: $w_j \leftarrow w_j - \eta\,\partial E/\partial w_j$ with "
               r"$\partial E/\partial w_j = -2\sum_i (t_i - y_i)\,x_{ij}$; " + when
               + "$$" + r",\qquad ".join(parts) + "$$", after=self.live)
