"""The initialization panel: histograms are the core's forward activations, verdicts match the
numbers (identical units, shrinking stds, saturated fraction), loss curves are the Trainer's
history, extremes are explained, a diverging start stops alone, reset."""

import re

import numpy as np
import pytest
import traitlets

from explorer.core.datasets import make
from explorer.core.mlp import MLP
from explorer.core.optim import Trainer
from explorer.panels import initialization_state as S
from explorer.panels.initialization import InitializationPanel
from explorer.panels.initialization_state import STARTS, InitState
from explorer.plots import init_plots as ip


@pytest.fixture
def panel():
    return InitializationPanel(InitState(points=80, epochs=20))


def core_net(state, start):
    """The start's network built straight from the core (the too-large one scaled here)."""
    init = "normal" if start == "large" else start
    net = MLP(state.sizes, hidden=state.hidden, init=init, seed=state.seed)
    if start == "large":
        net.W = [W * (state.sigma / 0.1) for W in net.W]
    return net


def core_data(state):
    X, labels = make(state.data, state.points, S.NOISE, state.seed)
    return X, labels[:, None].astype(float)


def hidden_acts(net, X):
    return net.forward(X).a[1:-1]


# Histograms ----------------------------------------------------------------------------------

def test_start_histograms_are_the_cores_forward_activations(panel):
    s = panel.state
    X, _ = core_data(s)
    np.testing.assert_array_equal(s.X, X)
    for start in STARTS:
        for l, a in enumerate(hidden_acts(core_net(s, start), X)):
            values, edges = panel.cells[l, start].start.get_data()[:2]
            np.testing.assert_array_equal(edges, np.linspace(-1, 1, ip.BINS + 1))  # tanh
            np.testing.assert_array_equal(values, np.histogram(a, bins=edges)[0])
            assert values.sum() == a.size
            assert not panel.cells[l, start].after.get_visible()


def test_after_histograms_are_the_trained_networks_activations(panel):
    s = panel.state
    panel.train(20)
    X, T = core_data(s)
    for start in STARTS:
        net = core_net(s, start)
        Trainer(net, X, T, s.lr).run_epochs(20)
        for l, a in enumerate(hidden_acts(net, X)):
            cell = panel.cells[l, start]
            values, edges = cell.after.get_data()[:2]
            assert cell.after.get_visible()
            np.testing.assert_array_equal(values, np.histogram(a, bins=edges)[0])
        assert panel.cells[0, start].text.get_text().count("→") == 1


@pytest.mark.parametrize("hidden", ["sigmoid", "relu"])
def test_other_activations_use_their_bins(panel, hidden):
    s = panel.state
    s.hidden = hidden
    panel.train(10)
    going = [x for x in STARTS if not s.runs[x].trainer.stopped]
    assert len(going) >= 4
    for start in going:
        for l, a in enumerate(s.after(start)):
            values, edges = panel.cells[l, start].after.get_data()[:2]
            np.testing.assert_array_equal(values, np.histogram(a, bins=edges)[0])
            assert values.sum() == a.size  # no value falls outside the bins
            if hidden == "sigmoid":
                assert (edges[0], edges[-1]) == (0.0, 1.0)


def test_artists_are_updated_in_place(panel):
    before = {k: (c.ax, c.start, c.after, c.text) for k, c in panel.cells.items()}
    lines, n_axes = dict(panel.loss_lines), len(panel.live.figure.axes)
    panel.train(10)
    panel.state.depth = 5
    panel.state.hidden = "relu"
    panel.controls["reset"].click()
    assert {k: (c.ax, c.start, c.after, c.text) for k, c in panel.cells.items()} == before
    assert panel.loss_lines == lines and len(panel.live.figure.axes) == n_axes


@pytest.mark.parametrize("depth", [1, 3, 5])
def test_one_row_of_cells_per_hidden_layer(panel, depth):
    panel.controls["depth"].value = 5 if depth < 5 else 1  # rows come and go
    panel.train(10)
    panel.controls["depth"].value = depth
    assert panel.state.sizes == [2, *[16] * depth, 1] and panel.state.trained == 0
    shown = [r for (r, start), c in panel.cells.items() if c.ax.get_visible() and start == "he"]
    assert shown == list(range(depth))
    for (r, _), c in panel.cells.items():  # animated artists are drawn unless hidden themselves
        assert c.start.get_visible() == c.text.get_visible() == (r < depth)
        assert not c.after.get_visible()
    panel.train(10)
    assert all(c.after.get_visible() == (r < depth) for (r, _), c in panel.cells.items())
    assert panel.verdicts["normal"].count("→") == depth - 1


