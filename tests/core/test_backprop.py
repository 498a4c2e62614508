"""The lecture's 2-2-2 backpropagation walkthrough: order, numbers, printed figures, exports."""

import csv
import dataclasses
import io
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from explorer.core.backprop import PARTS, SECTIONS, Example, advance, trace, train
from explorer.core.backprop_lecture import AFTER, NOTES, PRINTED, agrees, compare_with_lecture
from explorer.core.mlp import MLP

LECTURE_ORDER = (
    "net_h1 out_h1 net_h2 out_h2 net_o1 out_o1 net_o2 out_o2 E_o1 E_o2 E_total "
    "dE_total/dout_o1 dout_o1/dnet_o1 dnet_o1/dw5 dE_total/dw5 w5+ dnet_o1/dw6 dE_total/dw6 w6+ "
    "dE_total/dout_o2 dout_o2/dnet_o2 dnet_o2/dw7 dE_total/dw7 w7+ dnet_o2/dw8 dE_total/dw8 w8+ "
    "dE_o1/dnet_o1 dnet_o1/dout_h1 dE_o1/dout_h1 dE_o2/dnet_o2 dnet_o2/dout_h1 dE_o2/dout_h1 "
    "dE_total/dout_h1 dout_h1/dnet_h1 dnet_h1/dw1 dE_total/dw1 w1+ dnet_h1/dw2 dE_total/dw2 w2+ "
    "dnet_o1/dout_h2 dE_o1/dout_h2 dnet_o2/dout_h2 dE_o2/dout_h2 dE_total/dout_h2 "
    "dout_h2/dnet_h2 dnet_h2/dw3 dE_total/dw3 w3+ dnet_h2/dw4 dE_total/dw4 w4+ "
    "out_o1+ out_o2+ E_total+"
).split()
BIAS_STEPS = ["dE_total/db2", "b2+", "dE_total/db1", "b1+"]
DIFFERENT = {  # name -> exact float64 value where it disagrees with the printed digits
    "dE_o2/dout_h1": -0.019049118258278114,
    "E_total+": 0.29102777369359933,
    f"E_total {AFTER}": 3.510187782978859e-05,
    f"out_o1 {AFTER}": 0.01591362044355068,
    f"out_o2 {AFTER}": 0.9840642735146238,
}


@pytest.fixture(scope="module")
def lecture():
    return trace(Example.lecture())


def rounded(value: float, printed: str) -> str:
    """value rounded half-up to as many decimals as `printed` shows."""
    return str(Decimal(repr(value)).quantize(Decimal(printed), rounding=ROUND_HALF_UP))


def total_error(ex: Example) -> float:
    return trace(ex).value("E_total")


# ---- shape of the trace ------------------------------------------------------------------------


def test_defaults_are_the_lecture_example():
    ex = Example.lecture()
    assert (ex.i1, ex.i2, ex.t1, ex.t2) == (0.05, 0.10, 0.01, 0.99)
    assert (ex.b1, ex.b2, ex.eta) == (0.35, 0.6, 0.5)
    assert ex.w == (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)
    assert ex.update_biases is False


def test_steps_follow_the_lecture_order(lecture):
    assert [s.name for s in lecture.steps] == LECTURE_ORDER


def test_bias_steps_come_in_the_update_section_only_when_asked():
    names = [s.name for s in trace(Example(update_biases=True)).steps]
    assert names == LECTURE_ORDER[:-3] + BIAS_STEPS + LECTURE_ORDER[-3:]


@pytest.mark.parametrize("update_biases", [False, True])
def test_every_step_is_complete_and_sections_run_in_order(update_biases):
    steps = trace(Example(update_biases=update_biases)).steps
    ranks = [SECTIONS.index(s.section) for s in steps]
    assert ranks == sorted(ranks) and set(ranks) == set(range(len(SECTIONS)))
    for s in steps:
        assert s.symbol_latex and s.formula_latex and s.substituted_latex, s.name
        assert s.involves and set(s.involves) <= set(PARTS), s.name
        assert np.isfinite(s.value)


