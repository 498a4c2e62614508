"""The dashboard in Python: tabs build their panels when opened, hidden tabs free their pixels,
preheated kernels warm up, and the page's query string is found without importing Voila."""

import sys

import pytest

from explorer.app import dashboard
from explorer.app.dashboard import PANELS, Dashboard


@pytest.fixture(scope="module")
def app():
    return Dashboard()


def test_only_the_open_tab_is_built(app):
    assert list(app.panels) == [PANELS[0].slug]


def test_a_tab_left_frees_its_pixel_caches_and_is_drawn_again_when_back(app):
    first = app.panels[PANELS[0].slug]
    first.live.render()
    assert first.live._background is not None
    app.tab.selected_index = 1
    assert PANELS[1].slug in app.panels
    assert all(live._background is None and live._previous is None for live in first.figures())
    app.tab.selected_index = 0
    buffer, rects, full = first.live.render()
    assert full and rects == [(0, 0, buffer.shape[1], buffer.shape[0])]


def test_warm_imports_every_panel_and_caches_the_open_panels_background():
    app = Dashboard()
    app.warm()
    modules = {e.target.split(":")[0] for e in PANELS if isinstance(e.target, str)}
    assert modules <= set(sys.modules)
    live = app.panels[app.slug].live
    assert live._background is not None and live.scale == 2.0


def test_query_string_comes_from_the_environment_outside_a_preheated_kernel(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "panel=perceptron&gate=xor")
    assert not dashboard.preheated()
    assert dashboard.query_string() == "panel=perceptron&gate=xor"
    monkeypatch.delenv("QUERY_STRING")
    assert dashboard.query_string() == ""


def test_preheated_is_read_from_voilas_variable(monkeypatch):
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    assert dashboard.preheated()
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    assert not dashboard.preheated()
