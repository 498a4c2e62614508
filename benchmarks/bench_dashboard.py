"""The served dashboard in headless Chromium: first view, memory per kernel, every tab, Play.

    python benchmarks/bench_dashboard.py [--repeats 5] [--changes 30] [--play 5] [--pools 2 0]

Starts the real `nn-explorer` command (--no-browser, 127.0.0.1, a free port) once per pool size,
waits for its port (never by requesting the page: every GET takes a kernel) and, with a pool, for
every preheated kernel to have run the dashboard up to the point where it waits for a visitor (its
websocket to the server's /voila/query is open). Then it measures, in the page:
  (a) page request -> every live canvas of the first panel drawn (painted), per pool size;
  (b) the memory (RSS, USS) of the kernel serving the page, after the page and after every tab;
  (c) per tab: click -> every canvas of that panel painted on first open; then keydown on one
      slider -> the next new pixels painted in that panel (median, p95); the kernel's share of
      a change is timed in this process (the same panel and control, update + draw + encode);
  (d) training Play: displayed frames/s and updates/s (from the panel's readout); Pause latency.
Every figure is printed with the load average (other work on the machine slows all of them).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import shoot  # noqa: E402
from shoot import kernels, wait_for_pool  # noqa: E402

from explorer.app.dashboard import PANELS  # noqa: E402

SLUGS = [e.slug for e in PANELS]
PANES = "document.querySelector('.nnx-dashboard > .widget-tab > .widget-tab-contents').children"
TABS = ".nnx-dashboard > .widget-tab > .lm-TabBar .lm-TabBar-tab"
# panel -> (control name, slider label in the page; "" = the panel's first slider)
SLIDERS = {
    "activations": ("z_probe", "probe z"), "perceptron": ("w1", "w1"),
    "training": ("noise", "noise"), "descent": ("lr", "η (lr)"), "backprop": ("step", ""),
    "graph": ("step", ""), "convolution": ("position", "window"),
    "initialization": ("sigma", "too large σ"),
}
TARGETS = {"first view, pool": 2000.0, "first view, no pool": 4000.0, "kernel MB": 150.0,
           "median": 40.0, "p95": 80.0, "kernel": 15.0, "fps": 30.0, "updates/s": 1000.0,
           "pause": 100.0}

# In the page: every new frame of a live canvas (its data-frames grows) with the animation frame
# after it (when it is on screen) and the tab it is in; keydowns and clicks; helpers to wait.
PAGE_JS = r"""(() => {
  const first = new WeakMap(), ev = [], keys = [], clicks = [];
  window.nnx = { first, ev, keys, clicks };
  const panes = () => document.querySelector(
    '.nnx-dashboard > .widget-tab > .widget-tab-contents')?.children || [];
  const paneOf = (el) => [...panes()].findIndex((p) => p.contains(el));
  new MutationObserver((records) => records.forEach((r) => {
    const e = { t: performance.now(), paint: null, pane: paneOf(r.target) };
    if (!first.has(r.target)) first.set(r.target, e);
    ev.push(e);
    requestAnimationFrame(() => { e.paint = performance.now(); });
  })).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-frames"] });
  document.addEventListener("keydown", () => keys.push(performance.now()), true);
  document.addEventListener("click", () => clicks.push(performance.now()), true);
""" + shoot.poll_js(2) + r"""
  const inPane = (i) => ev.filter((e) => e.pane === i);
  window.nnxDrawn = (i) => {  // when every live canvas of tab i had first been painted (or null)
    const pane = panes()[i];
    if (!pane) return null;
    const c = [...pane.querySelectorAll("canvas.nnx-live")];
    const t = c.map((el) => first.get(el)?.paint);
    return c.length && t.every((x) => x != null) ? { n: c.length, t: Math.max(...t) } : null;
  };
  window.nnxQuiet = (i, ms, max) => {  // no new pixels in tab i for ms; [events, keys]
    let n = -1, last = 0;
    return poll(() => {
      const now = performance.now(), mine = inPane(i);
      if (mine.length !== n) { n = mine.length; last = now; }
      const painted = !n || mine[n - 1].paint !== null;
      return now - last >= ms && painted ? [ev.length, keys.length] : undefined;
    }, max);
  };
  window.nnxNext = (i, n, k, max) => poll(() => {  // first new pixels in tab i after event n
    const e = ev.slice(n).find((x) => x.pane === i);
    return e && e.paint !== null ? e.paint - keys[k] : undefined;
  }, max);
  window.nnxPaints = (i, t0, t1) =>  // distinct animation frames that showed new pixels of tab i
    new Set(inPane(i).filter((e) => e.t >= t0 && e.t < t1).map((e) => e.paint)).size;
})();"""
NAV = """() => { const n = performance.getEntriesByType('navigation')[0];
  return { first_byte: n.responseStart, html_end: n.responseEnd,
           dom_ready: n.domContentLoadedEventEnd, load: n.loadEventEnd,
           bytes: n.transferSize }; }"""
READOUT = r"""(i) => {  // [now, updates] from the training readout 'epoch N (M updates)'
  for (const el of document.querySelector('.nnx-dashboard > .widget-tab > .widget-tab-contents')
      .children[i].querySelectorAll('.widget-html-content')) {
    const m = el.textContent.match(/^epoch [\d,]+ \(([\d,]+) updates\)/);
    if (m) return [performance.now(), Number(m[1].replace(/,/g, ''))];
  }
  return null; }"""
PAUSE = """async (i) => {  // click Pause; ms to the label 'Play' and to the last new pixels
  const pane = document.querySelector('.nnx-dashboard > .widget-tab > .widget-tab-contents')
    .children[i];
  const button = [...pane.querySelectorAll('.widget-toggle-button')]
    .find((b) => b.textContent.trim() === 'Pause');
  const t0 = performance.now();
  button.click();
  let label = null;
  while (performance.now() - t0 < 5000 && label === null) {
    if (button.textContent.trim() === 'Play') label = performance.now() - t0;
    else await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise((r) => setTimeout(r, 1500));
  const after = nnx.ev.filter((e) => e.pane === i && e.t > t0);
  return { label, frames: after.length,
           last: after.length ? after[after.length - 1].paint - t0 : 0 }; }"""


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def say(text: str) -> None:
    print(f"  {text}  [{load()}]", flush=True)


# ---- the server ---------------------------------------------------------------------------
def command(pool: int):
    """argv(port) for shoot.serve: the installed `nn-explorer` beside this Python."""
    script = Path(sys.executable).with_name("nn-explorer")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "explorer.app.cli"]
    return lambda port: head + ["--no-browser", "--host", "127.0.0.1", "--port", str(port),
                                "--pool", str(pool)]


def memory(kernel: psutil.Process) -> tuple[float, float, float]:
    """RSS, PSS and USS of a kernel, MB. PSS counts pages shared with other kernels (libraries)
    in equal parts: what each kernel of a class adds; the verdict is on it."""
    info = kernel.memory_full_info()
    return info.rss / 2**20, info.pss / 2**20, info.uss / 2**20


# ---- in the page --------------------------------------------------------------------------
def open_dashboard(browser, url: str):
    """Open the dashboard; wait until its first tab has drawn; (page, log, ms, navigation)."""
    page, log = shoot.open_page(browser, url, init_script=PAGE_JS, timeout=180)
    page.wait_for_function("() => window.nnxDrawn && nnxDrawn(0)", timeout=180_000, polling=20)
    drawn = page.evaluate("nnxDrawn(0)")
    return page, log, drawn["t"], page.evaluate(NAV)


def close(page) -> None:
    """Close the page as a visitor does (Voila shuts its kernel down on beforeunload)."""
    page.close(run_before_unload=True)
    time.sleep(0.5)
    page.context.close()


def first_views(browser, url: str, proc, port: int, pool: int, repeats: int) -> dict:
    """(a): `repeats` page loads (after one warm-up), each with the pool full again."""
    times, parts = [], []
    for r in range(repeats + 1):
        if pool:
            wait_for_pool(proc, port, pool)
        else:
            time.sleep(2)  # let the last page's kernel shut down
        page, log, ms, nav = open_dashboard(browser, url)
        note = "warm-up, not counted" if r == 0 else f"run {r}"
        say(f"pool {pool}: first tab drawn {ms:7.0f} ms (html first byte {nav['first_byte']:.0f}, "
            f"html end {nav['html_end']:.0f}, DOM ready {nav['dom_ready']:.0f}, "
            f"load {nav['load']:.0f} ms, {nav['bytes'] / 1024:.0f} KiB) {note}")
        for problem in log.problems:
            say(f"! {problem}")
        if r:
            times.append(ms)
            parts.append(nav)
        close(page)
    return {"median": float(np.median(times)), "max": float(np.max(times)),
            "html_end": float(np.median([p["html_end"] for p in parts]))}


def show_tab(page, i: int) -> float:
    """Click tab i; ms from the click to every canvas of it painted."""
    page.locator(TABS).nth(i).click()
    page.wait_for_function("(i) => nnxDrawn(i)", arg=i, timeout=120_000, polling=20)
    return page.evaluate("(i) => nnxDrawn(i).t - nnx.clicks[nnx.clicks.length - 1]", i)


def handle(page, i: int, label: str):
    pane = page.locator(".nnx-dashboard > .widget-tab > .widget-tab-contents > *").nth(i)
    sliders = pane.locator(".widget-slider")
    if label:
        sliders = sliders.filter(has=page.locator(".widget-label", has_text=label))
    return sliders.first.locator(".noUi-handle").first


def slider_latency(page, i: int, label: str, first: int, changes: int) -> dict:
    """Keydown on a slider of tab i -> its next new pixels painted, alternating direction."""
    handle(page, i, label).focus()
    keys = ["ArrowRight", "ArrowLeft"] if first > 0 else ["ArrowLeft", "ArrowRight"]
    found, misses = [], 0
    for c in range(changes + 3):  # 3 warm-up changes
        n, k = page.evaluate(f"nnxQuiet({i}, 150, 10000)")
        page.keyboard.press(keys[c % 2])
        ms = page.evaluate(f"nnxNext({i}, {n}, {k}, 5000)")
        misses += ms is None
        if ms is not None and c >= 3:
            found.append(ms)
    if not found:
        return {"median": float("nan"), "p95": float("nan"), "misses": misses}
    return {"median": float(np.median(found)), "p95": float(np.percentile(found, 95)),
            "misses": misses}


def play(page, i: int, seconds: float) -> dict:
    """Press Play on the training tab; displayed frames/s and updates/s over `seconds`; Pause."""
    show_tab(page, i)
    pane = page.locator(".nnx-dashboard > .widget-tab > .widget-tab-contents > *").nth(i)
    pane.locator(".widget-toggle-button", has_text="Play").click()
    pane.locator(".widget-toggle-button", has_text="Pause").wait_for()
    time.sleep(1.0)
    t0, u0 = page.evaluate(READOUT, i)
    time.sleep(seconds)
    t1, u1 = page.evaluate(READOUT, i)
    paints = page.evaluate(f"nnxPaints({i}, {t0}, {t1})")
    stop = page.evaluate(PAUSE, i)
    return {"fps": 1000 * paints / (t1 - t0), "updates/s": 1000 * (u1 - u0) / (t1 - t0),
            "pause label": stop["label"], "pause": stop["last"], "frames after": stop["frames"]}


def tabs_and_play(browser, url: str, proc, port: int, pool: int, changes: int, seconds: float,
                  directions: dict) -> dict:
    """(b), (c), (d) on one page of a server with a full pool, measured once the pool has refilled
    (starting the replacement kernel takes a core for seconds)."""
    wait_for_pool(proc, port, pool)
    page, log, ms, _ = open_dashboard(browser, url)
    say(f"pool refilled {wait_for_pool(proc, port, pool):.1f} s after the page was drawn")
    kid = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.content()).group(1)
    kernel = kernels(proc)[kid]
    out = {"mem page": memory(kernel), "tabs": {}}
    say(f"page drawn in {ms:.0f} ms; its kernel: RSS/PSS/USS "
        f"{'/'.join(f'{v:.0f}' for v in out['mem page'])} MB")
    for i, slug in enumerate(SLUGS):
        opened = show_tab(page, i) if i else ms
        control, label = SLIDERS[slug]
        lat = slider_latency(page, i, label, directions[slug], changes)
        out["tabs"][slug] = {"open": opened, **lat}
        say(f"{slug:15} open {opened:6.0f} ms  {control} median {lat['median']:5.1f} ms, "
            f"p95 {lat['p95']:5.1f} ms, misses {lat['misses']}")
    out["mem tabs"] = memory(kernel)
    say(f"after every tab: RSS/PSS/USS {'/'.join(f'{v:.0f}' for v in out['mem tabs'])} MB")
    out["play"] = play(page, SLUGS.index("training"), seconds)
    say("Play: " + ", ".join(f"{k} {v:.1f}" for k, v in out["play"].items()))
    out["problems"] = log.problems
    close(page)
    return out


# ---- in this process ----------------------------------------------------------------------
def kernel_share(n: int = 30) -> tuple[dict, dict]:
    """Per panel: the Python work of one slider change (CPU ms, median and p95: set the control,
    draw, encode, send) as if a browser at dpr 1 were attached; and the first key's direction."""
    from explorer.live import LiveFigure

    shares, directions = {}, {}
    for entry in PANELS:
        panel = entry.build()
        lives = {id(v): v for v in [panel.live, *vars(panel).values()] if isinstance(v, LiveFigure)}
        for live in lives.values():
            live.widget.send = lambda content, buffers=None: None
            live._on_msg(live.widget, {"type": "ready", "dpr": 1}, [])
        control = panel.controls[SLIDERS[entry.slug][0]]
        values = _two_values(control)
        directions[entry.slug] = 1 if values[1] > values[0] else -1
        times = []
        for c in range(n + 3):
            t = time.process_time()  # CPU time: what the change costs an otherwise idle kernel
            control.value = values[(c + 1) % 2]
            for live in lives.values():
                live.flush()
            if c >= 3:
                times.append(1000 * (time.process_time() - t))
        shares[entry.slug] = (float(np.median(times)), float(np.percentile(times, 95)))
    return shares, directions


def _two_values(control) -> tuple:
    """The control's value and its neighbour one step up (or down, at the top)."""
    v, step = control.value, control.step
    if hasattr(control, "base"):  # a log slider steps its exponent
        up, down = v * control.base**step, v / control.base**step
    else:
        up, down = v + step, v - step
    return (v, up) if up <= control.max else (v, down)


# ---- report -------------------------------------------------------------------------------
def verdict(value: float, target: float, above: bool = False) -> str:
    ok = value >= target if above else value <= target
    return "met" if ok else "MISSED"


def report(views: dict, run: dict, shares: dict) -> None:
    print(f"\n{'figure':44}{'measured':>22}{'target':>12}  verdict")

    def row(name, text, target, ok):
        print(f"{name:44}{text:>22}{target:>12}  {ok}")

    for pool, v in views.items():
        key = "first view, pool" if pool else "first view, no pool"
        row(f"page -> first tab drawn, pool {pool}", f"{v['median']:.0f} / max {v['max']:.0f} ms",
            f"< {TARGETS[key]:.0f} ms", verdict(v["max"], TARGETS[key]))
    for when in ("mem page", "mem tabs"):
        rss, pss, uss = run[when]
        row(f"kernel memory ({'page' if when == 'mem page' else 'every tab open'}) RSS/PSS/USS",
            f"{rss:.0f}/{pss:.0f}/{uss:.0f} MB", "< 150 MB", verdict(pss, TARGETS["kernel MB"]))
    for slug, t in run["tabs"].items():
        k = shares[slug]
        ok = all([t["median"] <= TARGETS["median"], t["p95"] <= TARGETS["p95"],
                  k[0] <= TARGETS["kernel"]])
        row(f"{slug}: open, slider median/p95, kernel",
            f"{t['open']:.0f}|{t['median']:.0f}/{t['p95']:.0f}|{k[0]:.1f} ms",
            "40/80|15 ms", ("met" if ok else "MISSED") + (f" ({t['misses']} missed)"
                                                         if t["misses"] else ""))
    p = run["play"]
    row("training Play: displayed frames/s", f"{p['fps']:.1f}", ">= 30", verdict(p["fps"], 30, True))
    row("training Play: updates/s", f"{p['updates/s']:.0f}", ">= 1000",
        verdict(p["updates/s"], 1000, True))
    row("Pause: click -> last new pixels", f"{p['pause']:.0f} ms", "<= 100 ms",
        verdict(p["pause"], TARGETS["pause"]))
    row("Pause: click -> button says Play", f"{p['pause label']:.0f} ms", "", "")
    for problem in run["problems"]:
        print(f"  ! {problem}")
    print(f"\nopen: click -> every canvas of the tab painted (first tab: page request -> painted)"
          f"\nslider: keydown -> next new pixels painted; kernel: CPU time of the Python work per"
          " change, in this process"
          f"\n{load()} (1, 5, 15 min: {', '.join(f'{x:.1f}' for x in os.getloadavg())}) "
          f"on {os.cpu_count()} CPUs")


def serve(pool: int):
    """Start `nn-explorer --pool pool` in a scratch directory; (url, process, port)."""
    scratch = tempfile.mkdtemp(prefix="nnx-bench-dash-")
    url, proc = shoot.serve(scratch, timeout=120, argv=command(pool))
    proc.workdir = scratch
    return url, proc, int(url.rsplit(":", 1)[1].strip("/"))


def stop(proc) -> None:
    """Stop the server and every process it started (kernels run in sessions of their own)."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    shoot.stop(proc)
    for child in children:
        try:
            child.terminate()
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        child.kill()
    shutil.rmtree(getattr(proc, "workdir", ""), ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="first views per pool size")
    parser.add_argument("--changes", type=int, default=30, help="slider changes per panel")
    parser.add_argument("--play", type=float, default=5.0, help="seconds of Play measured")
    parser.add_argument("--pools", type=int, nargs="+", default=[2, 0], help="pool sizes")
    args = parser.parse_args(argv)
    if shoot.chromium_path() is None:
        print(shoot.HINT)
        return 2
    from playwright.sync_api import sync_playwright

    print(f"kernel share per change (CPU time), in this process  [{load()}]")
    shares, directions = kernel_share()
    for slug, (median, p95) in shares.items():
        say(f"{slug:15} {SLIDERS[slug][0]:9} median {median:5.1f} ms, p95 {p95:5.1f} ms")
    views, run = {}, None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shoot.chromium_path(), headless=True,
                                    args=shoot.CHROMIUM_ARGS)
        try:
            for pool in args.pools:
                url, proc, port = serve(pool)
                try:
                    if pool:
                        say(f"nn-explorer --pool {pool}: pool ready "
                            f"{wait_for_pool(proc, port, pool):.1f} s after the port opened")
                    views[pool] = first_views(browser, url, proc, port, pool, args.repeats)
                    if run is None and pool:
                        run = tabs_and_play(browser, url, proc, port, pool, args.changes,
                                            args.play, directions)
                finally:
                    stop(proc)
        finally:
            browser.close()
    if run is not None:
        report(views, run, shares)
    return 0


if __name__ == "__main__":
    sys.exit(main())
