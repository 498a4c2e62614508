"""The convolution panel (CNN lecture): a filter theta slides over a small image; at each window the
element-wise products theta_ij x_ij and their sum a are shown with numbers, and the feature maps of
up to three filters fill in as the window moves. Every number comes from `explorer.core.conv`."""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np
import traitlets

from explorer.core import conv
from explorer.live import LiveFigure
from explorer.panels.base import Panel, settle
from explorer.panels.convolution_state import (
    CUSTOM,
    KS,
    MAX_FILTERS,
    PADDINGS,
    STRIDES,
    ConvolutionState,
)
from explorer.plots import conv_plots as cp
from explorer.plots.fasttext import fast
from explorer.plots.style import FONT

SIZE = (9.8, 4.5)  # inches at 100 CSS px per inch, beside a 262 px column of controls
IMAGE_BOX = {"gray": [0.014, 0.03, 0.25, 0.84], "colour": [0.014, 0.36, 0.25, 0.51]}
CHANNEL_BOXES = [[0.008 + 0.088 * c, 0.04, 0.078, 0.22] for c in range(3)]
XW_BOX, THETA_BOX, PROD_BOX = [0.285, 0.5, 0.17, 0.37], [0.5, 0.5, 0.17, 0.37], [0.285, 0.04,
                                                                                 0.17, 0.37]
MAPS_BOX = (0.695, 0.18, 0.285, 0.71)
GRID_FONT = {3: 12, 4: 9.5}  # numbers in the k x k grids
CHANNEL_NAMES = ("R", "G", "B")
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class IntSlider(widgets.IntSlider):
    """An IntSlider that hands any value to the state (which says what is allowed), not clamped."""

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        return proposal["value"]


