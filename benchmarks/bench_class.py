"""Many students: N simultaneous sessions of the dashboard against one `nn-explorer` server.

    python benchmarks/bench_class.py [--sessions 30] [--stagger 2] [--cull-after 120] [--pool 2]

Starts the product's own command (`nn-explorer --no-browser`, a free port on 127.0.0.1, a short
`--cull-after`, yet longer than the slowest page load) and drives N sessions in one headless
Chromium (Debian's; one context per student). The server and its kernels run at a lower priority
(`--nice`), so that the one Chromium, standing in for every student's own computer, is not also
starved of CPU by the kernels it measures. Each session loads the dashboard and waits for its
first figure, opens the Training tab, presses Play for a few seconds and Pause, then moves the
noise slider one step (keyboard), and checks that each control changes the canvas's pixels.
Response = the input event in the page -> the canvas's pixels differ, timed in the page. With every
session open: RSS and PSS (shared pages counted once) of each kernel (the server's ipykernel
children), of the server, and their total. Then the contexts are closed without unload handlers
(students closing their laptops) and the kernel count is watched until it falls back to the pool
size: idle kernels are culled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import shoot  # noqa: E402  (tests/browser is not a package)

APP = ROOT / "explorer" / "app"
CULL_INTERVAL = 30  # seconds: the server's cull_interval (fixed in explorer/app/cli.py)
TRAINING = 2  # the Training tab's index
TABS = ".nnx-dashboard > .widget-tab > .lm-TabBar .lm-TabBar-tab"
PANES = ".nnx-dashboard > .widget-tab > .widget-tab-contents > *"
KEEP_ALIVE = 10  # seconds between clicks of a session waiting for the others (no kernel is culled)
MIB = 2**20

# In the page: the time of the last input event, a hash of a tab's first live canvas, and waits for
# new pixels (frames counted by canvas.js in data-frames) and for quiet.
PAGE_JS = r"""(() => {
  let last = 0;
  for (const type of ["pointerdown", "keydown"])
    document.addEventListener(type, () => { last = performance.now(); }, true);
  const canvas = (i) => document.querySelector(
    '.nnx-dashboard > .widget-tab > .widget-tab-contents').children[i]
    .querySelector('canvas.nnx-live');
  const frames = (c) => +c.dataset.frames || 0;
  const hash = (c) => {
    const d = new Uint32Array(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.buffer);
    let h = 2166136261;
    for (let k = 0; k < d.length; k++) h = Math.imul(h ^ d[k], 16777619);
    return `${h >>> 0}:${c.width}x${c.height}`;
  };
""" + shoot.poll_js(20) + r"""
  window.nnxSnap = (i) => ({ frames: frames(canvas(i)), hash: hash(canvas(i)) });
  window.nnxChange = ([i, snap, max]) => {  // ms from the last input to pixels unlike snap's
    let seen = snap.frames;
    return poll(() => {
      const c = canvas(i), f = frames(c);
      if (f === seen) return undefined;
      seen = f;
      return hash(c) !== snap.hash ? performance.now() - last : undefined;
    }, max);
  };
  window.nnxQuiet = ([i, ms, max]) => {  // wait until no frame for ms
    let n = -1, since = 0;
    return poll(() => {
      const f = frames(canvas(i)), now = performance.now();
      if (f !== n) { n = f; since = now; }
      return now - since >= ms ? f : undefined;
    }, max);
  };
})();"""
DRAWN = """(i) => { const pane = document.querySelector(
  '.nnx-dashboard > .widget-tab > .widget-tab-contents')?.children[i];
  const c = pane ? [...pane.querySelectorAll('canvas.nnx-live')] : [];
  return c.length > 0 && c.every((e) => e.offsetParent !== null && +e.dataset.frames >= 1); }"""


# ---- the server and its kernels -----------------------------------------------------------------
def command(cull_after: int, pool: int, nice: int):
    """argv(port) for shoot.serve: the installed `nn-explorer` command of this environment, at
    niceness `nice` (its kernels inherit it)."""
    exe = Path(sys.executable).with_name("nn-explorer")
    exe = str(exe) if exe.exists() else shutil.which("nn-explorer")
    if exe is None:
        raise SystemExit("nn-explorer is not installed here: pip install -e . (make dashboard)")
    return lambda port: ["nice", "-n", str(nice), exe, "--no-browser", "--port", str(port),
                         "--cull-after", str(cull_after), "--pool", str(pool)]


def kernels(server: psutil.Process) -> list[psutil.Process]:
    """The server's kernel processes."""
    return list(shoot.kernels(server).values())


