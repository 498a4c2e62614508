"""The backpropagation panel: the lecture's 2-2-2 network, one update traced step by step.

Every number comes from `explorer.core.backprop.trace`; this module only chooses where to show it.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import traitlets
from matplotlib.ticker import MaxNLocator

from explorer.core.backprop import Example, Trace, trace
from explorer.core.backprop_lecture import AFTER, PRINTED, compare_with_lecture
from explorer.live import LiveFigure
from explorer.panels.backprop_state import FIELDS, MAX_UPDATES, BackpropState
from explorer.panels.base import Panel, settle
from explorer.panels.export import Export
from explorer.plots import network_diagram as nd
from explorer.plots.fasttext import fast
from explorer.plots.style import COLORS, FONT, tidy

SECTION_TITLES = {"forward": "forward pass", "error": "the error", "output": "output layer",
                  "hidden": "hidden layer", "update": "the update"}
EXPORTS = {"csv": ("CSV", "text/csv", "csv"), "markdown": ("Markdown", "text/markdown", "md"),
           "latex": ("LaTeX", "application/x-latex", "tex")}
POS = {"i1": (0.6, 3.55), "i2": (0.6, 1.35), "h1": (3.2, 3.55), "h2": (3.2, 1.35),
       "o1": (5.8, 3.55), "o2": (5.8, 1.35), "E": (8.2, 2.45), "b1": (1.9, 0.35), "b2": (4.5, 0.35)}
WIRES = {"w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
         "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2")}
EDGES = {**WIRES, "b1h1": ("b1", "h1"), "b1h2": ("b1", "h2"), "b2o1": ("b2", "o1"),
         "b2o2": ("b2", "o2"), "o1E": ("o1", "E"), "o2E": ("o2", "E")}
LABEL_AT = {"w2": 0.25, "w3": 0.25, "w6": 0.4, "w7": 0.4, "o1E": 0.55, "o2E": 0.55}
# What each node shows once the step that computes it has passed: (step name, text).
VALUES = {u: [(f"net_{u}", "net {}"), (f"out_{u}", "out {}")] for u in ("h1", "h2", "o1", "o2")}
VALUES |= {o: [*VALUES[o], (f"out_{o}+", "out⁺ {}")] for o in ("o1", "o2")}
VALUES["E"] = [("E_total", "{}"), ("E_total+", "after: {}")]
GRADS = {u: [(f"dE_total/dout_{u}", "∂E/∂out {}"), (f"dout_{u}/dnet_{u}", "∂out/∂net {}")]
         for u in ("h1", "h2", "o1", "o2")}
GRADS |= {b: [(f"dE_total/d{b}", f"∂E/∂{b} {{}}")] for b in ("b1", "b2")}


def short(v: float) -> str:
    """v to 4 significant digits, for the diagram."""
    return f"{v:.4g}"


def full(v: float, digits: int = 9) -> str:
    """v with up to `digits` decimals (the lecture prints 9), trailing zeros dropped."""
    s = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return s if s not in ("0", "-0") or v == 0 else f"{v:.3e}"


def formula_html(tr: Trace, k: int) -> str:
    """Step k (1-based) of `tr`: its section, and symbol = formula = numbers = value, typeset."""
    s = tr.steps[k - 1]
    sides = [s.symbol_latex, s.formula_latex, s.substituted_latex, full(s.value)]
    sides = [x for i, x in enumerate(sides) if i == len(sides) - 1 or x != sides[i + 1]]
    rows = [" &= ".join(sides[:2])] + ([r"&= " + " = ".join(sides[2:])] if sides[2:] else [])
    math = r"$$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"
    note = f"<div style='font-size:14px;color:#8a5a00'>{html.escape(s.note)}</div>" if s.note else ""
    head = f"<b>Step {k} of {len(tr.steps)}</b> · {SECTION_TITLES[s.section]} · <code>{s.name}</code>"
    return f"<div style='font-size:20px;line-height:1.25'>{head}{math}{note}</div>"


class BackpropPanel(Panel):
    """The lecture's network, a stepper through one update, edits, training and exports."""

    def __init__(self) -> None:
        super().__init__()
        self.state = state = BackpropState()
        self._controls(state)
        self._figures()
        state.observe(self.guard(self._on_trace), names=["trace"])
        state.observe(self.guard(self._on_step), names=["step"])
        state.observe(self.guard(self._on_history), names=["history"])
        self._on_trace()
        self._on_history()
        self.widget = self._layout()

    # ---- controls -----------------------------------------------------------------------------

    def _controls(self, state: BackpropState) -> None:
        box = dict(layout=widgets.Layout(width="78px"), style={"description_width": "21px"})
        for name in FIELDS:
            label = "η" if name == "eta" else name
            self.bind(name, widgets.FloatText(description=label, step=0.01, **box), state, name)
        self.bind("update_biases", widgets.Checkbox(description="update b1, b2 too", indent=False),
                  state, "update_biases")
        self.bind("step", widgets.IntSlider(min=1, max=len(state.trace.steps), readout=False,
                                            layout=widgets.Layout(width="380px")), state, "step")
        n_box = widgets.IntText(description="N", layout=widgets.Layout(width="120px"),
                                style={"description_width": "16px"})
        self.bind("n_updates", n_box, state, "n_updates")
        buttons = {"prev": ("◀ previous", self.prev), "next": ("next ▶", self.next),
                   "apply": ("apply the update", self.apply), "train": ("train N updates", self.train),
                   "reset": ("reset", self.reset), "export": ("show", self.show_export)}
        for name, (text, fn) in buttons.items():
            button = widgets.Button(description=text, layout=widgets.Layout(width="auto"))
            button.on_click(self.guard(lambda _, fn=fn: fn()))
            self.controls[name] = button
        self.controls["export_format"] = widgets.Dropdown(
            options=[(label, key) for key, (label, _, _) in EXPORTS.items()], value="csv",
            layout=widgets.Layout(width="120px"))
        self.step_label = widgets.HTML()
        self.formula = widgets.HTMLMath(layout=widgets.Layout(width="900px", min_height="120px"))
        self.bias_note = widgets.HTML()
        self.milestones = widgets.HTML()
        self.export_text = widgets.Textarea(layout=widgets.Layout(width="100%", height="160px"))
        self.compare = widgets.HTML(compare_table())

    # ---- figures ------------------------------------------------------------------------------

    def _figures(self) -> None:
        self.live = LiveFigure(9.0, 4.5)
        ax = nd.diagram_axes(self.live.figure)
        names = {"E": r"$E_{\mathrm{total}}$"}
        self.diagram = nd.draw_diagram(ax, POS, EDGES, names, radius=0.28, line=0.2,
                                       sides={"b1": "left", "b2": "left", "i1": "above",
                                              "i2": "below"}, label_at=LABEL_AT)
        for artist in self.diagram.changing():  # the plain nodes and edges stay in the background
            self.live.animate(artist)
        nd.set_name(self.diagram, "E", names["E"], FONT["tick"])
        self.caption = self.live.animate(fast(ax.text(8.95, 4.42, "", ha="right", va="top",
                                                         fontsize=FONT["label"], linespacing=1.4)))
        for x, text, color in ((5.45, "forward values", nd.VALUE), (6.85, "gradients", nd.GRAD),
                               (7.95, "this step", nd.HIGHLIGHT)):
            ax.text(x, 0.08, text, color=color, fontsize=FONT["note"], fontweight="bold")
        self.curve = LiveFigure(3.4, 2.0)
        cax = self.curve.figure.add_subplot(111)
        self.curve.figure.subplots_adjust(left=0.22, bottom=0.26, right=0.9, top=0.86)
        cax.xaxis.set_major_locator(MaxNLocator(3, integer=True))
        tidy(cax, "E_total after each update", "updates", "")
        cax.title.set_fontsize(FONT["legend"])
        self.error_line = self.curve.animate(cax.plot([0], [1], color=COLORS[0], lw=2)[0])
        self.error_dot = self.curve.animate(cax.plot([0], [1], "o", color=COLORS[3])[0])
        self.curve_ax = cax

    # ---- updates ------------------------------------------------------------------------------

    def _on_trace(self, change=None) -> None:
        tr = self.state.trace
        self.controls["step"].max = len(tr.steps)
        self.bias_note.value = ("<div style='font-size:13px;color:#555;line-height:1.35'>"
                                + html.escape(" ".join(tr.notes) or "b1 and b2 are updated too "
                                              "(the lecture holds them fixed).") + "</div>")
        self.say("")
        self._on_step()

    def _on_step(self, change=None) -> None:
        tr, k, d = self.state.trace, self.state.step, self.diagram
        step = tr.steps[k - 1]
        known = {s.name for s in tr.steps[:k]}

        def lines(entries):
            return "\n".join(t.format(short(tr.value(n))) for n, t in entries if n in known)

        ex = tr.example
        values = {u: lines(VALUES.get(u, [])) for u in d.values}
        values |= {"i1": f"{ex.i1:g}", "i2": f"{ex.i2:g}", "b1": f"{ex.b1:g}", "b2": f"{ex.b2:g}"}
        for b in ("b1", "b2"):
            if f"{b}+" in known:
                values[b] += f" → {short(tr.value(b + '+'))}"
        nd.set_texts(d.values, values)
        nd.set_texts(d.grads, {u: lines(GRADS.get(u, [])) for u in d.grads})
        nd.set_texts(d.labels, self._edge_labels(tr, known))
        involved = set(step.involves)
        edges = {k for k, (a, b) in EDGES.items() if k in involved or (k not in WIRES and
                                                                      {a, b} <= involved)}
        nd.highlight(d, involved & set(d.circles), edges)
        self.caption.set_text(f"step {k}/{len(tr.steps)} · {SECTION_TITLES[step.section]}\n"
                              f"${step.symbol_latex}$ = {full(step.value)}")
        settle(self.formula, formula_html(tr, k), after=self.live)
        self.step_label.value = f"<b>{k}</b> / {len(tr.steps)}"
        self.controls["prev"].disabled = k == 1
        self.controls["next"].disabled = k == len(tr.steps)
        self.live.draw_idle()

    @staticmethod
    def _edge_labels(tr: Trace, known: set[str]) -> dict[str, str]:
        labels = {k: "" for k in EDGES}
        for n, w in enumerate(tr.example.w, 1):
            head = f"w{n} = {short(w)}"
            if f"w{n}+" in known:
                head = f"w{n}: {short(w)} → {short(tr.value(f'w{n}+'))}"
            if f"dE_total/dw{n}" in known:
                head += f"\n∂E/∂w{n} {short(tr.value(f'dE_total/dw{n}'))}"
            labels[f"w{n}"] = head
        for o, t in (("o1", tr.example.t1), ("o2", tr.example.t2)):
            err = f"\nE_{o} {short(tr.value(f'E_{o}'))}" if f"E_{o}" in known else ""
            labels[f"{o}E"] = f"t{o[1]} = {t:g}{err}"
        return labels

    def _on_history(self, change=None) -> None:
        h, ax = self.state.history, self.curve_ax
        n = len(h) - 1
        self.error_line.set_data(range(n + 1), h)
        self.error_dot.set_data([n], [h[-1]])
        ax.set_xlim(0, max(n, 1))
        low, high = min(h), max(h)
        ax.set_yscale("log" if high > 10 * low else "linear")
        ax.set_ylim((low / 2, high * 2) if high > 10 * low else (0, high * 1.1))
        self.milestones.value = milestones_html(h, self.state.from_lecture)
        self.curve.draw_idle()

    # ---- actions ------------------------------------------------------------------------------

    def go(self, k: int) -> None:
        """Show step k (clamped to 1..number of steps)."""
        self.state.step = min(max(int(k), 1), len(self.state.trace.steps))

    def next(self) -> None:
        self.go(self.state.step + 1)

    def prev(self) -> None:
        self.go(self.state.step - 1)

    def apply(self) -> None:
        """Apply the traced update to the weights and add its error to the curve."""
        before = self.state.trace.value("E_total")
        try:
            self.state.apply()
        except (ValueError, traitlets.TraitError) as e:  # a weight overflows, the curve is full
            self.say(f"The update was not applied: {e}", "error")
            return
        self.say(f"One update applied: E_total {full(before)} → {full(self.state.history[-1])}.")

    def train(self, n: int | None = None) -> None:
        """Apply n updates (default: the N box; at most MAX_UPDATES), in words on success or refusal."""
        n = self.state.n_updates if n is None else n
        try:
            self.state.train(n)
        except Exception as e:  # TraitError, TypeError: show it, change nothing
            self.say(str(e), "error")
            return
        self.say(f"{n:,} updates applied ({len(self.state.history) - 1:,} in all): "
                 f"E_total = {full(self.state.history[-1])}.")

    def reset(self) -> None:
        """Back to the lecture's example, its first step, and an empty error curve."""
        self.state.reset()
        self.say("Back to the lecture's example.")

    def export(self, fmt: str) -> str:
        """The trace of the current update as text: fmt is 'csv', 'markdown' or 'latex'."""
        tr = self.state.trace
        writers = {"csv": tr.to_csv, "markdown": tr.to_markdown, "latex": tr.to_latex}
        if fmt not in writers:
            raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(writers)}")
        return writers[fmt]()

    def show_export(self) -> None:
        """Put the chosen export in the text box, to copy into slides (the save row downloads it)."""
        self.export_text.value = self.export(self.controls["export_format"].value)

    def exports(self) -> list[Export]:
        """The figure, and the trace as CSV, Markdown and LaTeX tables."""
        return super().exports() + [
            Export(f"trace as {label}", f"backprop_trace.{ext}", mime,
                   lambda _scale, fmt=fmt: self.export(fmt).encode())
            for fmt, (label, mime, ext) in EXPORTS.items()
        ]

    # ---- layout -------------------------------------------------------------------------------

    def _layout(self) -> widgets.Widget:
        c = self.controls
        grid = widgets.GridBox([c[n] for n in ("i1", "i2", "t1", "t2", "w1", "w2", "w3", "w4", "w5",
                                               "w6", "w7", "w8", "b1", "b2", "eta")],
                               layout=widgets.Layout(grid_template_columns="repeat(4, 78px)",
                                                     grid_gap="2px 2px"))
        stepper = widgets.HBox([c["prev"], c["next"], c["step"], self.step_label],
                               layout=widgets.Layout(align_items="center"))
        left = widgets.VBox([self.live.widget, stepper, self.formula])
        right = widgets.VBox([
            widgets.HTML("<b>The numbers</b> (edit any; the trace follows)"), grid,
            c["update_biases"], self.bias_note,
            widgets.HBox([c["apply"], c["reset"]]), widgets.HBox([c["n_updates"], c["train"]]),
            widgets.HTML(f"<span style='font-size:12px;color:#555'>N: 1 to {MAX_UPDATES:,} per press"
                         "</span>"),
            self.curve.widget, self.milestones, self.message,
        ], layout=widgets.Layout(width="330px", margin="0 0 0 8px"))
        export = widgets.VBox([widgets.HBox([c["export_format"], c["export"]]),
                               self.export_text])
        more = widgets.Accordion(children=[self.compare, export],
                                 titles=("Compare with the lecture", "Export the trace"))
        title = widgets.HTML("<h3 style='margin:2px 0'>Backpropagation, one update step by step"
                             "</h3>")
        return widgets.VBox([title, widgets.HBox([left, right]), more])


