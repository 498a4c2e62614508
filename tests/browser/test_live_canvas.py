"""LiveFigure in a real browser: the canvas shows the kernel's figure, a slider redraws it."""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
import shoot
from PIL import Image

pytestmark = pytest.mark.browser

NOTEBOOK = """\
import ipywidgets as widgets
import numpy as np
from explorer.live import LiveFigure

live = LiveFigure(6.4, 4.0)
ax = live.figure.add_subplot()
ax.set(xlim=(0, 2 * np.pi), ylim=(-1.2, 1.2), title="phase")
x = np.linspace(0, 2 * np.pi, 200)
(line,) = ax.plot(x, np.sin(x), lw=3, color="#0072B2")
(probe,) = ax.plot([0], [0], "o", ms=12, color="#D55E00")
live.animate(line)
live.animate(probe)
slider = widgets.IntSlider(value=0, min=0, max=100, description="phase")

def update(change=None):
    line.set_ydata(np.sin(x + slider.value / 5))
    probe.set_data([slider.value / 16], [np.sin(slider.value / 16 + slider.value / 5)])
    live.draw_idle()

slider.observe(update, "value")
update()
widgets.VBox([slider, live.widget])
"""
CANVAS_PNG = "() => document.querySelector('canvas.nnx-live').toDataURL('image/png')"
CANVAS_STATE = """() => { const c = document.querySelector('canvas.nnx-live');
  return {frames: +c.dataset.frames, seq: +c.dataset.seq, width: c.width, height: c.height}; }"""
WATCH_SEQ = """() => { const c = document.querySelector('canvas.nnx-live'); window.nnxSeqs = [];
  new MutationObserver(() => window.nnxSeqs.push(+c.dataset.seq))
    .observe(c, {attributes: true, attributeFilter: ['data-seq']}); }"""
PRESSES = 5


def expected_rgb(value: int, scale: float) -> np.ndarray:
    """The kernel's figure at slider `value`, drawn here by the notebook's own code (h, w, 3)."""
    ns: dict = {}
    exec(NOTEBOOK, ns)
    ns["live"]._set_scale(scale)
    ns["slider"].value = value
    return np.asarray(Image.open(io.BytesIO(ns["live"].png())).convert("RGB"))


def canvas_rgb(page) -> np.ndarray:
    """The canvas's backing store (device pixels), read losslessly."""
    url = page.evaluate(CANVAS_PNG)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def wait_for_pixels(page, want: np.ndarray, timeout: float = 20.0) -> np.ndarray:
    """Poll the canvas until it equals `want` (or the time is up); return the last pixels read."""
    deadline = time.monotonic() + timeout
    while True:
        got = canvas_rgb(page)
        if (got.shape == want.shape and np.array_equal(got, want)) or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def describe(got: np.ndarray, want: np.ndarray) -> str:
    if got.shape != want.shape:
        return f"canvas is {got.shape}, the figure is {want.shape}"
    diff = np.abs(got.astype(int) - want.astype(int)).max(axis=2)
    ys, xs = np.nonzero(diff)
    where = f"x {xs.min()}..{xs.max()}, y {ys.min()}..{ys.max()}"
    return f"{len(ys)} pixels differ (max {diff.max()}) in {where}"


@pytest.mark.parametrize("scale", [1, 2])
def test_slider_redraws_canvas_exactly(open_notebook, screens, scale):
    page, log = open_notebook(f"live_canvas_{scale}x.ipynb", NOTEBOOK, scale=scale)
    assert shoot.wait_for_canvases(page, timeout=45) == 1
    state = page.evaluate(CANVAS_STATE)
    assert (state["width"], state["height"]) == (640 * scale, 400 * scale), "canvas not at the dpr"
    page.screenshot(path=str(screens / f"live_canvas_{scale}x_page.png"))

    first = wait_for_pixels(page, expected_rgb(0, scale))
    assert len(np.unique(first.reshape(-1, 3), axis=0)) > 1, "the canvas is blank"
    assert np.array_equal(first, expected_rgb(0, scale)), describe(first, expected_rgb(0, scale))

    page.evaluate(WATCH_SEQ)
    page.locator(".noUi-handle").first.focus()
    for _ in range(PRESSES):
        page.keyboard.press("ArrowRight")
    want = expected_rgb(PRESSES, scale)
    moved = wait_for_pixels(page, want)
    canvas_shot = screens / f"live_canvas_{scale}x_moved.png"
    page.locator("canvas.nnx-live").screenshot(path=str(canvas_shot))

    assert np.array_equal(moved, want), describe(moved, want)
    assert not np.array_equal(moved, first)
    assert page.evaluate(CANVAS_STATE)["frames"] > state["frames"]
    seqs = page.evaluate("window.nnxSeqs")
    assert seqs and all(a < b for a, b in zip(seqs, seqs[1:])), f"frames out of order: {seqs}"
    assert log.problems == []


def test_the_canvas_acknowledges_frames_so_a_long_burst_keeps_flowing(open_notebook):
    """The kernel sends at most AHEAD unacknowledged frames (then one a second): a run of 60 changes
    gives far more frames than that only if the canvas's acknowledgements reach the kernel."""
    from explorer.live.figure import AHEAD

    page, log = open_notebook("live_canvas_acks.ipynb", NOTEBOOK, scale=1)
    assert shoot.wait_for_canvases(page, timeout=45) == 1
    wait_for_pixels(page, expected_rgb(0, 1))
    before = page.evaluate(CANVAS_STATE)["frames"]
    page.locator(".noUi-handle").first.focus()
    for _ in range(60):
        page.keyboard.press("ArrowRight")
        time.sleep(0.05)
    want = expected_rgb(60, 1)
    assert np.array_equal(wait_for_pixels(page, want), want)
    frames = page.evaluate(CANVAS_STATE)["frames"] - before
    assert frames >= AHEAD + 12, f"only {frames} frames for 60 changes: acknowledgements lost?"
    assert log.problems == []
