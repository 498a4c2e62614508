"""The computational-graph panel (lecture 004): h = x w1 + w_b1, f = h w2 + w_b2, values left to right,
gradients right to left, each a product of local derivatives along the path.

Every number comes from `explorer.core.graph.build`; this module only chooses where to show it.
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets
import numpy as np
import traitlets

from explorer.core.graph import LATEX, OPS, Graph, build
from explorer.live import LiveFigure
from explorer.panels.base import Panel, settle
from explorer.plots import network_diagram as nd
from explorer.plots.fasttext import fast
from explorer.plots.style import FONT

PARAMS = ("x", "w1", "w_b1", "w2", "w_b2")
LECTURE = {"x": -2.0, "w1": 3.0, "w_b1": -1.0, "w2": 2.0, "w_b2": 4.0}
NODES = ("x", "w1", "z1", "w_b1", "h", "a", "w2", "z2", "w_b2", "f", "E")  # every node of any option
EDGES = {f"{a}>{b}": (a, b) for a, b in (("x", "z1"), ("w1", "z1"), ("z1", "h"), ("w_b1", "h"),
                                         ("h", "a"), ("a", "z2"), ("h", "z2"), ("w2", "z2"),
                                         ("z2", "f"), ("w_b2", "f"), ("f", "E"))}
TOP = ("w1", "w_b1", "w2", "w_b2")  # drawn above the chain, their texts above them
MAIN_Y, TOP_Y = 1.95, 3.3


def num(v: float) -> str:
    """v as an integer when it is one, else to 4 significant digits."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.4g}"


def _p(v: float) -> str:
    return f"({num(v)})" if v < 0 else num(v)


def layout(g: Graph) -> dict[str, tuple[float, float]]:
    """Positions (inches) of the nodes of `g`: the chain along one line, parameters above it."""
    chain = [n.name for n in g.nodes if n.name not in TOP]
    xs = np.linspace(0.8, 8.3, len(chain))
    pos = {n: (float(x), MAIN_Y) for n, x in zip(chain, xs)}
    gap = xs[1] - xs[0]
    for n in g.nodes:
        for i in n.inputs:
            if i in TOP:
                pos[i] = (pos[n.name][0] - (0.6 if i == "w1" else 0.4) * gap, TOP_Y)
    return pos


def forward_latex(g: Graph, name: str) -> str:
    """name = its op on its inputs = the numbers = its value, in LaTeX."""
    n, L = g.node(name), LATEX
    v = [g.value(i) for i in n.inputs]
    if n.op == "mul":
        sym, nums = rf"{L[n.inputs[0]]} \times {L[n.inputs[1]]}", rf"{_p(v[0])} \times {_p(v[1])}"
    elif n.op == "add":
        sym, nums = f"{L[n.inputs[0]]} + {L[n.inputs[1]]}", f"{num(v[0])} + {_p(v[1])}"
    elif n.op == "sigmoid":
        sym = rf"\sigma({L[n.inputs[0]]}) = \frac{{1}}{{1 + e^{{-{L[n.inputs[0]]}}}}}"
        nums = rf"\frac{{1}}{{1 + e^{{{num(-v[0])}}}}}"
    else:
        sym, nums = r"\frac{1}{2}(t - f)^2", rf"\frac{{1}}{{2}}({num(g.target)} - {_p(v[0])})^2"
    return f"{L[name]} = {sym} = {nums} = {num(n.value)}"


def checked(**args) -> Graph:
    """build(**args), a refusal turned into a TraitError in words."""
    try:
        return build(**args)
    except ValueError as e:
        raise traitlets.TraitError(f"{e}; nothing was changed") from None


