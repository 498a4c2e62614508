"""One gradient-descent update of the lecture's 2-2-2 sigmoid network, traced step by step.

Wiring (as in the lecture): net_h1 = w1 i1 + w2 i2 + b1, net_h2 = w3 i1 + w4 i2 + b1,
net_o1 = w5 out_h1 + w6 out_h2 + b2, net_o2 = w7 out_h1 + w8 out_h2 + b2, out = sigmoid(net),
E_total = sum 1/2 (t - out)^2. One bias per layer, shared by its two neurons.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace

import numpy as np

from explorer.core._checks import positive

SECTIONS = ("forward", "error", "output", "hidden", "update")
PARTS = ("i1", "i2", "h1", "h2", "o1", "o2", "E", "b1", "b2") + tuple(f"w{n}" for n in range(1, 9))
BIAS_NOTE = "b1 and b2 are held fixed in the update, as in the lecture (update_biases=False)."


@dataclass(frozen=True)
class Example:
    """Inputs, targets, weights w1..w8, shared biases b1, b2 and learning rate eta."""

    i1: float = 0.05
    i2: float = 0.10
    t1: float = 0.01
    t2: float = 0.99
    w: tuple[float, ...] = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)
    b1: float = 0.35
    b2: float = 0.60
    eta: float = 0.5
    update_biases: bool = False

    def __post_init__(self) -> None:
        if len(self.w) != 8:
            raise ValueError(f"w must hold 8 weights w1..w8, got {len(self.w)}: {self.w!r}")
        w = tuple(_finite(f"w{n}", v) for n, v in enumerate(self.w, 1))
        object.__setattr__(self, "w", w)
        for field in ("i1", "i2", "t1", "t2", "b1", "b2"):
            object.__setattr__(self, field, _finite(field, getattr(self, field)))
        object.__setattr__(self, "eta", positive("eta", self.eta))
        if not isinstance(self.update_biases, bool):
            raise ValueError(f"update_biases must be True or False, got {self.update_biases!r}")

    @classmethod
    def lecture(cls) -> Example:
        """The lecture's example: i = (0.05, 0.10), t = (0.01, 0.99), eta = 0.5."""
        return cls()


@dataclass(frozen=True)
class Step:
    """One named quantity of the walkthrough with its formula, substituted numbers and value."""

    name: str
    symbol_latex: str
    formula_latex: str
    substituted_latex: str
    value: float
    section: str
    involves: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Trace:
    """The steps of one update, in the lecture's order, for `example`."""

    example: Example
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    def step(self, name: str) -> Step:
        """The step called `name` (e.g. "dE_total/dw5")."""
        for s in self.steps:
            if s.name == name:
                return s
        names = ", ".join(s.name for s in self.steps)
        raise ValueError(f"unknown step name {name!r}; choose one of: {names}")

    def value(self, name: str) -> float:
        """The value of the step called `name`."""
        return self.step(name).value

    def updated(self) -> Example:
        """The next Example: weights (and, if update_biases, biases) after this update."""
        ex = self.example
        w = tuple(self.value(f"w{n}+") for n in range(1, 9))
        if ex.update_biases:
            return replace(ex, w=w, b1=self.value("b1+"), b2=self.value("b2+"))
        return replace(ex, w=w)

    def rows(self) -> list[tuple[str, str, float]]:
        """(name, formula_latex, value) per step, for export."""
        return [(s.name, s.formula_latex, s.value) for s in self.steps]

    def to_csv(self) -> str:
        """The rows as CSV text with a header line name,formula,value."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(("name", "formula", "value"))
        writer.writerows((n, f, repr(v)) for n, f, v in self.rows())
        return buf.getvalue()

    def to_markdown(self) -> str:
        """The rows as a Markdown table (formulas as $...$)."""
        lines = ["| name | formula | value |", "|---|---|---|"]
        for n, f, v in self.rows():
            cell = f.replace("|", r"\|")
            lines.append(f"| `{n}` | ${cell}$ | {_num(v)} |")
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """The steps as a LaTeX tabular: symbol, formula, value."""
        body = [rf"${s.symbol_latex}$ & ${s.formula_latex}$ & {_num(s.value)} \\"
                for s in self.steps]
        return "\n".join([r"\begin{tabular}{lll}", r"quantity & formula & value \\ \hline", *body,
                          r"\end{tabular}"]) + "\n"


def _finite(field: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{field} must be a finite number, got {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"{field} must be finite, got {v}")
    return float(v)


def _sigmoid(z: float) -> float:
    """1 / (1 + e^-z) without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _half_square(d: float) -> float:
    """1/2 d^2, inf rather than OverflowError for a huge d (float ** raises, float * does not)."""
    return 0.5 * d * d


