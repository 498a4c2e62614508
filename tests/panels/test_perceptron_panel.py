"""The perceptron panel, headless: controls -> state -> artists, state -> controls, learning by
step/epoch/play, XOR's cycle and the two-layer answer, and bad input that leaves it working."""

import math
import re

import numpy as np
import pytest
import traitlets

from explorer.core import perceptron as P
from explorer.panels.perceptron import NO_LINE, PerceptronPanel
from explorer.panels.perceptron_state import BOX, PerceptronState
from explorer.plots.perceptron_plots import LIGHT, num

LECTURE_HIDDEN = {  # the lecture's table, columns AND(x1, not x2), AND(not x1, x2), OR(...)
    "h1": [-1, -1, 1, -1],
    "h2": [-1, 1, -1, -1],
    "y": [-1, 1, 1, -1],
}


@pytest.fixture
def panel():
    return PerceptronPanel()


def line_xy(panel):
    line = panel.a["line"]
    return np.column_stack([line.get_xdata(), line.get_ydata()])


def table_rows(html_text, table=0):
    """Cells of the rows of the table number `table` in the HTML (header row excluded)."""
    body = re.findall(r"<table.*?</table>", html_text)[table]
    rows = re.findall(r"<tr style.*?</tr>", body)
    return [[c.replace("\u2212", "-") for c in re.findall(r"<td[^>]*>(.*?)</td>", r)][1:]
            for r in rows]


def marked_row(html_text):
    """Index of the row of the first table that carries the last-example marker."""
    body = re.findall(r"<table.*?</table>", html_text)[0]
    rows = re.findall(r"<tr style.*?</tr>", body)
    return [i for i, r in enumerate(rows) if "&#9654;" in r]


def shown_points(panel, key="points"):
    """(class 0 offsets, class 1 offsets) of a pair of class scatters."""
    return [np.asarray(s.get_offsets()) for s in panel.a[key]]


def assert_line_is_z0(panel):
    w, b = panel.state.weights()
    xy = line_xy(panel)
    assert xy.shape == (2, 2)
    np.testing.assert_allclose(xy @ w + b, 0.0, atol=1e-9)
    lo, hi = BOX[panel.state.encoding]
    assert np.all((xy >= lo - 1e-9) & (xy <= hi + 1e-9))


def shaded(panel, x, key="regions"):
    """True if the point x (2,) lies in the class-1 (t = 1) region drawn."""
    return any(path.contains_point(x) for path in panel.a[key].get_paths())


SAMPLES = np.random.default_rng(0).uniform(-1.5, 1.5, size=(200, 2))


def learn_to_the_end(panel, max_epochs=100):
    for _ in range(max_epochs):
        if panel.state.verdict_reached:
            return
        panel.epoch()
    raise AssertionError("the run did not reach its verdict")


def still_works(panel):
    """A later, valid change still reaches the figure."""
    panel.controls["gate"].value = "OR"
    panel.controls["w1"].value = 0.5
    assert panel.state.w1 == 0.5
    assert_line_is_z0(panel)
    before = panel.state.steps
    assert panel.epoch() >= 1 and panel.state.steps > before


def test_defaults_are_the_lecture_example(panel):
    s = panel.state
    assert (s.gate, s.encoding, s.w1, s.w2, s.b, s.lr) == ("AND", "pm1", 0.79, 0.96, 0.66, 0.1)
    assert [panel.controls[k].value for k in ("w1", "w2", "b")] == [0.79, 0.96, 0.66]
    assert panel.controls["w"].value == "0.79, 0.96, 0.66"
    assert_line_is_z0(panel)
    assert panel.a["head"].get_text().endswith("mistakes: 2/4")
    assert panel.ax_in.get_xlim() == BOX["pm1"] == (-1.5, 1.5)
    assert panel.last_message[1] == "info"


def test_points_by_target_and_mistake_rings(panel):
    neg, pos = shown_points(panel)
    np.testing.assert_array_equal(neg, [[-1, -1], [-1, 1], [1, -1]])
    np.testing.assert_array_equal(pos, [[1, 1]])
    X, t = P.gate("AND")
    wrong = P.predict(X, P.LECTURE_W, P.LECTURE_B) != t
    np.testing.assert_array_equal(panel.a["mistakes"].get_offsets(), X[wrong])
    assert len(panel.a["last"].get_offsets()) == 0


