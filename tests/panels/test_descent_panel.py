"""The gradient-descent panel: paths are the core's descend(), the regime message and thresholds,
clicks, extremes, reset, and the drawing helpers of explorer/plots/surface.py."""

import math

import numpy as np
import pytest
import traitlets

from explorer.core import linear as L
from explorer.panels.descent import DescentPanel
from explorer.panels.descent_state import MAX_OFFSET, MAX_STEPS, DescentState, regime
from explorer.plots import surface as S


@pytest.fixture
def panel():
    return DescentPanel()


def data(panel):
    d = panel.state.data
    return d.X, d.t


def core_path(panel, method, steps):
    s = panel.state
    per = s.updates_per_step(method)
    X, t = data(panel)
    return L.descend(X, t, s.start, s.lr, steps * per, method, s.batch_size, s.seed)


def xy(line):
    return np.column_stack([line.get_xdata(), line.get_ydata()])


def lam_max(panel):
    X, _ = data(panel)
    return np.linalg.eigvalsh(X.T @ X)[-1]


# Paths, markers and the rule ---------------------------------------------------------------------

def test_solution_and_start_markers(panel):
    X, t = data(panel)
    np.testing.assert_allclose(xy(panel.solution)[0], L.solve(X, t))
    np.testing.assert_allclose(xy(panel.start_marker)[0], panel.state.start)
    assert S.inside(panel.ax.get_xlim(), panel.ax.get_ylim(), L.solve(X, t), margin=0.05)


@pytest.mark.parametrize("method", ["batch", "stochastic", "minibatch"])
def test_paths_are_the_cores_descend(panel, method):
    for k in (1, 10, 3, 25):  # growing, shrinking (replayed from the cache), growing again
        panel.state.steps = k
        run = core_path(panel, method, k)
        np.testing.assert_array_equal(xy(panel.paths[method]), run.path)
        np.testing.assert_array_equal(panel.curves[method].get_ydata(), run.errors)
        assert panel.curves[method].get_xdata()[-1] == pytest.approx(k)
        w = run.path[-1]
        np.testing.assert_allclose(panel.lines[method].get_ydata(), w[0] + w[1] * panel.xs)


def test_step_buttons_advance_every_path(panel):
    panel.controls["step"].click()
    panel.controls["step10"].click()
    assert panel.state.steps == 11
    m = len(panel.state.data.t)
    assert len(panel.paths["batch"].get_xdata()) == 12
    assert len(panel.paths["stochastic"].get_xdata()) == 11 * m + 1
    assert panel.info.get_text().startswith("step 11")


def test_rule_shows_the_current_numbers(panel):
    panel.state.lr = 0.02
    panel.step(4)
    X, t = data(panel)
    w = core_path(panel, "batch", 4).w
    g = L.gradient(w, X, t)
    text = panel.rule.value
    assert "from step 4" in text and r"\leftarrow" in text
    for j in range(2):
        assert f"{w[j]:.4g} - 0.02 \\times" in text
        assert f"{abs(g[j]):.4g}" in text
        assert f"= {w[j] - 0.02 * g[j]:.4g}" in text


def test_sgd_path_is_noisy_but_both_approach_the_solution(panel):
    panel.state.lr = 0.02
    panel.state.steps = MAX_STEPS
    w_star = panel.state.data.w_star
    batch, sgd = xy(panel.paths["batch"]), xy(panel.paths["stochastic"])
    m = len(panel.state.data.t)
    assert not np.allclose(batch[1:21], sgd[m:20 * m + 1:m], atol=1e-3)  # compared per pass
    assert np.abs(batch[-1] - w_star).max() < 1e-4
    assert np.abs(sgd[-1] - w_star).max() < 0.1
    assert np.abs(sgd[-1] - w_star).max() > 1e-4  # the noise keeps it near, not on, the minimum


def test_toggling_a_path_hides_it_both_ways(panel):
    panel.step(3)
    panel.controls["stochastic"].value = False
    assert not panel.state.show_stochastic and not panel.paths["stochastic"].get_visible()
    panel.state.show_stochastic = True
    assert panel.controls["stochastic"].value and panel.paths["stochastic"].get_visible()


# The regime message and its thresholds --------------------------------------------------------

@pytest.mark.parametrize("factor, name", [(0.03, "crawls"), (0.5, "converges"),
                                          (0.75, "oscillates"), (1.2, "diverges")])
def test_regime_is_named_with_its_thresholds(panel, factor, name):
    lr_div = 1 / lam_max(panel)
    panel.state.lr = factor * lr_div
    text = panel.verdict_text
    assert text.startswith(f"η = {factor * lr_div:.3g} {name}")
    assert f"η_osc = 1/(2λ_max) = {lr_div / 2:.3g}" in text
    assert f"η_div = 1/λ_max = {lr_div:.3g}" in text
    assert f"λ_max = {lam_max(panel):.3g}" in text
    assert name in panel.info.get_text() and name in panel.verdict.value


def test_thresholds_use_the_hessian_2a_of_the_slides_e(panel):
    X, t = data(panel)
    A, w, h = X.T @ X, np.array([0.3, -0.7]), 1e-5
    H = np.array([(L.gradient(w + h * e, X, t) - L.gradient(w - h * e, X, t)) / (2 * h)
                  for e in np.eye(2)])
    np.testing.assert_allclose(H, 2 * A, rtol=1e-6)
    r = regime(np.linalg.eigvalsh(A), 0.01)
    assert r.lr_div == pytest.approx(2 / np.linalg.eigvalsh(H)[-1])
    assert r.lr_osc == pytest.approx(r.lr_div / 2)


@pytest.mark.parametrize("factor", [0.98, 1.02])
def test_descent_really_converges_below_and_diverges_above(panel, factor):
    X, t = data(panel)
    lr = factor * regime(panel.state.data.lam, 0.01).lr_div
    run = L.descend(X, t, [3.0, 0.0], lr, 3000)
    dist = np.linalg.norm(run.path - panel.state.data.w_star, axis=1)
    if factor < 1:
        assert run.stopped is None and dist[-1] < 1e-6 * dist[0]
    else:
        assert run.stopped and "diverged" in run.stopped and dist[-1] > 1e3 * dist[0]


@pytest.mark.parametrize("factor, alternates", [(0.9, False), (1.1, True)])
def test_oscillation_starts_at_lr_osc(panel, factor, alternates):
    X, t = data(panel)
    lam, V = np.linalg.eigh(X.T @ X)
    lr = factor * regime(lam, 0.01).lr_osc
    run = L.descend(X, t, [3.0, 0.0], lr, 6)  # |1 - 2 lr lam_max| = 0.1: 6 steps stay above noise
    across = (run.path - panel.state.data.w_star) @ V[:, -1]  # along the steepest direction
    flips = np.sign(across[:-1]) != np.sign(across[1:])
    assert flips.all() if alternates else not flips.any()


# Clicks ----------------------------------------------------------------------------------------

def test_click_maps_figure_fractions_to_weights(panel):
    target = np.array([1.25, -0.5])
    x, y = panel.ax.transData.transform(target)
    W, H = panel.live.figure.bbox.width, panel.live.figure.bbox.height
    panel.live._on_msg(panel.live.widget, {"type": "click", "x": x / W, "y": 1 - y / H}, [])
    np.testing.assert_allclose(panel.state.start, target, atol=0.01)
    assert panel.controls["w0"].value == panel.state.w0
    np.testing.assert_allclose(xy(panel.start_marker)[0], panel.state.start)


def test_click_beside_the_surface_only_explains(panel):
    before = panel.state.start
    panel.click(0.9, 0.5)
    np.testing.assert_array_equal(panel.state.start, before)
    assert "Click on the error surface" in panel.last_message[0]


# Extremes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), -1.0, 0.0])
def test_bad_learning_rates_are_rejected_and_the_panel_works(panel, bad):
    with pytest.raises(traitlets.TraitError, match="learning rate η must be a number > 0"):
        panel.state.lr = bad
    panel.controls["lr"].value = float("nan")  # what a visitor could send past the slider
    assert panel.last_message[1] == "error" and "got nan" in panel.last_message[0]
    assert panel.state.lr == 0.01 and panel.controls["lr"].value == 0.01
    assert panel.step(2) == 2 and len(panel.paths["batch"].get_xdata()) == 3


def test_huge_rate_diverges_stops_in_words_and_reset_recovers(panel):
    panel.controls["lr"].value = 3.0
    panel.step(10)
    text, level = panel.last_message
    assert level == "warning" and "Batch path: diverged at step" in text
    assert "try a smaller learning rate" in text and "diverges" in panel.info.get_text()
    assert panel.arrows["batch"].get_visible()
    lo, hi = np.array(panel.ax.get_xlim()), np.array(panel.ax.get_ylim())
    path = xy(panel.paths["batch"])
    assert np.all(path[:, 0] >= lo[0] - 1e-9) and np.all(path[:, 0] <= lo[1] + 1e-9)
    assert np.all(path[:, 1] >= hi[0] - 1e-9) and np.all(path[:, 1] <= hi[1] + 1e-9)
    assert panel.step(1) == 0 and "stopped" in panel.last_message[0]
    panel.controls["reset"].click()
    assert panel.state.steps == 0 and panel.last_message == ("", "info")
    assert not panel.arrows["batch"].get_visible()
    np.testing.assert_array_equal(xy(panel.paths["batch"]), [panel.state.start])
    panel.state.lr = 0.01
    assert panel.step(5) == 5 and panel.last_message[0] == ""


