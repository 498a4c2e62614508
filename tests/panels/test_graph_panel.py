"""The computational-graph panel, headless: values and gradients from the core, rules, options, edits."""

import html

import pytest
import traitlets

from explorer.core.graph import OPS, build
from explorer.panels.graph import EDGES, LECTURE, NODES, PARAMS, GraphPanel, num
from explorer.plots.network_diagram import HIGHLIGHT

OPTIONS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.fixture
def panel():
    return GraphPanel()


def with_options(panel, sigmoid, loss):
    panel.controls["sigmoid"].value = sigmoid
    panel.controls["loss"].value = loss
    return panel


def core(sigmoid=False, loss=False, target=1.0, **params):
    return build(**{**LECTURE, **params}, sigmoid=sigmoid, target=target if loss else None)


def shown(panel):
    return {n for n, c in panel.diagram.circles.items() if c.get_visible()}


def lit(panel):
    d = panel.diagram  # the highlight overlays shown over the plain nodes and edges
    nodes = {n for n, c in d.lit_circles.items() if c.get_visible() and c.get_linewidth() > 2}
    edges = {k for k, line in d.lit_edges.items() if line.get_visible() and line.get_color() == HIGHLIGHT}
    return nodes, edges


def test_the_lecture_graph_at_the_start(panel):
    s = panel.state
    assert {p: getattr(s, p) for p in PARAMS} == LECTURE
    assert not s.sigmoid and not s.loss and panel.controls["target"].disabled
    assert s.forward == ["z1", "h", "z2", "f"] and s.n_steps == 4 + 5
    assert s.step == 1 and panel.controls["step"].max == 9
    assert shown(panel) == {"x", "w1", "z1", "w_b1", "h", "w2", "z2", "w_b2", "f"}
    assert panel.diagram.values["z1"].get_text() == "$z_1$ = -6"
    assert panel.diagram.values["h"].get_text() == ""  # not computed yet
    assert all(t.get_text() == "" for t in panel.diagram.grads.values())
    assert r"z_1 = x \times w_1 = (-2) \times 3 = -6" in panel.formula.value
    assert "forward pass" in panel.caption.get_text()


def test_the_lecture_numbers_on_the_diagram_at_the_end(panel):
    panel.go(9)
    d = panel.diagram
    assert d.values["h"].get_text() == "$h$ = -7" and d.values["f"].get_text() == "$f$ = -10"
    assert d.grads["w1"].get_text() == r"$\partial f/\partial w_1$ = -4"
    assert d.grads["w_b1"].get_text() == r"$\partial f/\partial w_{b1}$ = 2"
    assert d.grads["w2"].get_text() == r"$\partial f/\partial w_2$ = -7"
    assert d.grads["w_b2"].get_text() == r"$\partial f/\partial w_{b2}$ = 1"


def test_df_dw1_appears_as_a_product_along_the_path(panel):
    panel.go(9)  # the last step: x at z1 passes the gradient to x and w1
    formula = panel.formula.value
    assert r"1 \times w_2 \times 1 \times x = 1 \times 2 \times 1 \times (-2) = -4" in formula
    assert OPS["mul"][1] in panel.caption.get_text()


@pytest.mark.parametrize("sigmoid, loss", OPTIONS)
def test_values_and_gradients_match_the_core_for_every_option(panel, sigmoid, loss):
    with_options(panel, sigmoid, loss)
    g = core(sigmoid, loss)
    assert panel.state.graph == g
    assert shown(panel) == {n.name for n in g.nodes}
    visible_edges = {k for k, line in panel.diagram.edges.items() if line.get_visible()}
    assert visible_edges == {f"{i}>{n.name}" for n in g.nodes for i in n.inputs}
    panel.go(panel.state.n_steps)
    for n in g.nodes:
        assert panel.diagram.values[n.name].get_text().split("\n")[0].endswith(f"= {num(n.value)}")
        assert panel.diagram.grads[n.name].get_text().endswith(num(n.grad)), n.name


@pytest.mark.parametrize("sigmoid, loss", OPTIONS)
def test_gradients_appear_right_to_left_with_the_rule_used(panel, sigmoid, loss):
    with_options(panel, sigmoid, loss)
    g, forward = panel.state.graph, len(panel.state.forward)
    assert panel.state.n_steps == forward + len(g.steps)
    for k in range(1, forward + 1):
        panel.go(k)
        name = panel.state.forward[k - 1]
        assert panel.diagram.values[name].get_text() != ""
        assert lit(panel)[0] == {name, *g.node(name).inputs}
    for j, step in enumerate(g.steps):
        panel.go(forward + 1 + j)
        with_grads = {n for n, t in panel.diagram.grads.items() if t.get_text()}
        assert with_grads == set(g.known(j))
        assert f"rule: {step.rule}" in panel.caption.get_text()
        assert html.escape(step.rule) not in panel.formula.value  # said once, in the figure
        for name, _, _ in step.grads:
            assert g.node(name).path_latex in panel.formula.value
        nodes, edges = lit(panel)
        assert nodes == {step.node, *(i for i, _, _ in step.grads)}
        assert edges == {k for k, (a, b) in EDGES.items() if {a, b} <= nodes}