def size(proc: psutil.Process, pss: bool = False) -> float:
    """Resident (or proportional) set size of `proc` in MiB; nan if it has gone."""
    try:
        info = proc.memory_full_info() if pss else proc.memory_info()
        return (info.pss if pss else info.rss) / MIB
    except psutil.Error:
        return float("nan")


def memory(server: psutil.Process) -> dict:
    """RSS and PSS (MiB) of each kernel and of the server."""
    ks = kernels(server)
    return {"rss": [size(k) for k in ks], "pss": [size(k, pss=True) for k in ks],
            "server": size(server), "server_pss": size(server, pss=True)}


class Sampler(threading.Thread):
    """Samples, every second, the kernels and RSS of server + kernels; keeps the peak (the total,
    and each kernel's RSS then) and every kernel seen (to be sure none is left running)."""

    def __init__(self, server: psutil.Process):
        super().__init__(daemon=True)
        self.server, self.done = server, threading.Event()
        self.peak, self.peak_kernels = 0.0, []  # MiB in all, and of each kernel, at the peak
        self.most_kernels = 0
        self.seen: set[psutil.Process] = set()

    def run(self) -> None:
        while not self.done.wait(1.0):
            ks = kernels(self.server)
            self.seen.update(ks)
            each = [size(k) for k in ks]
            self.most_kernels = max(self.most_kernels, len(ks))
            if size(self.server) + sum(each) > self.peak:
                self.peak, self.peak_kernels = size(self.server) + sum(each), each


def wait_for_pool(server: psutil.Process, pool: int, timeout: float = 300.0) -> float:
    """Wait until the preheated pool is up and idle (its kernels use < 5 % CPU over a second), as
    in a classroom where the server was started earlier; return the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        ks = kernels(server)
        if len(ks) >= pool:
            try:
                for k in ks:
                    k.cpu_percent()
                time.sleep(1.0)
                if all(k.cpu_percent() < 5 for k in ks):
                    return time.monotonic() - start
            except psutil.Error:
                pass
        time.sleep(0.5)
    return time.monotonic() - start


def watch_culling(server: psutil.Process, pool: int, limit: float) -> list[tuple[float, int]]:
    """Kernel counts every 5 s after the sessions closed, until the pool size or `limit` s."""
    start, seen = time.monotonic(), []
    while True:
        n = len(kernels(server))
        seen.append((time.monotonic() - start, n))
        if n <= pool or seen[-1][0] > limit:
            return seen
        time.sleep(5)


# ---- the students -------------------------------------------------------------------------------
async def new_page(browser, url: str, problems: list[str]):
    """A fresh context (1280 x 720) with the timing script; other hosts answered empty (offline)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    await context.add_init_script(PAGE_JS)
    host = urlsplit(url).netloc

    async def offline(route):
        await route.fulfill(status=200, body="")

    await context.route(lambda u: urlsplit(u).netloc != host and u.startswith("http"), offline)
    page = await context.new_page()
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    return context, page


async def change(page, act, timeout: float) -> float | None:
    """Do `act` (an input in the page); ms until the training canvas shows other pixels."""
    snap = await page.evaluate("nnxSnap", TRAINING)
    await act()
    return await page.evaluate("nnxChange", [TRAINING, snap, timeout * 1000])