# Verdicts --------------------------------------------------------------------------------------

def test_zeros_start_names_identical_units_and_they_are(panel):
    panel.train(20)
    assert "all 16 units identical in every hidden layer" in panel.verdicts["zeros"]
    assert "symmetry never broken" in panel.verdicts["zeros"]
    assert "still identical after 20 epochs" in panel.verdicts["zeros"]
    assert panel.words["zeros"].get_text() == "symmetric"
    net = panel.state.runs["zeros"].net
    for a in [*panel.state.runs["zeros"].a0, *hidden_acts(net, panel.state.X)]:
        np.testing.assert_allclose(a, np.repeat(a[:, :1], a.shape[1], axis=1), atol=1e-12)
    for W in net.W[:-1]:
        np.testing.assert_allclose(W, np.repeat(W[:1], len(W), axis=0), atol=1e-12)
    assert S.identical_layers(panel.state.runs["xavier"].net) == []


def test_too_large_start_names_saturation_with_the_fractions(panel):
    s = panel.state
    assert s.sigma == 3.0
    text = panel.verdicts["large"]
    assert text.startswith("N(0, 3): tanh units saturated (|a| > 0.99)")
    fractions = [np.mean(np.abs(a) > 0.99) for a in hidden_acts(core_net(s, "large"), s.X)]
    assert max(fractions) > 0.5
    for l, f in enumerate(fractions, 1):
        assert f"{100 * f:.0f}% in layer {l}" in text
    assert panel.words["large"].get_text() == "saturated"


def test_normal_start_names_the_shrinking_stds(panel):
    s = panel.state
    stds = [a.std() for a in hidden_acts(core_net(s, "normal"), s.X)]
    assert stds[0] > stds[1] > stds[2]
    numbers = re.search(r"std ([^)]*)\)", panel.verdicts["normal"]).group(1).split(" → ")
    np.testing.assert_allclose([float(x) for x in numbers], stds, rtol=0.06)
    assert numbers == [f"{x:.2g}" for x in stds]
    assert "activations shrink layer by layer" in panel.verdicts["normal"]
    assert panel.cells[2, "normal"].text.get_text() == f"std {stds[2]:.2g}"


def test_xavier_and_he_keep_the_spread(panel):
    for start in ("xavier", "he"):
        assert "the spread is kept across layers" in panel.verdicts[start]
        assert panel.words[start].get_text() == "kept"


def test_relu_verdicts_grow_and_shrink():
    s = InitState(hidden="relu", points=60)
    assert s.judge("large")[0] == "grows" and s.judge("normal")[0] == "shrinks"
    assert s.judge("he")[0] == "kept"


def test_layer_numbers_by_hand():
    a = np.array([[0.995, 0.0], [-1.0, 0.5]])
    x = S.layer_numbers(a, "tanh")
    assert x.saturated == 0.5 and x.std == pytest.approx(a.std())
    assert S.layer_numbers(np.array([[0.0, 2.0], [0.0, 0.0]]), "relu").dead == 0.5
    assert S.layer_numbers(np.array([[0.005, 0.5]]), "sigmoid").saturated == 0.5


# Loss curves and training ---------------------------------------------------------------------

def test_loss_curves_are_the_trainers_histories(panel):
    s = panel.state
    panel.train(15)
    panel.controls["train"].click()  # 20 more: the epochs control
    X, T = core_data(s)
    for start in STARTS:
        h = s.runs[start].trainer.history
        line = panel.loss_lines[start]
        np.testing.assert_array_equal(line.get_xdata(), h["epoch"])
        np.testing.assert_array_equal(line.get_ydata(), h["train_loss"])
        assert h["epoch"][-1] == 35
        replay = Trainer(core_net(s, start), X, T, s.lr)  # same data, same seed: reproducible
        replay.run_epochs(35)
        np.testing.assert_allclose(line.get_ydata(), replay.history["train_loss"], rtol=1e-12)
    assert panel.last_message[0].startswith("Trained 20 epochs in ")


def test_zeros_and_small_starts_stay_stuck_while_xavier_and_he_learn():
    s = InitState(points=100)
    s.train(100)
    loss = {start: r.trainer.history["train_loss"][-1] for start, r in s.runs.items()}
    assert loss["zeros"] == pytest.approx(np.log(2), abs=1e-3)
    assert loss["normal"] == pytest.approx(np.log(2), abs=1e-2)
    assert loss["xavier"] < 0.5 and loss["he"] < 0.5


