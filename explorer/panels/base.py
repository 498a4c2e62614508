"""What every panel shares: a message line that says what happened in words, guarded callbacks,
two-way binding of a control to a state trait, and display with a static image fallback."""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import math
from collections.abc import Callable

import ipywidgets as widgets
import traitlets

from explorer.live import LiveFigure
from explorer.live.figure import with_png
from explorer.panels.export import Export, ExportBar, figure_exports

log = logging.getLogger("explorer")
LEVELS = {"info": "#333333", "warning": "#8a5a00", "error": "#b00020"}
SETTLE = 0.06  # seconds: a typeset formula follows once its figure has drawn and its slider is still


def settle(widget: widgets.HTMLMath, value: str, after: LiveFigure | None = None) -> None:
    """widget.value = value once changes pause for SETTLE seconds (at once where no event loop runs,
    as in a test or an executed notebook). The browser takes tens of milliseconds to typeset a
    formula, which would otherwise hold up every frame of a figure while its slider moves; nor
    should it hold up the first frame: until the live figure `after` is shown, the value waits."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        widget.value = value
        return
    pending = getattr(widget, "_settling", None)
    if pending is not None:
        pending.cancel()
    widget._settling = None
    if after is not None and not after.connected:
        if getattr(widget, "_held", None) is None:
            after.when_shown(lambda: settle(widget, widget._held))
        widget._held = value
        return
    widget._held = None

    def apply() -> None:
        widget._settling = None
        widget.value = value

    widget._settling = loop.call_later(SETTLE, apply)


def show(control: widgets.ValueWidget, value) -> None:
    """control.value = value, first stretching a slider's min/max (to whole numbers) to hold it: a
    slider would clamp it, and a visitor can move a slider's own min and max over the websocket."""
    lo, hi = getattr(control, "min", None), getattr(control, "max", None)
    if isinstance(value, (int, float)) and lo is not None and hi is not None and math.isfinite(value):
        x = value
        if isinstance(control, widgets.FloatLogSlider):
            x = math.log(value, control.base) if value > 0 else lo
        if x > hi:
            control.max = math.ceil(x)
        if x < lo:
            control.min = math.floor(x)
    control.value = value


class Panel:
    """Base of every panel: `state`, `controls` (dict by name), `live` (its LiveFigure), `widget`."""

    def __init__(self) -> None:
        self.controls: dict[str, widgets.Widget] = {}
        self.message = widgets.HTML(layout=widgets.Layout(min_height="1.6em"))
        self.message.add_class("nnx-message")
        self.last_message = ("", "info")

    def say(self, text: str, level: str = "info") -> None:
        """Show `text` on the panel's message line (info, warning or error)."""
        self.last_message = (text, level)
        color = LEVELS.get(level, LEVELS["info"])
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>' if text else ""

    def guard(self, fn: Callable) -> Callable:
        """Wrap a callback so that an error is shown in words on the panel, never as a traceback."""

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (ValueError, traitlets.TraitError) as e:
                self.say(str(e), "error")
            except Exception as e:  # a bug: keep the panel alive, log the traceback for developers
                log.exception("panel callback failed")
                self.say(f"Something went wrong ({type(e).__name__}: {e}). Press reset.", "error")
            return None

        return wrapper

    def bind(self, name: str, control: widgets.ValueWidget, state: traitlets.HasTraits, trait: str):
        """Link control.value <-> state.<trait>; a rejected value is explained and the control restored."""
        self.controls[name] = control
        show(control, getattr(state, trait))

        def to_state(change):
            if change["new"] == getattr(state, trait):
                return
            try:
                setattr(state, trait, change["new"])
            finally:
                if control.value != getattr(state, trait):
                    show(control, getattr(state, trait))

        control.observe(self.guard(to_state), "value")
        state.observe(lambda change: show(control, change["new"]), trait)
        return control

    # Display: the widget in a live frontend, a PNG of the main figure where no frontend runs widgets.
    live: LiveFigure
    widget: widgets.Widget
    _view: widgets.Widget | None = None

    @property
    def name(self) -> str:
        """A short name for files: 'perceptron' for PerceptronPanel."""
        return type(self).__name__.removesuffix("Panel").lower()

    def figures(self) -> list[LiveFigure]:
        """The panel's live figures, its main one first."""
        others = [v for v in vars(self).values() if isinstance(v, LiveFigure) and v is not self.live]
        return [self.live, *others]

    def exports(self) -> list[Export]:
        """What this panel can save; a panel adds its own by extending this list."""
        return figure_exports(self.live, self.name)

    @property
    def view(self) -> widgets.Widget:
        """The panel with its export row below it: what a notebook or the dashboard shows."""
        if self._view is None:
            self.export_bar = ExportBar(self.exports(), self.guard, self.say)
            self._view = widgets.VBox([self.widget, self.export_bar.widget])
        return self._view

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return with_png(self.view, self.live.png())