@pytest.mark.parametrize("w1, w2, b", [(1.0, -0.5, 0.2), (-2.0, 0.3, -1.0), (0.0, 1.0, 0.5)])
def test_sliders_move_line_shading_and_table(panel, w1, w2, b):
    for name, value in zip(("w1", "w2", "b"), (w1, w2, b)):
        panel.controls[name].value = value
    assert (panel.state.w1, panel.state.w2, panel.state.b) == (w1, w2, b)
    assert_line_is_z0(panel)
    assert panel.a["no_line"].get_text() == ""
    # shading: the class-1 colour exactly where w.x + b > 0 (samples off the line)
    z = SAMPLES @ [w1, w2] + b
    for x in SAMPLES[np.abs(z) > 1e-3]:
        assert shaded(panel, x) == (w1 * x[0] + w2 * x[1] + b > 0)
    # table: z and y as the core computes them
    X, t = P.gate("AND")
    rows = table_rows(panel.table.value)
    z = X @ np.array([w1, w2]) + b
    y = P.predict(X, [w1, w2], b)
    for row, zi, yi, ti in zip(rows, z, y, t):
        assert float(row[2]) == pytest.approx(zi, abs=1e-3)
        assert float(row[3]) == yi and float(row[4]) == ti
    assert panel.table.value.count("background:") == P.mistakes(X, t, [w1, w2], b)


def test_state_drives_the_controls(panel):
    panel.state.w2 = -0.25
    assert panel.controls["w2"].value == -0.25
    panel.state.w1 = 7.5  # allowed but beyond the slider: the slider stretches instead of clamping
    assert panel.controls["w1"].value == 7.5 and panel.state.w1 == 7.5
    panel.state.gate, panel.state.encoding, panel.state.lr = "nor", "01", 0.5
    assert panel.controls["gate"].value == "NOR"
    assert panel.controls["encoding"].value == "01"
    assert panel.controls["lr"].value == 0.5
    assert panel.controls["w"].value == "7.5, -0.25, 0.66"


def test_typed_weight_vector(panel):
    panel.controls["w"].value = "[1, 1, -1.5]"
    assert (panel.state.w1, panel.state.w2, panel.state.b) == (1.0, 1.0, -1.5)
    assert panel.last_message[1] != "error"
    assert P.mistakes(*P.gate("AND"), [1, 1], -1.5) == 0
    assert panel.a["head"].get_text().endswith("mistakes: 0/4")


def test_encoding_changes_box_points_and_caption(panel):
    panel.controls["encoding"].value = "01"
    assert panel.ax_in.get_xlim() == panel.ax_in.get_ylim() == (-0.5, 1.5)
    neg, pos = shown_points(panel)
    np.testing.assert_array_equal(neg, [[0, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(pos, [[1, 1]])
    assert "step(z)" in panel.table.value and "sign(z)" not in panel.table.value
    assert panel.a["f"].get_text().startswith("f = step")
    assert [t.get_text() for t in panel._legends[False].get_texts()[:2]] == ["t = 0", "t = 1"]
    assert_line_is_z0(panel)
    panel.controls["encoding"].value = "pm1"
    assert "sign(z)" in panel.table.value
    assert panel.a["f"].get_text().startswith("f = sign")


def test_one_update_follows_the_rule(panel):
    w0, b0 = panel.state.weights()
    panel.controls["update"].click()  # x = (-1, -1), t = -1, z = -1.09: correct, no change
    assert panel.state.steps == 1
    np.testing.assert_array_equal(panel.state.weights()[0], w0)
    np.testing.assert_array_equal(panel.a["last"].get_offsets(), [[-1, -1]])
    assert "correct, no change" in panel.a["step"].get_text()
    panel.controls["update"].click()  # x = (-1, 1), t = -1, y = +1: w += 0.1 * (-2) * x
    w, b = panel.state.weights()
    np.testing.assert_allclose(w, w0 + 0.1 * -2 * np.array([-1, 1]))
    assert b == pytest.approx(b0 - 0.2)
    assert_line_is_z0(panel)
    assert "mistake" in panel.a["step"].get_text()
    assert marked_row(panel.table.value) == [1]


@pytest.mark.parametrize("encoding", ["pm1", "01"])
@pytest.mark.parametrize("gate", ["AND", "OR"])
def test_step_and_epoch_learn_and_or(panel, gate, encoding):
    panel.controls["gate"].value = gate
    panel.controls["encoding"].value = encoding
    panel.step(3)
    learn_to_the_end(panel)
    X, t = panel.state.data()
    w, b = panel.state.weights()
    assert P.mistakes(X, t, w, b, encoding) == 0
    assert panel.a["head"].get_text().endswith("mistakes: 0/4")
    assert len(panel.a["mistakes"].get_offsets()) == 0
    assert panel.table.value.count("background:") == 0
    assert panel.last_message[0].startswith("Converged") and panel.last_message[1] == "info"
    counts = panel.a["hist"].get_ydata()
    assert len(counts) == panel.state.steps // 4 and counts[-1] == 0
    assert panel.epoch() == 0  # nothing more to learn


def test_play_ticks_one_update_each_and_stops_at_the_end(panel):
    play = panel.controls["play"]
    play.value += 1
    play.value += 1
    assert panel.state.steps == 2
    play.playing = True
    while panel.state.steps < panel.state.recorded:
        play.value += 1
    assert play.playing
    play.value += 1  # one tick past the end of a converged run
    assert not play.playing
    play.value = 0  # the stop button rewinds the counter: not a step
    assert panel.state.steps == panel.state.recorded


def test_xor_cycles_and_the_verdict_says_so(panel):
    panel.controls["gate"].value = "XOR"
    learn_to_the_end(panel)
    text, level = panel.last_message
    assert level == "warning"
    assert "No line separates these points" in text and "cycles forever" in text
    # the replay goes on cycling: the weights come back, the mistakes never stop
    first, now = panel.state.history.cycle
    w_start, b_start = panel.state.weights()
    for _ in range(3 * (now - first)):
        panel.epoch()
    w_end, b_end = panel.state.weights()
    np.testing.assert_array_equal(w_end, w_start)
    assert b_end == b_start
    counts = panel.a["hist"].get_ydata()
    assert len(counts) == panel.state.steps // 4 and np.all(counts > 0)
    assert "cycles forever" in panel.last_message[0]


def test_two_layer_answer_matches_the_lecture(panel):
    assert panel.controls["two_layer"].disabled  # only for XOR
    panel.controls["gate"].value = "XOR"
    assert not panel.controls["two_layer"].disabled
    panel.controls["two_layer"].value = True
    assert panel.state.show_two_layer
    assert panel.ax_hid.get_visible() and not panel.ax_rule.get_visible()
    rows = np.array(table_rows(panel.table.value, table=1), dtype=float)
    np.testing.assert_array_equal(rows[:, :2], P.gate("XOR")[0])
    np.testing.assert_array_equal(rows[:, 2], LECTURE_HIDDEN["h1"])
    np.testing.assert_array_equal(rows[:, 3], LECTURE_HIDDEN["h2"])
    np.testing.assert_array_equal(rows[:, 4], LECTURE_HIDDEN["y"])
    # hidden space: t = -1 points at (-1, -1) (twice), t = 1 at (-1, 1) and (1, -1)
    neg, pos = shown_points(panel, "h_points")
    np.testing.assert_array_equal(neg, [[-1, -1], [-1, -1]])
    np.testing.assert_array_equal(pos, [[-1, 1], [1, -1]])
    # the output unit's line separates them; the two hidden lines are drawn in input space
    out = panel.a["out"]
    seg = np.column_stack([out.get_xdata(), out.get_ydata()])
    np.testing.assert_allclose(seg @ [1, 1] + 1, 0, atol=1e-9)
    for line, w in zip(panel.a["hidden"], ([1, -1], [-1, 1])):
        seg = np.column_stack([line.get_xdata(), line.get_ydata()])
        np.testing.assert_allclose(seg @ w - 1, 0, atol=1e-9)
    assert len(line_xy(panel)) == 0  # the single perceptron's line is not shown
    X, _ = P.gate("XOR")
    net = P.xor_network()
    _, y = net.forward(SAMPLES)
    for x, yi in zip(SAMPLES, y):
        if np.all(np.abs(net.W_hidden @ x + net.b_hidden) > 1e-3):
            assert shaded(panel, x) == (yi > 0)
    for x in SAMPLES:
        if abs(x.sum() + 1) > 1e-3:
            assert shaded(panel, x, "h_regions") == (x.sum() + 1 > 0)
    assert all(panel.controls[k].disabled for k in ("update", "epoch", "play"))
    panel.controls["two_layer"].value = False
    assert not panel.controls["update"].disabled and len(line_xy(panel)) == 2
    assert panel.a["hidden"][0].get_xdata().size == 0


def test_zero_weights_say_there_is_no_line(panel):
    panel.controls["w1"].value = 0.0
    panel.controls["w2"].value = 0.0
    text, level = panel.last_message
    assert NO_LINE in text and level == "warning"
    assert panel.a["no_line"].get_text().startswith("w = 0: no line")
    assert len(line_xy(panel)) == 0
    assert all(shaded(panel, x) for x in SAMPLES)  # b = 0.66 > 0: all on the + side
    assert panel.a["head"].get_text().endswith("mistakes: 3/4")
    panel.step(1)  # learning from w = 0 works
    assert panel.state.steps == 1
    still_works(panel)


@pytest.mark.parametrize("value", [-1.0, 0.0, math.nan, math.inf, -math.inf, 1e7])
def test_bad_learning_rate_is_rejected(panel, value):
    panel.controls["lr"].value = value
    text, level = panel.last_message
    assert level == "error" and text.startswith("lr must be a finite number > 0")
    assert panel.state.lr == 0.1 and panel.controls["lr"].value == 0.1
    still_works(panel)


def test_huge_learning_rate_is_allowed_and_explained(panel):
    panel.controls["lr"].value = 1e6
    assert panel.state.lr == 1e6
    assert "scale-free" in panel.last_message[0]
    learn_to_the_end(panel)
    assert panel.last_message[0].count("Converged") == 1
    still_works(panel)


@pytest.mark.parametrize("typed", ["50, 0, 0", "nan, 1, 1", "1, inf, 0", "1, 2", "one, two, three"])
def test_bad_typed_weights_are_rejected(panel, typed):
    panel.controls["w"].value = typed
    assert panel.last_message[1] == "error"
    assert re.search(r"w1 must|w2 must|b must|w must be three numbers", panel.last_message[0])
    assert (panel.state.w1, panel.state.w2, panel.state.b) == (0.79, 0.96, 0.66)
    assert panel.controls["w"].value == "0.79, 0.96, 0.66"
    still_works(panel)


@pytest.mark.parametrize("trait, value, allowed", [
    ("gate", "XNOR", "AND, OR, NAND, NOR, XOR"),
    ("encoding", "bin", "pm1"),
    ("w1", 50.0, "[-10, 10]"),
    ("b", math.nan, "[-10, 10]"),
])
def test_values_from_the_wire_are_rejected_with_the_allowed_list(panel, trait, value, allowed):
    before = getattr(panel.state, trait)
    with pytest.raises(traitlets.TraitError, match=re.escape(allowed)):
        setattr(panel.state, trait, value)
    panel.guard(setattr)(panel.state, trait, value)  # as a callback would: shown, not raised
    assert panel.last_message[1] == "error" and allowed in panel.last_message[0]
    assert getattr(panel.state, trait) == before
    still_works(panel)


def test_set_weights_is_all_or_nothing():
    s = PerceptronState()
    with pytest.raises(traitlets.TraitError):
        s.set_weights(1.0, 2.0, 50.0)
    assert (s.w1, s.w2, s.b) == (0.79, 0.96, 0.66)


def test_reset_and_lecture_start(panel):
    panel.controls["w1"].value = 0.3
    line_before = line_xy(panel).copy()
    panel.epoch()
    panel.step(2)
    assert panel.state.steps == 6
    panel.controls["reset"].click()
    assert panel.state.steps == 0 and panel.state.w1 == 0.3
    np.testing.assert_array_equal(line_xy(panel), line_before)
    assert len(panel.a["hist"].get_xdata()) == 0
    panel.controls["lecture"].click()
    assert (panel.state.w1, panel.state.w2, panel.state.b) == (0.79, 0.96, 0.66)
    assert panel.controls["w1"].value == 0.79


def test_controls_restart_the_run(panel):
    panel.epoch()
    panel.controls["gate"].value = "NAND"
    assert panel.state.steps == 0
    neg, pos = shown_points(panel)
    np.testing.assert_array_equal(pos, [[-1, -1], [-1, 1], [1, -1]])


def test_rendered_pixels_show_the_regions(panel):
    panel.controls["w"].value = "1, 0, 0"  # the line x1 = 0: left is class 0, right class 1
    buffer, _, full = panel.live.render()
    assert full
    H = buffer.shape[0]
    for x, cls in [(-0.5, 0), (0.5, 1)]:
        px, py = panel.ax_in.transData.transform((x, 0.25))
        rgb = buffer[H - int(py), int(px), :3] / 255
        np.testing.assert_allclose(rgb, LIGHT[cls], atol=0.02)
    assert panel.live.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_number_format():
    assert [num(v) for v in (0.79, -0.34, 0.0, -0.0, 1e6, 0.1 + 0.2)] == [
        "0.79", "\u22120.34", "0", "0", "1e+06", "0.3"]
