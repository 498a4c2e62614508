"""The perceptron: the lecture's truth tables, the learning rule on AND/OR/NAND/NOR, never XOR."""

import re

import numpy as np
import pytest

from explorer.core.perceptron import (
    GATES,
    LECTURE_B,
    LECTURE_W,
    decision_line,
    gate,
    mistakes,
    predict,
    train,
    xor_network,
)

ENCODINGS = ["pm1", "01"]
LRS = [0.1, 0.5, 1.0]
STARTS = [(None, 0.0), (LECTURE_W, LECTURE_B), ((-0.4, 0.3), -0.2)]
CYCLE = re.compile(
    r"No line separates these points: the weights at the start of epoch (\d+) "
    r"repeat those of epoch (\d+), so the rule cycles forever\."
)

LECTURE_TABLES = {  # copied from the slides: x1, x2, output
    "AND": [[-1, -1, -1], [-1, 1, -1], [1, -1, -1], [1, 1, 1]],
    "OR": [[-1, -1, -1], [-1, 1, 1], [1, -1, 1], [1, 1, 1]],
    "XOR": [[-1, -1, -1], [-1, 1, 1], [1, -1, 1], [1, 1, -1]],
}
LECTURE_XOR_TABLE = [  # x1, x2, AND(x1, not x2), AND(not x1, x2), OR(...)
    [-1, -1, -1, -1, -1],
    [-1, 1, -1, 1, 1],
    [1, -1, 1, -1, 1],
    [1, 1, -1, -1, -1],
]


@pytest.mark.parametrize("name", list(LECTURE_TABLES))
def test_truth_tables_are_the_lectures(name):
    X, t = gate(name)
    assert X.shape == (4, 2) and t.shape == (4,)
    assert X.dtype == np.float64 and t.dtype == np.float64
    np.testing.assert_array_equal(np.column_stack([X, t]), LECTURE_TABLES[name])


def test_nand_nor_are_negations():
    for neg, pos in [("NAND", "AND"), ("NOR", "OR")]:
        np.testing.assert_array_equal(gate(neg)[1], -gate(pos)[1])


@pytest.mark.parametrize("name", list(GATES))
def test_01_encoding_maps_minus_one_to_zero(name):
    (X, t), (X01, t01) = gate(name, "pm1"), gate(name, "01")
    np.testing.assert_array_equal(X01, (X + 1) / 2)
    np.testing.assert_array_equal(t01, (t + 1) / 2)
    assert set(np.unique(t01)) <= {0.0, 1.0}


def test_gate_name_is_case_insensitive_and_checked():
    np.testing.assert_array_equal(gate("xor")[1], gate("XOR")[1])
    with pytest.raises(ValueError, match=r"unknown gate 'xand'; choose one of: AND, OR, NAND"):
        gate("xand")
    with pytest.raises(ValueError, match=r"unknown encoding 'bin'; choose one of: pm1, 01"):
        gate("AND", "bin")


def test_lecture_example_weights_implement_or():
    X, t = gate("OR")
    assert mistakes(X, t, LECTURE_W, LECTURE_B) == 0
    assert mistakes(*gate("AND"), LECTURE_W, LECTURE_B) == 2


def test_sign_of_zero_is_plus_one_and_step_of_zero_is_one():
    X = np.array([[0.0, 0.0]])
    assert predict(X, [1.0, 1.0], 0.0, "pm1")[0] == 1.0
    assert predict(X, [1.0, 1.0], 0.0, "01")[0] == 1.0


def test_first_update_by_hand():
    # AND, zero start, lr 0.5: row (-1,-1) gives z = 0, y = sign(0) = +1, t = -1,
    # so w <- 0 + 0.5 * (-2) * (-1, -1) = (1, 1) and b <- 0 + 0.5 * (-2) = -1.
    r = train(*gate("AND"), lr=0.5)
    np.testing.assert_array_equal(r.w[1], [1.0, 1.0])
    assert r.b[1] == -1.0 and r.index[0] == 0 and r.changed[0]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("lr", LRS)
