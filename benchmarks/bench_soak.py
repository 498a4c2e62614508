"""Long runs, in one process, no browser: training updates with the live view and slider changes
over every panel; memory and the number of matplotlib figures before, along the way and after.

    python benchmarks/bench_soak.py [--updates 200000] [--changes 4000] [--per-frame 50] [--parts 4]

The default is twice the 100,000 updates and 2,000 changes a long lesson asks for: the first half is
that lesson (its end is the middle column), the second half shows whether memory levels off. Over
the first 100,000 the caches are still filling (matplotlib's text layouts, up to 4,096 per renderer;
the pasted text pixels, up to 2 MiB), so a leak and a filling cache look alike there.

All eight panels are built as the dashboard builds them, and each LiveFigure is told a browser is
attached (the canvas's "ready" message, devicePixelRatio 1) with a sink for the frames: so every
draw_idle() renders (LiveFigure.render: blit and changed tiles), encodes and "sends" a frame, as in
a kernel. The training panel advances `--per-frame` updates per frame the way Play does (the network
diagram every third frame); the slider changes go round every slider of every panel, to seeded
random values between each slider's min and max, spread evenly over the run. A flat result is the
target: after a warm-up, the memory in use, the matplotlib Figures alive, the widgets alive and the
objects the garbage collector tracks should not grow. Each is measured with every slider back where
the warm-up left it, so that a bigger data set or grid is not taken for a leak.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
MIB = 2**20
HEAP_LATE = 2.0  # MiB the heap in use may grow over the second half (a cache settling, not a leak)
RSS_LATE = 10.0  # MiB, where the heap in use is unknown (RSS also holds memory freed but kept)


def build_panels() -> dict:
    """Every dashboard panel by slug, each with its live figure attached to a frame sink."""
    from explorer.app.dashboard import PANELS

    panels = {entry.slug: entry.build() for entry in PANELS}
    for panel in panels.values():
        attach(panel.live)
    return panels


def attach(live, dpr: float = 1.0) -> list[int]:
    """Act as the browser's canvas: say 'ready' at `dpr`; frames go to a list of byte sizes."""
    sizes: list[int] = []
    live.widget.send = lambda content, buffers=None: sizes.append(sum(map(len, buffers or [])))
    live._on_msg(live.widget, {"type": "ready", "dpr": dpr}, [])
    return sizes


def sliders(panels: dict) -> list[tuple[str, str, object]]:
    """(panel slug, control name, control) for every slider of every panel."""
    return [(slug, name, control) for slug, panel in panels.items()
            for name, control in panel.controls.items() if "Slider" in type(control).__name__]


def slider_value(control, rng: np.random.Generator):
    """A random value within `control`'s range, of the kind the browser would send."""
    kind = type(control).__name__
    lo, hi = control.min, control.max
    if "Range" in kind:
        return tuple(sorted(float(v) for v in rng.uniform(lo, hi, 2)))
    v = float(rng.uniform(lo, hi))
    if "Log" in kind:
        return float(control.base**v)
    if "Int" in kind:
        return int(round(v))
    step = control.step or 0
    return float(lo + round((v - lo) / step) * step) if step else v


def frame(training, k: int) -> tuple[int, str | None]:
    """Play's work for one frame: up to k updates, then the frame (the diagram every third one).
    A run that has stopped (diverged after a large learning rate) is restarted at lr 0.1. Return
    the updates made and, if drawing failed, the error (Play would stop and show it)."""
    from explorer.panels.training import DIAGRAM_EVERY

    state = training.state
    if state.trainer.stopped:
        if state.lr != 0.1:
            training.controls["lr"].value = 0.1
        else:
            state.reset()
    done = state.advance(k)
    try:
        training.draw(diagram=training.frames % DIAGRAM_EVERY == 0)
    except Exception as e:  # a bug: Play catches it too ("Training stopped on an error")
        return done, f"{type(e).__name__}: {e}"
    return done, None


def change(panels: dict, target: tuple, rng: np.random.Generator, counts: dict) -> None:
    """Move one slider to a random value, as the browser would; count an error message, and note
    a bug (an error the panel did not expect) with the value that caused it."""
    slug, name, control = target
    before = panels[slug].last_message
    control.value = value = slider_value(control, rng)
    text, level = panels[slug].last_message
    if (text, level) != before and level == "error":
        counts["errors"] += 1
        if text.startswith("Something went wrong"):
            note(counts["bugs"], f"{slug}.{name}: {text}", f"{slug}.{name} = {value!r}")
    counts["changes"] += 1


