"""The activation panel, headless: controls -> state -> artists, state -> controls, bad input."""

import math

import numpy as np
import pytest
import traitlets

from explorer.core.activations import get_activation
from explorer.panels.activations import D_BOX, FULL_BOX, G_BOX, PALETTE, ActivationPanel
from explorer.panels.activations_state import N_SAMPLES, NAMES, ActivationState
from explorer.plots.activation_plots import readout


@pytest.fixture
def panel():
    return ActivationPanel()


@pytest.fixture(autouse=True)
def no_callback_bugs(caplog):
    """A bug inside a callback is shown as a message and logged; a later update can hide it."""
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    bugs = [r for r in records if r.name == "explorer" and r.levelname == "ERROR"]
    assert not bugs, bugs[0].getMessage()


def shown_lines(panel):
    return [n for n, line in panel.lines_g.items() if line.get_visible()]


def still_works(panel):
    """A later, valid change still reaches the figure."""
    panel.controls["z_probe"].value = 0.5
    name = panel.state.functions[0]
    assert panel.rows[name].g.get_text() == readout(float(get_activation(name).f(0.5)))


def test_defaults(panel):
    s = panel.state
    assert s.functions == ("sigmoid", "tanh", "relu")
    assert (s.alpha, s.A, s.S, s.z_min, s.z_max) == (0.1, 1.7159, 2 / 3, -6.0, 6.0)
    assert shown_lines(panel) == ["sigmoid", "tanh", "relu"]
    assert panel.controls["functions"].value == s.functions
    assert panel.controls["z_range"].value == (-6.0, 6.0)
    colors = [panel.lines_g[n].get_color() for n in s.functions]
    assert colors == PALETTE[:3]
    assert panel.last_message == ("", "info")


def test_one_line_per_function_per_axes(panel):
    assert set(panel.lines_g) == set(panel.lines_d) == set(NAMES)
    lines_before = len(panel.ax_g.lines) + len(panel.ax_d.lines)
    panel.controls["functions"].value = NAMES
    panel.controls["alpha"].value = 0.3
    assert len(panel.ax_g.lines) + len(panel.ax_d.lines) == lines_before


@pytest.mark.parametrize("name", NAMES)
def test_checkbox_shows_curve_and_derivative_from_core(panel, name):
    panel.controls["functions"].boxes[name].value = True
    assert name in panel.state.functions
    g, z = panel.state.activation(name), panel.state.grid()
    line, dline = panel.lines_g[name], panel.lines_d[name]
    assert line.get_visible() and dline.get_visible()
    np.testing.assert_array_equal(line.get_xdata(), z)
    np.testing.assert_array_equal(line.get_ydata(), g.f(z))
    np.testing.assert_array_equal(dline.get_ydata(), g.df(z))


def test_colours_distinct_and_kept(panel):
    before = panel.lines_g["tanh"].get_color()
    panel.controls["functions"].value = NAMES[:7]
    colors = [panel.lines_g[n].get_color() for n in NAMES[:7]]
    assert len(set(colors)) == 7
    assert panel.lines_g["tanh"].get_color() == before


def test_parameters_reach_the_curves(panel):
    panel.controls["functions"].value = ("leaky_relu", "scaled_tanh")
    panel.controls["alpha"].value = 0.3
    panel.controls["A"].value = 1.0
    panel.controls["S"].value = 2.0
    z = panel.state.grid()
    assert (panel.state.alpha, panel.state.A, panel.state.S) == (0.3, 1.0, 2.0)
    np.testing.assert_allclose(panel.lines_g["leaky_relu"].get_ydata(), np.maximum(0.3 * z, z))
    np.testing.assert_allclose(panel.lines_g["scaled_tanh"].get_ydata(), np.tanh(2 * z))
    dy = panel.lines_d["scaled_tanh"].get_ydata()
    np.testing.assert_allclose(dy, 2 * (1 - np.tanh(2 * z) ** 2))
    assert "0.3" in panel.formulas.value


def test_z_range_moves_grid_and_probe(panel):
    panel.controls["z_range"].value = (2.0, 5.0)
    assert (panel.state.z_min, panel.state.z_max) == (2.0, 5.0)
    assert panel.lines_g["sigmoid"].get_xdata()[[0, -1]].tolist() == [2.0, 5.0]
    assert panel.ax_g.get_xlim() == (2.0, 5.0)
    probe = panel.controls["z_probe"]
    assert (probe.min, probe.max) == (2.0, 5.0)
    assert panel.state.z_probe == probe.value == 2.0  # 1.5 was outside: clamped to the range


