"""Slider-to-pixels latency of three live-figure transports, through Voila in headless Chromium.

    python benchmarks/bench_live.py [--changes 60] [--burst 100] [--scales 1 2]

The same training-like figure (6.4 x 4 in at 100 CSS dpi: a curve and a probe on one axes, a
100 x 100 heat map and a scatter on the other) is shown by
  (a) live   : explorer.live.LiveFigure (PNG of the changed rectangle onto an anywidget canvas),
  (b) ipympl : ipympl's Canvas widget (matplotlib webagg: full Agg draw, PNG diff frames),
  (c) image  : ipywidgets.Image fed by Agg blitting and Pillow PNG (compress_level=1),
and, for reference, live* (LiveFigure with another PNG deflate strategy) and floor (no figure).
All three draw at the browser's devicePixelRatio (a and b ask the browser; c is told the scale).
Latency runs from the keydown that changes the slider to the first animation frame after the new
pixels reach the page (LiveFigure's data-frames, a canvas drawImage, an <img> load), timed in the
page. The kernel's share is the Python work per change (update, draw, encode, send), timed here.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import shoot  # noqa: E402  (tests/browser is not a package; it imports nothing heavy)

FIGSIZE = (6.4, 4.0)
TARGETS = {"median": 40.0, "p95": 80.0, "kernel": 15.0}  # ms, from the issue


def training_figure(fig):
    """Draw the benchmark figure on `fig`; return the artists that change and update(v) (step v)."""
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.97, bottom=0.13, top=0.91, wspace=0.3)
    x = np.linspace(0, 10, 400)
    (line,) = ax1.plot(x, np.exp(-x / 4), lw=2, color="#0072B2")
    (probe,) = ax1.plot([0], [1], "o", ms=8, color="#D55E00")
    ax1.set(xlim=(0, 10), ylim=(-0.5, 1.5), title="loss", xlabel="epoch")
    g = np.linspace(-3, 3, 100)
    gx, gy = np.meshgrid(g, g)
    image = ax2.imshow(np.zeros((100, 100)), extent=(-3, 3, -3, 3), origin="lower", cmap="RdBu_r",
                       vmin=-1, vmax=1, interpolation="nearest")
    points = np.random.default_rng(0).uniform(-2.5, 2.5, (60, 2))
    side = (points[:, 0] * points[:, 1] > 0).astype(float)
    scatter = ax2.scatter(*points.T, c=side, cmap="PuOr", s=24, edgecolors="k", linewidths=0.5)
    ax2.set(xlim=(-3, 3), ylim=(-3, 3), title="decision function")

    def update(v: int) -> None:
        phase = v / 25
        y = np.exp(-x / 4) + 0.3 * np.sin(2 * x + phase) * np.exp(-x / 8)
        line.set_ydata(y)
        i = (4 * v) % len(x)
        probe.set_data([x[i]], [y[i]])
        image.set_data(np.tanh(2 * np.sin(gx + phase) * np.cos(gy - phase / 2)))
        wobble = np.c_[np.cos(phase + points[:, 1]), np.sin(phase + points[:, 0])]
        scatter.set_offsets(points + 0.15 * wobble)

    update(0)
    return [line, probe, image, scatter], update


def encode_png_deflate(rgb: np.ndarray) -> bytes:
    """explorer.live.png.encode_png with zlib's default strategy, not Z_RLE (a proposed fix)."""
    import struct
    import zlib

    from explorer.live.png import SIGNATURE, _chunk

    h, w = rgb.shape[:2]
    rows = np.zeros((h, 1 + 3 * w), np.uint8)
    rows[:, 1:].reshape(h, w, 3)[:] = rgb[..., :3]
    deflate = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY)
    data = deflate.compress(rows) + deflate.flush()
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