def soak(panels: dict, updates: int, changes: int, per_frame: int, seed: int = 0,
         parts: int = 2, between=None) -> dict:
    """Train for `updates` updates (frames of `per_frame`) with `changes` slider changes spread
    evenly; call between() where each of the first `parts - 1` equal parts ends. Return counts
    (updates made, frames, changes, changes answered with an error message) and `bugs`: what
    failed unexpectedly (a callback, a training frame), each with how often, and the settings of
    the first time."""
    rng = np.random.default_rng(seed)
    training, targets = panels["training"], sliders(panels)
    counts = {"updates": 0, "frames": 0, "changes": 0, "errors": 0, "bugs": {}}
    n_frames, idle = -(-updates // per_frame), 0
    marks = {n_frames * k // parts for k in range(1, parts)}
    while counts["updates"] < updates:
        if between is not None and counts["frames"] in marks:
            between()
        due = changes * min(counts["updates"] + per_frame, updates) // updates
        while counts["changes"] < due:
            change(panels, targets[counts["changes"] % len(targets)], rng, counts)
        done, error = frame(training, min(per_frame, updates - counts["updates"]))
        if error:
            note(counts["bugs"], f"training frame: {error}", settings(training.state))
        idle = 0 if done else idle + 1
        if idle == 5:
            raise RuntimeError(f"training makes no progress: {training.state.trainer.stopped}")
        counts["updates"] += done
        counts["frames"] += 1
    return counts


def note(bugs: dict, what: str, where: str) -> None:
    """Count `what` (its numbers as N, so that one bug counts once) in bugs; keep `where` it
    happened first."""
    bugs.setdefault(re.sub(r"\d+", "N", what), [0, where])[0] += 1


def settings(state) -> str:
    """The training settings that matter for a bug report, in one line."""
    names = ("data", "points", "test_fraction", "show_test", "layers", "lr", "method")
    return ", ".join(f"{n}={getattr(state, n)!r}" for n in names) + f", epoch {state.trainer.epoch}"


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def heap_in_use() -> int | None:
    """Bytes malloc has handed out and not had back (glibc's mallinfo2: numpy arrays, Agg buffers,
    Python objects over 512 bytes), or None where the C library is not glibc. Exact and free to
    ask, unlike RSS (which keeps memory freed but not returned) or tracemalloc (4x slower)."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _Mallinfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def text_cache() -> int:
    """Entries in matplotlib's text-layout caches (one per renderer, at most 4096 each): they fill
    with every new tick label, so gc-tracked objects grow with them, boundedly."""
    from matplotlib import text

    try:
        caches = text._get_text_metrics_function.__defaults__[0].values()
        return sum(cache.cache_info().currsize for cache in caches)
    except (AttributeError, TypeError, IndexError):  # a matplotlib without that private cache
        return -1


def pasted_texts() -> float:
    """MiB of text pixels FastText keeps to paste (a cache capped at fasttext.SPRITE_BYTES)."""
    from explorer.plots.fasttext import FastText

    return FastText._bytes / MIB


def alive(cls) -> int:
    """How many instances of `cls` the garbage collector tracks."""
    return sum(isinstance(o, cls) for o in gc.get_objects())


def measure() -> dict:
    """After a full collection: RSS and heap in use (MiB; nan if unknown), Figures and widgets
    alive, blocks of Python's small-object allocator, objects the garbage collector tracks, and
    entries in matplotlib's text-layout caches."""
    import ipywidgets.widgets.widget as widget_module
    import psutil
    from matplotlib.figure import Figure

    gc.collect()
    heap = heap_in_use()
    return {"rss": psutil.Process().memory_info().rss / MIB,
            "heap": float("nan") if heap is None else heap / MIB,
            "figures": alive(Figure), "widgets": len(widget_module._instances),
            "blocks": sys.getallocatedblocks(), "objects": len(gc.get_objects()),
            "text": text_cache(), "pasted": pasted_texts()}


ROWS = [("rss", "RSS (MiB)", "{:10.1f}"), ("heap", "heap in use (MiB)", "{:10.1f}"),
        ("figures", "matplotlib Figures", "{:10d}"), ("widgets", "widgets alive", "{:10d}"),
        ("blocks", "Python blocks", "{:10d}"), ("objects", "gc-tracked objects", "{:10d}"),
        ("text", "text-layout cache", "{:10d}"), ("pasted", "pasted texts (MiB)", "{:10.1f}")]


def table(rows: list[tuple[str, dict]]) -> str:
    """The measurements side by side, with the growth from the first to the last and over the
    second half: a leak grows in both halves, a cache only until it is full."""
    out = [f"  {'':20}" + "".join(f"{label:>10}" for label, _ in rows) + f"{'growth':>10}"
           + f"{'2nd half':>10}"]
    for key, label, fmt in ROWS:
        values = [m[key] for _, m in rows]
        signed = fmt.replace(":", ":+")
        out.append(f"  {label:20}" + "".join(fmt.format(v) for v in values)
                   + signed.format(values[-1] - values[0])
                   + signed.format(values[-1] - values[halfway(rows)]))
    return "\n".join(out)


def halfway(rows: list) -> int:
    """The index of the measurement half-way (before, the parts' ends, after: an even number of
    parts has one; an odd number, the one just before half-way)."""
    return (len(rows) - 1) // 2


def is_flat(rows: list[tuple[str, dict]]) -> tuple[bool, str]:
    """Whether Figures and widgets did not grow, and memory hardly grew over the second half."""
    first, middle, last = rows[0][1], rows[halfway(rows)][1], rows[-1][1]
    memory, late = ("heap", HEAP_LATE) if not np.isnan(last["heap"]) else ("rss", RSS_LATE)
    flat = (last["figures"] <= first["figures"] and last["widgets"] <= first["widgets"]
            and last[memory] - middle[memory] < late)
    return flat, f"Figures and widgets do not grow, {memory} grows < {late:g} MiB over the 2nd half"


def load() -> str:
    return f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"


def checkpoint(panels: dict, reference: dict, per_frame: int) -> dict:
    """Every slider back to its `reference` value and one training frame, then measure: so that
    each measurement is of the same settings (data sizes, grids), and only what is left behind
    differs."""
    for slug, name, control in sliders(panels):
        control.value = reference[slug, name]
    frame(panels["training"], per_frame)
    return measure()


def run(panels: dict, opts) -> tuple[list, dict, dict, float]:
    """Warm up (caches, fonts), then the soak with measurements before, between its parts and
    after; return them, the warm-up's and the soak's counts, and the soak's seconds."""
    targets = sliders(panels)
    warm = soak(panels, 20 * opts.per_frame, 2 * len(targets), opts.per_frame, seed=opts.seed + 1)
    reference = {(slug, name): control.value for slug, name, control in targets}
    rows = [("before", checkpoint(panels, reference, opts.per_frame))]
    start = time.perf_counter()
    counts = soak(panels, opts.updates, opts.changes, opts.per_frame, seed=opts.seed,
                  parts=opts.parts, between=lambda: rows.append(
                      (f"{len(rows)}/{opts.parts}", checkpoint(panels, reference, opts.per_frame))))
    took = time.perf_counter() - start
    rows.append(("after", checkpoint(panels, reference, opts.per_frame)))
    return rows, warm, counts, took


def report(panels: dict, rows: list, warm: dict, counts: dict, took: float) -> int:
    """Print the counts, the failures, the table and the verdict; 0 if flat and without a bug."""
    frames_sent = sum(p.live.frames for p in panels.values())
    print(f"warm-up: {warm['updates']} updates, {warm['changes']} slider changes (not counted)")
    print(f"soak: {counts['updates']:,} training updates in {counts['frames']:,} frames, "
          f"{counts['changes']:,} slider changes ({counts['errors']} answered with an error "
          f"message), {frames_sent:,} frames sent in all; {took:.0f} s")
    for bug, (times, where) in counts["bugs"].items():
        print(f"  ! {bug[:200]}\n    {times} times; first with {where}")
    print(table(rows))
    flat, rule = is_flat(rows)
    print(f"flat: {'yes' if flat else 'NO'} ({rule}); {len(counts['bugs'])} distinct failures")
    print(load())
    return 0 if flat and not counts["bugs"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=200_000, help="training updates")
    parser.add_argument("--changes", type=int, default=4000, help="slider changes")
    parser.add_argument("--per-frame", type=int, default=50, help="updates per frame")
    parser.add_argument("--parts", type=int, default=4,
                        help="measure between this many equal parts (the 2nd half is judged)")
    parser.add_argument("--seed", type=int, default=0)
    opts = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    print(f"before: {load()}")
    start = time.perf_counter()
    panels = build_panels()
    print(f"{len(panels)} panels, {len(sliders(panels))} sliders: "
          + ", ".join(f"{s}.{n}" for s, n, _ in sliders(panels)))
    status = report(panels, *run(panels, opts))
    print(f"{time.perf_counter() - start:.0f} s with building and warm-up")
    return status


if __name__ == "__main__":
    sys.exit(main())