def _num(v: float) -> str:
    """v with up to 9 decimals, as the lecture prints it."""
    s = f"{v:.9f}".rstrip("0").rstrip(".")
    return s if s not in ("0", "-0") or v == 0 else f"{v:.3e}"


def _p(v: float) -> str:
    """_num(v), in parentheses when negative (for products and sums)."""
    return f"({_num(v)})" if v < 0 else _num(v)


def train(example: Example, n: int, hidden_uses_new_w: bool = False) -> list[float]:
    """E_total after each of n updates (list of n floats)."""
    return descend(example, n, hidden_uses_new_w)[1]


def advance(example: Example, n: int, hidden_uses_new_w: bool = False) -> Example:
    """The Example after n gradient-descent updates.

    hidden_uses_new_w=True computes the hidden-layer gradients with the already-updated w5..w8
    (not the lecture's rule); it reproduces the tutorial's printed errors after training.
    """
    return descend(example, n, hidden_uses_new_w)[0]


def descend(ex: Example, n: int, new_w: bool = False) -> tuple[Example, list[float]]:
    """The Example after n updates and E_total after each (advance and train in one pass), in
    plain float64 scalars (numpy on 2 x 2 arrays is ~15x slower here)."""
    n = positive("n", n, integer=True, allow_zero=True)
    w, b1, b2, errors = ex.w, ex.b1, ex.b2, []
    h1, h2, y1, y2 = _forward_pass(ex, w, b1, b2)
    for _ in range(n):
        d1, d2 = (y1 - ex.t1) * y1 * (1 - y1), (y2 - ex.t2) * y2 * (1 - y2)  # dE_total/dnet_o
        wo = (w[4] - ex.eta * d1 * h1, w[5] - ex.eta * d1 * h2,
              w[6] - ex.eta * d2 * h1, w[7] - ex.eta * d2 * h2)
        w5, w6, w7, w8 = wo if new_w else w[4:]
        e1 = (d1 * w5 + d2 * w7) * h1 * (1 - h1)  # dE_total/dnet_h1
        e2 = (d1 * w6 + d2 * w8) * h2 * (1 - h2)  # dE_total/dnet_h2
        w = (w[0] - ex.eta * e1 * ex.i1, w[1] - ex.eta * e1 * ex.i2,
             w[2] - ex.eta * e2 * ex.i1, w[3] - ex.eta * e2 * ex.i2, *wo)
        if ex.update_biases:
            b1, b2 = b1 - ex.eta * (e1 + e2), b2 - ex.eta * (d1 + d2)
        h1, h2, y1, y2 = _forward_pass(ex, w, b1, b2)
        errors.append(_half_square(ex.t1 - y1) + _half_square(ex.t2 - y2))
    return replace(ex, w=w, b1=b1, b2=b2), errors


def _forward_pass(ex: Example, w: tuple[float, ...], b1: float, b2: float) -> tuple[float, ...]:
    """(out_h1, out_h2, out_o1, out_o2) for the inputs of `ex` with weights w, biases b1, b2."""
    h1 = _sigmoid(w[0] * ex.i1 + w[1] * ex.i2 + b1)
    h2 = _sigmoid(w[2] * ex.i1 + w[3] * ex.i2 + b1)
    return h1, h2, _sigmoid(w[4] * h1 + w[5] * h2 + b2), _sigmoid(w[6] * h1 + w[7] * h2 + b2)


def _outputs(ex: Example) -> tuple[float, float, float]:
    """(out_o1, out_o2, E_total) of a forward pass of `ex`."""
    y1, y2 = _forward_pass(ex, ex.w, ex.b1, ex.b2)[2:]
    return y1, y2, _half_square(ex.t1 - y1) + _half_square(ex.t2 - y2)


# ---- the steps -------------------------------------------------------------------------------

_W = {"h1": (1, 2), "h2": (3, 4), "o1": (5, 6), "o2": (7, 8)}  # weights into each neuron
_SRC = {"h1": ("i1", "i2"), "h2": ("i1", "i2"), "o1": ("h1", "h2"), "o2": ("h1", "h2")}


def _sym(q: str) -> str:
    """LaTeX of a quantity name: E_total, E_o1, net_h1, out_o2, w5, b1, i1, t1; 'x/y', 'x+'."""
    if "/" in q:
        top, bottom = q.split("/")
        return rf"\frac{{\partial {_sym(top[1:])}}}{{\partial {_sym(bottom[1:])}}}"
    if q.endswith("+"):
        return _sym(q[:-1]) + "^{+}"
    kind, _, unit = q.partition("_")
    if kind == "E":
        return r"E_{\mathrm{total}}" if unit == "total" else f"E_{{{unit}}}"
    if kind in ("net", "out"):
        return rf"\mathrm{{{kind}}}_{{{unit}}}"
    return f"{q[0]}_{{{q[1:]}}}"


