"""The computational graph of lecture 004: h = x w1 + w_b1, f = h w2 + w_b2, stepped right to left.

Options: a sigmoid after h (then f = sigmoid(h) w2 + w_b2), and a squared-error loss
E = 1/2 (t - f)^2 at the end (when a target t is given). Each node's grad is d(output)/d(node).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

OPS = {  # op -> (label a panel draws, the local rule in words)
    "start": ("", "the output's gradient with respect to itself is 1"),
    "input": ("", "an input: its gradient is the one passed back to it"),
    "add": ("+", "+ passes the gradient to both inputs unchanged"),
    "mul": ("×", "× swaps the inputs: each gets the gradient times the other input"),
    "sigmoid": ("σ", "sigmoid multiplies the gradient by z(1 - z), z its output"),
    "loss": ("½(t−f)²", "1/2 (t - f)^2 multiplies the gradient by -(t - f)"),
}
LATEX = {"x": "x", "w1": "w_1", "w_b1": "w_{b1}", "z1": "z_1", "h": "h", "a": "a",
         "w2": "w_2", "z2": "z_2", "w_b2": "w_{b2}", "f": "f", "E": "E"}


@dataclass(frozen=True)
class Node:
    """One node: its op, input names, forward value, gradient and the gradient's path product."""

    name: str
    op: str
    inputs: tuple[str, ...]
    value: float
    grad: float
    path_latex: str
    path_plain: str


@dataclass(frozen=True)
class BackStep:
    """One backward step: `node` passes its gradient to its inputs by its op's local rule.

    grads holds (input, local derivative, gradient = local derivative x node's gradient).
    """

    node: str
    op: str
    rule: str
    grads: tuple[tuple[str, float, float], ...]
    text: str


@dataclass(frozen=True)
class Graph:
    """Nodes left to right (forward order) and backward steps right to left."""

    nodes: tuple[Node, ...]
    steps: tuple[BackStep, ...]
    output: str
    target: float | None = None

    def node(self, name: str) -> Node:
        """The node called `name`."""
        for n in self.nodes:
            if n.name == name:
                return n
        names = ", ".join(n.name for n in self.nodes)
        raise ValueError(f"unknown node {name!r}; choose one of: {names}")

    def value(self, name: str) -> float:
        return self.node(name).value

    def grad(self, name: str) -> float:
        return self.node(name).grad

    def known(self, k: int) -> dict[str, float]:
        """The gradients known after backward steps 0..k (a panel's state at step k)."""
        if not 0 <= k < len(self.steps):
            raise ValueError(f"k must be in 0..{len(self.steps) - 1}, got {k}")
        return {name: g for s in self.steps[: k + 1] for name, _, g in s.grads}


