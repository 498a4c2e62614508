"""The shared sliders refuse a visitor's min, max or step that is not a usable number."""

from __future__ import annotations

import math

import pytest

from explorer.panels.controls import LogSlider, RangeSlider, Slider

SLIDERS = {"slider": lambda: Slider(min=0, max=4, value=1),
           "log": lambda: LogSlider(min=-2, max=2, value=1),
           "range": lambda: RangeSlider(min=0, max=4, value=(1, 2))}


@pytest.mark.parametrize("kind", SLIDERS)
@pytest.mark.parametrize(("key", "bad"), [("min", math.nan), ("max", math.inf), ("max", 10**400),
                                          ("step", -math.inf), ("min", -math.inf)])
def test_a_bound_that_is_not_a_usable_number_is_dropped_and_sent_back(kind, key, bad,
                                                                     monkeypatch):
    slider, sent = SLIDERS[kind](), []
    monkeypatch.setattr(slider, "send_state", sent.append)
    before = (slider.min, slider.max, slider.step, slider.value)
    slider.set_state({key: bad})
    assert (slider.min, slider.max, slider.step, slider.value) == before
    assert sent == [[key]]  # the browser is told the kernel's value again


def test_a_log_slider_refuses_a_max_whose_power_overflows(monkeypatch):
    slider = LogSlider(min=-2, max=2, value=1)
    monkeypatch.setattr(slider, "send_state", lambda keys: None)
    slider.set_state({"max": 1e308})  # 10 ** 1e308: ipywidgets' own check raised OverflowError
    slider.set_state({"max": 309})
    assert slider.max == 2
    slider.set_state({"max": 300, "value": 10.0})  # usable: kept, with the rest of the message
    assert (slider.max, slider.value) == (300, 10.0)
