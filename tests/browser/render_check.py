"""Open a dashboard already being served at URL in headless Chromium; fail unless every live figure draws
and the page logs no error. Used by .ci/binder_check on the Voila of Binder's environment.

    python tests/browser/render_check.py http://127.0.0.1:PORT/ out.png
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent))
from shoot import launch, open_page, wait_for_canvases  # noqa: E402


def wait_for_server(url: str, timeout: float = 120.0) -> None:
    """Wait until something listens at the URL's port (never by requesting the page)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((parts.hostname, parts.port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens at {url} after {timeout:.0f} s")


def main(url: str, out: str) -> int:
    from playwright.sync_api import sync_playwright

    wait_for_server(url)
    with sync_playwright() as p:
        browser = launch(p)
        page, log = open_page(browser, url)
        drawn = wait_for_canvases(page, timeout=120)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=out)
        browser.close()
    if log.problems:
        print("\n".join(log.problems), file=sys.stderr)
        return 1
    print(f"{drawn} live figure(s) drawn; screenshot in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
