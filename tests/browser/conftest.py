"""The browser tier: notebooks written by the tests, served by Voila, driven in headless Chromium.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import shoot  # noqa: E402  (tests/browser is not a package; shoot.py is also a script)

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; the tier is skipped (with how to enable it) when there is none."""
    path = shoot.chromium_path()
    if path is None:
        if os.environ.get("NNX_REQUIRE_BROWSER"):  # set by .ci/run: there the tier must run
            pytest.fail(shoot.HINT)
        pytest.skip(shoot.HINT)
    pytest.importorskip("playwright", reason="playwright not installed: pip install -e '.[test]'")
    return path


@pytest.fixture(scope="session")
def notebook_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("notebooks")


@pytest.fixture(scope="session")
def voila(chromium, notebook_dir):
    """The base URL of a Voila server on `notebook_dir` (each page opened starts its own kernel)."""
    url, proc = shoot.serve(notebook_dir)
    yield url
    shoot.stop(proc)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = shoot.launch(p)
        yield browser
        browser.close()


@pytest.fixture
def open_notebook(voila, notebook_dir, browser):
    """open_notebook(name, code, scale=1): write a one-cell notebook, open it; (page, PageLog)."""
    pages = []

    def open_(name: str, code: str, scale: float = 1.0, width: int = 1280, height: int = 720):
        cell = nbformat.v4.new_code_cell(code)
        nb = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": KERNELSPEC})
        nbformat.write(nb, notebook_dir / name)
        page, log = shoot.open_page(browser, shoot.notebook_url(voila, name), width, height, scale)
        pages.append(page)
        return page, log

    yield open_
    for page in pages:
        page.context.close()


@pytest.fixture(scope="session")
def screens() -> Path:
    """artifacts/screens/ (gitignored): screenshots a developer looks at."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS
