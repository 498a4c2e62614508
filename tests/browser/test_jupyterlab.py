"""A lecture notebook in JupyterLab (the `make lab` path): run all cells; its widgets render."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import shoot

pytestmark = pytest.mark.browser

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = "01_activation_functions.ipynb"
APP_READY = "() => window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell') !== null"
RUN_ALL = """async () => {
  const app = window.jupyterapp;
  await app.serviceManager.ready;
  const panel = app.shell.currentWidget;
  await panel.context.sessionContext.ready;
  await app.commands.execute('notebook:run-all-cells');
}"""
CHECKBOXES = ".jp-OutputArea .widget-checkbox input[type=checkbox]"


def lab(root: Path):
    """JupyterLab's command line on `root` (no token; the app is window.jupyterapp)."""

    def argv(port: int) -> list[str]:
        return [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                "--ServerApp.token=", "--ServerApp.password=", f"--port={port}",
                "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
                "--LabApp.news_url=None",  # offline: no news feed, no update check
                "--LabApp.check_for_updates_class="
                "jupyterlab.handlers.announcements.NeverCheckForUpdate"]

    return argv


def test_lecture_notebook_runs_in_jupyterlab(chromium, browser, tmp_path, screens, monkeypatch):
    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root)  # symlinks followed: the copy is the tests' to change
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no "get Jupyter news?" toast over the screenshot
    news = {"fetchNews": "false", "checkForUpdates": False}
    (settings / "notification.jupyterlab-settings").write_text(json.dumps(news))
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "settings"))
    url, proc = shoot.serve(root, timeout=90, argv=lab(root))  # JupyterLab state: a scratch dir
    try:
        page, log = shoot.open_page(browser, f"{url}lab/tree/{NOTEBOOK}", timeout=90)
        page.wait_for_function(APP_READY, timeout=90_000, polling=200)
        page.evaluate(RUN_ALL)
        assert shoot.wait_for_canvases(page, timeout=60) == 1
        frames = page.evaluate("() => +document.querySelector('canvas.nnx-live').dataset.frames")
        page.locator("canvas.nnx-live").scroll_into_view_if_needed()
        page.screenshot(path=str(screens / "jupyterlab_01.png"))
        assert frames >= 1
        boxes = page.locator(CHECKBOXES)
        assert boxes.count() >= 10, "the panel's checkboxes (functions, g') did not render"
        assert all(boxes.nth(k).is_visible() for k in range(boxes.count()))
        assert [p for p in log.problems if "page error" in p] == []
        page.context.close()
    finally:
        shoot.stop(proc)