def test_a_far_start_is_clamped_with_a_message_and_the_view_grows(panel):
    panel.controls["w0"].value = 1e6
    w_star = panel.state.data.w_star
    assert panel.state.w0 == pytest.approx(w_star[0] + MAX_OFFSET)
    assert panel.controls["w0"].value == panel.state.w0
    assert "far off the surface" in panel.last_message[0]
    assert S.inside(panel.ax.get_xlim(), panel.ax.get_ylim(), panel.state.start)
    panel.state.w0 = 6.0  # within reach: the view grows to include it
    assert S.inside(panel.ax.get_xlim(), panel.ax.get_ylim(), panel.state.start)


def test_a_start_inside_the_view_keeps_the_limits(panel):
    before = panel.ax.get_xlim(), panel.ax.get_ylim()
    panel.state.w0, panel.state.w1 = 1.0, 1.0
    assert (panel.ax.get_xlim(), panel.ax.get_ylim()) == before


@pytest.mark.parametrize("how", ["one point", "all x equal"])
def test_singular_data_shows_the_cores_message_and_keeps_working(panel, how):
    if how == "one point":
        panel.controls["n"].value = 1
    else:
        panel.state.set_data(np.full(6, 0.4), np.arange(6.0))
    text = panel.last_message[0]
    assert "A = X^T X is singular (rank 1 < 2 weights)" in text
    assert len(panel.solution.get_xdata()) == 0
    assert panel.step(5) == 5 and len(panel.paths["batch"].get_xdata()) == 6
    assert "λ_min = 0" in panel.verdict_text
    panel.state.n = 20
    panel.state.new_data()
    assert panel.state.data.w_star is not None and len(panel.solution.get_xdata()) == 1


def test_batch_size_larger_than_n_hides_the_minibatch_path_with_a_message(panel):
    panel.controls["batch_size"].value = 50
    assert "Batch size B = 50 is more than the 20 samples" in panel.last_message[0]
    assert not panel.paths["minibatch"].get_visible()
    assert panel.step(2) == 2 and panel.paths["batch"].get_visible()
    panel.controls["batch_size"].value = 20
    assert panel.paths["minibatch"].get_visible() and panel.last_message[0] == ""


@pytest.mark.parametrize("control, value", [("batch_size", 0), ("seed", -3),
                                            ("noise", float("nan")), ("w1", float("inf"))])
def test_other_bad_values_are_explained(panel, control, value):
    before = getattr(panel.state, control)
    panel.controls[control].value = value
    assert panel.last_message[1] == "error" and "must be" in panel.last_message[0]
    assert panel.controls[control].value == before == getattr(panel.state, control)
    assert panel.step(1) == 1


def test_n_outside_its_range_is_refused():
    with pytest.raises(traitlets.TraitError, match=r"n \(data points\) must be 1 to 50, got 0"):
        DescentState(n=0)


# Data, play, pixels -----------------------------------------------------------------------------

def test_new_data_recompute_solution_and_surface(panel):
    old = panel._surface
    panel.controls["seed"].value = 5
    X, t = data(panel)
    np.testing.assert_allclose(xy(panel.solution)[0], L.solve(X, t))
    assert panel._surface is not old and all(a.axes is None for a in old)
    np.testing.assert_allclose(panel.scatter.get_offsets(), np.column_stack([X[:, 1], t]))


def test_play_steps_and_stops_when_every_path_stopped(panel):
    play = panel.controls["play"]
    play.value += 1
    play.value += 1
    assert panel.state.steps == 2
    panel.state.lr = 3.0
    play.playing = True
    for _ in range(30):
        play.value += 1
    assert not play.playing and "stopped" in panel.last_message[0]


def test_render_draws_the_paths(panel):
    before = panel.live.render()[0].copy()
    panel.step(10)
    after = panel.live.render()[0]
    assert not np.array_equal(before, after)
    assert len(np.unique(np.ascontiguousarray(after).view(np.uint32))) > 50  # colours, not blank


# Drawing helpers -------------------------------------------------------------------------------

def test_view_box_is_square_and_holds_the_points():
    xlim, ylim = S.view_box([[0.0, 0.0], [3.0, 1.0]])
    assert xlim[1] - xlim[0] == pytest.approx(ylim[1] - ylim[0])
    for p in ([0.0, 0.0], [3.0, 1.0]):
        assert S.inside(xlim, ylim, p, margin=0.1)


def test_exit_point_is_on_the_edge_where_the_path_leaves():
    path = np.array([[0.0, 0.0], [0.5, 0.0], [3.0, 0.0], [9.0, 5.0]])
    j, tip, u = S.exit_point(path, (-1, 1), (-1, 1))
    assert j == 1
    np.testing.assert_allclose(tip, [1.0, 0.0])
    np.testing.assert_allclose(u, [1.0, 0.0])
    assert S.exit_point(path[:2], (-1, 1), (-1, 1)) is None
    assert math.isclose(np.hypot(*u), 1.0)