def test_involves_names_the_wiring(lecture):
    assert lecture.step("net_h1").involves == ("i1", "i2", "w1", "w2", "b1", "h1")
    assert lecture.step("net_o2").involves == ("h1", "h2", "w7", "w8", "b2", "o2")
    assert lecture.step("dnet_h1/dw1").involves == ("i1", "w1", "h1")
    assert lecture.step("dnet_h2/dw4").involves == ("i2", "w4", "h2")
    assert lecture.step("dnet_o2/dw7").involves == ("h1", "w7", "o2")
    assert set(lecture.step("dE_total/dout_h1").involves) >= {"h1", "w5", "w7", "o1", "o2"}


def test_formulas_and_substitutions_read_like_the_lecture(lecture):
    assert lecture.step("net_h1").formula_latex == r"w_1 i_{1} + w_2 i_{2} + b_{1}"
    assert lecture.step("net_h1").substituted_latex == r"0.15 \cdot 0.05 + 0.2 \cdot 0.1 + 0.35"
    assert lecture.step("dE_total/dout_o1").substituted_latex == "-(0.01 - 0.75136507)"
    assert lecture.step("dE_total/dw5").substituted_latex == (
        r"0.74136507 \cdot 0.186815602 \cdot 0.593269992")
    assert lecture.step("w5+").substituted_latex == r"0.4 - 0.5 \cdot 0.082167041"
    assert lecture.step("dE_total/dw1").substituted_latex == (
        r"0.036350306 \cdot 0.241300709 \cdot 0.05")
    assert lecture.step("dE_total/dout_h1").substituted_latex == "0.055399425 + (-0.019049118)"
    assert lecture.step("dE_total/dw5").symbol_latex == (
        r"\frac{\partial E_{\mathrm{total}}}{\partial w_{5}}")


def test_value_of_an_unknown_step_names_it(lecture):
    with pytest.raises(ValueError, match="unknown step name 'dE/dw9'; choose one of: net_h1"):
        lecture.value("dE/dw9")


# ---- the numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in PRINTED if n not in DIFFERENT])
def test_printed_number_agrees_to_its_printed_digits(lecture, name):
    exact = lecture.value(name)
    assert rounded(exact, PRINTED[name]) == PRINTED[name]
    assert agrees(exact, PRINTED[name])


def test_agrees_is_half_a_unit_in_the_last_printed_digit():
    assert agrees(0.12345, "0.1235") and agrees(0.12355, "0.1235")
    assert not agrees(0.123551, "0.1235") and not agrees(0.123449, "0.1235")


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_where_exact_differs_both_numbers_are_pinned_with_a_note(lecture, name):
    rows = {r[0]: r for r in compare_with_lecture(lecture)}
    _, printed, exact, ok, note = rows[name]
    assert exact == pytest.approx(DIFFERENT[name], rel=1e-12)
    assert printed == PRINTED[name] and not ok
    assert rounded(exact, printed) != printed
    assert note == NOTES[name] and f"Printed {printed}" in note


def test_compare_with_lecture_covers_every_printed_number(lecture):
    rows = compare_with_lecture(lecture)
    assert [r[0] for r in rows] == list(PRINTED)
    assert {r[0] for r in rows if not r[3]} == set(DIFFERENT)
    assert all(r[4] == "" for r in rows if r[3])


def test_the_trace_carries_the_notes_for_the_lecture_example_only(lecture):
    assert "0.291027774" in lecture.step("E_total+").note
    assert "double rounding" in lecture.step("dE_o2/dout_h1").note
    assert lecture.step("E_total").note == ""
    other = trace(dataclasses.replace(Example.lecture(), eta=0.1))
    assert all(s.note == "" for s in other.steps)


def test_printed_figures_after_training_come_from_updating_w5_to_w8_first():
    """The tutorial's error after 1 and 10,000 updates: hidden gradients used w5+..w8+."""
    ex = Example.lecture()
    assert rounded(train(ex, 1, hidden_uses_new_w=True)[0], PRINTED["E_total+"]) == "0.291027924"
    errors = train(ex, 10000, hidden_uses_new_w=True)
    assert rounded(errors[-1], "0.000000001") == PRINTED[f"E_total {AFTER}"]
    end = trace(advance(ex, 10000, hidden_uses_new_w=True))
    assert rounded(end.value("out_o1"), "0.000000001") == PRINTED[f"out_o1 {AFTER}"]
    assert rounded(end.value("out_o2"), "0.000000001") == PRINTED[f"out_o2 {AFTER}"]
    assert end.value("E_total") == pytest.approx(errors[-1], rel=1e-12)