def _finite(arg: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{arg} must be a finite number, got {v!r}")
    return float(v)


def _num(v: float) -> str:
    """v as an integer when it is one, else to 6 significant digits."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.6g}"


def _p(v: float) -> str:
    """_num(v), in parentheses when negative (a factor of a product)."""
    return f"({_num(v)})" if v < 0 else _num(v)


def _forward(p: dict[str, float], sigmoid: bool, target: float | None) -> list[tuple]:
    """(name, op, inputs, value) left to right."""
    z1 = p["x"] * p["w1"]
    h = z1 + p["w_b1"]
    rows = [("x", "input", (), p["x"]), ("w1", "input", (), p["w1"]),
            ("z1", "mul", ("x", "w1"), z1), ("w_b1", "input", (), p["w_b1"]),
            ("h", "add", ("z1", "w_b1"), h)]
    into = "h"
    if sigmoid:
        rows.append(("a", "sigmoid", ("h",), 1.0 / (1.0 + math.exp(-h)) if h >= 0
                     else math.exp(h) / (1.0 + math.exp(h))))
        into = "a"
    z2 = rows[-1][3] * p["w2"]
    rows += [("w2", "input", (), p["w2"]), ("z2", "mul", (into, "w2"), z2),
             ("w_b2", "input", (), p["w_b2"]), ("f", "add", ("z2", "w_b2"), z2 + p["w_b2"])]
    if target is not None:
        d = target - rows[-1][3]
        rows.append(("E", "loss", ("f",), 0.5 * d * d))  # d ** 2 would raise on overflow
    return rows


def _local(op: str, inputs: tuple[str, ...], value: float, vals: dict, target: float | None):
    """[(input, local derivative, latex factor, plain factor)] for one op."""
    if op == "add":
        return [(i, 1.0, "1", "1") for i in inputs]
    if op == "mul":
        a, b = inputs
        return [(a, vals[b], LATEX[b], b), (b, vals[a], LATEX[a], a)]
    if op == "sigmoid":
        return [(inputs[0], value * (1 - value), "a(1 - a)", "a(1 - a)")]
    return [(inputs[0], -(target - vals["f"]), "-(t - f)", "-(t - f)")]


def build(x: float = -2.0, w1: float = 3.0, w_b1: float = -1.0, w2: float = 2.0,
          w_b2: float = 4.0, sigmoid: bool = False, target: float | None = None) -> Graph:
    """Forward values, gradients and the right-to-left backward steps of the lecture's graph."""
    p = {k: _finite(k, v) for k, v in dict(x=x, w1=w1, w_b1=w_b1, w2=w2, w_b2=w_b2).items()}
    if not isinstance(sigmoid, bool):
        raise ValueError(f"sigmoid must be True or False, got {sigmoid!r}")
    target = None if target is None else _finite("target", target)
    rows = _forward(p, sigmoid, target)
    vals = {name: v for name, _, _, v in rows}
    out = rows[-1][0]
    grad = {out: 1.0}
    paths = {out: ([], [], [])}  # factors: latex, plain, numbers
    steps = [BackStep(out, "start", OPS["start"][1], ((out, 1.0, 1.0),), f"d{out}/d{out} = 1")]
    for name, op, inputs, value in reversed(rows):
        if op == "input":
            continue
        passed = []
        for i, local, tex, plain in _local(op, inputs, value, vals, target):
            grad[i] = grad.get(i, 0.0) + local * grad[name]
            lt, pl, nums = paths[name]
            paths[i] = (lt + [tex], pl + [plain], nums + [local])
            passed.append((i, local, local * grad[name]))
        words = "; ".join(f"d{out}/d{i} = {_p(loc)} × {_p(grad[name])} = {_num(g)}"
                          for i, loc, g in passed)
        text = f"{OPS[op][0]} at {name}: {words}"
        steps.append(BackStep(name, op, OPS[op][1], tuple(passed), text))
    nodes = tuple(Node(n, op, ins, v, grad[n], *_path(out, n, paths[n], grad[n]))
                  for n, op, ins, v in rows)
    return Graph(nodes, tuple(steps), out, target)


def _path(out: str, name: str, factors: tuple[list, list, list], g: float) -> tuple[str, str]:
    """The gradient as its path product, in LaTeX and in plain text."""
    tex, plain, nums = factors
    lhs_tex = rf"\frac{{\partial {LATEX[out]}}}{{\partial {LATEX[name]}}}"
    if not tex:
        return rf"{lhs_tex} = 1", f"d{out}/d{name} = 1"
    numbers, times = [_p(v) for v in nums], r" \times "
    sides_tex = [lhs_tex, times.join(tex), times.join(numbers), _num(g)]
    sides = [f"d{out}/d{name}", " × ".join(plain), " × ".join(numbers), _num(g)]
    return _chain(sides_tex), _chain(sides)


def _chain(sides: list[str]) -> str:
    """'a = b = c', dropping a side equal to the one after it (no '1 = 1')."""
    bare = [s.strip("()") for s in sides]
    kept = [s for k, s in enumerate(sides) if k == len(sides) - 1 or bare[k] != bare[k + 1]]
    return " = ".join(kept)