def test_sigmoid_and_loss_rules_are_named(panel):
    with_options(panel, True, True)
    ops = {s.op: panel.state.n_steps - len(panel.state.graph.steps) + 1 + j
           for j, s in enumerate(panel.state.graph.steps)}
    panel.go(ops["sigmoid"])
    assert "z(1 - z)" in panel.caption.get_text() and "a(1 - a)" in panel.formula.value
    panel.go(ops["loss"])
    assert "-(t - f)" in panel.formula.value
    panel.go(ops["add"])
    assert "passes the gradient to both inputs" in panel.caption.get_text()


def test_editing_a_value_moves_the_gradients(panel):
    panel.go(9)
    panel.controls["w2"].value = 5.0
    g = core(w2=5.0)
    assert panel.state.graph == g and g.grad("w1") == -10.0
    assert panel.diagram.grads["w1"].get_text().endswith("= -10")
    assert panel.state.step == 9
    panel.state.x = 1.0  # the other direction: state -> control
    assert panel.controls["x"].value == 1.0


def test_the_target_is_editable_when_the_loss_is_on(panel):
    with_options(panel, False, True)
    assert not panel.controls["target"].disabled
    panel.controls["target"].value = -10.0
    g = core(loss=True, target=-10.0)
    assert panel.state.graph == g and g.grad("f") == 0.0  # f = t: nothing to learn
    panel.go(panel.state.n_steps)
    assert "t = -10" in panel.diagram.values["E"].get_text()


@pytest.mark.parametrize("name", [*PARAMS, "target"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nonsense_values_are_explained_and_change_nothing(panel, name, bad):
    panel.go(5)
    before = panel.state.graph
    panel.controls[name].value = bad
    text, level = panel.last_message
    assert level == "error" and f"{name} must be a finite number" in text
    assert "nothing was changed" in text
    assert panel.state.graph is before and panel.state.step == 5
    assert panel.controls[name].value == getattr(panel.state, name)
    panel.controls["w1"].value = 1.0  # still works
    assert panel.state.graph.value("z1") == -2.0 and panel.last_message == ("", "info")


def test_a_non_number_is_refused_by_name(panel):
    with pytest.raises(traitlets.TraitError, match="w_b2 must be a finite number, got 'x'"):
        panel.state.w_b2 = "x"


def test_next_prev_and_slider_agree_and_clamp(panel):
    panel.prev()
    assert panel.state.step == 1 and panel.controls["prev"].disabled
    panel.controls["next"].click()
    panel.controls["next"].click()
    assert panel.state.step == panel.controls["step"].value == 3
    panel.controls["step"].value = 9
    panel.next()
    assert panel.state.step == 9 and panel.controls["next"].disabled
    with_options(panel, True, True)
    assert panel.controls["step"].max == 13 and panel.state.step == 9
    panel.go(99)
    assert panel.state.step == 13
    with_options(panel, False, False)
    assert panel.state.step == panel.controls["step"].value == 9
    with pytest.raises(traitlets.TraitError, match="step must be between 1 and 9, got 10"):
        panel.state.step = 10


def test_reset_restores_the_lecture(panel):
    with_options(panel, True, True)
    panel.controls["x"].value = 3.0
    panel.go(7)
    panel.controls["reset"].click()
    assert panel.state.graph == core() and panel.state.step == 1
    assert panel.controls["x"].value == -2.0 and not panel.controls["sigmoid"].value


def test_stepping_and_options_update_artists_in_place(panel):
    artists = panel.diagram.artists()
    count = len(panel.live.figure.axes[0].get_children())
    panel.live.render()
    for k in (2, 5, 9):
        panel.go(k)
        assert not panel.live.render()[2]  # no full redraw: only the animated artists
    with_options(panel, True, True)
    panel.go(12)
    assert panel.diagram.artists() == artists
    assert len(panel.live.figure.axes[0].get_children()) == count
    assert set(panel.diagram.circles) == set(NODES)


def test_the_figure_renders_the_highlight(panel):
    panel.go(6)
    buffer, _, _ = panel.live.render()
    orange = (buffer[..., 0] > 200) & (buffer[..., 1] > 130) & (buffer[..., 1] < 180) & (
        buffer[..., 2] < 40)
    assert orange.sum() > 1000
