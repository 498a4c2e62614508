"""LiveFigure: a matplotlib figure that redraws only what changed and ships it to a browser canvas.

The static part (axes, ticks, labels, fixed artists) is drawn once and cached as a background; artists
registered with `animate()` are redrawn onto it (blitting) on every `draw_idle()`, and only the rectangle
that changed is encoded (lossless PNG) and sent to the canvas. Bursts are coalesced: at most one frame per
FRAME_INTERVAL, always of the latest state. A change of limits, labels, scales or size is detected and the
background re-cached. The canvas says which frames it has drawn (a few times a second); at most AHEAD
frames are unacknowledged at a time, so a browser that cannot keep up gets fewer frames (always of the
latest state) instead of a queue of them in the server. Where no browser is attached (an executed or exported
notebook), `_repr_mimebundle_` carries a PNG of the whole figure.
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from explorer.live.png import encode_png

FRAME_INTERVAL = 1 / 60  # seconds: the most frames per second a burst of changes produces
AHEAD = 8  # frames sent and not yet acknowledged, at most (the canvas acknowledges every 0.1 s)
ACK_WAIT = 1.0  # seconds: with AHEAD frames unacknowledged, the next one goes after this (a lost view)
MAX_SCALE = 3.0
TILE = 64  # pixels: the unit in which changed regions are found and sent
EXTENT_PAD = 4  # CSS pixels around what an artist says it covers (antialiasing, joins, caps)


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _widest_line(artist: Artist) -> float:
    """The widest line (or marker edge) an artist draws, in points."""
    widths = [artist.get_linewidth()] if hasattr(artist, "get_linewidth") else [0.0]
    if hasattr(artist, "get_markersize"):
        widths.append(artist.get_markersize())
    return float(np.max(np.atleast_1d(widths[0]), initial=0.0)) + (widths[1] if len(widths) > 1 else 0.0)


def _scale_only(before: tuple | None, after: tuple) -> bool:
    """Whether two figure signatures differ in their dpi (second entry) alone."""
    return before is not None and before[1] != after[1] and before[:1] + before[2:] == after[:1] + after[2:]


def _pack(buffer: np.ndarray, rects: list) -> tuple[np.ndarray, list[list[int]]]:
    """The rectangles (x, y, w, h) of `buffer` side by side in rows of one image (the browser decodes
    one PNG, not one per rectangle), and where each goes: [x, y, w, h, x in the image, y in it]."""
    if len(rects) == 1:
        x, y, w, h = rects[0]
        return buffer[y : y + h, x : x + w], [[x, y, w, h, 0, 0]]
    width = max(w for _, _, w, _ in rects)
    places, left, top, row = [], 0, 0, 0
    for x, y, w, h in rects:
        if left + w > width:
            left, top, row = 0, top + row, 0
        places.append([x, y, w, h, left, top])
        left, row = left + w, max(row, h)
    atlas = np.zeros((top + row, width, 4), np.uint8)
    for x, y, w, h, ax, ay in places:
        atlas[ay : ay + h, ax : ax + w] = buffer[y : y + h, x : x + w]
    return atlas, places


def with_png(widget, png: bytes) -> dict:
    """The display bundle of `widget` plus a PNG, shown where no frontend runs widgets."""
    bundle = widget._repr_mimebundle_() or {}
    if isinstance(bundle, tuple):  # (data, metadata)
        bundle = bundle[0]
    return {**bundle, "image/png": png}


class Canvas(anywidget.AnyWidget):
    """The browser side: a <canvas> of `width` x `height` CSS pixels that draws the frames it is sent."""

    _esm = Path(__file__).with_name("canvas.js")
    width = traitlets.Int(640).tag(sync=True)
    height = traitlets.Int(400).tag(sync=True)


class LiveFigure:
    """A figure of width x height inches at `dpi` CSS pixels per inch, drawn at `scale` x for sharpness."""

    def __init__(self, width: float = 6.4, height: float = 4.0, dpi: int = 100, scale: float = 2.0):
        self.dpi = dpi
        self.figure = Figure(figsize=(width, height), dpi=dpi * scale, facecolor="white")
        FigureCanvasAgg(self.figure)
        self.widget = Canvas(width=round(width * dpi), height=round(height * dpi))
        self.widget.on_msg(self._on_msg)
        self.on_click = None  # callable(x, y) in figure fractions (0..1, origin bottom left)
        self._on_shown: list = []  # callables run once a browser has been sent the first frame
        self.frames = 0  # frames sent to the browser
        self.connected = False  # a browser view has said it is ready
        self._animated: list[Artist] = []
        self._background = None  # the figure without its animated artists, as an RGBA array
        self._spare = None  # (signature, background) at the scale used before the last change of scale
        self._extents: dict[Artist, tuple | None] = {}  # where each animated artist last drew
        self._signature = None
        self._dirty = False
        self._handle = None
        self._last_sent = 0.0
        self._seq = 0  # the number of the last frame sent
        self._acked = 0  # the number of the last frame a canvas said it has drawn
        self._previous = None  # the last frame sent, as one uint32 per pixel

    @property
    def scale(self) -> float:
        return self.figure.dpi / self.dpi

    def animate(self, artist: Artist) -> Artist:
        """Mark `artist` as changing: it is redrawn every frame on top of the cached background."""
        artist.set_animated(True)
        self._animated.append(artist)
        return artist

    def when_shown(self, fn) -> None:
        """Call fn() once a browser view has been sent its first frame (at once if one has)."""
        if self.connected:
            fn()
        else:
            self._on_shown.append(fn)

    def invalidate(self) -> None:
        """Re-cache the background on the next frame (call after changing a static artist)."""
        self._forget()
        self.draw_idle()

    def _forget(self) -> None:
        """Drop the cached backgrounds: the next frame draws the figure from scratch."""
        self._background = self._spare = None

    def rest(self) -> None:
        """Free the pixels (background, last frame sent, the renderer's buffer) while nobody looks
        at the figure, as in a hidden tab; its next frame is drawn and sent whole."""
        self._forget()
        self._previous, self._extents = None, {}
        canvas = self.figure.canvas
        canvas.renderer, canvas._lastKey = None, None  # get_renderer() makes a new one when asked

    def draw_idle(self) -> None:
        """Ask for a frame of the current state; a burst of requests gives one frame of the latest."""
        self._dirty = True
        if not self.connected or self._handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._handle = loop.call_later(self._wait(), self._scheduled)

    def _wait(self) -> float:
        """Seconds until the next frame may go: a frame interval after the last one, or, while AHEAD
        frames are unacknowledged, until an acknowledgement comes (at most ACK_WAIT)."""
        wait = FRAME_INTERVAL if self._seq - self._acked < AHEAD else ACK_WAIT
        return max(0.0, self._last_sent + wait - time.perf_counter())

    def _scheduled(self) -> None:
        self._handle = None
        self.flush()

    def flush(self) -> None:
        """Draw and send a frame now if anything changed since the last one."""
        if not self._dirty:
            return
        self._dirty = False
        self._send(*self.render())

    def render(self) -> tuple[np.ndarray, list[tuple[int, int, int, int]], bool]:
        """Draw the current state; return the RGBA buffer, the rectangles (x, y, w, h; origin top left)
        that differ from the last frame sent, and whether the whole figure was redrawn."""
        canvas = self.figure.canvas
        signature = self._current_signature()
        full = self._background is None or self._signature != signature
        if full:
            self._draw_background(signature)
        renderer = canvas.get_renderer()
        buffer = np.asarray(canvas.buffer_rgba())
        changed = [a for a in self._animated if full or a.stale]  # drawing clears `stale`
        extents = {**self._extents, **{a: self._extent(a, renderer) for a in changed}}
        redraw = self._animated if full else self._to_redraw(changed, extents)
        if full:
            pass  # the buffer holds the background
        elif len(redraw) == len(self._animated):
            buffer[...] = self._background
        else:
            for box in {extents[a] for a in redraw} | {self._extents.get(a) for a in redraw}:
                if box is not None:
                    x0, y0, x1, y1 = box
                    buffer[y0:y1, x0:x1] = self._background[y0:y1, x0:x1]
        for artist in redraw:
            if artist.get_visible() and artist.figure is not None:
                self.figure.draw_artist(artist)
        self._extents = extents
        H, W = buffer.shape[:2]
        rects = [(0, 0, W, H)] if full or self._previous is None else self._changed_tiles(buffer)
        return buffer, rects, full

    def _draw_background(self, signature: tuple) -> None:
        """Put the figure without its animated artists into the canvas buffer and cache it: drawn
        (animated artists are skipped), or the spare one when only the scale changed since it was
        drawn (a browser of another pixel ratio, zoom there and back)."""
        canvas, spare, old = self.figure.canvas, self._spare, (self._signature, self._background)
        self._spare = old if old[1] is not None and _scale_only(old[0], signature) else None
        if self._spare is not None and spare is not None and spare[0] == signature:
            self._signature, self._background = spare
            np.asarray(canvas.get_renderer().buffer_rgba())[...] = self._background
            return
        canvas.draw()
        self._signature, self._background = signature, np.asarray(canvas.buffer_rgba()).copy()

    def _to_redraw(self, changed: list[Artist], extents: dict) -> list[Artist]:
        """The animated artists to redraw, in drawing order: those changed since the last frame, and
        every one that overlaps where they were or are (its pixels there are wiped). An unchanged
        artist draws where it drew last time (limits and sizes are in the signature)."""
        boxes = [b for a in changed for b in (extents[a], self._extents.get(a)) if b is not None]
        changed = set(changed)
        grown = True
        while grown:
            grown = False
            for a in self._animated:
                if a not in changed and extents[a] is not None and any(
                    _overlap(extents[a], b) for b in boxes
                ):
                    changed.add(a)
                    boxes.append(extents[a])
                    grown = True
        return [a for a in self._animated if a in changed]

    def _extent(self, artist: Artist, renderer) -> tuple[int, int, int, int] | None:
        """Where `artist` draws, as buffer rows and columns (x0, y0, x1, y1; origin top left) with
        a margin for line widths, markers and text boxes; None if it draws nothing."""
        if not artist.get_visible() or artist.figure is None:
            return None
        H, W = renderer.height, renderer.width
        try:
            if isinstance(artist, Patch):  # its path's control points bound it: cheaper than curves
                box = Bbox.null()
                box.update_from_data_xy(artist.get_transform().transform(artist.get_path().vertices))
            else:
                box = artist.get_window_extent(renderer)
            if artist.get_clip_on() and artist.get_clip_box() is not None:
                box = Bbox.intersection(box, artist.get_clip_box()) or Bbox([[0, 0], [0, 0]])
        except Exception:  # an artist that cannot say where it draws: assume everywhere
            return 0, 0, W, H
        pad = EXTENT_PAD * self.scale + _widest_line(artist) * self.figure.dpi / 72
        if isinstance(artist, Text) and artist.get_bbox_patch() is not None:
            pad += artist.get_fontsize() * self.figure.dpi / 72
        x0, y0, x1, y1 = box.extents
        if not np.all(np.isfinite(box.extents)):
            return 0, 0, W, H
        x0, x1 = int(max(0, np.floor(x0 - pad))), int(min(W, np.ceil(x1 + pad)))
        top, bottom = int(max(0, np.floor(H - y1 - pad))), int(min(H, np.ceil(H - y0 + pad)))
        return (x0, top, x1, bottom) if x1 > x0 and bottom > top else None

    def png(self) -> bytes:
        """The whole figure as PNG bytes."""
        buffer, _, _ = self.render()
        return encode_png(buffer)

    def export(self, fmt: str = "png", scale: float = 2.0) -> bytes:
        """The whole figure, animated artists included, as PNG (at `scale` x 100 dpi) or SVG bytes."""
        if fmt not in ("png", "svg"):
            raise ValueError(f"unknown figure format {fmt!r}; choose png or svg")
        if not (isinstance(scale, (int, float)) and 0.5 <= scale <= 8):
            raise ValueError(f"scale must be a number from 0.5 to 8, got {scale!r}")
        out = io.BytesIO()
        for artist in self._animated:
            artist.set_animated(False)
        try:
            self.figure.savefig(out, format=fmt, dpi=self.dpi * scale, facecolor="white")
        finally:
            for artist in self._animated:
                artist.set_animated(True)
            self._forget()
        return out.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return with_png(self.widget, self.png())

    def _send(self, buffer: np.ndarray, rects: list, full: bool) -> None:
        H, W = buffer.shape[:2]
        whole = full or self._previous is None  # the canvas takes this frame's size
        self._previous = buffer.view(np.uint32)[..., 0].copy()
        if not rects:
            return
        self._seq += 1
        atlas, places = _pack(buffer, rects)
        header = {"type": "frame", "rects": places, "full": whole, "W": W, "H": H, "seq": self._seq}
        self.widget.send(header, buffers=[encode_png(atlas)])
        self.frames += 1
        self._last_sent = time.perf_counter()

    def _changed_tiles(self, buffer: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Rectangles (runs of TILE x TILE tiles along each tile row) whose pixels differ from the last
        frame sent: only they are encoded and sent. Comparing pixels is exact whatever the artists are."""
        h, w = buffer.shape[:2]
        diff = buffer.view(np.uint32)[..., 0] != self._previous
        th, tw = -(-h // TILE), -(-w // TILE)
        padded = np.zeros((th * TILE, tw * TILE), bool)
        padded[:h, :w] = diff
        tiles = padded.reshape(th, TILE, tw, TILE).any(axis=(1, 3))
        rects = []
        for row in range(th):
            cols = np.flatnonzero(tiles[row])
            for run in np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1) if cols.size else []:
                x0, y0 = run[0] * TILE, row * TILE
                x1, y1 = min((run[-1] + 1) * TILE, w), min(y0 + TILE, h)
                rects.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
        return rects

    def _current_signature(self) -> tuple:
        parts = [tuple(self.figure.get_size_inches()), self.figure.dpi]
        for ax in self.figure.axes:
            parts.append(
                (ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(), ax.get_title(),
                 ax.get_xlabel(), ax.get_ylabel(), ax.get_visible())
            )
        return tuple(parts)

    def _on_msg(self, _widget, content: dict, _buffers) -> None:
        if content.get("type") == "ready":
            self._set_scale(content.get("dpr", 1))
            self.connected = True
            self._previous = None  # a new view needs a whole frame (the cached background serves)
            self._acked = self._seq
            self._dirty = True
            self.flush()
            shown, self._on_shown = self._on_shown, []
            for fn in shown:
                fn()
        elif content.get("type") == "ack":
            self._on_ack(content.get("seq"))
        elif content.get("type") == "click" and self.on_click is not None:
            x, y = content.get("x"), content.get("y")
            if all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in (x, y)):
                self.on_click(float(x), 1 - float(y))

    def _on_ack(self, seq) -> None:
        """A canvas has drawn frame `seq`: a frame held back for it may go now."""
        if not (isinstance(seq, int) and self._acked < seq <= self._seq):
            return
        self._acked = seq
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._dirty:
            self.draw_idle()

    def _set_scale(self, dpr) -> None:
        try:
            scale = float(np.clip(round(float(dpr) * 2) / 2, 1.0, MAX_SCALE))
        except (TypeError, ValueError):
            return
        if scale != self.scale:
            self.figure.set_dpi(self.dpi * scale)