def epoch(text: str) -> int:
    """The epoch the training readout shows, or -1."""
    found = re.search(r"epoch ([\d,]+) \(", text)
    return int(found.group(1).replace(",", "")) if found else -1


async def render(page, url: str, timeout: float, out: dict) -> None:
    """Load the dashboard, wait for its first figure, open the Training tab and wait for it."""
    start = time.monotonic()
    await page.goto(url, wait_until="load", timeout=timeout)
    out["load"] = time.monotonic() - start
    await page.wait_for_function(DRAWN, arg=0, timeout=timeout, polling=100)
    out["first"] = time.monotonic() - start
    t = time.monotonic()
    await page.locator(TABS).nth(TRAINING).click()
    await page.wait_for_function(DRAWN, arg=TRAINING, timeout=timeout, polling=100)
    out["tab"] = time.monotonic() - t


async def respond(page, opts, out: dict) -> None:
    """Play for a while (time to new pixels), Pause, one step of the noise slider (likewise)."""
    timeout = opts.timeout * 1000
    pane = page.locator(PANES).nth(TRAINING)
    await page.evaluate("nnxQuiet", [TRAINING, 500, timeout])
    play = pane.locator(".widget-toggle-button", has_text="Play")
    out["play"] = await change(page, play.click, opts.timeout)
    await asyncio.sleep(opts.play)
    await pane.locator(".widget-toggle-button", has_text="Pause").click()
    await play.wait_for(timeout=timeout)
    await page.evaluate("nnxQuiet", [TRAINING, 1000, timeout])
    out["epoch"] = epoch(await pane.inner_text())
    handle = pane.locator(".widget-hslider", has_text="noise").locator(".noUi-handle")
    await handle.focus()
    out["slider"] = await change(page, lambda: handle.press("ArrowRight"), opts.timeout)


async def keep_alive(page, out: dict, all_done: asyncio.Event) -> None:
    """Until every session is done, click a button every KEEP_ALIVE s so no kernel is culled."""
    while not all_done.is_set():
        try:
            await asyncio.wait_for(all_done.wait(), KEEP_ALIVE)
        except asyncio.TimeoutError:
            try:
                await page.get_by_role("button", name="Link to this view").click(timeout=30_000)
            except Exception as e:
                out["problems"].append(f"keep-alive click: {type(e).__name__}")


async def session(browser, url: str, k: int, opts, finished: list, all_done: asyncio.Event) -> dict:
    """One student: starts k * stagger s in, renders and responds, then stays until all are done."""
    await asyncio.sleep(k * opts.stagger)
    out = {"k": k, "problems": [], "context": None}
    try:
        out["context"], page = await new_page(browser, url, out["problems"])
        await render(page, url, opts.timeout * 1000, out)
        await respond(page, opts, out)
    except Exception as e:  # a session that fails is reported, the others go on
        out["problems"].append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
    out["rendered"] = "tab" in out
    out["responded"] = bool(out.get("play") and out.get("slider") and out.get("epoch", 0) > 0)
    finished.append(k)
    print_session(out, len(finished), opts.sessions)
    if len(finished) == opts.sessions:
        all_done.set()
    if out["context"] is not None:
        await keep_alive(page, out, all_done)
    return out


def print_session(out: dict, done: int, of: int) -> None:
    state = "ok" if out["responded"] else "rendered, did not respond" if out["rendered"] else "FAILED"
    print(f"  session {out['k']:2d}: {state}, page {out.get('load', float('nan')):.1f} s, "
          f"first figure {out.get('first', float('nan')):.1f} s, "
          f"slider {out.get('slider') or float('nan'):.0f} ms ({done}/{of} done, load "
          f"{os.getloadavg()[0]:.1f})"
          + "".join(f"\n    ! {p.splitlines()[0][:160]}" for p in out["problems"][-1:]), flush=True)