def test_a_diverging_start_stops_alone_with_the_cores_reason(panel):
    s = panel.state
    with s.hold_trait_notifications():
        s.hidden, s.lr = "relu", 0.5
    panel.train(10)
    reason = s.runs["large"].trainer.stopped
    assert reason and reason.startswith("diverged at epoch")
    assert reason in panel.verdicts["large"] and reason in panel.verdict.value
    assert f"N(0, 3) {reason}; the other starts go on." in panel.last_message[0]
    assert panel.last_message[1] == "warning"
    assert panel.words["large"].get_text().endswith("diverged")
    assert not panel.cells[0, "large"].after.get_visible()
    assert panel.cells[0, "large"].text.get_text().endswith("diverged")
    panel.train(10)
    assert all(s.runs[x].trainer.epoch == 20 for x in STARTS if x != "large")
    assert panel.live.render()[0].any()


def test_reset_recovers(panel):
    s = panel.state
    s.hidden, s.lr = "relu", 0.5
    panel.train(10)
    panel.controls["reset"].click()
    assert all(r.trainer.epoch == 0 and not r.trainer.stopped for r in s.runs.values())
    assert not any(c.after.get_visible() for c in panel.cells.values())
    assert all(len(line.get_xdata()) == 1 for line in panel.loss_lines.values())
    assert panel.last_message == ("", "info")
    s.lr = 0.05
    panel.train(10)
    assert not any(r.trainer.stopped for r in s.runs.values())


def test_a_press_is_bounded_by_the_budget_and_the_total(panel, monkeypatch):
    monkeypatch.setattr(S, "BUDGET", 1e-9)
    panel.train(50)
    assert panel.state.trained == 1
    assert "Trained 1 of the 50 epochs asked" in panel.last_message[0]
    monkeypatch.setattr(S, "BUDGET", 100.0)
    monkeypatch.setattr(S, "MAX_TOTAL", 30)
    panel.train(50)
    assert panel.state.trained == 30
    panel.train(5)
    assert panel.state.trained == 30 and "30 epochs is the most" in panel.last_message[0]
    assert panel.last_message[1] == "warning"


def test_every_start_uses_the_same_data_and_seed(panel):
    s = panel.state
    panel.controls["seed"].value = 7
    trainers = [r.trainer for r in s.runs.values()]
    for tr in trainers:
        np.testing.assert_array_equal(tr.X, trainers[0].X)
        assert tr.net.seed == 7 and tr.lr == s.lr
    X, _ = core_data(s)
    np.testing.assert_array_equal(trainers[0].X, X)


# Controls and extremes ------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, words", [
    ("depth", 0, "depth (hidden layers) must be a whole number from 1 to 5, got 0"),
    ("depth", 6, "from 1 to 5, got 6"),
    ("width", 3, "width (units per hidden layer) must be a whole number from 4 to 32, got 3"),
    ("width", 33, "got 33"),
    ("lr", 0.0, "learning rate η must be a number from 0.001 to 10, got 0.0"),
    ("lr", -1.0, "got -1.0"),
    ("lr", float("nan"), "got nan"),
    ("lr", float("inf"), "got inf"),
    ("sigma", 0.0, "σ of the too-large start must be a number from 0.5 to 10, got 0.0"),
    ("points", 10, "points must be a whole number from 20 to 400, got 10"),
    ("epochs", 0, "epochs per press must be a whole number from 10 to 500"),
    ("seed", -1, "seed must be a whole number from 0 to 2147483647, got -1"),
    ("data", "foo", "data set must be one of: xor, circles"),
    ("hidden", "step", "hidden activation must be one of: tanh, sigmoid, relu, got 'step'"),
    ("depth", 2.5, "got 2.5"),
])
def test_bad_settings_are_refused_in_words(name, value, words):
    s = InitState(points=40)
    before = getattr(s, name)
    with pytest.raises(traitlets.TraitError, match=re.escape(words)):
        setattr(s, name, value)
    assert getattr(s, name) == before


@pytest.mark.parametrize("name, value", [("lr", float("nan")), ("lr", -1.0), ("lr", 50.0),
                                         ("sigma", float("nan")), ("seed", -5)])
