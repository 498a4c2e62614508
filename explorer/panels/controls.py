"""Controls shared by the panels: sliders that hand any value to the panel's state instead of clamping it,
so that the state validates it and says in words what is wrong."""

from __future__ import annotations

import math

import ipywidgets as widgets
import traitlets


class _Unclamped:
    """A slider that hands any value to the state, which validates it and says what is wrong.
    Float noise is removed: a browser slider snaps to its step in float arithmetic (1.7159
    arrives as 1.7159000000000004); a value such as 2/3 set from Python is kept as it is."""

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        value = proposal["value"]
        return tuple(map(_tidy, value)) if isinstance(value, tuple) else _tidy(value)


def _tidy(value: float) -> float:
    if not math.isfinite(value):
        return value
    short = round(value, 10)
    return short if abs(short - value) <= 1e-12 * max(1.0, abs(value)) else value


class Slider(_Unclamped, widgets.FloatSlider):
    """FloatSlider without silent clamping."""


class LogSlider(_Unclamped, widgets.FloatLogSlider):
    """FloatLogSlider without silent clamping."""


class RangeSlider(_Unclamped, widgets.FloatRangeSlider):
    """FloatRangeSlider without silent clamping or reordering."""