class LiveView:
    """(a) LiveFigure: blitting, the changed rectangle as PNG, coalesced to <= 60 frames/s.
    With `deflate`, its PNG encoder is swapped for encode_png_deflate in this whole process."""

    def __init__(self, deflate: bool = False):
        import explorer.live.figure
        from explorer.live import LiveFigure
        from explorer.live.png import encode_png

        explorer.live.figure.encode_png = encode_png_deflate if deflate else encode_png
        self.live = LiveFigure(*FIGSIZE, dpi=100)
        self.artists, self._update = training_figure(self.live.figure)
        for artist in self.artists:
            self.live.animate(artist)
        self.widget = self.live.widget

    def show(self, v: int) -> None:
        self._update(v)
        self.live.draw_idle()

    def offline(self, scale: float, sizes: list) -> None:
        """Act as if a browser at `scale` were attached; record each frame's bytes in `sizes`."""
        self.widget.send = lambda content, buffers=None: sizes.append(sum(map(len, buffers)))
        self.live._on_msg(self.widget, {"type": "ready", "dpr": scale}, [])

    def work(self, v: int) -> None:
        self.show(v)  # no event loop here, so draw_idle draws, encodes and sends at once


class IpymplView:
    """(b) ipympl: each change asks the browser to ask for a draw: a full Agg draw, a PNG diff."""

    def __init__(self):
        from ipympl.backend_nbagg import Canvas, FigureManager
        from matplotlib.figure import Figure

        figure = Figure(figsize=FIGSIZE, dpi=100)
        self.canvas = Canvas(figure)
        self.manager = FigureManager(self.canvas, 1)
        self.canvas.toolbar_visible = self.canvas.header_visible = False
        self.canvas.footer_visible = self.canvas.resizable = False
        self.artists, self._update = training_figure(figure)
        self.widget = self.canvas

    def show(self, v: int) -> None:
        self._update(v)
        self.canvas.draw_idle()

    def offline(self, scale: float, sizes: list) -> None:
        self.canvas.syncing_data_url = False  # as after the browser's "initialized"
        self.canvas.send = lambda content, buffers=None: buffers and sizes.append(len(buffers[0]))
        self.canvas._set_device_pixel_ratio(scale)
        self.canvas.draw()

    def work(self, v: int) -> None:
        self._update(v)
        self.canvas.draw()  # what the browser's "draw" request runs: draw, diff PNG, send


class ImageView:
    """(c) ipywidgets.Image: Agg blitting, the whole figure as PNG (Pillow, level 1) per change."""

    def __init__(self, scale: float = 1.0):
        import ipywidgets as widgets
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=FIGSIZE, dpi=100 * scale)
        FigureCanvasAgg(self.figure)
        self.artists, self._update = training_figure(self.figure)
        for artist in self.artists:
            artist.set_animated(True)
        self.figure.canvas.draw()
        self.background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        size = dict(width=f"{round(100 * FIGSIZE[0])}px", height=f"{round(100 * FIGSIZE[1])}px")
        self.widget = widgets.Image(format="png", layout=widgets.Layout(**size))
        self.show(0)

    def show(self, v: int) -> None:
        from PIL import Image

        self._update(v)
        canvas = self.figure.canvas
        canvas.restore_region(self.background)
        for artist in self.artists:
            self.figure.draw_artist(artist)
        out = io.BytesIO()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3]
        Image.fromarray(rgb).save(out, "png", compress_level=1)
        self.widget.value = out.getvalue()

    def offline(self, scale: float, sizes: list) -> None:
        assert self.figure.dpi == 100 * scale, "ImageView draws at the scale it was made with"
        self.widget.observe(lambda change: sizes.append(len(change["new"])), "value")

    work = show


class FloorView:
    """(d) floor: the kernel only sets a Label's text; the round trip every transport pays."""

    def __init__(self):
        import ipywidgets as widgets

        self.widget = widgets.Label("0")
        self.widget.add_class("nnx-floor")

    def show(self, v: int) -> None:
        self.widget.value = str(v)

    def offline(self, scale: float, sizes: list) -> None:
        pass

    work = show


VIEWS = {"live": "LiveView()", "live*": "LiveView(deflate=True)", "ipympl": "IpymplView()",
         "image": "ImageView({scale})", "floor": "FloorView()"}
MAKE = {"live": lambda scale: LiveView(), "live*": lambda scale: LiveView(deflate=True),
        "ipympl": lambda scale: IpymplView(), "image": ImageView,
        "floor": lambda scale: FloorView()}
NOTES = ("live* = LiveFigure with png.py's zlib strategy Z_RLE -> default (a proposed fix)\n"
         "floor = the kernel sets a Label's text: the round trip under every transport")
