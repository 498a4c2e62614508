"""Serve a notebook with Voila, open it in headless Chromium, wait for its canvases, screenshot it.

    python tests/browser/shoot.py notebooks/01_x.ipynb out.png [--width 1280 --height 720]
        [--scale 2] [--full-page] [--settle 0.5]

The functions are the browser tier's core (tests/browser/conftest.py and benchmarks/bench_live.py
use them): `serve(notebook_dir) -> (url, proc)`, `stop(proc)`, `launch(playwright)`,
`open_page(browser, url) -> (page, PageLog)`, `wait_for_canvases(page)`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import psutil

HINT = "Chromium not found: apt-get install -y chromium (Debian) to run the browser tier"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ALL_DRAWN = """() => {
  const c = [...document.querySelectorAll('canvas.nnx-live')];
  return c.length > 0 && c.every((e) => Number(e.dataset.frames || 0) >= 1);
}"""



def poll_js(every_ms: int = 2) -> str:
    """A line of page script for benchmarks: poll(done, max) resolves with the first value done()
    returns other than undefined (asked every `every_ms`), or null after max ms."""
    return ("  const poll = (done, max) => new Promise((resolve) => {\n"
            "    const start = performance.now();\n"
            "    const tick = () => {\n"
            "      const out = done();\n"
            "      if (out !== undefined) resolve(out);\n"
            "      else if (performance.now() - start > max) resolve(null);\n"
            f"      else setTimeout(tick, {every_ms});\n"
            "    };\n"
            "    tick();\n"
            "  });\n")

def chromium_path() -> str | None:
    """Debian's Chromium (or any `chromium` on PATH), or None when there is none."""
    candidates = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    log = proc.log_path.read_text(errors="replace")[-2000:]
    stop(proc)
    raise RuntimeError(f"voila did not listen on port {port} in {timeout} s; its log ends:\n{log}")


def serve(notebook_dir: str | Path, timeout: float = 60.0,
          argv: Callable[[int], list[str]] | None = None) -> tuple[str, subprocess.Popen]:
    """Start Voila on `notebook_dir` (127.0.0.1, a free port, idle kernels culled); return its base
    URL and the process. `argv(port)`, when given, is the command line to run instead (e.g. the
    product's own server, run in `notebook_dir`). Jupyter, IPython and matplotlib state goes to a
    scratch directory."""
    notebook_dir = Path(notebook_dir).resolve()
    scratch = Path(tempfile.mkdtemp(prefix="nnx-voila-"))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib")]:
        env[var] = str(scratch / sub)
    port = _free_port()
    cmd = [
        sys.executable, "-m", "voila", str(notebook_dir), "--no-browser", "--Voila.ip=127.0.0.1",
        f"--port={port}", "--Voila.port_retries=0", "--show_tracebacks=True",
        "--MappingKernelManager.cull_idle_timeout=120", "--MappingKernelManager.cull_interval=30",
    ]
    if argv is not None:
        cmd = argv(port)
    log_path = scratch / "voila.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=notebook_dir, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    proc.scratch, proc.log_path = scratch, log_path
    _wait_for_port(port, proc, timeout)
    return f"http://127.0.0.1:{port}/", proc


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started by `serve` (its process group) and remove its scratch directory."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue
    shutil.rmtree(getattr(proc, "scratch", ""), ignore_errors=True)


# ---- the server's kernels ----------------------------------------------------------------------
def kernels(proc) -> dict[str, psutil.Process]:
    """The server's kernels by id (from their connection file's name)."""
    found = {}
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:
            continue
        match = re.search(r"kernel-([0-9a-f-]{36})\.json", line)
        if match and "ipykernel" in line:
            found[match.group(1)] = child
    return found


def waiting(proc, port: int) -> set[str]:
    """Kernels that wait for a visitor: their websocket to the server's port is open."""
    ids = set()
    for kid, kernel in kernels(proc).items():
        try:
            conns = kernel.net_connections(kind="tcp")
        except psutil.Error:
            continue
        if any(c.raddr and c.raddr.port == port and c.status == "ESTABLISHED" for c in conns):
            ids.add(kid)
    return ids