def _src(u: str) -> str:
    """The quantity a neuron's input carries: i1 -> i1, h1 -> out_h1."""
    return u if u.startswith("i") else f"out_{u}"


class _Builder:
    """Collects steps and their values by name."""

    def __init__(self, ex: Example) -> None:
        self.ex, self.steps = ex, []
        self.v = {"i1": ex.i1, "i2": ex.i2, "t1": ex.t1, "t2": ex.t2, "b1": ex.b1, "b2": ex.b2}
        self.v.update({f"w{n}": w for n, w in enumerate(ex.w, 1)})

    def add(self, section: str, name: str, formula: str, subst: str, value: float,
            involves: tuple[str, ...]) -> float:
        self.steps.append(Step(name, _sym(name), formula, subst, float(value), section, involves))
        self.v[name] = float(value)
        return float(value)

    def product(self, section: str, name: str, factors: list[str], involves) -> float:
        """A chain-rule step: the product of earlier steps `factors`."""
        value = math.prod(self.v[f] for f in factors)
        formula = r" \cdot ".join(_sym(f) for f in factors)
        return self.add(section, name, formula, r" \cdot ".join(_p(self.v[f]) for f in factors),
                        value, involves)

    def new_weight(self, section: str, p: str) -> float:
        """p+ = p - eta dE_total/dp."""
        g, old, eta = self.v[f"dE_total/d{p}"], self.v[p], self.ex.eta
        formula = rf"{_sym(p)} - \eta {_sym(f'dE_total/d{p}')}"
        return self.add(section, f"{p}+", formula, rf"{_num(old)} - {_num(eta)} \cdot {_p(g)}",
                        old - eta * g, (p,))


def _forward(s: _Builder) -> None:
    for u in ("h1", "h2", "o1", "o2"):
        (a, b), (n, m), bias = _SRC[u], _W[u], "b1" if u[0] == "h" else "b2"
        xa, xb, wn, wm = s.v[_src(a)], s.v[_src(b)], s.v[f"w{n}"], s.v[f"w{m}"]
        formula = rf"w_{n} {_sym(_src(a))} + w_{m} {_sym(_src(b))} + {_sym(bias)}"
        subst = rf"{_num(wn)} \cdot {_p(xa)} + {_num(wm)} \cdot {_p(xb)} + {_p(s.v[bias])}"
        net = s.add("forward", f"net_{u}", formula, subst, wn * xa + wm * xb + s.v[bias],
                    (a, b, f"w{n}", f"w{m}", bias, u))
        s.add("forward", f"out_{u}", rf"\frac{{1}}{{1 + e^{{-{_sym(f'net_{u}')}}}}}",
              rf"\frac{{1}}{{1 + e^{{-{_p(net)}}}}}", _sigmoid(net), (u,))


def _errors(s: _Builder) -> None:
    for o, t in (("o1", "t1"), ("o2", "t2")):
        y = s.v[f"out_{o}"]
        s.add("error", f"E_{o}", rf"\frac{{1}}{{2}}(t_{{{o}}} - {_sym(f'out_{o}')})^2",
              rf"\frac{{1}}{{2}}({_num(s.v[t])} - {_num(y)})^2", _half_square(s.v[t] - y), (o, "E"))
    e1, e2 = s.v["E_o1"], s.v["E_o2"]
    s.add("error", "E_total", "E_{o1} + E_{o2}", f"{_num(e1)} + {_num(e2)}", e1 + e2,
          ("o1", "o2", "E"))


def _slope(s: _Builder, section: str, u: str) -> None:
    """dout_u/dnet_u = out_u (1 - out_u), the sigmoid's slope."""
    y, out = s.v[f"out_{u}"], _sym(f"out_{u}")
    s.add(section, f"dout_{u}/dnet_{u}", f"{out}(1 - {out})", f"{_num(y)}(1 - {_num(y)})",
          y * (1 - y), (u,))


def _output_layer(s: _Builder) -> None:
    for o, t in (("o1", "t1"), ("o2", "t2")):
        y = s.v[f"out_{o}"]
        for h, n in zip(("h1", "h2"), _W[o], strict=True):
            if h == "h1":
                s.add("output", f"dE_total/dout_{o}", rf"-(t_{{{o}}} - {_sym(f'out_{o}')})",
                      f"-({_num(s.v[t])} - {_num(y)})", -(s.v[t] - y), (o, "E"))
                _slope(s, "output", o)
            s.add("output", f"dnet_{o}/dw{n}", _sym(f"out_{h}"), _num(s.v[f"out_{h}"]),
                  s.v[f"out_{h}"], (h, f"w{n}", o))
            chain = [f"dE_total/dout_{o}", f"dout_{o}/dnet_{o}", f"dnet_{o}/dw{n}"]
            s.product("output", f"dE_total/dw{n}", chain, (h, f"w{n}", o, "E"))
            s.new_weight("output", f"w{n}")


