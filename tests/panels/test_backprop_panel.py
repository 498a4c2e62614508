"""The backpropagation panel, headless: numbers from the core trace, stepping, edits, training, exports."""

import csv
import dataclasses
import io
import math
import re

import numpy as np
import pytest
import traitlets
from matplotlib.text import Text

from explorer.core.backprop import Example, advance, trace, train
from explorer.core.backprop_lecture import AFTER, NOTES, PRINTED
from explorer.panels.backprop import BackpropPanel, full, short
from explorer.panels.backprop_state import FIELDS, MAX_UPDATES
from explorer.plots.fasttext import FastText
from explorer.plots.network_diagram import HIGHLIGHT

LECTURE = trace(Example.lecture())
NAMES = [s.name for s in LECTURE.steps]


@pytest.fixture
def panel():
    return BackpropPanel()


@pytest.fixture(scope="module")
def shared():
    """One panel for the tests that only step through it."""
    return BackpropPanel()


def at(panel, name):
    panel.go(NAMES.index(name) + 1)
    return panel


def lit_edges(panel):
    return {k for k, line in panel.diagram.lit_edges.items()
            if line.get_visible() and line.get_color() == HIGHLIGHT}


def lit_nodes(panel):
    return {n for n, c in panel.diagram.lit_circles.items() if c.get_visible() and c.get_linewidth() > 2}


def test_starts_at_the_lecture_example_and_its_first_step(panel):
    assert panel.state.example == Example.lecture()
    assert panel.state.step == 1 and panel.controls["step"].value == 1
    assert panel.controls["step"].max == len(LECTURE.steps) == 56
    assert [panel.controls[f].value for f in ("i1", "i2", "t1", "t2", "eta")] == [
        0.05, 0.10, 0.01, 0.99, 0.5]
    assert panel.controls["prev"].disabled and not panel.controls["next"].disabled
    assert panel.last_message == ("", "info")


@pytest.mark.parametrize("k", range(1, 57))
def test_every_step_shows_the_core_formula_and_value(shared, k):
    panel = shared
    panel.go(k)
    s = LECTURE.steps[k - 1]
    assert s.symbol_latex in panel.formula.value
    assert s.substituted_latex in panel.formula.value or s.substituted_latex == full(s.value)
    assert f"= {full(s.value)}" in panel.formula.value
    assert f"Step {k} of 56" in panel.formula.value and f"${s.symbol_latex}$" in panel.caption.get_text()
    nodes = set(s.involves) & set(panel.diagram.circles)
    assert lit_nodes(panel) == nodes


@pytest.mark.parametrize("name", [n for n in PRINTED if AFTER not in n])
def test_the_lecture_printed_values_appear_at_their_steps(shared, name):
    at(shared, name)
    math = re.search(r"\$\$(.*)\$\$", shared.formula.value).group(1)
    shown = re.search(r"-?\d+\.\d+", math.split("=")[-1]).group()
    assert shown == full(LECTURE.value(name))  # the lecture's 9 decimals
    if name not in NOTES:  # where the lecture rounded differently, the note says so (tested below)
        decimals = len(PRINTED[name].split(".")[1])
        assert round(float(shown), decimals) == pytest.approx(float(PRINTED[name]), abs=1e-12)


def test_the_notes_explain_where_the_lecture_differs(panel):
    at(panel, "E_total+")
    assert "Printed 0.291027924, exact 0.291027774" in panel.formula.value
    at(panel, "dE_o2/dout_h1")
    assert "double rounding" in panel.formula.value


def test_the_diagram_shows_values_as_the_forward_pass_reaches_them(panel):
    d = panel.diagram
    assert d.values["o1"].get_text() == "" and d.values["i1"].get_text() == "0.05"
    assert d.values["h1"].get_text() == f"net {short(LECTURE.value('net_h1'))}"  # step 1
    at(panel, "out_h1")
    assert d.values["h1"].get_text() == "net 0.3775\nout 0.5933"
    assert d.grads["h1"].get_text() == "" and d.labels["w5"].get_text() == "w5 = 0.4"
    at(panel, "E_total")
    assert d.values["E"].get_text() == short(LECTURE.value("E_total")) == "0.2984"