def test_probe_reads_core_values(panel):
    panel.controls["z_probe"].value = -0.7
    assert panel.state.z_probe == -0.7
    line_g, dots_g = panel.probe_g
    line_d, dots_d = panel.probe_d
    assert list(line_g.get_xdata()) == list(line_d.get_xdata()) == [-0.7, -0.7]
    for k, name in enumerate(panel.state.functions):
        g = get_activation(name)
        assert panel.rows[name].g.get_text() == readout(float(g.f(-0.7)))
        assert panel.rows[name].dg.get_text() == readout(float(g.df(-0.7)))
        assert dots_g.get_offsets()[k].tolist() == [-0.7, float(g.f(-0.7))]
        assert dots_d.get_offsets()[k].tolist() == [-0.7, float(g.df(-0.7))]
    assert panel.header.get_text() == "z = -0.70"
    assert not panel.rows["step"].g.get_visible()


def test_probe_move_leaves_curves_alone(panel):
    ydata = {n: panel.lines_g[n].get_ydata() for n in panel.state.functions}
    counts = panel.stairs.get_data().values
    panel.controls["z_probe"].value = 3.0
    assert all(panel.lines_g[n].get_ydata() is y for n, y in ydata.items())
    assert panel.stairs.get_data().values is counts


def visible_spans(bands):
    return [(b.get_x(), b.get_x() + b.get_width()) for b in bands if b.get_visible()]


def test_sigmoid_saturation_shaded(panel):
    assert panel.state.hist_function == "sigmoid"
    edge = math.log((1 + math.sqrt(0.8)) / (1 - math.sqrt(0.8)))  # sigmoid' = 0.05 at |z| = 2.887
    spans = visible_spans(panel.bands_g)
    assert spans == visible_spans(panel.bands_d)
    assert len(spans) == 2
    (a0, a1), (b0, b1) = spans
    assert a0 == -6.0 and b1 == 6.0
    assert abs(a1 + edge) < 0.03 and abs(b0 - edge) < 0.03
    assert "0.05" in panel.caption.get_text() and "vanish" in panel.caption.get_text()


def test_relu_and_step_saturation(panel):
    panel.controls["hist_function"].value = "relu"
    assert visible_spans(panel.bands_g) == [(-6.0, 0.0)]
    panel.controls["functions"].boxes["step"].value = True
    panel.controls["hist_function"].value = "step"
    assert visible_spans(panel.bands_g) == []
    assert "no gradient" in panel.caption.get_text()


def test_histogram_saturates_for_large_sigma(panel):
    panel.controls["sigma"].value = 20.0
    counts, edges, _ = panel.stairs.get_data()
    assert counts.sum() == N_SAMPLES
    assert (edges[0], edges[-1]) == (0.0, 1.0)
    assert (counts[:2].sum() + counts[-2:].sum()) / N_SAMPLES > 0.8
    assert "20" in panel.hist_note.get_text()
    panel.controls["sigma"].value = 0.1
    counts = panel.stairs.get_data().values
    assert counts.sum() == N_SAMPLES and counts[15:25].sum() == N_SAMPLES  # a within 0.5 +- 0.125


def test_histogram_follows_the_chosen_function(panel):
    panel.controls["hist_function"].value = "tanh"
    counts, edges, _ = panel.stairs.get_data()
    assert (edges[0], edges[-1]) == (-1.0, 1.0) and counts.sum() == N_SAMPLES
    assert panel.stairs.get_edgecolor()[:3] == pytest.approx((0.902, 0.624, 0.0), abs=0.01)
    panel.controls["hist_function"].value = "relu"
    panel.controls["sigma"].value = 2.0
    counts, edges, _ = panel.stairs.get_data()
    assert edges[0] == 0.0 and edges[-1] == pytest.approx(8.0)
    assert counts.sum() == N_SAMPLES