def milestones_html(history: list[float], from_lecture: bool) -> str:
    """E_total now, and (from the lecture's start) after 1 and 10,000 updates beside the printed."""
    n = len(history) - 1
    rows = [f"after {n:,} update{'s' * (n != 1)}: <b>{full(history[-1])}</b>"]
    if from_lecture:
        for m, name in ((1, "E_total+"), (10_000, f"E_total {AFTER}")):
            if n >= m and m != n:
                rows.append(f"after {m:,}: {full(history[m])}")
            if n >= m:
                rows[-1] += f" (lecture prints {PRINTED[name]}; see the comparison)"
    return "<div style='font-size:13px;line-height:1.35'>E_total " + "<br>".join(rows) + "</div>"


def compare_table() -> str:
    """The lecture's printed numbers beside the exact ones, with the notes where they differ."""
    rows, notes = [], []
    for name, printed, exact, ok, note in compare_with_lecture(trace(Example.lecture())):
        mark = "✓" if ok else f"✗ ({len(notes) + 1})"
        if note:
            notes.append(f"<li>{html.escape(note)}</li>")
        rows.append(f"<tr><td><code>{html.escape(name)}</code></td><td>{printed}</td>"
                    f"<td>{full(exact, 12)}</td><td>{mark}</td></tr>")
    head = "<tr><th>quantity</th><th>lecture prints</th><th>exact</th><th>agrees</th></tr>"
    return (f"<table style='font-size:14px'>{head}{''.join(rows)}</table>"
            f"<ol style='font-size:13px;max-width:1000px'>{''.join(notes)}</ol>")