def test_gradients_appear_as_the_backward_steps_pass(panel):
    d = panel.diagram
    at(panel, "dnet_o1/dw5")
    assert "∂E/∂w5" not in d.labels["w5"].get_text()
    assert d.grads["o1"].get_text() == "∂E/∂out 0.7414\n∂out/∂net 0.1868"
    at(panel, "dE_total/dw5")
    assert d.labels["w5"].get_text() == "w5 = 0.4\n∂E/∂w5 0.08217"
    at(panel, "w5+")
    assert d.labels["w5"].get_text() == "w5: 0.4 → 0.3589\n∂E/∂w5 0.08217"
    assert d.grads["h1"].get_text() == ""
    at(panel, "dE_total/dout_h1")
    assert d.grads["h1"].get_text() == f"∂E/∂out {short(LECTURE.value('dE_total/dout_h1'))}"


def test_highlights_follow_the_trace_involves(panel):
    at(panel, "net_h1")
    assert lit_nodes(panel) == {"i1", "i2", "b1", "h1"}
    assert lit_edges(panel) == {"w1", "w2", "b1h1"}
    at(panel, "dE_total/dw1")
    assert lit_edges(panel) == {"w1", "o1E", "o2E"}  # weights only where involves names them
    at(panel, "dE_total/dout_h1")
    assert lit_edges(panel) == {"w5", "w7", "o1E", "o2E"}
    d = panel.diagram  # a lit edge is drawn over the plain one, thicker
    assert d.edges["w6"].get_linewidth() < d.lit_edges["w5"].get_linewidth()


def test_next_prev_and_slider_agree_and_clamp(panel):
    panel.prev()
    assert panel.state.step == 1
    for _ in range(3):
        panel.controls["next"].click()
    assert panel.state.step == panel.controls["step"].value == 4
    panel.controls["prev"].click()
    assert panel.state.step == 3
    panel.controls["step"].value = 56
    assert panel.state.step == 56 and panel.controls["next"].disabled
    panel.next()
    assert panel.state.step == 56
    panel.go(1000)
    assert panel.state.step == 56
    panel.go(-5)
    assert panel.state.step == 1 and panel.controls["step"].value == 1


def test_a_step_past_the_end_from_the_browser_is_refused_in_words(panel):
    with pytest.raises(traitlets.TraitError, match="step must be between 1 and 56, got 57"):
        panel.state.step = 57


def test_stepping_updates_artists_in_place_without_a_full_redraw(panel):
    artists = panel.diagram.artists()
    count = len(panel.live.figure.axes[0].get_children())
    panel.live.render()
    for k in (2, 30, 56):
        panel.go(k)
        _, _, full_redraw = panel.live.render()
        assert not full_redraw
    assert panel.diagram.artists() == artists
    assert len(panel.live.figure.axes[0].get_children()) == count


def test_a_step_redraws_only_what_it_changes(panel):
    d = panel.diagram
    assert not any(a.get_animated() for a in (*d.circles.values(), *d.edges.values()))  # background
    at(panel, "out_h1")
    panel.live.render()
    panel.next()  # net_h2: h2's value appears, the highlight moves to h2
    assert d.values["h2"].stale and d.lit_circles["h2"].stale
    assert not any(t.stale for t in (d.values["h1"], d.labels["w1"], d.labels["w5"], d.names["h1"]))


def test_the_diagram_texts_draw_the_pixels_a_plain_text_draws(panel, monkeypatch):
    """FastText pastes its pixels from a cache: the same as a matplotlib Text, up to rounding."""
    panel.live._set_scale(1)
    for name in ("w5+", "E_total+"):  # labels in boxes, mathtext (E_total, the caption)
        at(panel, name)
        panel.live._background = None
        fast = panel.live.render()[0].astype(int)
        with monkeypatch.context() as m:
            m.setattr(FastText, "draw", Text.draw)
            m.setattr(FastText, "get_window_extent", Text.get_window_extent)
            panel.live._background = None
            plain = panel.live.render()[0]
        assert np.abs(fast - plain).max() <= 2  # blending a box, then a text, rounds twice
        panel.live._background = None