def test_dropdown_offers_shown_functions(panel):
    focus = panel.controls["hist_function"]
    panel.controls["hist_function"].value = "tanh"
    panel.controls["functions"].boxes["step"].value = True
    assert focus.options == ("step", "sigmoid", "tanh", "relu")
    assert focus.value == panel.state.hist_function == "tanh"
    panel.controls["functions"].boxes["tanh"].value = False
    assert focus.value == panel.state.hist_function == "step"


def test_hide_derivative(panel):
    panel.controls["show_derivative"].value = False
    assert not panel.ax_d.get_visible()
    assert not any(line.get_visible() for line in panel.lines_d.values())
    assert not any(a.get_visible() for a in panel.probe_d)
    assert list(panel.ax_g.get_position().bounds) == pytest.approx(FULL_BOX)
    panel.controls["show_derivative"].value = True
    assert panel.ax_d.get_visible() and panel.lines_d["tanh"].get_visible()
    assert list(panel.ax_g.get_position().bounds) == pytest.approx(G_BOX)
    assert list(panel.ax_d.get_position().bounds) == pytest.approx(D_BOX)


def test_state_to_controls(panel):
    s, c = panel.state, panel.controls
    s.functions = ("tanh", "linear")
    assert c["functions"].value == ("linear", "tanh")
    assert c["functions"].boxes["linear"].value and not c["functions"].boxes["sigmoid"].value
    s.alpha, s.A, s.S, s.sigma = 0.25, 1.2, 0.5, 3.0
    assert (c["alpha"].value, c["A"].value, c["S"].value, c["sigma"].value) == (0.25, 1.2, 0.5, 3.0)
    s.set_range(-2.0, 3.0)
    assert c["z_range"].value == (-2.0, 3.0)
    s.z_probe = 2.5
    assert c["z_probe"].value == 2.5 and (c["z_probe"].min, c["z_probe"].max) == (-2.0, 3.0)
    s.hist_function = "linear"
    assert c["hist_function"].value == "linear"
    s.show_derivative = False
    assert c["show_derivative"].value is False


def test_reset(panel):
    panel.controls["alpha"].value = 0.5
    panel.controls["z_range"].value = (10.0, 12.0)
    panel.controls["functions"].value = ("step",)
    panel.controls["reset"].click()
    assert panel.state.functions == ("sigmoid", "tanh", "relu")
    assert (panel.state.alpha, panel.state.z_min, panel.state.z_max) == (0.1, -6.0, 6.0)
    assert panel.controls["z_range"].value == (-6.0, 6.0)


# Bad input: rejected values leave the state as it was and say why; allowed extremes say what
# they mean.
REJECTED = [
    ("alpha", 1.5, "from 0 to 1"),
    ("alpha", -0.2, "from 0 to 1"),
    ("alpha", float("nan"), "finite"),
    ("alpha", float("inf"), "finite"),
    ("A", float("nan"), "finite"),
    ("A", -1.0, "from 0 to 3"),
    ("S", float("-inf"), "finite"),
    ("sigma", float("nan"), "finite"),
    ("sigma", 50.0, "from 0.1 to 20"),
    ("z_probe", 9.0, "from -6 to 6"),
    ("z_probe", float("inf"), "finite"),
    ("z_range", (3.0, 3.0), "empty"),
    ("z_range", (5.0, -2.0), "empty"),
    ("z_range", (float("nan"), 2.0), "finite"),
    ("z_range", (-1.0, float("inf")), "finite"),
    ("functions", ("sigmoid", "softmax"), "unknown function 'softmax'"),
]


@pytest.mark.parametrize("control, value, words", REJECTED)
def test_rejected_input(panel, control, value, words):
    before = panel.state.trait_values()
    panel.controls[control].value = value
    text, level = panel.last_message
    assert level == "error" and words in text
    assert panel.state.trait_values() == before
    if control == "z_range":
        assert "keeping z from -6 to 6" in text
        assert panel.controls["z_range"].value == (-6.0, 6.0)
    elif control != "functions":
        assert panel.controls[control].value == getattr(panel.state, control)
    else:
        assert panel.controls["functions"].value == before["functions"]
        assert not panel.controls["functions"].boxes["step"].value
    still_works(panel)
    assert panel.last_message == ("", "info")