NOTEBOOK = """\
import sys
sys.path.insert(0, {here!r})
import ipywidgets as widgets
from bench_live import FloorView, ImageView, IpymplView, LiveView

view = {view}
slider = widgets.IntSlider(value=0, min=0, max=100000, description="step")
slider.observe(lambda change: view.show(change["new"]), "value")
widgets.VBox([slider, view.widget])
"""

# In the page: time each keydown, and each time new pixels reach the page (a LiveFigure canvas's
# data-frames grows, a drawImage onto another canvas in the document, or an <img> widget's load),
# then the animation frame after it.
PAGE_JS = r"""(() => {
  const ev = [], keys = [];
  window.nnx = { ev, keys };
  const note = (kind) => {
    const e = { kind, t: performance.now(), paint: null };
    ev.push(e);
    requestAnimationFrame(() => { e.paint = performance.now(); });
  };
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {  // (b): one per frame
    const out = drawImage.apply(this, args);
    if (this.canvas.isConnected && !this.canvas.classList.contains("nnx-live")) note("draw");
    return out;
  };
  new MutationObserver((records) => records.forEach(() => note("frame")))  // (a): data-frames
    .observe(document, { subtree: true, attributes: true, attributeFilter: ["data-frames"] });
  new MutationObserver((records) => {  // (d): the label's text
    const hit = (n) => (n.nodeType === 1 ? n : n.parentElement)?.closest?.(".nnx-floor");
    if (records.some((r) => hit(r.target))) note("text");
  }).observe(document, { subtree: true, childList: true, characterData: true });
  document.addEventListener("load", (e) => {
    if (e.target.classList && e.target.classList.contains("widget-image")) note("load");
  }, true);
  document.addEventListener("keydown", () => keys.push(performance.now()), true);
""" + shoot.poll_js(2) + r"""
  window.nnxQuiet = (ms, max) => {  // wait until no new pixels for `ms`; return [events, keys]
    let n = -1, last = 0;
    return poll(() => {
      const now = performance.now();
      if (ev.length !== n) { n = ev.length; last = now; }
      const painted = !n || ev[n - 1].paint !== null;
      return now - last >= ms && painted ? [ev.length, keys.length] : undefined;
    }, max);
  };
  window.nnxNext = (n, k, max) => poll(() =>  // the first new pixels after event n, key k
    ev.length > n && ev[n].paint !== null ? { ...ev[n], key: keys[k] } : undefined, max);
})();"""


def stats(values) -> tuple[float, float]:
    """Median and 95th percentile of `values`."""
    return float(np.median(values)), float(np.percentile(values, 95))


def ready(page) -> None:
    """Wait for the first pixels and for quiet, then focus the slider (it takes the arrow keys)."""
    page.wait_for_function("window.nnx && nnx.ev.length >= 1", timeout=60_000)
    page.evaluate("nnxQuiet(500, 10000)")
    page.locator(".noUi-handle").first.focus()


def one_change(page) -> float | None:
    """Press ArrowRight once on a quiet page; the ms from the keydown to the new pixels' paint."""
    n, k = page.evaluate("nnxQuiet(150, 5000)")
    page.keyboard.press("ArrowRight")
    e = page.evaluate(f"nnxNext({n}, {k}, 10000)")
    return None if e is None else e["paint"] - e["key"]


def burst_of(page, burst: int) -> dict:
    """Press ArrowRight `burst` times as fast as possible; the frames shown and their rate."""
    n, k = page.evaluate("nnxQuiet(500, 10000)")
    for _ in range(burst):
        page.keyboard.press("ArrowRight")
    page.evaluate("nnxQuiet(1000, 30000)")
    events = page.evaluate(f"nnx.ev.slice({n})")
    keys = page.evaluate(f"nnx.keys.slice({k})")
    if not events:
        return {"frames": 0, "fps": 0.0, "keys_per_s": float("nan"), "tail": float("nan")}
    return {
        "frames": len(events),
        "fps": 1000 * len(events) / (events[-1]["paint"] - keys[0]),
        "keys_per_s": 1000 * (len(keys) - 1) / (keys[-1] - keys[0]),
        "tail": events[-1]["paint"] - keys[-1],
    }