def test_updating_the_biases_does_not_explain_the_printed_figures():
    ex = Example(update_biases=True)
    assert trace(ex).value("E_total+") == pytest.approx(0.2857508866992965, rel=1e-12)
    assert train(ex, 10000)[-1] == pytest.approx(4.355321e-06, rel=1e-6)
    assert not agrees(train(ex, 1)[0], PRINTED["E_total+"])


def test_printed_dE_o2_dout_h1_is_a_double_rounding(lecture):
    delta_o2 = Decimal(repr(lecture.value("dE_o2/dnet_o2"))).quantize(Decimal("1e-9"))
    product = delta_o2 * Decimal("0.5")
    assert str(delta_o2) == "-0.038098237" and str(product) == "-0.0190491185"
    assert str(product.quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)) == "-0.019049119"
    assert rounded(lecture.value("dE_o2/dout_h1"), "-0.019049119") == "-0.019049118"


@pytest.mark.parametrize("update_biases", [False, True])
def test_gradients_match_central_differences(update_biases):
    ex, eps = Example(update_biases=update_biases), 1e-5
    tr = trace(ex)
    for n in range(8):
        up, down = list(ex.w), list(ex.w)
        up[n] += eps
        down[n] -= eps
        numeric = (total_error(dataclasses.replace(ex, w=tuple(up)))
                   - total_error(dataclasses.replace(ex, w=tuple(down)))) / (2 * eps)
        assert tr.value(f"dE_total/dw{n + 1}") == pytest.approx(numeric, rel=1e-6, abs=1e-10)
    for b in ("b1", "b2") if update_biases else ():
        v = getattr(ex, b)
        numeric = (total_error(dataclasses.replace(ex, **{b: v + eps}))
                   - total_error(dataclasses.replace(ex, **{b: v - eps}))) / (2 * eps)
        assert tr.value(f"dE_total/d{b}") == pytest.approx(numeric, rel=1e-6)


def test_updated_applies_the_new_weights_and_keeps_the_biases(lecture):
    nxt = lecture.updated()
    assert nxt.w == tuple(lecture.value(f"w{n}+") for n in range(1, 9))
    assert (nxt.b1, nxt.b2, nxt.eta) == (0.35, 0.6, 0.5)
    assert any("held fixed" in note for note in lecture.notes)
    assert trace(nxt).value("E_total") == lecture.value("E_total+")


def test_updated_with_biases_moves_them_too():
    tr = trace(Example(update_biases=True))
    nxt = tr.updated()
    assert (nxt.b1, nxt.b2) == (tr.value("b1+"), tr.value("b2+"))
    assert nxt.b2 == pytest.approx(0.6 - 0.5 * tr.value("dE_total/db2"))
    assert tr.notes == ()


@pytest.mark.parametrize("update_biases", [False, True])
def test_train_follows_repeated_traces(update_biases):
    ex = Example(update_biases=update_biases)
    errors = train(ex, 5)
    for k in range(5):
        tr = trace(ex)
        assert errors[k] == pytest.approx(tr.value("E_total+"), rel=1e-13)
        ex = tr.updated()
    end = advance(Example(update_biases=update_biases), 5)
    assert end.w == pytest.approx(ex.w, rel=1e-13)
    assert (end.b1, end.b2) == pytest.approx((ex.b1, ex.b2), rel=1e-13)


def test_training_the_lecture_example_lowers_the_error_every_update():
    errors = train(Example.lecture(), 10000)
    assert len(errors) == 10000 and np.all(np.diff(errors) < 0)
    assert errors[-1] < 1e-4
    assert train(Example.lecture(), 0) == [] and advance(Example.lecture(), 0) == Example.lecture()


def test_extreme_weights_stay_finite():
    ex = Example(w=(800.0, -900.0, 1e3, 1e3, -1e3, 750.0, 1e3, -1e3), eta=10.0)
    assert all(np.isfinite(s.value) for s in trace(ex).steps)
    assert np.all(np.isfinite(train(ex, 10)))


# ---- cross-check with the MLP -------------------------------------------------------------------


def lecture_mlp(ex: Example) -> MLP:
    net = MLP([2, 2, 2], "sigmoid", "sigmoid", "mse", init="zeros", dtype="float64")
    net.W[0] = np.array([[ex.w[0], ex.w[1]], [ex.w[2], ex.w[3]]])
    net.W[1] = np.array([[ex.w[4], ex.w[5]], [ex.w[6], ex.w[7]]])
    net.b[0], net.b[1] = np.array([ex.b1, ex.b1]), np.array([ex.b2, ex.b2])
    return net


