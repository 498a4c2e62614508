"""The computational graph of lecture 004: the printed numbers, local rules, path products."""

import math

import pytest

from explorer.core.graph import LATEX, OPS, build

PARAMS = ("x", "w1", "w_b1", "w2", "w_b2")
OPTIONS = [{}, {"sigmoid": True}, {"target": 1.0}, {"sigmoid": True, "target": 0.5}]


def output(g) -> float:
    return g.value(g.output)


def path_number(path_plain: str) -> float:
    """The product of the numbers in 'dE/dp = symbols = numbers = result' (or a shorter chain)."""
    sides = path_plain.split(" = ")
    numbers = sides[-2] if len(sides) == 4 else sides[-1]
    return math.prod(float(f.strip("()")) for f in numbers.split(" × "))


def test_the_lecture_numbers():
    g = build()
    assert (g.value("h"), g.value("f")) == (-7.0, -10.0)
    assert g.output == "f" and g.grad("f") == 1.0
    assert (g.grad("w_b2"), g.grad("w2"), g.grad("w_b1"), g.grad("w1")) == (1.0, -7.0, 2.0, -4.0)
    assert g.grad("x") == 6.0


def test_the_lecture_path_products():
    g = build()
    assert g.node("w1").path_plain == "df/dw1 = 1 × w2 × 1 × x = 1 × 2 × 1 × (-2) = -4"
    assert g.node("w1").path_latex == (
        r"\frac{\partial f}{\partial w_1} = 1 \times w_2 \times 1 \times x"
        r" = 1 \times 2 \times 1 \times (-2) = -4")
    assert g.node("w_b1").path_plain == "df/dw_b1 = 1 × w2 × 1 = 1 × 2 × 1 = 2"
    assert g.node("w2").path_plain == "df/dw2 = 1 × h = 1 × (-7) = -7"
    assert g.node("w_b2").path_plain == "df/dw_b2 = 1"
    assert g.node("f").path_latex == r"\frac{\partial f}{\partial f} = 1"


def test_nodes_left_to_right():
    g = build()
    assert [(n.name, n.op, n.inputs) for n in g.nodes] == [
        ("x", "input", ()), ("w1", "input", ()), ("z1", "mul", ("x", "w1")),
        ("w_b1", "input", ()), ("h", "add", ("z1", "w_b1")), ("w2", "input", ()),
        ("z2", "mul", ("h", "w2")), ("w_b2", "input", ()), ("f", "add", ("z2", "w_b2"))]
    assert set(LATEX) >= {n.name for n in build(sigmoid=True, target=0.0).nodes}


def test_options_add_a_sigmoid_and_a_loss():
    g = build(sigmoid=True, target=0.5)
    a = 1 / (1 + math.exp(7))
    assert g.node("a").inputs == ("h",) and g.value("a") == pytest.approx(a, rel=1e-15)
    assert g.node("z2").inputs == ("a", "w2")
    assert g.output == "E" and g.target == 0.5
    assert g.value("E") == pytest.approx(0.5 * (0.5 - (2 * a + 4)) ** 2, rel=1e-15)
    assert g.grad("f") == pytest.approx(g.value("f") - 0.5, rel=1e-15)
    assert "a(1 - a)" in g.node("w1").path_plain and "-(t - f)" in g.node("w1").path_plain


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_steps_run_right_to_left(options):
    g = build(**options)
    order = [n.name for n in g.nodes]
    assert g.steps[0].op == "start" and g.steps[0].grads == ((g.output, 1.0, 1.0),)
    ranks = [order.index(s.node) for s in g.steps[1:]]
    assert ranks == sorted(ranks, reverse=True)
    assert [s.node for s in g.steps[1:]] == [n.name for n in reversed(g.nodes) if n.op != "input"]
    for s in g.steps:
        assert s.rule == OPS[s.op][1] and s.text


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_each_step_applies_its_local_rule(options):
    g = build(**options)
    for s in g.steps[1:]:
        node, upstream = g.node(s.node), g.grad(s.node)
        for name, local, grad in s.grads:
            assert grad == local * upstream and g.grad(name) == grad
        locals_ = [local for _, local, _ in s.grads]
        if s.op == "add":  # + passes the gradient to both inputs
            assert locals_ == [1.0, 1.0]
        elif s.op == "mul":  # x swaps the inputs
            a, b = node.inputs
            assert locals_ == [g.value(b), g.value(a)]
        elif s.op == "sigmoid":  # multiplies by z(1 - z)
            assert locals_ == [node.value * (1 - node.value)]
        else:
            assert s.op == "loss" and locals_ == [g.value("f") - g.target]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("param", PARAMS)
def test_gradients_match_central_differences(options, param):
    base, eps = dict(zip(PARAMS, (-2.0, 3.0, -1.0, 2.0, 4.0), strict=True)), 1e-6
    up = output(build(**options, **{**base, param: base[param] + eps}))
    down = output(build(**options, **{**base, param: base[param] - eps}))
    assert build(**options).grad(param) == pytest.approx((up - down) / (2 * eps), rel=1e-6,
                                                          abs=1e-9)


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_path_products_equal_the_gradients(options):
    g = build(**options)
    for n in g.nodes:
        if n.name != g.output:
            assert path_number(n.path_plain) == pytest.approx(n.grad, rel=1e-5)
            assert n.path_latex.count(r"\times") == n.path_plain.count("×")


def test_known_grows_step_by_step():
    g = build(target=1.0)
    assert g.known(0) == {"E": 1.0}
    assert g.known(1) == {"E": 1.0, "f": -11.0}
    sizes = [len(g.known(k)) for k in range(len(g.steps))]
    assert sizes == sorted(sizes) and g.known(len(g.steps) - 1) == {n.name: n.grad for n in g.nodes}
    with pytest.raises(ValueError, match="k must be in 0..5, got 6"):
        g.known(6)


@pytest.mark.parametrize("param", [*PARAMS, "target"])
def test_non_finite_numbers_are_refused_by_name(param):
    with pytest.raises(ValueError, match=f"^{param} must be a finite number, got nan"):
        build(**{param: float("nan")})


def test_bad_options_and_names_are_refused():
    with pytest.raises(ValueError, match="sigmoid must be True or False"):
        build(sigmoid=1)
    with pytest.raises(ValueError, match="unknown node 'a'; choose one of: x, w1"):
        build().node("a")