def measure(pages: dict, changes: int, burst: int) -> dict:
    """Single-change latency (interleaved over the pages: load drifts hit all alike), bursts."""
    for page in pages.values():
        ready(page)
    latencies = {name: [] for name in pages}
    misses = dict.fromkeys(pages, 0)
    for i in range(5 + changes):  # the first 5 rounds warm up
        for name, page in pages.items():
            ms = one_change(page)
            misses[name] += ms is None
            if ms is not None and i >= 5:
                latencies[name].append(ms)
    nan2 = (float("nan"),) * 2
    return {name: {"latency": stats(latencies[name]) if latencies[name] else nan2,
                   "misses": misses[name], **burst_of(page, burst)} for name, page in pages.items()}


def kernel_share(name: str, scale: float, n: int = 60) -> dict:
    """Python work per change (ms) and bytes per frame without a browser: update, draw, encode,
    send."""
    view = MAKE[name](scale)
    sizes: list[int] = []
    view.offline(scale, sizes)
    for v in range(1, 6):
        view.work(v)
    sizes.clear()
    times = []
    for v in range(6, 6 + n):
        t = time.perf_counter()
        view.work(v)
        times.append(1000 * (time.perf_counter() - t))
    if isinstance(view, LiveView):
        LiveView()  # puts the product's encoder back
    return {"kernel": stats(times), "bytes": float(np.median(sizes)) if sizes else float("nan")}


def encoders(scale: float, n: int = 20) -> list[str]:
    """Our PNG encoder against Pillow's at level 1: a whole frame, LiveFigure's changed tiles."""
    from PIL import Image

    from explorer.live.png import encode_png

    view = LiveView()
    view.offline(scale, [])
    view.work(7)
    view._update(8)
    buffer, rects, _ = view.live.render()
    tiles = [buffer[y : y + h, x : x + w] for x, y, w, h in rects]
    share = sum(w * h for _, _, w, h in rects) / (buffer.shape[0] * buffer.shape[1])
    coders = [("encode_png", encode_png), ("..._deflate", encode_png_deflate),
              ("Pillow level 1", _pillow(Image))]
    lines = []
    for label, images in [("whole frame", [buffer]), (f"{len(rects)} runs, {share:.0%}", tiles)]:
        for coder, encode in coders:
            times = []
            for _ in range(n):
                t = time.perf_counter()
                size = sum(len(encode(image)) for image in images)
                times.append(1000 * (time.perf_counter() - t))
            lines.append(f"  {label:16} {coder:14} {np.median(times):6.2f} ms  "
                         f"{size / 1024:6.1f} KiB")
    return lines


def live_stages(scale: float, n: int = 30) -> str:
    """Where LiveFigure's time per change goes: artists' update, render (draw + tile diff), send."""
    view = LiveView()
    view.offline(scale, [])
    view.work(1)
    times = {"update": [], "render": [], "encode+send": []}
    for v in range(2, 2 + n):
        t0 = time.perf_counter()
        view._update(v)
        t1 = time.perf_counter()
        frame = view.live.render()
        t2 = time.perf_counter()
        view.live._send(*frame)
        t3 = time.perf_counter()
        for stage, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2)):
            times[stage].append(1000 * dt)
    return "  live stages: " + ", ".join(f"{k} {np.median(t):.1f} ms" for k, t in times.items())


def _pillow(Image):
    def encode(rgb):
        out = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(rgb[..., :3])).save(out, "png", compress_level=1)
        return out.getvalue()

    return encode


def write_notebooks(folder: Path, names, scales) -> None:
    import nbformat

    for name in names:
        for scale in scales:
            code = NOTEBOOK.format(here=str(HERE), view=VIEWS[name].format(scale=scale))
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
            nbformat.write(nb, folder / notebook_name(name, scale))


def notebook_name(name: str, scale: float) -> str:
    return f"{name.replace('*', '_fix')}_{scale:g}x.ipynb"


