"""The live-figure layer: frames, dirty rectangles, re-caching, coalescing, static fallback."""

import asyncio
import io
import json

import numpy as np
import pytest
from PIL import Image

from explorer.live import LiveFigure, figure
from explorer.live.png import encode_png


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def tiles(header: dict, buffers: list) -> list[tuple[int, int, np.ndarray]]:
    """The rectangles a frame carries, cut from its one PNG: (x, y, pixels)."""
    (png,) = buffers
    atlas = decode(png)
    return [(x, y, atlas[sy : sy + h, sx : sx + w]) for x, y, w, h, sx, sy in header["rects"]]


@pytest.fixture
def live():
    lf = LiveFigure(4.0, 3.0, dpi=100)
    ax = lf.figure.add_subplot(111)
    z = np.linspace(-3, 3, 50)
    lf.line = lf.animate(ax.plot(z, np.tanh(z), lw=3)[0])
    lf.ax = ax
    ax.set_xlim(-3, 3)
    ax.set_ylim(-2, 2)
    lf.sent = []
    lf.widget.send = lambda content, buffers=None: lf.sent.append((content, buffers))
    return lf


def connect(lf, dpr=1.0):
    lf._on_msg(lf.widget, {"type": "ready", "dpr": dpr}, [])


def test_encode_png_is_lossless():
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    assert np.array_equal(decode(encode_png(rgb)), rgb)
    with pytest.raises(ValueError, match="uint8"):
        encode_png(rgb.astype(float))


def test_nothing_is_sent_before_a_browser_is_ready(live):
    live.line.set_ydata(np.zeros(50))
    live.draw_idle()
    assert live.sent == [] and live.frames == 0


def test_ready_sends_a_whole_frame_at_the_browser_pixel_ratio(live):
    connect(live, dpr=2)
    header, buffers = live.sent[-1]
    assert header["full"] and (header["W"], header["H"]) == (800, 600)
    image = decode(buffers[0])
    assert image.shape == (600, 800, 3)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 2  # real drawing, not a blank canvas


def test_a_changed_artist_sends_only_changed_tiles_of_its_axes(live):
    connect(live)
    live.line.set_ydata(np.full(50, 1.5))
    live.draw_idle()
    header, buffers = live.sent[-1]
    assert not header["full"] and len(header["rects"]) >= 1 and len(buffers) == 1
    x0, x1, y0, y1 = live.ax.bbox.extents[[0, 2, 1, 3]]
    json.dumps(header)  # plain numbers only: it travels as JSON
    for x, y, tile in tiles(header, buffers):  # tiles of 64 px that touch the axes
        h, w = tile.shape[:2]
        assert x + w > x0 and x < x1 and y + h > 300 - y1 and y < 300 - y0


def test_a_small_change_sends_a_small_area(live):
    dot = live.animate(live.ax.plot([0], [0], "o")[0])
    connect(live)
    dot.set_data([0.1], [0])
    live.draw_idle()
    sent = sum(tile.shape[0] * tile.shape[1] for _, _, tile in tiles(*live.sent[-1]))
    assert 0 < sent <= 2 * 64 * 64


def test_sent_tiles_rebuild_the_new_frame_exactly(live):
    connect(live)
    canvas = decode(live.sent[-1][1][0]).copy()
    for k in range(3):
        live.line.set_ydata(np.sin(np.linspace(0, 3 + k, 50)))
        live.draw_idle()
        for x, y, tile in tiles(*live.sent[-1]):
            canvas[y : y + tile.shape[0], x : x + tile.shape[1]] = tile
    assert np.array_equal(canvas, live.render()[0][..., :3])


def test_an_unchanged_state_sends_nothing(live):
    connect(live)
    frames = live.frames
    live.draw_idle()
    assert live.frames == frames


def test_the_frame_shows_the_new_state(live):
    connect(live)
    before = live.render()[0].copy()
    live.line.set_ydata(np.full(50, 1.5))
    after = live.render()[0]
    assert not np.array_equal(before, after)