def _hidden_layer(s: _Builder) -> None:
    for j, h in enumerate(("h1", "h2")):
        for i, n in zip(("i1", "i2"), _W[h], strict=True):
            if i == "i1":
                _hidden_error(s, j, h)
                _slope(s, "hidden", h)
            s.add("hidden", f"dnet_{h}/dw{n}", _sym(i), _num(s.v[i]), s.v[i], (i, f"w{n}", h))
            chain = [f"dE_total/dout_{h}", f"dout_{h}/dnet_{h}", f"dnet_{h}/dw{n}"]
            s.product("hidden", f"dE_total/dw{n}", chain, (i, f"w{n}", h, "o1", "o2", "E"))
            s.new_weight("hidden", f"w{n}")


def _hidden_error(s: _Builder, j: int, h: str) -> None:
    """dE_total/dout_h = dE_o1/dout_h + dE_o2/dout_h, each through the original w5..w8."""
    for o in ("o1", "o2"):
        wk = f"w{_W[o][j]}"
        if j == 0:
            s.v[f"dE_{o}/dout_{o}"] = s.v[f"dE_total/dout_{o}"]
            s.product("hidden", f"dE_{o}/dnet_{o}", [f"dE_{o}/dout_{o}", f"dout_{o}/dnet_{o}"],
                      (o, "E"))
        s.add("hidden", f"dnet_{o}/dout_{h}", _sym(wk), _num(s.v[wk]), s.v[wk], (h, wk, o))
        s.product("hidden", f"dE_{o}/dout_{h}", [f"dE_{o}/dnet_{o}", f"dnet_{o}/dout_{h}"],
                  (h, wk, o, "E"))
    a, b = s.v[f"dE_o1/dout_{h}"], s.v[f"dE_o2/dout_{h}"]
    formula = f"{_sym(f'dE_o1/dout_{h}')} + {_sym(f'dE_o2/dout_{h}')}"
    s.add("hidden", f"dE_total/dout_{h}", formula, f"{_num(a)} + {_p(b)}", a + b,
          (h, f"w{_W['o1'][j]}", f"w{_W['o2'][j]}", "o1", "o2", "E"))


def _update(s: _Builder) -> None:
    ex = s.ex
    if ex.update_biases:
        _bias(s, "b2", ("o1", "o2"))
        _bias(s, "b1", ("h1", "h2"))
    w = tuple(s.v[f"w{n}+"] for n in range(1, 9))
    b1, b2 = (s.v["b1+"], s.v["b2+"]) if ex.update_biases else (ex.b1, ex.b2)
    y1, y2, e = _outputs(replace(ex, w=w, b1=b1, b2=b2))
    for o, y in (("o1", y1), ("o2", y2)):
        s.add("update", f"out_{o}+", rf"\frac{{1}}{{1 + e^{{-{_sym(f'net_{o}')}^{{+}}}}}}",
              r"\text{forward pass with the new weights}", y, PARTS)
    half = r"\frac{1}{2}"
    formula = " + ".join(rf"{half}(t_{{{o}}} - {_sym(f'out_{o}+')})^2" for o in ("o1", "o2"))
    subst = " + ".join(f"{half}({_num(t)} - {_num(y)})^2" for t, y in ((ex.t1, y1), (ex.t2, y2)))
    s.add("update", "E_total+", formula, subst, e, ("o1", "o2", "E"))


def _bias(s: _Builder, b: str, units: tuple[str, str]) -> None:
    """dE_total/db for a bias shared by two neurons (dnet/db = 1 for both), then b+."""
    terms = [(f"dE_total/dout_{u}", f"dout_{u}/dnet_{u}") for u in units]
    formula = " + ".join(f"{_sym(a)} {_sym(d)}" for a, d in terms)
    subst = " + ".join(rf"{_p(s.v[a])} \cdot {_p(s.v[d])}" for a, d in terms)
    value = sum(s.v[a] * s.v[d] for a, d in terms)
    s.add("update", f"dE_total/d{b}", formula, subst, value, (b, *units, "E"))
    s.new_weight("update", b)


def trace(example: Example) -> Trace:
    """Every quantity of one update of `example`, named and ordered as in the lecture."""
    s = _Builder(example)
    for section in (_forward, _errors, _output_layer, _hidden_layer, _update):
        section(s)
    steps = tuple(s.steps)
    if example == Example.lecture():
        from explorer.core.backprop_lecture import NOTES  # it imports this module

        steps = tuple(replace(st, note=NOTES.get(st.name, "")) for st in steps)
    return Trace(example, steps, () if example.update_biases else (BIAS_NOTE,))