def browser_runs(names, scales, changes: int, burst: int) -> dict:
    """Serve one notebook per transport and scale with Voila; measure them side by side."""
    from playwright.sync_api import sync_playwright

    screens = ROOT / "artifacts" / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="nnx-bench-") as tmp:
        write_notebooks(Path(tmp), names, scales)
        url, proc = shoot.serve(tmp)
        try:
            with sync_playwright() as p:
                browser = shoot.launch(p)
                for scale in scales:
                    print(f"  measuring at dpr {scale:g} (load {os.getloadavg()[0]:.1f}) ...")
                    pages, logs = {}, {}
                    for name in names:
                        page_url = shoot.notebook_url(url, notebook_name(name, scale))
                        pages[name], logs[name] = shoot.open_page(
                            browser, page_url, scale=scale, init_script=PAGE_JS)
                    for name, found in measure(pages, changes, burst).items():
                        results[scale, name] = {**found, "problems": logs[name].problems}
                    for name, page in pages.items():
                        shot = screens / f"bench_{notebook_name(name, scale)[:-6]}.png"
                        page.screenshot(path=str(shot))
                        page.context.close()
                browser.close()
        finally:
            shoot.stop(proc)
    return results


def report(scale: float, names, rows: dict) -> None:
    """Print one table per scale, with each figure's ratio to ipympl's measured in the same run."""
    ref = rows.get("ipympl")
    cols = [("median ms", lambda r: r["latency"][0]), ("p95 ms", lambda r: r["latency"][1]),
            ("burst fps", lambda r: r["fps"]), ("tail ms", lambda r: r["tail"]),
            ("kernel ms", lambda r: r["kernel"][0]), ("kernel p95", lambda r: r["kernel"][1]),
            ("KiB/frame", lambda r: r["bytes"] / 1024)]
    print(f"\ndevicePixelRatio {scale:g} (figure {FIGSIZE[0] * 100 * scale:.0f} x "
          f"{FIGSIZE[1] * 100 * scale:.0f} device pixels)")
    print(f"  {'':8}" + "".join(f"{c:>12}" for c, _ in cols) + "   frames/burst  keys/s  misses")
    for name in names:
        r = rows[name]
        print(f"  {name:8}" + "".join(f"{f(r):12.1f}" for _, f in cols)
              + f"   {r['frames']:12d}  {r['keys_per_s']:6.0f}  {r['misses']:6d}")
        if ref is not None and name != "ipympl":
            print(f"  {'/ipympl':8}" + "".join(f"{f(r) / f(ref):12.2f}" for _, f in cols))
        for problem in r.get("problems", []):
            print(f"    ! {name}: {problem}")
    for name in ("live", "live*"):
        if name in rows:
            r = rows[name]
            got = {"median": r["latency"][0], "p95": r["latency"][1], "kernel": r["kernel"][0]}
            print(f"  targets for {name}: " + ", ".join(
                f"{k} <= {TARGETS[k]:g} ms: {'met' if got[k] <= TARGETS[k] else 'MISSED'}"
                for k in TARGETS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60, help="single changes per transport")
    parser.add_argument("--burst", type=int, default=100, help="changes sent as fast as possible")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0], help="dprs")
    parser.add_argument("--no-browser", action="store_true", help="only the in-process part")
    args = parser.parse_args(argv)
    names = list(VIEWS)
    if importlib.util.find_spec("ipympl") is None:
        print("ipympl is not installed: skipping (b) and the ratios (pip install ipympl for them)")
        names.remove("ipympl")
    rows = {(s, n): kernel_share(n, s) for s in args.scales for n in names}
    for scale in args.scales:
        print(f"\nPNG encoders at dpr {scale:g} ({FIGSIZE[0] * 100 * scale:.0f} x "
              f"{FIGSIZE[1] * 100 * scale:.0f}):\n" + "\n".join(encoders(scale)))
        print(live_stages(scale))
    if not args.no_browser:
        sys.path.insert(0, str(ROOT / "tests" / "browser"))
        from shoot import HINT, chromium_path

        if chromium_path() is None:
            print(HINT)
            return 2
        for key, found in browser_runs(names, args.scales, args.changes, args.burst).items():
            rows[key].update(found)
    nan = {"latency": (float("nan"),) * 2, "fps": float("nan"), "tail": float("nan"), "frames": 0,
           "keys_per_s": float("nan"), "misses": 0}
    for scale in args.scales:
        report(scale, names, {n: {**nan, **rows[scale, n]} for n in names})
    print("\nlatency: keydown on the slider -> next animation frame after new pixels arrive"
          "\ntail: last key of the burst -> last frame; kernel: Python work per change, in-process"
          f"\n{NOTES}\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