async def drive(url: str, opts, snapshot) -> list[dict]:
    """Run the sessions; call snapshot() when all have done their work, then close them."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shoot.chromium_path(), headless=True,
                                          args=shoot.CHROMIUM_ARGS)
        try:
            finished, all_done = [], asyncio.Event()
            tasks = [asyncio.create_task(session(browser, url, k, opts, finished, all_done))
                     for k in range(opts.sessions)]
            await all_done.wait()
            snapshot()  # every session still open, each done with its work
            results = await asyncio.gather(*tasks)
            for r in results:  # no beforeunload handlers run: each kernel is left to the culler
                context = r.pop("context")
                if context is not None:
                    await context.close()
            return results
        finally:
            await browser.close()


# ---- the report ---------------------------------------------------------------------------------
def median_max(values) -> str:
    values = [v for v in values if v is not None and v == v]
    if not values:
        return "       -        -"
    return f"{statistics.median(values):8.1f} {max(values):8.1f}"


def load() -> str:
    return f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"


def report_sessions(opts, results: list[dict], wall: float) -> None:
    n = opts.sessions
    print(f"\n{n} sessions against nn-explorer (pool {opts.pool}, --cull-after {opts.cull_after}), "
          f"started {opts.stagger:g} s apart, Play held {opts.play:g} s; {wall:.0f} s in all")
    for key, label in [("rendered", "first figure and Training tab drawn"),
                       ("responded", "Play and the slider changed the pixels")]:
        print(f"  {key} ({label}): {sum(r[key] for r in results)}/{n}")
    print(f"  {'':28}{'median':>8} {'max':>8}")
    for key, label in [("load", "page load event (s)"), ("first", "first figure (s)"),
                       ("tab", "Training tab drawn (s)"), ("play", "Play -> new pixels (ms)"),
                       ("slider", "slider -> new pixels (ms)"), ("epoch", "epochs trained")]:
        print(f"  {label:28}{median_max(r.get(key) for r in results)}")
    responses = [(r[key], key, r["k"]) for r in results for key in ("play", "slider") if r.get(key)]
    if responses:
        ms, key, k = max(responses)
        print(f"  slowest response to a control: {ms:.0f} ms ({key}, session {k})")


def report_memory(mem: dict, sampler: Sampler, sessions: int) -> None:
    print(f"\nmemory when every session was done ({len(mem['rss'])} kernels; {sessions} sessions + "
          "pool, less any culled)")
    print(f"  {'':28}{'median':>8} {'max':>8}")
    print(f"  per-kernel RSS (MiB)        {median_max(mem['rss'])}")
    print(f"  per-kernel PSS (MiB)        {median_max(mem['pss'])}")
    print(f"  server RSS, PSS (MiB)       {mem['server']:8.1f} {mem['server_pss']:8.1f}")
    print(f"  server + kernels RSS (MiB)  {mem['server'] + sum(mem['rss']):8.1f}")
    print(f"  server + kernels PSS (MiB)  {mem['server_pss'] + sum(mem['pss']):8.1f}   (shared pages "
          "counted once)")
    each = sampler.peak_kernels or [float("nan")]
    print(f"  at the peak sampled: server + kernels RSS {sampler.peak:.0f} MiB with {len(each)} "
          f"kernels (each {statistics.median(each):.0f} MiB median, {max(each):.0f} max); most "
          f"kernels seen: {sampler.most_kernels}")


def report_culling(opts, culling: list[tuple[float, int]]) -> bool:
    print(f"\nculling after the contexts closed (idle > {opts.cull_after} s, checked every "
          f"{CULL_INTERVAL} s)")
    changes = [(t, k) for i, (t, k) in enumerate(culling) if i == 0 or k != culling[i - 1][1]]
    print("  kernels: " + ", ".join(f"{k} at {t:.0f} s" for t, k in changes)
          + f"; {culling[-1][1]} at {culling[-1][0]:.0f} s")
    culled = culling[-1][1] <= opts.pool
    after = f"yes, {culling[-1][0]:.0f} s after the last session closed" if culled else "NO"
    print(f"  kernels back to the pool size ({opts.pool}): {after}")
    return culled


def report_server_log(log: str, closed: int) -> None:
    """Kernels the server culled while the sessions were open (log before offset `closed`), and
    its errors, each once."""
    early = [line for line in log[:closed].splitlines() if "Culling '" in line]
    print(f"\nserver log: {len(early)} kernels culled while the sessions were open"
          + "".join(f"\n  {line[:200]}" for line in early[:3]))
    errors = [line[:200] for line in log.splitlines() if line.startswith(("[E ", "[C "))]
    for line in dict.fromkeys(errors):
        print(f"  ! {line}" + (f" (x{errors.count(line)})" if errors.count(line) > 1 else ""))


def report_problems(results: list[dict]) -> None:
    """Each problem once per session (its first line), with how often it came."""
    for r in results:
        lines = [p.splitlines()[0][:200] for p in r["problems"]]
        for problem in dict.fromkeys(lines):
            times = lines.count(problem)
            print(f"  ! session {r['k']}: {problem}" + (f" (x{times})" if times > 1 else ""))


def report(opts, results, mem, sampler, culling, wall: float, log: tuple[str, int]) -> int:
    report_sessions(opts, results, wall)
    report_memory(mem, sampler, opts.sessions)
    culled = report_culling(opts, culling)
    report_server_log(*log)
    report_problems(results)
    print(f"\n{load()} (other work on this machine shares them)")
    return 0 if all(r["responded"] for r in results) and culled else 1


# ---- main ---------------------------------------------------------------------------------------
def parse(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--stagger", type=float, default=2.0, help="seconds between starts")
    parser.add_argument("--play", type=float, default=3.0, help="seconds each session trains")
    parser.add_argument("--cull-after", type=int, default=300,
                        help="the server's --cull-after: longer than the slowest page load (30 "
                        "sessions on 2 cores: 3 min), or a kernel whose page has not connected yet "
                        "is culled")
    parser.add_argument("--pool", type=int, default=2, help="the server's --pool")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per step, at most")
    parser.add_argument("--nice", type=int, default=10,
                        help="the server's and kernels' niceness: the one Chromium stands in for "
                        "each student's own computer, so the kernels must not starve it")
    return parser.parse_args(argv)


def run(url: str, log: Path, sampler: Sampler, opts) -> int:
    """Wait for the pool, drive the sessions (memory when all are open), watch the culling; the
    server writes to `log`."""
    server = sampler.server
    print(f"pool of {opts.pool} preheated and idle after {wait_for_pool(server, opts.pool):.0f} s")
    mem: dict = {}
    start = time.monotonic()
    results = asyncio.run(drive(url, opts, lambda: mem.update(memory(server))))
    wall = time.monotonic() - start
    closed = log.stat().st_size
    culling = watch_culling(server, opts.pool, opts.cull_after + 2 * CULL_INTERVAL + 30)
    return report(opts, results, mem, sampler, culling, wall,
                  (log.read_text(errors="replace"), closed))


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    if shoot.chromium_path() is None:
        print(shoot.HINT)
        return 2
    print(f"before: {load()}; starting {opts.sessions} sessions {opts.stagger:g} s apart, "
          f"server at nice {opts.nice}")
    url, proc = shoot.serve(APP, timeout=120, argv=command(opts.cull_after, opts.pool, opts.nice))
    sampler = Sampler(psutil.Process(proc.pid))
    sampler.start()
    try:
        return run(url, proc.log_path, sampler, opts)
    finally:
        sampler.done.set()
        if sampler.server.is_running():
            sampler.seen.update(kernels(sampler.server))
        shoot.stop(proc)
        for kernel in sampler.seen:  # any kernel the server left behind
            try:
                kernel.kill()
            except psutil.Error:
                pass


if __name__ == "__main__":
    sys.exit(main())