def test_changing_limits_recaches_the_background(live):
    connect(live)
    live.ax.set_xlim(-1, 1)
    live.draw_idle()
    assert live.sent[-1][0]["full"]


def test_a_burst_of_changes_draws_one_frame_of_the_latest_state():
    async def burst():
        lf = LiveFigure(3, 2)
        ax = lf.figure.add_subplot(111)
        line = lf.animate(ax.plot([0, 1], [0, 0])[0])
        lf.sent = []
        lf.widget.send = lambda content, buffers=None: lf.sent.append(buffers)
        connect(lf)
        await asyncio.sleep(0.05)
        first = len(lf.sent)
        for k in range(20):
            line.set_ydata([k, k])
            lf.draw_idle()
        await asyncio.sleep(0.1)
        return first, lf.sent, line

    first, sent, line = asyncio.run(burst())
    assert len(sent) - first == 1
    assert tuple(line.get_ydata()) == (19, 19)


def _changes(live, count, ack, pause=0.03):
    """Under an event loop: `count` changes `pause` s apart, the canvas acknowledging each frame
    at once if `ack`; the frames sent, and their numbers."""
    async def run():
        connect(live)
        for k in range(count):
            live.line.set_ydata(np.full(50, k / count))
            live.draw_idle()
            await asyncio.sleep(pause)
            if ack:
                live._on_msg(live.widget, {"type": "ack", "seq": live._seq}, [])
        return [c["seq"] for c, _ in live.sent]

    return asyncio.run(run())


def test_acknowledged_frames_all_go_out(live):
    assert _changes(live, 6, ack=True) == list(range(1, 8))  # the view's first frame, then one per change


def test_no_more_than_ahead_frames_go_out_unacknowledged(live, monkeypatch):
    monkeypatch.setattr(figure, "ACK_WAIT", 0.1)
    seqs = _changes(live, 12, ack=False)  # 0.36 s: the ready frame, AHEAD - 1 more, then one per 0.1 s
    assert figure.AHEAD <= len(seqs) <= figure.AHEAD + 4


def test_an_acknowledgement_lets_the_held_frame_go_at_once(live):
    async def run():
        connect(live)
        live._on_msg(live.widget, {"type": "ack", "seq": live._seq}, [])
        for k in range(figure.AHEAD + 1):  # AHEAD frames unacknowledged, the next held
            live.line.set_ydata(np.full(50, k / (figure.AHEAD + 1)))  # every frame differs
            live.draw_idle()
            await asyncio.sleep(0.03)
        held = len(live.sent)
        live._on_msg(live.widget, {"type": "ack", "seq": live._seq}, [])
        await asyncio.sleep(0.03)
        return held, len(live.sent)

    held, after = asyncio.run(run())
    assert after == held + 1
    assert live.sent[-1][0]["seq"] == live._seq and not live._dirty


@pytest.mark.parametrize("seq", [0, 99, "1", None, 1.0, -1])
def test_a_bad_acknowledgement_is_ignored(live, seq):
    connect(live)
    live._on_msg(live.widget, {"type": "ack", "seq": seq}, [])
    assert live._acked == 0


def test_static_fallback_carries_a_png(live):
    bundle = live._repr_mimebundle_()
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle
    assert decode(bundle["image/png"]).shape[:2] == (600, 800)  # drawn at scale 2 by default


def test_clicks_arrive_in_figure_fractions(live):
    got = []
    live.on_click = lambda x, y: got.append((x, y))
    live._on_msg(live.widget, {"type": "click", "x": 0.25, "y": 0.1}, [])
    live._on_msg(live.widget, {"type": "click", "x": 7, "y": "nonsense"}, [])
    assert got == [(0.25, pytest.approx(0.9))]


