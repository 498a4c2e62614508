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


def test_the_stepping_panels_formulas_settle(monkeypatch):
    """Under a running loop the convolution panel's formula waits; the figure does not."""
    from explorer.panels.convolution import ConvolutionPanel

    panel = ConvolutionPanel()
    first = panel.formula.value

    async def step():
        panel.controls["position"].value += 1
        moved = panel.formula.value
        await asyncio.sleep(base.SETTLE * 1.5)
        return moved

    assert asyncio.run(step()) == first
    assert panel.formula.value != first
