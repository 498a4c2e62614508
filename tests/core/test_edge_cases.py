"""Numerical edge cases (issue #7, part 6): saturated units, learning rates from 1e-6 to 100,
zero-variance data, a one-point data set, duplicated points with conflicting labels. The core and
the panels either work (finite numbers, the expected behaviour) or say clearly why not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer.core import linear as L
from explorer.core import perceptron as P
from explorer.core.mlp import MLP
from explorer.core.optim import Trainer

XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T_XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
OUTPUTS = [("sigmoid", "bce"), ("sigmoid", "mse"), ("linear", "mse"), ("softmax", "softmax_ce")]


def targets(output: str, T: np.ndarray) -> np.ndarray:
    return np.column_stack([1 - T[:, 0], T[:, 0]]) if output == "softmax" else T


def net(output: str, loss: str, hidden: str = "tanh", seed: int = 0) -> MLP:
    return MLP([2, 4, 2 if output == "softmax" else 1], hidden, output, loss, seed=seed)


def finite(*arrays) -> bool:
    return all(np.all(np.isfinite(a)) for a in arrays)


# ---- saturated units -----------------------------------------------------------------------------

@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "scaled_tanh", "relu"])
@pytest.mark.parametrize("output, loss", OUTPUTS)
def test_saturated_units_give_finite_loss_and_gradients(hidden, output, loss):
    n = net(output, loss, hidden)
    n.W = [W * 1e4 for W in n.W]  # every unit far into its flat ends
    T = targets(output, T_XOR)
    gr = n.gradients(XOR, T)
    assert math.isfinite(gr.loss)
    assert finite(*gr.dW, *gr.db, gr.dX)
    before = [W.copy() for W in n.W]
    n.step(XOR, T, 0.1)
    assert finite(*n.W, *n.b)
    if hidden in ("sigmoid", "tanh", "scaled_tanh"):  # flat ends: the first layer hardly moves
        assert np.abs(n.W[0] - before[0]).max() < 1e-3 * np.abs(before[0]).max()


@pytest.mark.parametrize("output, loss", [("sigmoid", "bce"), ("softmax", "softmax_ce")])
def test_confidently_wrong_saturated_output_has_a_large_finite_loss(output, loss):
    n = MLP([2, 1 if output == "sigmoid" else 2], output=output, loss=loss, seed=0)
    n.W[0][:] = 1e6
    X = np.array([[1.0, 1.0]])
    T = np.array([[0.0]]) if output == "sigmoid" else np.array([[0.0, 1.0]])
    if output == "softmax":
        n.W[0][1] = -1e6
    value = n.loss(X, T)
    assert math.isfinite(value) and value > 1e5


# ---- learning rates from 1e-6 to 100 -------------------------------------------------------------

def test_tiny_learning_rate_works_and_barely_moves():
    n = net("sigmoid", "bce")
    trainer = Trainer(n, XOR, T_XOR, 1e-6)
    trainer.run_epochs(10)
    h = trainer.history["train_loss"]
    assert trainer.stopped is None and h[-1] < h[0] and h[0] - h[-1] < 1e-4


@pytest.mark.parametrize("output, loss", [("linear", "mse"), ("sigmoid", "mse")])
def test_learning_rate_100_diverges_or_stays_finite_and_says_so(output, loss):
    n = net(output, loss)
    trainer = Trainer(n, XOR, T_XOR, 100.0)
    trainer.run_epochs(200)
    if trainer.stopped:
        assert trainer.stopped.startswith("diverged") and "smaller learning rate" in trainer.stopped
    else:
        assert finite(*n.W, trainer.history["train_loss"])


def test_learning_rate_100_on_a_linear_output_diverges_in_words():
    trainer = Trainer(net("linear", "mse"), XOR, T_XOR, 100.0)
    trainer.run_epochs(200)
    assert trainer.stopped is not None
    assert trainer.stopped.startswith("diverged at epoch")
    assert "try a smaller learning rate" in trainer.stopped
    assert trainer.run_epochs(5) == 0  # a stopped run makes no more updates


@pytest.mark.parametrize("lr", [1e-6, 1.0, 100.0, 1e6])
def test_perceptron_rule_is_scale_free_in_lr_from_zero(lr):
    X, t = P.gate("AND")
    result = P.train(X, t, (0.0, 0.0), 0.0, lr)
    reference = P.train(X, t, (0.0, 0.0), 0.0, 1.0)
    assert result.status == reference.status == "converged"
    np.testing.assert_array_equal(result.mistakes_per_epoch, reference.mistakes_per_epoch)


def test_linear_neuron_learning_rates():
    x, t = L.toy_data(20, seed=0)
    X = L.design(x)
    crawl = L.descend(X, t, [3.0, 0.0], 1e-6, 50)
    assert crawl.stopped is None and crawl.errors[-1] < crawl.errors[0]
    wild = L.descend(X, t, [3.0, 0.0], 100.0, 50)
    assert wild.stopped is not None and "diverged" in wild.stopped
    assert "smaller learning rate" in wild.stopped


# ---- zero-variance data, one point, duplicated points with conflicting labels --------------------

def test_zero_variance_inputs_train_without_error():
    X = np.ones((8, 2))
    T = np.array([[0.0], [1.0]] * 4)
    trainer = Trainer(net("sigmoid", "bce"), X, T, 0.5)
    trainer.run_epochs(200)
    assert trainer.stopped is None
    assert trainer.history["train_loss"][-1] == pytest.approx(math.log(2), abs=1e-3)


def test_zero_variance_inputs_have_no_unique_linear_solution_in_words():
    X = L.design(np.full(5, 0.3))
    with pytest.raises(ValueError, match="singular.*inputs must vary"):
        L.solve(X, np.arange(5.0))
    run = L.descend(X, np.arange(5.0), [0.0, 0.0], 0.01, 20)
    assert run.stopped is None and run.errors[-1] < run.errors[0]


def test_one_point_data_set():
    X, T = np.array([[0.5, -0.5]]), np.array([[1.0]])
    for method, B in (("batch", None), ("stochastic", None), ("minibatch", 1)):
        trainer = Trainer(net("sigmoid", "bce"), X, T, 0.5, method, B)
        trainer.run_epochs(50)
        assert trainer.stopped is None and trainer.history["train_loss"][-1] < 0.1
    with pytest.raises(ValueError, match="batch_size must be at most the number of samples"):
        Trainer(net("sigmoid", "bce"), X, T, 0.5, "minibatch", 2)
    with pytest.raises(ValueError, match="singular"):
        L.solve(L.design([0.5]), [1.0])
    result = P.train(np.array([[1.0, 1.0]]), np.array([1.0]), (0.0, 0.0), 0.0, 0.1)
    assert result.converged


def test_duplicated_points_with_conflicting_labels():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [-1.0, 0.5], [-1.0, 0.5]])
    T = np.array([[1.0], [0.0], [1.0], [0.0]])
    trainer = Trainer(net("sigmoid", "bce"), X, T, 0.5)
    trainer.run_epochs(300)
    assert trainer.stopped is None
    assert trainer.history["train_loss"][-1] == pytest.approx(math.log(2), abs=1e-2)
    assert trainer.history["train_acc"][-1] == 0.5  # no network gets both labels of one point
    result = P.train(X, np.array([1.0, -1.0, 1.0, -1.0]), (0.0, 0.0), 0.0, 0.1)
    assert result.status == "cycle" and "No line separates" in result.verdict
    w = L.solve(L.design(np.array([0.0, 0.0, 1.0, 1.0])), np.array([0.0, 2.0, 1.0, 3.0]))
    np.testing.assert_allclose(w, [1.0, 1.0])  # least squares: the mean of each pair


# ---- the panels' equivalents ---------------------------------------------------------------------

def test_training_panel_at_learning_rate_100_says_it_diverged_and_reset_recovers():
    from explorer.panels.training import TrainingPanel

    panel = TrainingPanel(points=40, output="linear + mse", lr=100.0)
    for _ in range(20):
        panel.epoch()
    assert panel.state.diverged
    text, level = panel.last_message
    assert level == "error" and "diverged" in text and "smaller learning rate" in text
    assert panel.plots.banner.get_visible()
    panel.controls["reset"].click()
    assert panel.state.trainer.stopped is None and panel.state.trainer.epoch == 0
    assert not panel.plots.banner.get_visible()
    panel.controls["lr"].value = 0.01
    assert panel.epoch() > 0 and not panel.state.diverged


def test_training_panel_learning_rates_past_1e_minus_6_and_100_are_refused_in_words():
    import traitlets

    from explorer.panels.training import TrainingPanel

    panel = TrainingPanel(points=40)
    for lr in (1e-7, 101.0):
        with pytest.raises(traitlets.TraitError, match="learning rate"):
            panel.state.lr = lr
    panel.controls["lr"].value = 1e-6
    assert panel.state.lr == 1e-6 and panel.epoch() > 0 and panel.state.trainer.stopped is None


def test_descent_panel_one_point_and_zero_noise_say_why():
    from explorer.panels.descent import DescentPanel

    panel = DescentPanel()
    panel.controls["n"].value = 1
    assert "no unique solution" in panel.last_message[0]
    panel.step(5)
    assert np.all(np.isfinite(panel.paths["batch"].get_xydata()))
    panel.controls["n"].value = 20
    panel.controls["noise"].value = 0.0
    assert panel.state.data.E_min == pytest.approx(0.0, abs=1e-20)
    panel.step(5)
    assert panel.last_message[1] == "info"


def test_descent_panel_huge_learning_rate_diverges_in_words_and_reset_recovers():
    from explorer.panels.descent import DescentPanel

    panel = DescentPanel()
    panel.controls["lr"].value = 100.0
    panel.step(10)
    assert "diverged" in panel.last_message[0] and "smaller learning rate" in panel.last_message[0]
    assert "diverges" in panel.verdict_text
    panel.controls["reset"].click()
    panel.controls["lr"].value = 0.01
    panel.step(1)
    assert "diverged" not in panel.last_message[0]


def test_initialization_panel_large_start_saturates_in_words():
    from explorer.panels.initialization import InitializationPanel
    from explorer.panels.initialization_state import InitState

    panel = InitializationPanel(InitState(points=40, width=8, depth=2, sigma=10.0, lr=10.0,
                                          epochs=20))
    word, sentence = panel.state.judge("large")
    assert word == "saturated" and "g'(z) ≈ 0" in sentence
    panel.train()
    assert all(math.isfinite(v) or s for s, v in [
        (r.trainer.stopped, r.trainer.history["train_loss"][-1])
        for r in panel.state.runs.values()])
    assert "nan" not in panel.verdict.value.lower()


def test_backprop_panel_overflow_is_refused_in_words():
    from explorer.panels.backprop import BackpropPanel

    panel = BackpropPanel()
    panel.controls["i1"].value = 1e200
    panel.controls["eta"].value = 1e200
    panel.controls["w5"].value = 1e200
    assert all(math.isfinite(s.value) for s in panel.state.trace.steps)
    text, level = panel.last_message
    assert level != "error" or "overflow" in text


def test_graph_panel_overflow_is_refused_in_words():
    from explorer.panels.graph import GraphPanel

    panel = GraphPanel()
    panel.controls["w1"].value = 1e308
    assert panel.state.w1 == 3.0
    text, level = panel.last_message
    assert level == "error" and "overflow" in text and "nothing was changed" in text.lower()
    panel.controls["reset"].click()
    assert panel.state.graph.value("f") == -10.0  # the lecture's f = (-2 · 3 - 1) · 2 + 4


@pytest.mark.parametrize("target", [1e200, -1e308])
def test_a_huge_target_gives_an_infinite_error_not_an_exception(target):
    from dataclasses import replace

    from explorer.core.backprop import Example, descend, trace
    from explorer.core.graph import build

    assert build(target=target).value("E") == math.inf  # (t - f) ** 2 raised OverflowError
    ex = replace(Example.lecture(), t1=target)
    assert trace(ex).value("E_total") == math.inf
    assert descend(ex, 1)[1][0] == math.inf


def refused(panel, control, value) -> None:
    """Setting `control` to `value` changes nothing, and the panel says why in words."""
    before = getattr(panel.state, control)
    panel.controls[control].value = value
    assert getattr(panel.state, control) == before
    text, level = panel.last_message
    assert level == "error" and "overflow" in text and "nothing was changed" in text.lower()


def test_a_huge_target_is_refused_in_words():
    from explorer.panels.backprop import BackpropPanel
    from explorer.panels.graph import GraphPanel

    refused(BackpropPanel(), "t2", 1e308)
    graph = GraphPanel()
    graph.controls["target"].value = 1e308  # not used while the loss is off: kept
    refused(graph, "loss", True)  # E = (t - f)^2 / 2 = inf
    graph.controls["target"].value = 1.0
    graph.controls["loss"].value = True
    refused(graph, "target", 1e308)