def test_bad_control_values_give_a_message_and_the_panel_works(panel, name, value):
    before = getattr(panel.state, name)
    panel.controls[name].value = value
    text, level = panel.last_message
    assert level == "error" and "must be" in text and "got" in text
    assert panel.controls[name].value == before == getattr(panel.state, name)
    panel.train(10)
    assert panel.state.trained == 10 and panel.last_message[1] == "info"


def test_sliders_clamp_to_their_bounds_and_the_state_follows(panel):
    panel.controls["depth"].value = 9  # what a slider does with a value past its end
    assert panel.state.depth == 5
    panel.controls["width"].value = 32
    assert panel.state.sizes == [2, 32, 32, 32, 32, 32, 1]


def test_state_changes_reach_the_controls(panel):
    s = panel.state
    s.sigma, s.lr, s.hidden, s.epochs = 2.0, 0.25, "sigmoid", 50
    c = panel.controls
    assert (c["sigma"].value, c["lr"].value, c["hidden"].value) == (2.0, 0.25, "sigmoid")
    assert c["train"].description == "train 50 epochs"
    assert panel.heads["large"].get_text() == "N(0, 2)"
    assert panel.ax_loss.get_legend().get_texts()[4].get_text() == "N(0, σ)"  # the heading has σ


def test_a_setting_change_starts_again_from_epoch_0(panel):
    panel.train(10)
    panel.controls["width"].value = 8
    assert panel.state.trained == 0
    assert all(r.net.sizes == [2, 8, 8, 8, 1] for r in panel.state.runs.values())


def test_defaults_lie_on_the_slider_grids():
    panel = InitializationPanel()  # a browser slider snaps its value to min + k step
    for name in ("lr", "sigma", "epochs", "points", "depth", "width"):
        c = panel.controls[name]
        k = (getattr(panel.state, name) - c.min) / c.step
        assert c.min <= c.value <= c.max and abs(k - round(k)) < 1e-9, name
    assert (panel.state.lr, panel.state.sigma, panel.state.epochs) == (0.3, 3.0, 100)


def test_render_shows_the_histograms(panel):
    panel.train(10)
    image = panel.live.render()[0]
    assert len(np.unique(np.ascontiguousarray(image).view(np.uint32))) > 50
    assert panel.live.png().startswith(b"\x89PNG")


# A sigma change (issue #3) -------------------------------------------------------------------

def frame_from_scratch(live) -> tuple[bool, bool]:
    """(whether the next frame redrew the whole figure, whether it equals a frame from scratch)."""
    buffer, _, full = live.render()
    incremental = buffer.copy()
    live._background = None
    return full, np.array_equal(incremental, live.render()[0])


def test_a_sigma_change_rebuilds_the_large_start_alone_while_nothing_is_trained(panel):
    s = panel.state
    runs = dict(s.runs)
    s.sigma = 5.0
    assert [start for start in STARTS if s.runs[start] is not runs[start]] == ["large"]
    fresh = InitState(points=80, epochs=20, sigma=5.0)  # what a reset at sigma 5 makes
    for start in STARTS:
        for a, b in zip(s.runs[start].a0, fresh.runs[start].a0):
            np.testing.assert_array_equal(a, b)
    assert s.trained == 0 and panel.heads["large"].get_text() == "N(0, 5)"
    test_start_histograms_are_the_cores_forward_activations(panel)
    panel.train(10)
    trained = dict(s.runs)
    s.sigma = 2.0  # after training: every start again from epoch 0, as for any setting
    assert s.trained == 0 and not any(s.runs[x] is trained[x] for x in STARTS)
    test_start_histograms_are_the_cores_forward_activations(panel)


def test_a_sigma_change_redraws_only_the_animated_artists(panel):
    panel.live._set_scale(1)
    panel.live.render()
    tallest = panel.cells[0, "large"].start.get_data().values.max()
    panel.controls["sigma"].value = 3.5  # its label, bars and loss move; no limits, no ticks
    assert frame_from_scratch(panel.live) == (False, True)
    assert panel.heads["large"].get_text() == "N(0, 3.5)"
    cell = panel.cells[0, "large"]
    assert cell.ax.get_ylim() == (0.0, ip.HEADROOM)  # the bars are scaled instead
    top = cell.start.get_data().values.max()
    assert top != tallest
    bar = cell.height.transform((0.0, top))[1]
    assert bar == pytest.approx(1.0)
    panel.train(10)
    panel.controls["sigma"].value = 4.0
    assert frame_from_scratch(panel.live)[1]
