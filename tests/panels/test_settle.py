"""A typeset formula follows its slider once the slider is still (the browser's typesetting would
otherwise hold up the figure's frames); without an event loop it is set at once."""

import asyncio

import ipywidgets as widgets

from explorer.panels import base


def test_without_an_event_loop_the_value_is_set_at_once():
    w = widgets.HTMLMath()
    base.settle(w, "$a$")
    assert w.value == "$a$"


def test_a_burst_sets_only_the_last_value_once_changes_pause():
    w = widgets.HTMLMath()
    seen = []
    w.observe(lambda change: seen.append(change["new"]), "value")

    async def burst():
        for k in range(5):
            base.settle(w, f"${k}$")
            await asyncio.sleep(base.SETTLE / 10)
        before = w.value
        await asyncio.sleep(base.SETTLE * 1.5)
        return before

    assert asyncio.run(burst()) == ""
    assert seen == ["$4$"]


def test_the_stepping_panels_formulas_settle():
    """Under a running loop the convolution panel's formula waits; the figure does not."""
    from explorer.panels.convolution import ConvolutionPanel

    panel = ConvolutionPanel()
    panel.live.widget.send = lambda content, buffers=None: None
    panel.live._on_msg(panel.live.widget, {"type": "ready", "dpr": 1}, [])  # a browser shows it
    first = panel.formula.value

    async def step():
        panel.controls["position"].value += 1
        moved = panel.formula.value
        await asyncio.sleep(base.SETTLE * 1.5)
        return moved

    assert asyncio.run(step()) == first
    assert panel.formula.value != first


def test_a_formula_waits_for_its_figure_to_be_shown_and_keeps_the_latest_value():
    from explorer.live import LiveFigure

    live = LiveFigure(2, 2)
    live.figure.add_subplot()
    live.widget.send = lambda content, buffers=None: None
    w = widgets.HTMLMath()

    async def session():
        base.settle(w, "$1$", after=live)
        base.settle(w, "$2$", after=live)
        await asyncio.sleep(base.SETTLE * 1.5)
        unseen = w.value
        live._on_msg(live.widget, {"type": "ready", "dpr": 1}, [])  # the browser shows the figure
        assert w.value == ""  # its first frame goes first
        await asyncio.sleep(base.SETTLE * 1.5)
        return unseen

    assert asyncio.run(session()) == ""
    assert w.value == "$2$" and live.frames == 1