@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("name", ["AND", "OR", "NAND", "NOR"])
def test_rule_learns_separable_gates(name, start, lr, encoding):
    X, t = gate(name, encoding)
    r = train(X, t, start[0], start[1], lr=lr, encoding=encoding)
    assert r.converged and r.status == "converged" and r.cycle is None
    assert r.verdict.startswith("Converged")
    assert r.mistakes_per_epoch[-1] == 0
    assert mistakes(X, t, r.w[-1], r.b[-1], encoding) == 0


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("lr", LRS)
@pytest.mark.parametrize("start", STARTS)
def test_rule_declares_xor_impossible_by_a_cycle(start, lr, encoding):
    X, t = gate("XOR", encoding)
    r = train(X, t, start[0], start[1], lr=lr, encoding=encoding)
    assert not r.converged and r.status == "cycle"
    now, first = (int(g) for g in CYCLE.fullmatch(r.verdict).groups())
    assert (first, now) == r.cycle and first < now == r.epochs + 1
    # the claim itself: the state after the last epoch is the state at the start of epoch `first`
    i = np.flatnonzero(r.epoch == first)[0]
    np.testing.assert_array_equal(r.w[-1], r.w[i])
    assert r.b[-1] == r.b[i]
    assert np.all(r.mistakes_per_epoch > 0)


def test_cap_has_its_own_honest_verdict():
    r = train(*gate("XOR"), LECTURE_W, LECTURE_B, lr=0.1, max_epochs=2)
    assert r.status == "cap" and not r.converged and r.cycle is None and r.epochs == 2
    assert "cap of 2 epochs" in r.verdict and "neither convergence nor a cycle" in r.verdict


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_history_follows_the_rule(encoding):
    X, t = gate("XOR", encoding)
    lr = 0.5
    r = train(X, t, LECTURE_W, LECTURE_B, lr=lr, encoding=encoding)
    steps = len(r.index)
    assert r.w.shape == (steps + 1, 2) and r.b.shape == (steps + 1,)
    np.testing.assert_array_equal(r.index, np.tile(np.arange(4), r.epochs))
    np.testing.assert_array_equal(np.bincount(r.epoch, weights=r.changed)[1:], r.mistakes_per_epoch)
    for k, i in enumerate(r.index):
        y = predict(X[i : i + 1], r.w[k], r.b[k], encoding)[0]
        assert r.changed[k] == (y != t[i])
        np.testing.assert_allclose(r.w[k + 1], r.w[k] + lr * (t[i] - y) * X[i], atol=1e-12)
        assert r.b[k + 1] == pytest.approx(r.b[k] + lr * (t[i] - y), abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": 0.0}, r"lr must be a number > 0, got 0"),
        ({"max_epochs": 0}, r"max_epochs must be an integer > 0, got 0"),
        ({"w0": [1.0, 2.0, 3.0]}, r"w0 must be 2 finite numbers"),
        ({"encoding": "01"}, r"t must hold only 0 and 1 for encoding '01'"),
    ],
)
def test_train_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(*gate("AND"), **kwargs)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_two_layer_network_computes_xor(encoding):
    net = xor_network(encoding)
    X, t = gate("XOR", encoding)
    h, y = net.forward(X)
    np.testing.assert_array_equal(y, t)
    expected = np.array(LECTURE_XOR_TABLE, dtype=float)
    if encoding == "01":
        expected = (expected + 1) / 2
    np.testing.assert_array_equal(net.table(), expected)
    np.testing.assert_array_equal(h[:, 0], expected[:, 2])
    assert net.W_hidden.shape == (2, 2) and net.b_hidden.shape == (2,)


def test_hidden_columns_are_the_lectures():
    h, _ = xor_network().forward(gate("XOR")[0])
    np.testing.assert_array_equal(h[:, 0], [-1, -1, 1, -1])
    np.testing.assert_array_equal(h[:, 1], [-1, 1, -1, -1])


@pytest.mark.parametrize("w, b", [((1.0, 1.0), 0.0), ((1.0, 0.0), 0.5), ((0.0, 2.0), -1.0),
                                  (LECTURE_W, LECTURE_B), ((1.0, -1.0), -1.0)])
def test_decision_line_points_lie_on_the_line_inside_the_box(w, b):
    p = decision_line(w, b, xlim=(-1.5, 1.5))
    assert p.shape == (2, 2)
    np.testing.assert_allclose(p @ np.asarray(w) + b, 0.0, atol=1e-12)
    assert np.all(np.abs(p) <= 1.5 + 1e-12)
    assert np.linalg.norm(p[0] - p[1]) > 0.1


def test_decision_line_is_none_without_a_line_in_the_box():
    assert decision_line((0.0, 0.0), 1.0) is None
    assert decision_line((1.0, 1.0), 5.0, xlim=(-1, 1)) is None
    assert decision_line((1.0, 1.0), 5.0, xlim=(-1, 1), ylim=(-10, 1)) is not None