def wait_for_pool(proc, port: int, pool: int, timeout: float = 240.0) -> float:
    """Wait until `pool` kernels wait for a visitor; return the seconds it took."""
    start = time.monotonic()
    while len(waiting(proc, port)) < pool:
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"only {len(waiting(proc, port))} of {pool} preheated kernels "
                               f"ready after {timeout:.0f} s")
        if proc.poll() is not None:
            raise RuntimeError(f"nn-explorer exited: {proc.log_path.read_text()[-2000:]}")
        time.sleep(0.2)
    return time.monotonic() - start


def notebook_url(base: str, name: str) -> str:
    """The URL at which Voila renders notebook `name` (relative to the served directory)."""
    return f"{base}voila/render/{quote(name)}"


def launch(playwright):
    """Headless Chromium (Debian's build; never a downloaded one) with a fresh temporary profile."""
    path = chromium_path()
    if path is None:
        raise RuntimeError(HINT)
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


@dataclass
class PageLog:
    """What a page did wrong (console errors, page errors, failed or >= 400 requests to the server)
    and the requests it made elsewhere (answered with an empty 200 here: the tier runs offline)."""

    problems: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


def open_page(browser, url: str, width: int = 1280, height: int = 720, scale: float = 1.0,
              timeout: float = 60.0, init_script: str | None = None):
    """Open `url` in a new context of width x height CSS pixels at devicePixelRatio `scale` (running
    `init_script` before the page's own scripts); return the page and its PageLog."""
    viewport = {"width": width, "height": height}
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    context.set_default_timeout(timeout * 1000)
    if init_script:
        context.add_init_script(init_script)
    host = urlsplit(url).netloc
    log = PageLog()

    def local(u: str) -> bool:
        return urlsplit(u).netloc == host

    def offline(route) -> None:
        log.external.append(route.request.url)
        route.fulfill(status=200, body="")

    context.route(lambda u: not local(u) and urlsplit(u).scheme in ("http", "https"), offline)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and log.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: log.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: local(r.url) and log.problems.append(
        f"request failed: {r.method} {r.url} ({r.failure})"))
    page.on("response", lambda r: local(r.url) and r.status >= 400 and log.problems.append(
        f"HTTP {r.status}: {r.request.method} {r.url}"))
    page.goto(url, wait_until="load")
    return page, log


def wait_for_canvases(page, timeout: float = 60.0) -> int:
    """Wait until every live canvas (`canvas.nnx-live`) has drawn a frame; return how many."""
    page.wait_for_function(ALL_DRAWN, timeout=timeout * 1000, polling=100)
    return page.locator("canvas.nnx-live").count()


def shoot(notebook: Path, out: Path, width: int, height: int, scale: float, full_page: bool,
          settle: float) -> list[str]:
    """Serve `notebook`, screenshot it once its canvases have drawn; return the problems seen."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, proc = serve(notebook.parent)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page, log = open_page(browser, notebook_url(url, notebook.name), width, height, scale)
            try:
                wait_for_canvases(page, timeout=30)
            except PlaywrightTimeout:
                log.problems.append("no live canvas drew a frame in 30 s (screenshot taken anyway)")
            time.sleep(settle)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=full_page)
            browser.close()
    finally:
        stop(proc)
    return log.problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--scale", type=float, default=1.0, help="devicePixelRatio")
    parser.add_argument("--full-page", action="store_true")
    parser.add_argument("--settle", type=float, default=0.5, help="seconds to wait after drawing")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"notebook {str(args.notebook)!r} does not exist")
    if chromium_path() is None:
        print(HINT, file=sys.stderr)
        return 2
    problems = shoot(args.notebook.resolve(), args.out, args.width, args.height, args.scale,
                     args.full_page, args.settle)
    print(f"saved {args.out}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
