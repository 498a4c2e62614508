"""Resource limits a visitor cannot talk past (issue #7, part 2).

Every size that sets how long one request takes or how much it allocates (network, data set, grid,
updates or epochs per click) is bounded by the panel's state in Python. A value one past each bound,
sent as a visitor can (after first widening the control's own max), is refused in words and changes
nothing. One request at the largest allowed settings completes with its peak of traced memory under
PEAK_MB. Times are measured by benchmarks/bench_limits.py, never asserted here.
"""

from __future__ import annotations

import tracemalloc

import ipywidgets as widgets
import numpy as np
import pytest
import traitlets

PEAK_MB = 200  # the most one request at the largest settings may allocate


def panels():
    from explorer.panels.activations import ActivationPanel
    from explorer.panels.backprop import BackpropPanel
    from explorer.panels.convolution import ConvolutionPanel
    from explorer.panels.descent import DescentPanel
    from explorer.panels.graph import GraphPanel
    from explorer.panels.initialization import InitializationPanel
    from explorer.panels.perceptron import PerceptronPanel
    from explorer.panels.training import TrainingPanel

    return {"activations": ActivationPanel, "perceptron": PerceptronPanel,
            "training": TrainingPanel, "descent": DescentPanel, "backprop": BackpropPanel,
            "graph": GraphPanel, "convolution": ConvolutionPanel,
            "initialization": InitializationPanel}


# (panel, control, trait, the largest allowed value, one past it, a word the refusal must hold)
BOUNDS = [
    ("activations", "sigma", "sigma", 20.0, 21.0, "20"),
    ("activations", "A", "A", 3.0, 4.0, "3"),
    ("perceptron", "lr", "lr", 1e6, 1e6 + 1, "1e+06"),
    ("perceptron", "w1", "w1", 10.0, 11.0, "10"),
    ("training", "points", "points", 1000, 1001, "1000"),
    ("training", "layers", "layers", 4, 5, "4"),
    ("training", "units1", "units1", 16, 17, "16"),
    ("training", "batch_size", "batch_size", 1000, 1001, "1000"),
    ("training", "lr", "lr", 100.0, 101.0, "100"),
    ("training", "budget", "budget", 1_000_000, 1_000_001, "1e+06"),
    ("descent", "n", "n", 50, 51, "50"),
    ("descent", "batch_size", "batch_size", 50, 51, "50"),
    ("descent", "noise", "noise", 10.0, 11.0, "10"),
    ("descent", "seed", "seed", 2**31 - 1, 2**31, str(2**31 - 1)),
    ("backprop", "n_updates", "n_updates", 100_000, 100_001, "100,000"),
    ("convolution", "stride", "stride", 4, 5, "4"),
    ("convolution", "padding", "padding", 3, 4, "3"),
    ("initialization", "points", "points", 400, 401, "400"),
    ("initialization", "depth", "depth", 5, 6, "5"),
    ("initialization", "width", "width", 32, 33, "32"),
    ("initialization", "epochs", "epochs", 500, 501, "500"),
    ("initialization", "lr", "lr", 10.0, 11.0, "10"),
]


def widen_and_send(control: widgets.Widget, value) -> None:
    """What a visitor does to get past a control's own bound: raise its max, then send the value."""
    if isinstance(control, widgets.FloatLogSlider):
        control.max = float(np.log10(value)) + 1
    elif hasattr(control, "max"):
        control.max = value * 2
    control.value = value


@pytest.mark.parametrize("kind, control, trait, largest, past, word", BOUNDS,
                         ids=[f"{b[0]}-{b[1]}" for b in BOUNDS])
def test_one_past_each_bound_is_refused_in_words(kind, control, trait, largest, past, word):
    panel = panels()[kind]()
    setattr(panel.state, trait, largest)  # the largest allowed value is accepted
    assert getattr(panel.state, trait) == largest
    with pytest.raises(traitlets.TraitError) as refused:
        setattr(panel.state, trait, past)
    assert word in str(refused.value), str(refused.value)
    widen_and_send(panel.controls[control], past)
    assert getattr(panel.state, trait) == largest, f"{trait} = {past} was accepted"
    text, level = panel.last_message
    assert level == "error" and word in text, panel.last_message