class ConvolutionPanel(Panel):
    """Image with the sliding window | window, theta and products with numbers | feature maps."""

    def __init__(self, state: ConvolutionState | None = None) -> None:
        super().__init__()
        self.state = state if state is not None else ConvolutionState()
        self._quiet = False  # True while the panel writes the theta cells itself
        self._make_controls()
        self.live = LiveFigure(*SIZE)
        self._make_figure()
        self.state.observe(self.guard(self._refresh), names=["setup", "current", "n_filters",
                                                            "names"])
        self.state.observe(self.guard(self._on_step), names=["position"])
        self.facts = widgets.HTML()
        self.formula = widgets.HTMLMath(layout=widgets.Layout(min_height="96px"))
        self.where = widgets.HTML()
        self._refresh()
        self.widget = self._layout()

    # Controls -------------------------------------------------------------------------------
    def _make_controls(self) -> None:
        s, style = self.state, {"description_width": "72px"}
        wide = widgets.Layout(width="250px")
        self._link("image", widgets.Dropdown(options=list(s._images), description="image",
                                             style=style, layout=wide))
        self.bind("k", widgets.ToggleButtons(options=[(f"{k} × {k}", k) for k in KS],
                                             description="θ size", style={**style,
                                                                          "button_width": "76px"}),
                  s, "k")
        self.bind("stride", IntSlider(min=STRIDES[0], max=STRIDES[1], description="stride s",
                                      style=style, layout=wide), s, "stride")
        self.bind("padding", IntSlider(min=PADDINGS[0], max=PADDINGS[1], description="padding p",
                                       style=style, layout=wide), s, "padding")
        self.bind("n_filters", widgets.ToggleButtons(
            options=[(str(n), n) for n in range(1, MAX_FILTERS + 1)], description="filters",
            style={**style, "button_width": "50px"}), s, "n_filters")
        self._link("current", widgets.ToggleButtons(
            options=[(f"θ{n + 1}", n) for n in range(s.n_filters)], description="edit",
            style={**style, "button_width": "50px"}))
        preset = widgets.Dropdown(options=[*conv.FILTERS, CUSTOM], description="preset",
                                  style=style, layout=wide)
        preset.observe(self.guard(self._on_preset), "value")
        self.controls["preset"] = preset
        for r in range(4):
            for c in range(4):
                cell = widgets.FloatText(layout=widgets.Layout(width="56px"))
                cell.observe(self.guard(functools.partial(self._on_cell, r, c)), "value")
                self.controls[f"theta_{r}_{c}"] = cell
        self.grid = widgets.GridBox([self.controls[f"theta_{r}_{c}"] for r in range(4)
                                     for c in range(4)], layout=widgets.Layout(grid_gap="3px"))
        slider = widgets.IntSlider(min=0, max=1, description="window", readout=False,
                                   style={"description_width": "52px"},
                                   layout=widgets.Layout(width="430px"))
        self.bind("position", slider, s, "position")
        play = widgets.Play(min=0, max=1, interval=300, show_repeat=False,
                            layout=widgets.Layout(width="96px"))
        self.bind("play", play, s, "position")
        play.observe(self.guard(self._on_play), "playing")
        for name, label, fn in [("end", "whole map", self.fill), ("reset", "reset", self.reset)]:
            button = widgets.Button(description=label, layout=widgets.Layout(width="96px"))
            button.on_click(self.guard(lambda _b, fn=fn: fn()))
            self.controls[name] = button

    def _link(self, trait: str, control: widgets.ValueWidget) -> None:
        """Like bind(), for a control whose options the panel changes: the state is synced to
        the control by _sync_controls, and the control's own moves while it does are ignored."""
        self.controls[trait] = control
        control.value = getattr(self.state, trait)

        def to_state(change):
            if self._quiet or change["new"] == getattr(self.state, trait):
                return
            try:
                setattr(self.state, trait, change["new"])
            finally:
                if control.value != getattr(self.state, trait):
                    self._quietly(setattr, control, "value", getattr(self.state, trait))

        control.observe(self.guard(to_state), "value")

    def _quietly(self, fn, *args) -> None:
        """Call fn(*args) with the panel's own control handlers switched off."""
        quiet, self._quiet = self._quiet, True
        try:
            fn(*args)
        finally:
            self._quiet = quiet

    def _layout(self) -> widgets.Widget:
        c = self.controls
        column = widgets.VBox([
            c["image"], c["k"], c["stride"], c["padding"], c["n_filters"], c["current"],
            c["preset"], widgets.HTML("<span style='font-size:13px'>θ of the edited filter "
                                      "(type a number, press Enter):</span>"),
            self.grid, c["reset"], self.message,
        ], layout=widgets.Layout(width="262px", min_width="262px"))
        stepper = widgets.HBox([c["play"], c["position"], c["end"], self.where],
                               layout=widgets.Layout(align_items="center", grid_gap="6px"))
        right = widgets.VBox([self.live.widget, stepper, self.formula, self.facts])
        title = widgets.HTML("<b style='font-size:18px'>Convolution: a filter θ slides over the "
                             "image, a = Σ θ<sub>ij</sub> x<sub>ij</sub> at each window</b>")
        return widgets.VBox([title, widgets.HBox([column, right])])

    def _grid_columns(self) -> None:
        k = self.state.k
        self.grid.layout.grid_template_columns = f"repeat({k}, 58px)"
        for r in range(4):
            for c in range(4):
                cell = self.controls[f"theta_{r}_{c}"]
                cell.layout.display = None if r < k and c < k else "none"

    # Actions --------------------------------------------------------------------------------
    def step(self, n: int = 1) -> int:
        """Move the window n positions on (row by row); return how many it moved."""
        before = self.state.position
        self.state.position = before + n
        return self.state.position - before

    def fill(self) -> None:
        """Jump to the last window: every map complete."""
        self.controls["play"].playing = False
        self.state.position = self.state.setup.positions - 1

    def reset(self) -> None:
        """Back to the soccer ball, one 4 x 4 vertical-edge filter and the first window."""
        self.controls["play"].playing = False
        self.state.reset()
        self.say("")

    def _on_play(self, change) -> None:
        """▶ at the last window starts again from the first."""
        if change["new"] and self.state.position == self.state.setup.positions - 1:
            self.state.position = 0

    def _on_preset(self, change) -> None:
        if not self._quiet and change["new"] != self.state.names[self.state.current]:
            self.state.choose(change["new"])

    def _on_cell(self, r: int, c: int, change) -> None:
        if self._quiet:
            return
        try:
            self.state.set_entry(r, c, change["new"])
        finally:
            self._sync_cells()

    def _sync_cells(self) -> None:
        s = self.state
        theta = s.thetas[s.current]
        for r in range(s.k):
            for c in range(s.k):
                self._quietly(setattr, self.controls[f"theta_{r}_{c}"], "value", float(theta[r, c]))
        self._quietly(setattr, self.controls["preset"], "value", s.names[s.current])

    # Figure ---------------------------------------------------------------------------------
    def _make_figure(self) -> None:
        fig, anim = self.live.figure, self.live.animate
        self.ax_img = fig.add_axes(IMAGE_BOX["gray"])
        self.ax_img.set_anchor("N")
        self.image = cp.show_image(self.ax_img, np.zeros((2, 2)))
        self.outline = cp.outline(self.ax_img)
        self.rects = [anim(cp.window_rect(self.ax_img))]
        self.ax_ch, self.channels = [], []
        for c, name in enumerate(CHANNEL_NAMES):
            ax = fig.add_axes(CHANNEL_BOXES[c])
            ax.set_title(name, fontsize=FONT["label"], pad=3)
            self.ax_ch.append(ax)
            self.channels.append(cp.show_image(ax, np.zeros((2, 2)), cp.CHANNELS[name]))
            self.rects.append(anim(cp.window_rect(ax, lw=1.5)))
        self.ax_xw, self.ax_th, self.ax_pr = (fig.add_axes(b) for b in (XW_BOX, THETA_BOX,
                                                                         PROD_BOX))
        self.xw, self.th, self.pr = (cp.number_grid(ax, fontsize=FONT["tick"])
                                     for ax in (self.ax_xw, self.ax_th, self.ax_pr))
        for grid in (self.xw, self.pr):  # theta changes less often: it is in the background
            anim(grid.image)
            for text in (t for row in grid.texts for t in row):
                anim(text)
        fig.text(0.4775, 0.685, "⊙", ha="center", va="center", fontsize=22)
        self.sum_text = anim(fast(fig.text(0.482, 0.22, "", ha="left", va="center",
                                           fontsize=FONT["title"] + 2, linespacing=1.6)))
        self.ax_maps, self.maps, self.cells = [], [], []
        for _ in range(MAX_FILTERS):
            ax = fig.add_axes(MAPS_BOX)
            self.ax_maps.append(ax)
            self.maps.append(anim(cp.map_image(ax)))
            self.cells.append(anim(cp.window_rect(ax, lw=2.0)))
        self.size_text = fig.text(0.845, 0.075, "", ha="center", va="center",
                                  fontsize=FONT["note"], linespacing=1.7)

    def _refresh(self, _change=None) -> None:
        """Everything but the window's position: image, theta, maps, layout, controls."""
        s, setup = self.state, self.state.setup
        self._sync_controls()
        colour = setup.x.ndim == 3
        H, W = setup.x.shape[:2]
        p = setup.padding
        self.ax_img.set_position(IMAGE_BOX["colour" if colour else "gray"])
        cp.set_image(self.image, setup.x_padded, p)
        shape = " × ".join(str(n) for n in setup.x.shape)
        self.ax_img.set_title(f"{'' if colour else 'image '}x: {shape} = "
                              f"{conv.flattened_length(setup.x.shape):,} numbers",
                              fontsize=FONT["note"])
        self.ax_img.set_xlabel("" if p == 0 or colour else f"zero padding p = {p} (dashed: x)",
                               fontsize=FONT["tick"])
        self.outline.set_bounds(-0.5, -0.5, W, H)
        self.outline.set_visible(p > 0)
        for c, (ax, image) in enumerate(zip(self.ax_ch, self.channels)):
            ax.set_visible(colour)
            self.rects[c + 1].set_visible(colour)
            if colour:
                cp.set_image(image, setup.x_padded[..., c], p)
        theta = s.thetas[s.current]
        top = float(np.abs(theta).max()) or 1.0
        cp.set_grid(self.th, theta, cp.DIVERGING, (-top, top))
        self.ax_th.set_title(f"θ{s.current + 1}: {s.names[s.current]}", fontsize=FONT["label"])
        self.ax_xw.set_title("x in the window", fontsize=FONT["label"])
        self.ax_pr.set_title(r"↓ $\theta_{ij}\,(x^R + x^G + x^B)_{ij}$" if colour else
                             r"↓ products $\theta_{ij}\, x_{ij}$", fontsize=FONT["label"])
        for grid in (self.xw, self.th, self.pr):
            for text in (t for row in grid.texts for t in row):
                text.set_fontsize(GRID_FONT[setup.k])
        self._prod_clim = top * max(float(np.abs(setup.x).max()), 1e-12) * (3 if colour else 1)
        self._layout_maps()
        self.size_text.set_text(cp.size_tex(H, W, setup.k, setup.stride, p))
        self.facts.value = facts_html(setup)
        self.say(" ".join([*setup.notes, *skipped_notes(H, W, setup.k, setup.stride, p)]))
        self.live.invalidate()
        self._on_step()

    def _layout_maps(self) -> None:
        s, setup = self.state, self.state.setup
        slots = cp.map_slots(s.n_filters, MAPS_BOX, SIZE[1] / SIZE[0])
        rows, cols = setup.shape
        for n, ax in enumerate(self.ax_maps):
            for artist in (ax, self.maps[n], self.cells[n]):
                artist.set_visible(n < s.n_filters)
            if n >= s.n_filters:
                continue
            ax.set_position(slots[n])
            cmap, clim = cp.map_colours(setup.maps[n])
            self.maps[n].set_cmap(cmap)
            self.maps[n].set_clim(*clim)
            cp.set_image(self.maps[n], cp.visited(setup.maps[n], s.position))
            many = s.n_filters > 1
            ax.set_title(f"{n + 1}: {s.names[n]}" if many else f"feature map: {s.names[n]}",
                         fontsize=9.5 if many else FONT["label"],
                         fontweight="bold" if n == s.current and many else "normal")
            cp.frame(ax, n == s.current and s.n_filters > 1)

    def _sync_controls(self) -> None:
        s, c = self.state, self.controls
        last = s.setup.positions - 1
        for name in ("position", "play"):
            c[name].max = max(last, 1)  # a one-window map keeps a movable slider
        c["position"].disabled = c["play"].disabled = last == 0
        options = [(f"θ{n + 1}", n) for n in range(s.n_filters)]
        for name, choices in (("image", tuple(s._images)), ("current", tuple(options))):
            if tuple(c[name].options) != choices:
                self._quietly(setattr, c[name], "options", choices)
            self._quietly(setattr, c[name], "value", getattr(s, name))
        self._grid_columns()
        self._sync_cells()

    def _on_step(self, _change=None) -> None:
        """The window moved: rectangles, window numbers, products, the sum, the maps' data."""
        s, setup = self.state, self.state.setup
        w, k, p = s.window(), setup.k, setup.padding
        for rect in self.rects:
            cp.place(rect, w.row - p, w.col - p, k)
        H, W = setup.x.shape[:2]
        rr, cc = np.meshgrid(np.arange(w.row, w.row + k), np.arange(w.col, w.col + k),
                             indexing="ij")
        padded = (rr < p) | (rr >= H + p) | (cc < p) | (cc >= W + p)
        if w.x.ndim == 3:
            cp.set_grid(self.xw, w.x, cp.GRAY, (0, 1))
            products = w.products.sum(axis=2)
        else:
            labels = np.vectorize(lambda v: f"{v:.2f}")(w.x)
            cp.set_grid(self.xw, w.x, cp.GRAY, (0, 1), labels=labels, faint=padded)
            products = w.products
        cp.set_grid(self.pr, products, cp.DIVERGING, (-self._prod_clim, self._prod_clim))
        where = f"{w.i + 1},{w.j + 1}".translate(SUBSCRIPT)  # not mathtext: 10 ms a frame less
        self.sum_text.set_text(f"Σ all cells:\na{where} = {cp.num(w.a)}")
        for n in range(s.n_filters):
            self.maps[n].set_data(cp.visited(setup.maps[n], s.position))
            cp.place(self.cells[n], w.i, w.j, 1)
        rows, cols = setup.shape
        self.where.value = (f"<span style='font-size:14px'>window {s.position + 1} of "
                            f"{rows * cols}: map row {w.i + 1}, column {w.j + 1}</span>")
        settle(self.formula, formula_html(w, s.thetas[s.current], p, (H, W)), after=self.live)
        self.live.draw_idle()


