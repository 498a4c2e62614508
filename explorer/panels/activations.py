"""The activation panel: g(z) and g'(z) for any functions of the registry, a probe that reads
both, shading where gradients vanish, and what an input z ~ N(0, sigma^2) becomes after g."""

from __future__ import annotations

import html
import math

import ipywidgets as widgets
import numpy as np
import traitlets

from explorer.live import LiveFigure
from explorer.panels.activations_state import (
    A_RANGE,
    NAMES,
    S_RANGE,
    SIGMA_RANGE,
    Z_LIMIT,
    ActivationState,
)
from explorer.panels.base import Panel, settle
from explorer.panels.controls import LogSlider, RangeSlider, Slider
from explorer.plots import activation_plots as ap
from explorer.plots.style import COLORS, FONT, tidy

PALETTE = [c for c in COLORS if c != "#F0E442"]  # yellow is too faint on white for a curve
SIZE = (8.2, 4.6)  # inches at 100 CSS px per inch: 820 x 460 px, beside a 272 px column
G_BOX, D_BOX = [0.08, 0.53, 0.49, 0.38], [0.08, 0.11, 0.49, 0.38]  # figure fractions
FULL_BOX = [0.08, 0.11, 0.49, 0.80]  # g(z) alone, when g'(z) is hidden
KEY_BOX, HIST_BOX = [0.63, 0.60, 0.35, 0.34], [0.67, 0.11, 0.31, 0.39]
CURVE_TRAITS = {"functions", "alpha", "A", "S", "z_min", "z_max", "hist_function",
                "show_derivative"}


class FunctionPicker(widgets.GridBox):
    """One checkbox per function; `value` is the tuple of checked names."""

    value = traitlets.Tuple()

    def __init__(self, names: tuple[str, ...]) -> None:
        self.boxes = {
            n: widgets.Checkbox(description=n, indent=False, layout=widgets.Layout(width="auto"))
            for n in names
        }
        super().__init__(
            list(self.boxes.values()),
            layout=widgets.Layout(grid_template_columns="132px 136px", grid_gap="0 4px"),
        )
        self._quiet = False
        for box in self.boxes.values():
            box.observe(self._from_boxes, "value")
        self.observe(self._to_boxes, "value")

    def _from_boxes(self, _change) -> None:
        if not self._quiet:
            self.value = tuple(n for n, box in self.boxes.items() if box.value)

    def _to_boxes(self, change) -> None:
        self._quiet = True
        try:
            for name, box in self.boxes.items():
                box.value = name in change["new"]
        finally:
            self._quiet = False