class GraphState(traitlets.HasTraits):
    """The lecture's five numbers, the two options, the step shown; the graph built by the core."""

    x, w1, w_b1, w2, w_b2 = (traitlets.Any(LECTURE[p]) for p in PARAMS)
    sigmoid = traitlets.Bool(False)
    loss = traitlets.Bool(False)
    target = traitlets.Any(1.0)
    step = traitlets.Int(1)  # 1-based: the forward steps, then the backward steps
    graph = traitlets.Instance(Graph)  # derived

    def __init__(self) -> None:
        super().__init__()
        self.graph = self._build()

    def _build(self, **change) -> Graph:
        args = {p: getattr(self, p) for p in (*PARAMS, "sigmoid", "loss", "target")} | change
        loss, target = args.pop("loss"), args.pop("target")
        return checked(**args, target=target if loss else None)

    @property
    def forward(self) -> list[str]:
        """The op nodes in forward order (one forward step each)."""
        return [n.name for n in self.graph.nodes if n.op != "input"]

    @property
    def n_steps(self) -> int:
        return len(self.forward) + len(self.graph.steps)

    @traitlets.validate(*PARAMS, "target", "sigmoid", "loss")
    def _valid(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        if name == "target":
            checked(target=value)  # a number, even while the loss is off (then it is not used)
        g = self._build(**{name: value})
        bad = next((n for n in g.nodes if not (math.isfinite(n.value) and math.isfinite(n.grad))),
                   None)
        if bad is not None:
            raise traitlets.TraitError(
                f"with {name} = {value!r} the numbers overflow: {bad.name} = {bad.value:.4g}, its "
                f"gradient {bad.grad:.4g}; keep the products below about 1e308. Nothing was "
                "changed")
        return value if name in ("sigmoid", "loss") else float(value)

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        if not 1 <= proposal["value"] <= self.n_steps:
            raise traitlets.TraitError(f"step must be between 1 and {self.n_steps}, "
                                       f"got {proposal['value']}")
        return proposal["value"]

    @traitlets.observe(*PARAMS, "target", "sigmoid", "loss")
    def _changed(self, change) -> None:
        new = self._build()
        with self.hold_trait_notifications():
            self.graph = new
            self.step = min(self.step, self.n_steps)


class GraphPanel(Panel):
    """The lecture's graph: forward values, then gradients right to left, with the local rule used."""

    def __init__(self) -> None:
        super().__init__()
        self.state = state = GraphState()
        box = dict(layout=widgets.Layout(width="150px"), style={"description_width": "44px"})
        for name in (*PARAMS, "target"):
            label = {"w_b1": "w_b1", "w_b2": "w_b2", "target": "t"}.get(name, name)
            self.bind(name, widgets.FloatText(description=label, step=0.5, **box), state, name)
        self.bind("sigmoid", widgets.Checkbox(description="a sigmoid after h", indent=False),
                  state, "sigmoid")
        self.bind("loss", widgets.Checkbox(description="a squared-error loss ½(t − f)²",
                                           indent=False), state, "loss")
        self.bind("step", widgets.IntSlider(min=1, max=state.n_steps, readout=False,
                                            layout=widgets.Layout(width="380px")), state, "step")
        for name, text, fn in (("prev", "◀ previous", self.prev), ("next", "next ▶", self.next),
                               ("reset", "reset to the lecture's numbers", self.reset)):
            self.controls[name] = widgets.Button(description=text,
                                                 layout=widgets.Layout(width="max-content"))
            self.controls[name].on_click(self.guard(lambda _, fn=fn: fn()))
        self.step_label = widgets.HTML()
        self.formula = widgets.HTMLMath(layout=widgets.Layout(width="900px", min_height="120px"))

        self.live = LiveFigure(9.0, 4.3)
        ax = nd.diagram_axes(self.live.figure)
        sides = {n: "above" if n in TOP else "split" if n == "E" else "below" for n in NODES}
        self.diagram = nd.draw_diagram(ax, {n: (0, 0) for n in NODES}, EDGES, radius=0.3,
                                       sides=sides)
        for artist in self.diagram.changing():  # the plain nodes and edges stay in the background
            self.live.animate(artist)
        self.caption = self.live.animate(fast(ax.text(0.15, 0.12, "", fontsize=FONT["label"],
                                                         linespacing=1.6)))
        self.legend = [ax.text(x, 0.42, text, color=color, fontsize=FONT["note"], fontweight="bold")
                       for x, text, color in ((5.5, "values", nd.VALUE), (6.3, "gradients", nd.GRAD),
                                              (7.95, "this step", nd.HIGHLIGHT))]

        state.observe(self.guard(self._on_graph), names=["graph"])
        state.observe(self.guard(self._on_step), names=["step"])
        state.observe(lambda change: setattr(self.controls["target"], "disabled", not change["new"]),
                      names=["loss"])
        self.controls["target"].disabled = not state.loss
        self._on_graph()
        self.widget = self._layout()

    def _on_graph(self, change=None) -> None:
        g, d = self.state.graph, self.diagram
        names = {n.name for n in g.nodes}
        nd.place(d, layout(g))
        nd.show(d, {n: n in names for n in NODES})
        nd.show(d, {k: b in names and a in g.node(b).inputs for k, (a, b) in EDGES.items()})
        for n in g.nodes:
            label = f"${LATEX[n.name]}$" if n.op == "input" else OPS[n.op][0]
            nd.set_name(d, n.name, label, 9 if n.op == "loss" else 14)
        self.legend[1].set_text(f"gradients ∂{g.output}/∂·")
        self.controls["step"].max = self.state.n_steps
        self.live.invalidate()  # the plain nodes and edges and the legend are static
        self.say("")
        self._on_step()

    def _on_step(self, change=None) -> None:
        st, g, d = self.state, self.state.graph, self.diagram
        k, forward = st.step, st.forward
        if k <= len(forward):
            known = {n.name for n in g.nodes if n.op == "input"} | set(forward[:k])
            grads, node = {}, g.node(forward[k - 1])
            lit = {node.name, *node.inputs}
            caption = f"step {k} of {st.n_steps} · forward pass, left to right"
        else:
            j = k - len(forward) - 1
            known, grads, s = set(NODES), g.known(j), g.steps[j]
            lit = {s.node, *(i for i, _, _ in s.grads)}
            caption = (f"step {k} of {st.n_steps} · backward pass, right to left\n"
                       f"rule: {s.rule}")
        values, gtexts = dict.fromkeys(NODES, ""), dict.fromkeys(NODES, "")
        for n in g.nodes:
            extra = f"\nt = {num(g.target)}" if n.op == "loss" else ""
            values[n.name] = f"${LATEX[n.name]}$ = {num(n.value)}{extra}" if n.name in known else ""
            gtexts[n.name] = self._grad_text(g, n.name, grads[n.name]) if n.name in grads else ""
        nd.set_texts(d.values, values, d.hidden)
        nd.set_texts(d.grads, gtexts, d.hidden)
        nd.highlight(d, lit, {key for key, (a, b) in EDGES.items() if {a, b} <= lit})
        self.caption.set_text(caption)
        settle(self.formula, self._formula(k), after=self.live)
        self.step_label.value = f"<b>{k}</b> / {st.n_steps}"
        self.controls["prev"].disabled = k == 1
        self.controls["next"].disabled = k == st.n_steps
        self.live.draw_idle()

    @staticmethod
    def _grad_text(g: Graph, name: str, grad: float) -> str:
        """'∂f/∂x = 6'; the number alone where seven nodes share the line (the legend says what)."""
        if sum(n.name not in TOP for n in g.nodes) > 6:
            return num(grad)
        return rf"$\partial {LATEX[g.output]}/\partial {LATEX[name]}$ = {num(grad)}"

    def _formula(self, k: int) -> str:
        """Step k typeset: the forward computation, or each gradient's path product (the step's
        number, direction and rule are the figure's caption, which an exported figure keeps)."""
        st, g = self.state, self.state.graph
        if k <= len(st.forward):
            body = f"$$ {forward_latex(g, st.forward[k - 1])} $$"
        else:
            s = g.steps[k - len(st.forward) - 1]
            where = f"at <code>{s.node}</code> ({OPS[s.op][0]})" if OPS[s.op][0] else "at the output"
            paths = "".join(f"$$ {g.node(i).path_latex} $$" for i, _, _ in s.grads)
            body = (f"the gradients {where}, each a product along its path:{paths}"
                    f"<div style='font-size:14px;color:#555'>{html.escape(s.text)}</div>")
        return f"<div style='font-size:20px;line-height:1.25'>{body}</div>"

    def go(self, k: int) -> None:
        """Show step k (clamped to 1..number of steps)."""
        self.state.step = min(max(int(k), 1), self.state.n_steps)

    def next(self) -> None:
        self.go(self.state.step + 1)

    def prev(self) -> None:
        self.go(self.state.step - 1)

    def reset(self) -> None:
        """The lecture's numbers, no sigmoid, no loss, the first step."""
        st = self.state
        with st.hold_trait_notifications():
            for p, v in LECTURE.items():
                setattr(st, p, v)
            st.sigmoid = st.loss = False
            st.target = 1.0
            st.step = 1
        self.say("Back to the lecture's example.")

    def _layout(self) -> widgets.Widget:
        c = self.controls
        stepper = widgets.HBox([c["prev"], c["next"], c["step"], self.step_label],
                               layout=widgets.Layout(align_items="center"))
        right = widgets.VBox([
            widgets.HTML("<b>The numbers</b> (edit any; the gradients follow)"),
            *(c[p] for p in PARAMS), widgets.HTML("<b>Options</b>"), c["sigmoid"], c["loss"],
            c["target"], c["reset"], self.message,
        ], layout=widgets.Layout(width="330px", margin="0 0 0 8px"))
        title = widgets.HTML("<h3 style='margin:2px 0'>The computational graph: h = x w1 + w_b1, "
                             "f = h w2 + w_b2</h3>")
        return widgets.VBox([title, widgets.HBox([widgets.VBox([self.live.widget, stepper,
                                                                self.formula]), right])])