def test_editing_w5_changes_its_gradient_shown(panel):
    at(panel, "dE_total/dw5")
    before = panel.formula.value
    panel.controls["w5"].value = 0.9
    expected = trace(dataclasses.replace(Example.lecture(), w=(0.15, 0.2, 0.25, 0.3, 0.9, 0.45, 0.5,
                                                                0.55)))
    assert panel.state.trace == expected
    assert panel.state.trace.steps[panel.state.step - 1].name == "dE_total/dw5"
    assert panel.formula.value != before
    assert f"= {full(expected.value('dE_total/dw5'))}" in panel.formula.value
    assert "0.9" in panel.diagram.labels["w5"].get_text()
    assert panel.state.history == [expected.value("E_total")]


@pytest.mark.parametrize("name", FIELDS)
def test_every_number_is_editable_and_the_trace_follows(panel, name):
    panel.controls[name].value = 0.7
    assert getattr(panel.state, name) == 0.7
    ex = panel.state.example
    value = ex.w[int(name[1]) - 1] if re.fullmatch(r"w\d", name) else getattr(ex, name)
    assert value == 0.7 and panel.state.trace == trace(ex)
    setattr(panel.state, name, 0.3)
    assert panel.controls[name].value == 0.3


@pytest.mark.parametrize("name, bad, words", [
    ("eta", -1.0, "eta must be a number > 0, got -1.0"),
    ("eta", 0.0, "eta must be a number > 0, got 0.0"),
    ("w3", float("nan"), "w3 must be finite, got nan"),
    ("i1", float("inf"), "i1 must be finite, got inf"),
    ("b2", -float("inf"), "b2 must be finite, got -inf"),
])
def test_nonsense_edits_are_explained_and_change_nothing(panel, name, bad, words):
    panel.go(15)
    before = panel.state.trace
    panel.controls[name].value = bad
    text, level = panel.last_message
    assert level == "error" and words in text and "nothing was changed" in text
    assert panel.state.trace is before and panel.state.step == 15
    assert panel.controls[name].value == getattr(panel.state, name)
    panel.controls["w1"].value = 0.2  # still works, and the message clears
    assert panel.state.example.w[0] == 0.2 and panel.last_message == ("", "info")


def test_a_non_number_is_refused_by_name(panel):
    with pytest.raises(traitlets.TraitError, match="w5 must be a finite number, got 'abc'"):
        panel.state.w5 = "abc"
    assert panel.state.w5 == 0.4


def test_biases_held_fixed_unless_asked(panel):
    assert "held fixed" in panel.bias_note.value
    panel.go(56)
    panel.controls["update_biases"].value = True
    tr = panel.state.trace
    assert len(tr.steps) == 60 and panel.controls["step"].max == 60
    assert tr.steps[panel.state.step - 1].name == "E_total+"  # the same step, by name
    assert "updated too" in panel.bias_note.value
    at_bias = [s.name for s in tr.steps].index("b1+") + 1
    panel.go(at_bias)
    assert "→" in panel.diagram.values["b1"].get_text()
    panel.controls["update_biases"].value = False
    assert panel.state.step == 56 and panel.controls["step"].max == 56


def test_apply_updates_the_weights_and_the_error_curve(panel):
    panel.controls["apply"].click()
    assert panel.state.example == LECTURE.updated()
    assert panel.controls["w5"].value == LECTURE.value("w5+")
    assert panel.state.history == [LECTURE.value("E_total"), LECTURE.value("E_total+")]
    assert list(panel.error_line.get_ydata()) == panel.state.history
    assert "0.298371109 → 0.291027774" in panel.last_message[0]
    assert "after 1 update: <b>0.291027774</b> (lecture prints 0.291027924" in panel.milestones.value


def test_train_matches_the_core_and_quotes_the_lecture(panel):
    panel.controls["n_updates"].value = 10_000
    panel.controls["train"].click()
    errors = train(Example.lecture(), 10_000)
    assert panel.state.history[1:] == errors and len(panel.state.history) == 10_001
    assert panel.state.example == advance(Example.lecture(), 10_000)
    assert full(errors[-1]) == "0.000035102"
    assert "0.000035102" in panel.last_message[0]
    assert "(lecture prints 0.000035085" in panel.milestones.value
    assert "after 1: 0.291027774 (lecture prints 0.291027924" in panel.milestones.value
    line = panel.error_line
    assert list(line.get_xdata()) == list(range(10_001)) and line.get_ydata()[-1] == errors[-1]
    assert panel.curve_ax.get_yscale() == "log"


