"""Controls shared by the panels: sliders that hand any value to the panel's state instead of clamping it,
so that the state validates it and says in words what is wrong."""

from __future__ import annotations

import math

import ipywidgets as widgets
import traitlets


class _Unclamped:
    """A slider that hands any value to the state, which validates it and says what is wrong."""

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        return proposal["value"]

    def set_state(self, sync_data):
        """A message from the browser. Float noise is taken off its value: a browser slider snaps
        to its step in float arithmetic (1.7159 arrives as 1.7159000000000004); a value set from
        Python (2/3, 1e-300) is kept as it is. A min, max or step that is not a usable number
        (NaN, inf, or 10 ** max past 1e308 on a log slider, which ipywidgets' own check meets
        with an OverflowError) is dropped, and the browser is sent back the kernel's."""
        bad = [k for k in ("min", "max", "step") if k in sync_data and not self._usable(sync_data[k])]
        if bad:
            self.send_state(bad)
        state = {k: v for k, v in sync_data.items() if k not in bad}
        if "value" in state:
            value = state["value"]
            state["value"] = [_tidy(v) for v in value] if isinstance(value, list) else _tidy(value)
        super().set_state(state)

    def _usable(self, bound) -> bool:
        try:
            x = float(bound)
        except (TypeError, ValueError):
            return True  # not a number at all: the trait refuses it (TraitError) or takes None
        except OverflowError:  # an integer past 1e308
            return False
        try:
            power = self.base**x if isinstance(self, widgets.FloatLogSlider) else x
        except OverflowError:
            return False
        return math.isfinite(x) and math.isfinite(power)


def _tidy(value):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return value
    short = round(value, 10)
    return short if abs(short - value) <= 1e-12 * max(1.0, abs(value)) else value


class Slider(_Unclamped, widgets.FloatSlider):
    """FloatSlider without silent clamping."""


class LogSlider(_Unclamped, widgets.FloatLogSlider):
    """FloatLogSlider without silent clamping."""


class RangeSlider(_Unclamped, widgets.FloatRangeSlider):
    """FloatRangeSlider without silent clamping or reordering."""
