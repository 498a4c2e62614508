"""Partial redraws are exact: after any control change on any panel, the frame the live figure draws
(only the animated artists that changed, and those they overlap) equals a frame drawn from scratch."""

import numpy as np
import pytest
from ipywidgets import Button, Checkbox, Dropdown, SelectMultiple, ToggleButton, ToggleButtons

from explorer.panels.activations import ActivationPanel
from explorer.panels.backprop import BackpropPanel
from explorer.panels.convolution import ConvolutionPanel
from explorer.panels.descent import DescentPanel
from explorer.panels.graph import GraphPanel
from explorer.panels.initialization import InitializationPanel
from explorer.panels.perceptron import PerceptronPanel
from explorer.panels.training import TrainingPanel

PANELS = [ActivationPanel, PerceptronPanel, TrainingPanel, DescentPanel, BackpropPanel, GraphPanel,
          ConvolutionPanel, InitializationPanel]
SLOW = {"train", "new_data", "new_init", "epoch"}  # buttons that run many updates: one press is enough


def values(control):
    """A few values across a control's range (None: leave it alone)."""
    if isinstance(control, ToggleButton | Button):
        return None
    if isinstance(control, SelectMultiple):
        options = list(control.options)
        return [tuple(options[:1]), tuple(options[-2:])]
    if isinstance(control, Dropdown | ToggleButtons):
        return list(control.options)[-2:]
    if isinstance(control, Checkbox):
        return [not control.value, control.value]
    if hasattr(control, "min") and hasattr(control, "max") and not isinstance(control.value, tuple):
        kind = type(control.value)
        lo, hi = control.min, control.max
        if type(control).__name__ == "FloatLogSlider":
            lo, hi = control.base**lo, control.base**hi
        return [kind(lo + (hi - lo) * f) for f in (0.0, 0.7)]
    return None


def same_as_from_scratch(live) -> bool:
    incremental = live.render()[0].copy()
    live._background = None
    return np.array_equal(incremental, live.render()[0])


@pytest.mark.parametrize("Panel", PANELS, ids=lambda P: P.__name__)
def test_every_control_change_draws_what_a_full_redraw_draws(Panel):
    panel = Panel()
    panel.live._set_scale(1)
    panel.live.render()
    checked = 0
    for name, control in panel.controls.items():
        if isinstance(control, Button):
            if name not in SLOW:
                control.click()
                checked += same_as_from_scratch(panel.live) or pytest.fail(f"after pressing {name}")
            continue
        for value in values(control) or []:
            try:
                control.value = value
            except Exception:  # a value this control refuses itself: nothing changed
                continue
            assert same_as_from_scratch(panel.live), f"after {name} = {value!r}"
            checked += 1
    assert checked >= 5
