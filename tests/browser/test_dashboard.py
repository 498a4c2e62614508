"""The dashboard as served by `nn-explorer` itself, in headless Chromium: every tab draws, controls
redraw, Play trains, classroom links open their view, and the page logs no error."""

from __future__ import annotations

import base64
import io
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import shoot
from PIL import Image

from explorer.app.dashboard import PANELS

pytestmark = pytest.mark.browser

APP = Path(__file__).resolve().parents[2] / "explorer" / "app"
TABS = ".nnx-dashboard > .widget-tab > .lm-TabBar .lm-TabBar-tab"
PANES = "document.querySelector('.nnx-dashboard > .widget-tab > .widget-tab-contents').children"
DRAWN = f"""(i) => {{ const c = [...{PANES}[i].querySelectorAll('canvas.nnx-live')];
  return c.length > 0 && c.every((e) => e.offsetParent !== null && +e.dataset.frames >= 1); }}"""
FRAMES = f"(i) => [...{PANES}[i].querySelectorAll('canvas.nnx-live')].map((e) => +e.dataset.frames)"
PNG = f"(i) => {PANES}[i].querySelector('canvas.nnx-live').toDataURL('image/png')"
SLUGS = [e.slug for e in PANELS]


def cli(port: int) -> list[str]:
    """The product's own server command line (strip_sources, culling, a preheated pool of one)."""
    return [sys.executable, "-m", "explorer.app.cli", "--no-browser", "--port", str(port),
            "--pool", "1"]


@pytest.fixture(scope="module")
def server(chromium):
    url, proc = shoot.serve(APP, argv=cli)  # waits for the port, never requests the page
    yield url, proc
    shoot.stop(proc)


@pytest.fixture(scope="module")
def dashboard(server):
    return server[0]


@pytest.fixture(scope="module")
def logs() -> list:
    return []


@pytest.fixture(scope="module")
def opener(browser, dashboard, logs):
    """open(query) -> page on the dashboard at `query`, its first tab drawn; closed at the end."""
    pages = []

    def open_(query: str = ""):
        page, log = shoot.open_page(browser, dashboard + query)
        pages.append(page)
        logs.append((query or "/", log))
        shoot.wait_for_canvases(page, timeout=60)
        return page

    yield open_
    for page in pages:
        page.context.close()


@pytest.fixture(scope="module")
def page(opener):
    """The dashboard opened once, shared by the tests that drive it in turn."""
    return opener()


def show(page, slug: str) -> int:
    """Click the tab of panel `slug`, wait until its live figures have drawn; return its index."""
    i = SLUGS.index(slug)
    page.locator(TABS).nth(i).click()
    page.wait_for_function(DRAWN, arg=i, timeout=45_000, polling=100)
    return i