# Text beside the figure --------------------------------------------------------------------------

def _tex(v: float) -> str:
    return cp.num(v).replace("−", "-")


def _span(start: int, k: int) -> str:
    """x's rows (or columns) under the window, 1-based like the lecture's x_{1:4,1:4}."""
    return f"{start + 1}:{start + k}"


def formula_html(w: conv.Window, theta: np.ndarray, padding: int, size: tuple[int, int]) -> str:
    """a = sum theta_ij x_ij for window w with the numbers substituted (a colour window: the
    three channels' windows as matrices, then one sum per channel)."""
    k, (H, W) = theta.shape[0], size
    where = rf"\text{{over }} x_{{{_span(w.row - padding, k)},\,{_span(w.col - padding, k)}}}"
    r0, c0 = w.row - padding, w.col - padding
    if r0 < 0 or c0 < 0 or r0 + k > H or c0 + k > W:
        where += rf"\text{{ (outside rows and columns 1 to {H}: padding zeros)}}"
    head = rf"a_{{{w.i + 1},{w.j + 1}}} = \sum_{{i,j}} \theta_{{ij}}\, x_{{ij}}"
    if w.x.ndim == 2:
        terms = [f"({_tex(t)})({x:.2f})" for t, x in zip(theta.ravel(), w.x.ravel())]
        body = r" \\ &\quad + ".join(" + ".join(terms[n : n + 8]) for n in range(0, k * k, 8))
        return (rf"$$\begin{{aligned}} {head} &= {body} \\ &= {_tex(w.a)} \end{{aligned}}"
                rf"\qquad {where}$$")
    mats = []
    for c, name in enumerate(CHANNEL_NAMES):
        rows = r" \\ ".join(" & ".join(f"{v:.2f}" for v in row) for row in w.x[..., c])
        mats.append(rf"x^{name} = \begin{{bmatrix}} {rows} \end{{bmatrix}}")
    sums = " + ".join(f"({_tex(float(w.products[..., c].sum()))})" for c in range(3))
    per = " + ".join(rf"\sum \theta_{{ij}} x^{n}_{{ij}}" for n in CHANNEL_NAMES)
    return ("$$" + r",\; ".join(mats) + rf" \qquad {where}$$"
            + rf"$${head} = {per} = {sums} = {_tex(w.a)}$$")