def test_browser_float_noise_is_not_an_error(panel):
    """A browser slider snaps to its step in float arithmetic; that noise must not matter."""
    panel.controls["A"].set_state({"value": 1.7159000000000004})  # as the browser sends it
    panel.controls["sigma"].set_state({"value": 20.000000000000004})  # 10 ** log10(20)
    panel.controls["z_range"].set_state({"value": [-4.000000000000001, 6.000000000000001]})
    assert (panel.state.A, panel.state.sigma) == (1.7159, 20.0)
    assert (panel.state.z_min, panel.state.z_max) == (-4.0, 6.0)
    assert panel.last_message == ("", "info")
    panel.state.S = 2 / 3
    assert panel.controls["S"].value == 2 / 3  # an exact value from Python is kept
    panel.state.alpha = 3e-266
    assert panel.controls["alpha"].value == 3e-266  # however small


def test_formulas_typeset_beside_the_figure(panel):
    text = panel.formulas.value
    assert text.count("$") == 2 * len(panel.state.functions)
    assert r"\dfrac{1}{1 + e^{-z}}" in text and r"\max(0, z)" in text
    panel.controls["functions"].value = ("piecewise_linear",)
    assert "&lt;" in panel.formulas.value and "sigmoid" not in panel.formulas.value


def test_alpha_zero_is_relu(panel):
    panel.controls["functions"].boxes["leaky_relu"].value = True
    panel.controls["alpha"].value = 0.0
    text, level = panel.last_message
    assert level == "info" and "ReLU" in text
    np.testing.assert_array_equal(panel.lines_g["leaky_relu"].get_ydata(),
                                  panel.lines_g["relu"].get_ydata())
    still_works(panel)


@pytest.mark.parametrize("param", ["A", "S"])
def test_scaled_tanh_zero_allowed_with_warning(panel, param):
    panel.controls["functions"].boxes["scaled_tanh"].value = True
    panel.controls[param].value = 0.0
    text, level = panel.last_message
    assert level == "warning" and "no gradient" in text
    assert getattr(panel.state, param) == 0.0
    assert not np.any(panel.lines_g["scaled_tanh"].get_ydata())
    panel.controls["hist_function"].value = "scaled_tanh"
    assert "flat" in panel.caption.get_text()
    panel.controls[param].value = 1.0
    assert panel.last_message == ("", "info")


def test_no_function_selected(panel):
    panel.controls["functions"].value = ()
    text, level = panel.last_message
    assert level == "warning" and "choose at least one function" in text.lower()
    assert shown_lines(panel) == [] and not panel.stairs.get_visible()
    assert len(panel.probe_g[1].get_offsets()) == 0
    assert panel.controls["hist_function"].options == ()
    panel.controls["z_probe"].value = 2.0  # the panel keeps working with nothing to show
    panel.controls["functions"].boxes["tanh"].value = True
    assert shown_lines(panel) == ["tanh"] and panel.state.hist_function == "tanh"
    assert panel.rows["tanh"].g.get_text() == readout(math.tanh(2.0))
    assert panel.last_message == ("", "info")


def test_state_rejects_directly():
    s = ActivationState()
    with pytest.raises(traitlets.TraitError, match="unknown function"):
        s.functions = ("relu", "foo")
    with pytest.raises(traitlets.TraitError, match="not shown"):
        s.hist_function = "step"
    with pytest.raises(traitlets.TraitError, match="empty"):
        s.z_min = 6.0
    with pytest.raises(traitlets.TraitError, match="keeping z from -6 to 6"):
        s.set_range(4.0, 1.0)
    assert (s.z_min, s.z_max, s.functions) == (-6.0, 6.0, ("sigmoid", "tanh", "relu"))
    s.sigma = 20.0000000001  # within rounding noise of the bound: the bound
    assert s.sigma == 20.0
    with pytest.raises(traitlets.TraitError, match="from 0.1 to 20"):
        s.sigma = 20.01


def test_renders_pixels(panel):
    rgba, _, full = panel.live.render()
    assert full
    ink = np.any(rgba[..., :3] < 200, axis=-1)
    assert ink.mean() > 0.05
    blue = np.all(np.abs(rgba[..., :3].astype(int) - (0, 114, 178)) < 30, axis=-1)
    assert blue.sum() > 500  # the sigmoid curve and histogram are drawn
    assert panel.live.png()[:8] == b"\x89PNG\r\n\x1a\n"