def pixels(page, i: int) -> np.ndarray:
    """The first live canvas of tab i, read losslessly (h, w, 3)."""
    data = base64.b64decode(page.evaluate(PNG, i).split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def colours(rgb: np.ndarray) -> int:
    return len(np.unique(rgb.reshape(-1, 3), axis=0))


def wait_until(check, timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(0.1)


def pane(page, i: int):
    return page.locator(".nnx-dashboard > .widget-tab > .widget-tab-contents > *").nth(i)


def test_every_panel_renders_pixels(page, screens):
    assert page.locator(TABS).all_text_contents() == [e.title for e in PANELS]
    for slug in SLUGS:
        i = show(page, slug)
        page.screenshot(path=str(screens / f"dashboard_{slug}.png"))
        pane(page, i).screenshot(path=str(screens / f"dashboard_{slug}_full.png"))
        assert colours(pixels(page, i)) > 16, f"the {slug} canvas is (nearly) blank"
        assert "lm-mod-current" in page.locator(TABS).nth(i).get_attribute("class")


def test_gate_button_redraws_perceptron(page):
    i = show(page, "perceptron")
    before, frames = pixels(page, i), page.evaluate(FRAMES, i)[0]
    pane(page, i).get_by_role("button", name="XOR", exact=True).click()
    wait_until(lambda: page.evaluate(FRAMES, i)[0] > frames, what="the perceptron drew XOR")
    wait_until(lambda: not np.array_equal(pixels(page, i), before), what="the pixels changed")
    assert pane(page, i).get_by_text("XOR, one perceptron").is_visible(), "truth table not XOR"


def epoch(page, i: int) -> int:
    """The epoch counter of the training readout ('epoch 12 (96 updates) · loss ...')."""
    text = pane(page, i).get_by_text(re.compile(r"^epoch [\d,]+ \(")).first.text_content()
    return int(re.match(r"epoch ([\d,]+)", text).group(1).replace(",", ""))


def test_play_grows_the_loss_curve(page):
    i = show(page, "training")
    start, before = epoch(page, i), pixels(page, i)
    play = pane(page, i).locator(".widget-toggle-button", has_text="Play")
    play.click()
    pane(page, i).locator(".widget-toggle-button", has_text="Pause").wait_for()
    time.sleep(2)
    pane(page, i).locator(".widget-toggle-button", has_text="Pause").click()
    play.wait_for()
    wait_until(lambda: epoch(page, i) > start, what="the epoch counter advanced")
    assert not np.array_equal(pixels(page, i), before), "training drew nothing new"


def test_link_to_this_view_reopens_it(page, opener):
    i = show(page, "perceptron")
    pane(page, i).get_by_role("button", name="XOR", exact=True).click()  # (already, in a full run)
    pane(page, i).get_by_text("XOR, one perceptron").wait_for()
    page.get_by_role("button", name="Link to this view").click()
    box = page.locator(".nnx-linkbox input")
    wait_until(lambda: "?" in box.input_value(), what="the link box showed a link")
    link = box.input_value()
    assert link.startswith(page.url.split("?")[0]), link
    query = urlsplit(link).query
    assert "panel=perceptron" in query and "gate=XOR" in query, query
    other = opener("?" + query)
    assert "lm-mod-current" in other.locator(TABS).nth(i).get_attribute("class")
    show(other, "perceptron")
    xor = pane(other, i).get_by_role("button", name="XOR", exact=True)
    assert "mod-active" in xor.get_attribute("class")
    assert other.locator(".nnx-notice").inner_text().strip() == ""


def test_classroom_link_sets_and_hides_controls(opener, server):
    url, proc = server  # the link goes to a preheated kernel, which asks the server for it
    shoot.wait_for_pool(proc, int(url.rstrip("/").rsplit(":", 1)[1]), 1)
    page = opener("?panel=perceptron&gate=XOR&encoding=pm1&hide=gate,encoding")
    i = SLUGS.index("perceptron")
    assert "lm-mod-current" in page.locator(TABS).nth(i).get_attribute("class")
    page.wait_for_function(DRAWN, arg=i)
    xor = pane(page, i).get_by_role("button", name="XOR", exact=True, include_hidden=True)
    pm1 = pane(page, i).get_by_role("button", name="±1 (sign)", include_hidden=True)
    assert "mod-active" in xor.get_attribute("class") and "mod-active" in pm1.get_attribute("class")
    assert not xor.is_visible() and not pm1.is_visible(), "hidden controls are still visible"
    assert pane(page, i).get_by_text("XOR, one perceptron").is_visible()
    assert page.locator(".nnx-notice").inner_text().strip() == ""


def test_bad_link_is_explained_in_words(opener):
    page = opener("?panel=perceptron&colour=red&gate=maybe")
    notice = page.locator(".nnx-notice")
    notice.get_by_text("ignored").wait_for()
    text = notice.inner_text()
    assert "colour" in text and "maybe" in text, text
    assert pane(page, SLUGS.index("perceptron")).locator("canvas.nnx-live").is_visible()


def test_no_console_errors_or_failed_requests(logs):
    assert logs, "no page was opened"
    problems = [f"{query}: {p}" for query, log in logs for p in log.problems]
    assert problems == []