def test_a_choice_past_the_last_is_refused_in_words():
    panel = panels()["convolution"]()
    with pytest.raises(traitlets.TraitError, match="1 to 3"):
        panel.state.n_filters = 4
    with pytest.raises(traitlets.TraitError):  # the widget itself refuses a value it does not offer
        panel.controls["n_filters"].value = 4
    assert panel.state.n_filters == 1


def test_backprop_curve_is_bounded():
    from explorer.panels import backprop_state as B

    panel = panels()["backprop"]()
    panel.state.history = [0.1] * (B.MAX_HISTORY + 1)  # as if MAX_HISTORY updates were made
    panel.train(10)
    assert len(panel.state.history) == B.MAX_HISTORY + 1
    assert panel.last_message[1] == "error" and "1,000,000" in panel.last_message[0]
    panel.apply()
    assert len(panel.state.history) == B.MAX_HISTORY + 1 and "reset" in panel.last_message[0]
    panel.reset()
    panel.train(10)
    assert len(panel.state.history) == 11


def test_perceptron_and_descent_steps_per_press_are_bounded():
    from explorer.panels.descent_state import MAX_STEPS

    panel = panels()["descent"]()
    for _ in range(MAX_STEPS // 10 + 3):
        panel.controls["step10"].click()
    assert panel.state.steps == MAX_STEPS and "most" in panel.last_message[0]
    perceptron = panels()["perceptron"]()
    perceptron.controls["play"].value = 10**9  # one message: one tick, one step
    assert perceptron.state.steps == 1


# ---- one request at the largest settings: memory ------------------------------------------------

def largest_requests():
    """Per panel: (set up the largest allowed settings, the slowest single request there)."""
    p = panels()

    def activations():
        from explorer.panels.activations_state import NAMES

        panel = p["activations"]()
        panel.state.set_range(-20.0, 20.0)
        panel.state.sigma = 20.0
        return panel, lambda: setattr(panel.state, "functions", NAMES)

    def perceptron():
        panel = p["perceptron"]()
        panel.state.gate = "XOR"
        panel.state.set_weights(10.0, -10.0, 10.0)
        return panel, lambda: setattr(panel.state, "lr", 1e6)  # a new run of the rule

    def training():
        panel = p["training"](points=1000, layers=4, units1=16, units2=16, units3=16,
                              units4=16, method="stochastic", test_fraction=0.0)
        return panel, panel.epoch  # 1000 updates of one sample each, then a full redraw

    def descent():
        from explorer.panels.descent_state import MAX_STEPS

        panel = p["descent"]()
        panel.state.n = 50
        panel.state.batch_size = 1
        panel.state.steps = MAX_STEPS
        return panel, lambda: setattr(panel.state, "lr", 0.011)  # every path again, 200 steps

    def backprop():
        from explorer.panels.backprop_state import MAX_UPDATES

        panel = p["backprop"]()
        return panel, lambda: panel.train(MAX_UPDATES)

    def graph():
        panel = p["graph"]()
        panel.state.sigmoid = panel.state.loss = True
        return panel, lambda: setattr(panel.state, "x", 1.5)

    def convolution():
        panel = p["convolution"]()
        s = panel.state
        with s.hold_trait_notifications():
            s.k, s.stride, s.n_filters = 3, 1, 3
        s.padding = 3
        return panel, lambda: s.choose("blur")  # three maps of the largest size again

    def initialization():
        from explorer.panels.initialization_state import InitState

        panel = p["initialization"](InitState(points=400, depth=5, width=32, epochs=500))
        return panel, panel.train

    return {"activations": activations, "perceptron": perceptron, "training": training,
            "descent": descent, "backprop": backprop, "graph": graph,
            "convolution": convolution, "initialization": initialization}


@pytest.mark.parametrize("kind", list(largest_requests()))
def test_largest_request_has_bounded_memory(kind):
    panel, request = largest_requests()[kind]()
    scale = 1
    if kind == "backprop":  # a pure-Python loop: traced, 100,000 updates take a minute; its
        from explorer.panels.backprop_state import MAX_UPDATES  # memory grows linearly with N,
        scale = 10  # so a tenth is measured and the peak scaled up

        def request():
            panel.train(MAX_UPDATES // scale)

    tracemalloc.start()
    try:
        request()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert panel.last_message[1] != "error", panel.last_message
    peak *= scale
    assert peak < PEAK_MB * 2**20, f"{kind}: one request allocated {peak / 2**20:.0f} MB"