def skipped_notes(H: int, W: int, k: int, s: int, p: int) -> list[str]:
    """Sentences for the rows or columns of the padded image that no window covers."""
    notes = []
    sides = [(H, "row", "rows"), (W, "column", "columns")]
    for n, one, many in sides if H != W else [(H, "row/column", "rows/columns")]:
        left = (n + 2 * p - k) % s
        if left:
            notes.append(f"With stride {s} the window never covers the last {left} "
                         f"{one if left == 1 else many} of the padded image: {n} + 2·{p} − {k} "
                         f"= {n + 2 * p - k} is not a multiple of {s}.")
    return notes


def facts_html(setup) -> str:
    """The map-size formula with numbers, what the image flattens to, and two reminders."""
    H, W = setup.x.shape[:2]
    k, s, p = setup.k, setup.stride, setup.padding
    rows, cols = setup.shape
    size = (f"⌊(H + 2p − k)/s⌋ + 1 = ⌊({H} + 2·{p} − {k})/{s}⌋ + 1 = {rows}" if H == W else
            f"rows ⌊({H} + 2·{p} − {k})/{s}⌋ + 1 = {rows}, columns ⌊({W} + 2·{p} − {k})/{s}⌋ "
            f"+ 1 = {cols}")
    shape = " × ".join(str(n) for n in setup.x.shape)
    colour = (" On a colour image θ is applied to each of R, G, B (a k × k × 3 filter) and the "
              "three sums are added." if setup.x.ndim == 3 else "")
    return (f"<div style='font-size:14px;line-height:1.4'><b>Map size</b> {size}: a {rows} × "
            f"{cols} map, {rows * cols} windows. <b>Flattened</b>, this {shape} image flattens to "
            f"{conv.flattened_length(setup.x.shape):,} numbers; the lecture's 64 × 64 × 3 soccer "
            f"image to 64 · 64 · 3 = {conv.flattened_length((64, 64, 3)):,}.{colour} θ is not "
            "flipped: this is cross-correlation, what deep-learning libraries call convolution."
            "</div>")