def test_train_after_apply_continues_the_curve(panel):
    panel.apply()
    panel.train(5)
    assert panel.state.history[2:] == train(LECTURE.updated(), 5)


@pytest.mark.parametrize("n", [0, -3, MAX_UPDATES + 1, 10**9])
def test_bad_n_updates_are_explained_and_change_nothing(panel, n):
    panel.controls["n_updates"].value = n
    text, level = panel.last_message
    assert level == "error" and "between 1 and 100,000" in text
    assert panel.state.n_updates == panel.controls["n_updates"].value == 10_000
    panel.train(n)
    assert panel.last_message[1] == "error" and len(panel.state.history) == 1
    assert panel.state.example == Example.lecture()


def test_reset_returns_to_the_lecture(panel):
    panel.controls["w2"].value = 0.9
    panel.train(50)
    panel.go(30)
    panel.controls["reset"].click()
    assert panel.state.example == Example.lecture() and panel.state.step == 1
    assert panel.controls["w2"].value == 0.2
    assert panel.state.history == [LECTURE.value("E_total")]


def test_equal_weights_keep_the_hidden_neurons_equal(panel):
    """The notebook's claim: with all weights equal, h1 and h2 stay identical under training."""
    for n in range(1, 9):
        panel.controls[f"w{n}"].value = 0.5
    panel.train(200)
    tr = panel.state.trace
    assert tr.value("out_h1") == tr.value("out_h2")
    assert tr.value("dE_total/dout_h1") == tr.value("dE_total/dout_h2")


def test_csv_export_has_one_row_per_step(panel):
    rows = list(csv.reader(io.StringIO(panel.export("csv"))))
    assert rows[0] == ["name", "formula", "value"]
    assert [r[0] for r in rows[1:]] == NAMES
    assert [float(r[2]) for r in rows[1:]] == [s.value for s in LECTURE.steps]


def test_markdown_and_latex_exports(panel):
    md = panel.export("markdown").splitlines()
    assert md[0] == "| name | formula | value |" and md[1] == "|---|---|---|"
    assert len(md) == 2 + 56
    tex = panel.export("latex")
    assert tex.startswith(r"\begin{tabular}") and tex.rstrip().endswith(r"\end{tabular}")
    with pytest.raises(ValueError, match="unknown export format 'pdf'; choose one of: csv"):
        panel.export("pdf")


@pytest.mark.parametrize("fmt, label", [("csv", "CSV"), ("markdown", "Markdown"), ("latex", "LaTeX")])
def test_trace_exports_show_the_text_and_download_from_the_save_row(panel, fmt, label):
    panel.controls["update_biases"].value = True
    panel.controls["export_format"].value = fmt
    panel.controls["export"].click()
    text = panel.export(fmt)
    assert panel.export_text.value == text and ("b1+" in text or "b_{1}^{+}" in text)
    bar = panel.view and panel.export_bar
    sent = []
    bar.downloader.save = lambda filename, mime, data: sent.append((filename, data))
    bar.what.value = f"trace as {label}"
    bar.button.click()
    assert sent and sent[0][0].startswith("backprop_trace.") and sent[0][1].decode() == text


def test_compare_table_lists_every_printed_number_with_the_notes(panel):
    table = panel.compare.value
    for name, printed in PRINTED.items():
        assert printed in table, name
    assert table.count("✓") == len(PRINTED) - len(NOTES) and table.count("✗") == len(NOTES)
    assert "0.000035101878" in table and "double rounding" in table


def test_the_figures_render_pixels(panel):
    panel.go(15)
    buffer, _, _ = panel.live.render()
    assert buffer.shape == (900, 1800, 4)
    highlighted = (buffer[..., 0] > 200) & (buffer[..., 1] > 130) & (buffer[..., 1] < 180) & (
        buffer[..., 2] < 40)
    assert highlighted.sum() > 1000  # the orange of the current step
    curve, _, _ = panel.curve.render()
    assert curve.std() > 0 and math.isfinite(panel.error_line.get_ydata()[0])