def test_a_bad_pixel_ratio_is_ignored(live):
    live._on_msg(live.widget, {"type": "ready", "dpr": "huge"}, [])
    assert live.scale == 2.0 and live.connected


@pytest.mark.parametrize("scale", [1, 3])
def test_export_png_has_the_chosen_resolution_and_the_animated_artists(live, scale):
    live.line.set_color("#ff0000")
    image = decode(live.export("png", scale))
    assert image.shape[:2] == (300 * scale, 400 * scale)
    red = np.all(image == [255, 0, 0], axis=2).sum()
    assert red > 50 * scale  # the animated line is in the file


def test_export_svg_is_vector_and_bad_requests_are_refused(live):
    svg = live.export("svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "path" in svg
    with pytest.raises(ValueError, match="png or svg"):
        live.export("pdf")
    with pytest.raises(ValueError, match="scale"):
        live.export("png", 100)


def test_live_frames_still_work_after_an_export(live):
    connect(live)
    live.export("svg")
    live.line.set_ydata(np.zeros(50))
    live.draw_idle()
    assert live.sent[-1][0]["full"]  # the background was re-cached after savefig


def counting_draws(lf) -> list:
    """Count the figure's full (background) draws from now on."""
    draws, draw = [], lf.figure.canvas.draw
    lf.figure.canvas.draw = lambda: (draws.append(1), draw())
    return draws


def test_a_new_view_gets_a_whole_frame_from_the_cached_background(live):
    connect(live)
    draws = counting_draws(live)
    connect(live)  # a second view (page reload, the same panel shown twice)
    header, buffers = live.sent[-1]
    assert header["full"] and decode(buffers[0]).shape == (300, 400, 3)
    assert draws == []  # same pixel ratio: the background drawn before serves


def test_a_resting_figure_frees_its_pixels_and_sends_its_next_frame_whole(live):
    connect(live)
    live.rest()
    assert live._background is None and live._previous is None and live.figure.canvas.renderer is None
    live.line.set_ydata(np.full(50, 1.5))
    live.draw_idle()
    header, buffers = live.sent[-1]
    assert header["full"] and decode(buffers[0]).shape == (300, 400, 3)
    assert np.array_equal(decode(buffers[0]), live.render()[0][..., :3])


def test_a_change_of_pixel_ratio_and_back_reuses_the_background_of_before(live):
    connect(live, dpr=2)
    draws = counting_draws(live)
    connect(live, dpr=1)
    assert len(draws) == 1 and live.sent[-1][0]["W"] == 400
    connect(live, dpr=2)
    header, buffers = live.sent[-1]
    assert len(draws) == 1 and header["full"] and header["W"] == 800
    live.line.set_ydata(np.full(50, 1.5))
    live.invalidate()  # a static change: neither cached background may serve
    connect(live, dpr=1)
    assert len(draws) == 3


def test_frames_from_a_reused_background_equal_frames_drawn_afresh(live):
    connect(live, dpr=2)
    connect(live, dpr=1)
    connect(live, dpr=2)
    live.line.set_ydata(np.full(50, -1.0))
    live.draw_idle()
    reused = live.render()[0].copy()
    live.invalidate()
    assert np.array_equal(reused, live.render()[0])


def test_rectangles_packed_into_one_image_come_back_exactly():
    rng = np.random.default_rng(0)
    buffer = rng.integers(0, 256, (300, 500, 4), dtype=np.uint8)
    rects = [(0, 0, 500, 64), (64, 64, 128, 64), (320, 64, 64, 64), (0, 128, 448, 64), (448, 256, 52, 44)]
    atlas, places = figure._pack(buffer, rects)
    assert atlas.shape[1] == 500 and atlas.size < 2 * sum(w * h for *_, w, h in rects) * 4
    for (x, y, w, h, sx, sy), rect in zip(places, rects):
        assert (x, y, w, h) == rect
        assert np.array_equal(atlas[sy : sy + h, sx : sx + w], buffer[y : y + h, x : x + w])