def test_trace_matches_the_mlp_gradients_and_update(lecture):
    ex = Example.lecture()
    net = lecture_mlp(ex)
    X, T = np.array([[ex.i1, ex.i2]]), np.array([[ex.t1, ex.t2]])
    gr = net.gradients(X, T)
    dw = [lecture.value(f"dE_total/dw{n}") for n in range(1, 9)]
    assert gr.loss == pytest.approx(lecture.value("E_total"), rel=1e-14)
    assert gr.dW[0].ravel() == pytest.approx(dw[:4], rel=1e-12)
    assert gr.dW[1].ravel() == pytest.approx(dw[4:], rel=1e-12)
    assert gr.delta[1][0] == pytest.approx(
        [lecture.value("dE_o1/dnet_o1"), lecture.value("dE_o2/dnet_o2")], rel=1e-12)
    net.W[0] -= ex.eta * gr.dW[0]
    net.W[1] -= ex.eta * gr.dW[1]
    new_w = np.concatenate([net.W[0].ravel(), net.W[1].ravel()])
    assert new_w == pytest.approx(lecture.updated().w, rel=1e-14)
    assert net.loss(X, T) == pytest.approx(lecture.value("E_total+"), rel=1e-12)


def test_shared_bias_gradients_are_the_mlp_bias_gradients_summed():
    ex = Example(update_biases=True)
    tr, net = trace(ex), lecture_mlp(ex)
    X, T = np.array([[ex.i1, ex.i2]]), np.array([[ex.t1, ex.t2]])
    gr = net.gradients(X, T)
    assert gr.db[0].sum() == pytest.approx(tr.value("dE_total/db1"), rel=1e-12)
    assert gr.db[1].sum() == pytest.approx(tr.value("dE_total/db2"), rel=1e-12)


# ---- validation and export -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["i1", "i2", "t1", "t2", "b1", "b2", "eta"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "0.5"])
def test_non_finite_fields_are_refused(field, bad):
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        Example(**{field: bad})


@pytest.mark.parametrize("eta", [0.0, -0.5])
def test_eta_must_be_positive(eta):
    with pytest.raises(ValueError, match="eta must be a number > 0"):
        Example(eta=eta)


def test_bad_weights_are_refused_by_name():
    with pytest.raises(ValueError, match="w must hold 8 weights"):
        Example(w=(0.1,) * 7)
    with pytest.raises(ValueError, match="w6 must be finite, got nan"):
        Example(w=(0.1,) * 5 + (float("nan"),) + (0.1,) * 2)
    with pytest.raises(ValueError, match="update_biases must be True or False"):
        Example(update_biases=1)


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_train_needs_a_count(n):
    with pytest.raises(ValueError, match="^n must be an integer"):
        train(Example.lecture(), n)


def test_example_is_frozen_and_numbers_are_floats():
    ex = Example(i1=1, w=tuple(range(8)))
    assert isinstance(ex.i1, float) and all(isinstance(v, float) for v in ex.w)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ex.eta = 1.0


def test_rows_and_csv_round_trip(lecture):
    rows = lecture.rows()
    assert rows[0] == ("net_h1", lecture.step("net_h1").formula_latex, lecture.value("net_h1"))
    parsed = list(csv.reader(io.StringIO(lecture.to_csv())))
    assert parsed[0] == ["name", "formula", "value"]
    assert [(n, f, float(v)) for n, f, v in parsed[1:]] == rows


def test_markdown_and_latex_tables(lecture):
    md = lecture.to_markdown().splitlines()
    assert len(md) == 2 + len(lecture.steps)
    assert md[2] == r"| `net_h1` | $w_1 i_{1} + w_2 i_{2} + b_{1}$ | 0.3775 |"
    tex = lecture.to_latex().splitlines()
    assert tex[0] == r"\begin{tabular}{lll}" and tex[-1] == r"\end{tabular}"
    body = tex[2:-1]
    assert len(body) == len(lecture.steps)
    assert all(line.count(" & ") == 2 and line.endswith(r"\\") for line in body)
    assert r"$E_{\mathrm{total}}^{+}$" in body[-1] and "0.291027774" in body[-1]
