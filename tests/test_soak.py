"""A short soak: slider changes over every panel and training with the live view rendering each
frame leave no matplotlib figure, no widget and no memory behind (benchmarks/bench_soak.py is the
long version).

The soak runs twice with the same seed, each slider moved twice: the first run fills the caches and
bounded buffers (kept runs, workspaces, curves) for exactly the settings the second run leaves
behind, so whatever the second run adds is a leak, not a bigger data set."""

import sys
from pathlib import Path

import numpy as np
import pytest

from explorer.live import LiveFigure

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_soak  # noqa: E402  (benchmarks/ is not a package)

SEED, UPDATES, PER_FRAME = 2, 3000, 100
CHANGES = 2  # per slider (28): away from where the first run left it, and back there
# Growth allowed from the first run to the second. Measured: heap in use +0.01 to +0.07 MiB and a
# few hundred Python blocks; a figure kept per frame adds one Figure and one widget each, and a
# frame's pixels (1040 x 400 x 4 bytes) 1.6 MiB each.
LIMITS = {"figures": 0, "widgets": 0, "heap": 2.0, "blocks": 5000}


def soak(panels) -> dict:
    """The soak measured: the same each time it runs."""
    changes = CHANGES * len(bench_soak.sliders(panels))
    return bench_soak.soak(panels, UPDATES, changes, PER_FRAME, seed=SEED)


def left_behind(before: dict, after: dict) -> dict[str, float]:
    """What grew from `before` to `after` (bench_soak.measure()) by more than LIMITS allow."""
    grown = {key: after[key] - before[key] for key in LIMITS}
    return {key: g for key, g in grown.items() if g > LIMITS[key]}


@pytest.fixture(scope="module")
def panels():
    """Every dashboard panel, its live figure attached to a frame sink."""
    return bench_soak.build_panels()


@pytest.fixture(scope="module")
def soaked(panels):
    """The soak run twice: both runs' counts, the frames sent before them, the measurements between
    and after them."""
    frames = {slug: p.live.frames for slug, p in panels.items()}
    first = soak(panels)
    before = bench_soak.measure()
    second = soak(panels)
    return {"runs": (first, second), "frames": frames, "before": before,
            "after": bench_soak.measure()}


def test_every_panel_has_sliders_to_change(panels):
    slugs = {slug for slug, _, _ in bench_soak.sliders(panels)}
    assert slugs == set(panels), f"panels without a slider: {set(panels) - slugs}"


def test_the_soak_trains_changes_every_slider_and_draws_every_panel(panels, soaked):
    changes = CHANGES * len(bench_soak.sliders(panels))
    for counts in soaked["runs"]:
        assert counts["bugs"] == {}
        assert counts["updates"] == UPDATES and counts["changes"] == changes
    silent = [s for s, p in panels.items() if p.live.frames == soaked["frames"][s]]
    assert silent == [], "panels that sent no frame during the soak"


def test_no_figure_or_widget_is_left_behind(soaked):
    grown = left_behind(soaked["before"], soaked["after"])
    assert "figures" not in grown, "matplotlib Figures were created and kept"
    assert "widgets" not in grown, "widgets were created and kept"


def test_no_memory_is_left_behind(soaked):
    if bench_soak.heap_in_use() is None:
        pytest.skip("the heap in use is read from glibc's mallinfo2")
    grown = left_behind(soaked["before"], soaked["after"])
    assert "heap" not in grown, f"{grown.get('heap', 0):.1f} MiB more in use after the second run"
    assert "blocks" not in grown, f"{grown.get('blocks', 0)} more Python objects after it"


def test_a_leak_would_be_seen(panels):
    """A training view that made a new figure per frame and kept it, with a copy of the frame's
    pixels, fails the checks above."""
    training, kept = panels["training"], []

    def leaky_draw(diagram: bool = True) -> None:
        type(training).draw(training, diagram)
        pixels = np.asarray(training.live.figure.canvas.buffer_rgba()).copy()
        kept.append((LiveFigure(), pixels))

    training.draw = leaky_draw
    try:
        before = bench_soak.measure()
        bench_soak.soak(panels, 10 * PER_FRAME, 0, PER_FRAME, seed=SEED)
        after = bench_soak.measure()
    finally:
        del training.draw
        for live, _ in kept:
            live.widget.close()
    seen = {"figures", "widgets"} | ({"heap"} if bench_soak.heap_in_use() is not None else set())
    assert seen <= set(left_behind(before, after))