class ActivationPanel(Panel):
    """Activation functions with their derivatives, a probe, saturation and a histogram."""

    def __init__(self, state: ActivationState | None = None) -> None:
        super().__init__()
        self.state = state if state is not None else ActivationState()
        self._styles: dict[str, tuple[str, str]] = {}  # name -> (colour, line style) while shown
        self._quiet = False
        self._make_controls()
        self._make_figure()
        self.state.observe(self.guard(self._update), names=list(self.state.trait_names()))
        self._update()
        title = widgets.HTML(
            "<b style='font-size:18px'>Activation functions g(z) and their slopes g′(z)</b>"
        )
        column = widgets.VBox(self._column, layout=widgets.Layout(width="272px", min_width="272px"))
        figure = widgets.VBox([self.live.widget, self.formulas])
        top = widgets.HBox([title, self.controls["reset"]],
                           layout=widgets.Layout(justify_content="space-between", width="1092px"))
        self.widget = widgets.VBox([top, widgets.HBox([column, figure]), self.message])

    def _make_controls(self) -> None:
        s = self.state
        layout, style = widgets.Layout(width="255px"), {"description_width": "62px"}

        def slider(cls, **kw):
            return cls(layout=layout, style=style, **kw)

        self.bind("functions", FunctionPicker(NAMES), s, "functions")
        show = widgets.Checkbox(description="show g′(z) below g(z)", indent=False)
        self.bind("show_derivative", show, s, "show_derivative")
        z_range = slider(RangeSlider, description="z range", min=-Z_LIMIT, max=Z_LIMIT, step=0.5,
                         value=(s.z_min, s.z_max), readout_format=".1f")
        self.controls["z_range"] = z_range
        z_range.observe(self.guard(self._range_to_state), "value")
        s.observe(self._range_to_control, ["z_min", "z_max"])
        probe = slider(Slider, description="probe z", min=s.z_min, max=s.z_max, step=0.05)
        self.bind("z_probe", probe, s, "z_probe")
        s.observe(self._probe_bounds, ["z_min", "z_max"])
        alpha = slider(Slider, description="leaky α", min=0, max=1, step=0.01)
        self.bind("alpha", alpha, s, "alpha")
        for p, (lo, hi) in (("A", A_RANGE), ("S", S_RANGE)):
            # step 0.0001 keeps 1.7159 on the slider's grid: a browser slider snaps its value
            scale = slider(Slider, description=f"tanh {p}", min=lo, max=hi, step=0.0001,
                           readout_format=".4g")
            self.bind(p, scale, s, p)
        focus = slider(widgets.Dropdown, description="through", options=s.functions,
                       value=s.hist_function)
        self.controls["hist_function"] = focus
        focus.observe(self.guard(self._focus_to_state), "value")
        lo, hi = (math.log10(v) for v in SIGMA_RANGE)
        self.bind("sigma", slider(LogSlider, description="σ", min=lo, max=hi, step=0.01,
                                  readout_format=".3g"), s, "sigma")
        reset = widgets.Button(description="reset", layout=widgets.Layout(width="90px"))
        self.controls["reset"] = reset
        reset.on_click(self.guard(lambda _: self.state.reset()))
        self.formulas = widgets.HTMLMath(layout=widgets.Layout(width=f"{SIZE[0] * 100:.0f}px"))

        def heading(text):
            return widgets.HTML(f"<b style='font-size:14px'>{text}</b>")

        c = self.controls
        self._column = [
            heading("functions"), c["functions"], c["show_derivative"], c["z_range"], c["z_probe"],
            heading("parameters"), c["alpha"], c["A"], c["S"],
            heading("input z ~ N(0, σ²), 5,000 draws"), c["hist_function"], c["sigma"],
        ]

    def _range_to_state(self, change) -> None:
        lo, hi = change["new"]
        if (lo, hi) == (self.state.z_min, self.state.z_max):
            return
        try:
            self.state.set_range(lo, hi)
        finally:
            self._range_to_control()

    def _range_to_control(self, _change=None) -> None:
        self.controls["z_range"].value = (self.state.z_min, self.state.z_max)

    def _probe_bounds(self, _change=None) -> None:
        probe = self.controls["z_probe"]
        with probe.hold_trait_notifications():
            probe.max, probe.min = self.state.z_max, self.state.z_min

    def _focus_to_state(self, change) -> None:
        if self._quiet or change["new"] is None or change["new"] == self.state.hist_function:
            return
        try:
            self.state.hist_function = change["new"]
        finally:
            self._focus_to_control()

    def _focus_to_control(self) -> None:
        """Offer the shown functions in the dropdown, select the state's; no echo to the state."""
        focus, s = self.controls["hist_function"], self.state
        self._quiet = True
        try:
            if focus.options != s.functions:
                focus.options = s.functions
            focus.value = s.hist_function if s.hist_function in s.functions else None
        finally:
            self._quiet = False

    def _make_figure(self) -> None:
        self.live = LiveFigure(*SIZE)
        fig, animate = self.live.figure, self.live.animate
        self.ax_g = tidy(fig.add_axes(G_BOX), ylabel="g(z)")
        self.ax_d = tidy(fig.add_axes(D_BOX, sharex=self.ax_g), xlabel="z", ylabel="g′(z)")
        self.ax_h = tidy(fig.add_axes(HIST_BOX), title="z ~ N(0, σ²) through g",
                         ylabel="count")
        for ax in (self.ax_g, self.ax_d):
            ax.axhline(0, color="#999999", lw=0.8, zorder=1)
            ax.axvline(0, color="#999999", lw=0.8, zorder=1)
        self.bands_g = [animate(b) for b in ap.span_pool(self.ax_g)]
        self.bands_d = [animate(b) for b in ap.span_pool(self.ax_d)]
        self.lines_g = {n: animate(line) for n, line in ap.curve_pool(self.ax_g, NAMES).items()}
        self.lines_d = {n: animate(line) for n, line in ap.curve_pool(self.ax_d, NAMES).items()}
        self.probe_g = tuple(animate(a) for a in ap.probe_pool(self.ax_g))
        self.probe_d = tuple(animate(a) for a in ap.probe_pool(self.ax_d))
        self.header, self.rows = ap.key_table(fig.add_axes(KEY_BOX), NAMES)
        for artist in (self.header, *(a for row in self.rows.values() for a in (row.g, row.dg))):
            animate(artist)  # swatches and names change only with the selection: static
        self.caption = fig.text(G_BOX[0], 0.955, "", fontsize=FONT["note"], va="center")
        self.stairs = animate(ap.hist_artist(self.ax_h))
        self.hist_note = animate(self.ax_h.text(0.5, 0.97, "", transform=self.ax_h.transAxes,
                                                ha="center", va="top", fontsize=FONT["legend"]))

    def _update(self, change=None) -> None:
        name = change["name"] if change else None
        if set(self._styles) != set(self.state.functions):  # also when the state's own observer
            self._assign_styles()  # changes hist_function before "functions" is announced
            self._place_key()
        if name in (None, "functions", "hist_function"):
            self._focus_to_control()
        if name in (None, "show_derivative"):
            self._layout()
        if name is None or name in CURVE_TRAITS:
            self._draw_curves()
        if name != "sigma":
            self._draw_probe()
        if name is None or name in CURVE_TRAITS | {"sigma"}:
            self._draw_hist()
        if name in (None, "functions", "alpha", "A", "S"):
            self._write_formulas()
        self.say(*self._notes())
        self.live.draw_idle()

    def _assign_styles(self) -> None:
        """Give each newly shown function the first free colour; a shown one keeps its colour."""
        shown = self.state.functions
        self._styles = {n: st for n, st in self._styles.items() if n in shown}
        for name in shown:
            if name not in self._styles:
                used = {color for color, _ in self._styles.values()}
                free = [c for c in PALETTE if c not in used]
                k = len(self._styles)
                self._styles[name] = (free[0], "-") if free else (PALETTE[k % len(PALETTE)], "--")

    def _layout(self) -> None:
        show = self.state.show_derivative
        self.ax_d.set_visible(show)
        self.ax_g.set_position(G_BOX if show else FULL_BOX)
        self.ax_g.tick_params(labelbottom=not show)
        self.ax_g.set_xlabel("" if show else "z", fontsize=FONT["label"])
        self.live.invalidate()

    def _draw_curves(self) -> None:
        s = self.state
        z, show_d = s.grid(), s.show_derivative
        ys, dys = [], []
        for name in NAMES:
            on = name in s.functions
            line, dline = self.lines_g[name], self.lines_d[name]
            line.set_visible(on)
            dline.set_visible(on and show_d)
            if on:
                g = s.activation(name)
                ys.append(g.f(z))
                dys.append(g.df(z))
                color, ls = self._styles[name]
                line.set(data=(z, ys[-1]), color=color, linestyle=ls)
                dline.set(data=(z, dys[-1]), color=color, linestyle=ls)
        self.ax_g.set_xlim(z[0], z[-1])
        self.ax_g.set_ylim(*_limits(ys))
        self.ax_d.set_ylim(*_limits(dys, include_zero=True))
        spans, note = ([], "choose a function")
        if s.functions:
            spans, note = s.saturation(s.hist_function)
        ap.set_spans(self.bands_g, spans)
        ap.set_spans(self.bands_d, spans, show_d)
        if note != self.caption.get_text():
            self.caption.set_text(note)
            self.live.invalidate()

    def _place_key(self) -> None:
        shown = self.state.functions
        for name, row in self.rows.items():
            if name in shown:
                ap.place_key_row(row, shown.index(name), len(shown), *self._styles[name])
            else:
                ap.hide_key_row(row)
        self.live.invalidate()

    def _draw_probe(self) -> None:
        s = self.state
        z, shown = s.z_probe, s.functions
        values = [(float(g.f(z)), float(g.df(z))) for g in map(s.activation, shown)]
        colors = [self._styles[n][0] for n in shown]
        ap.set_probe(*self.probe_g, z, np.array([v[0] for v in values]), colors)
        ap.set_probe(*self.probe_d, z, np.array([v[1] for v in values]), colors)
        for artist in self.probe_d:
            artist.set_visible(s.show_derivative)
        self.header.set_text(f"z = {z:.2f}")
        for name, (g, dg) in zip(shown, values, strict=True):
            ap.set_readouts(self.rows[name], g, dg)

    def _draw_hist(self) -> None:
        s = self.state
        self.stairs.set_visible(bool(s.functions))
        if not s.functions:
            self.hist_note.set_text("choose at least one function")
            self.ax_h.set_xlabel("a = g(z)", fontsize=FONT["label"])
            return
        counts, edges, saturated = s.histogram()
        ap.set_hist(self.stairs, counts, edges, self._styles[s.hist_function][0])
        pad = 0.04 * (edges[-1] - edges[0])
        self.ax_h.set_xlim(edges[0] - pad, edges[-1] + pad)
        self.ax_h.set_ylim(0, 1.3 * ap.nice_top(counts.max()))
        self.ax_h.set_xlabel(f"a = {s.hist_function}(z)", fontsize=FONT["label"])
        self.hist_note.set_text(f"σ = {s.sigma:.3g}: {saturated:.0%} of z have |g′(z)| < 0.05")

    def _write_formulas(self) -> None:
        items = [
            f"<span style='margin-right:2em;white-space:nowrap'>"
            f"<b style='color:{self._styles[n][0]}'>{n}</b>&ensp;"
            f"${html.escape(_display(self.state.activation(n).formula), quote=False)}$</span>"
            for n in self.state.functions
        ]
        settle(self.formulas, f"<div style='font-size:15px;line-height:2.2'>{''.join(items)}</div>",
               after=self.live)

    def _notes(self) -> tuple[str, str]:
        """What the current (accepted) state deserves a word about, and how loudly."""
        s = self.state
        if not s.functions:
            return "Choose at least one function.", "warning"
        notes, level = [], "info"
        zero = [p for p in ("A", "S") if getattr(s, p) == 0]
        if zero:
            level = "warning"
            notes.append(f"{' and '.join(zero)} = 0: the scaled tanh A·tanh(S z) is 0 for every z "
                         "and so is its slope; allowed, but such a unit passes no signal and no "
                         "gradient.")
        if s.alpha == 0:
            notes.append("alpha = 0: leaky ReLU max(0·z, z) is exactly ReLU, max(0, z).")
        elif s.alpha == 1:
            notes.append("alpha = 1: leaky ReLU max(z, z) = z is the linear function.")
        return " ".join(notes), level


def _display(formula: str) -> str:
    """LaTeX with full-size fractions, readable inline on a projector."""
    return formula.replace(r"\frac", r"\dfrac")


def _limits(arrays: list[np.ndarray], include_zero: bool = False) -> tuple[float, float]:
    """y limits that hold every array with a margin; (-1, 1) when there is nothing to hold."""
    if not arrays:
        return -1.0, 1.0
    lo, hi = min(a.min() for a in arrays), max(a.max() for a in arrays)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-9:
        return lo - 0.5, hi + 0.5
    pad = 0.08 * (hi - lo)
    return float(lo - pad), float(hi + pad)
