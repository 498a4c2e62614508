"""LiveFigure: a matplotlib figure that redraws only what changed and ships it to a browser canvas.

The static part (axes, ticks, labels, fixed artists) is drawn once and cached as a background; artists
registered with `animate()` are redrawn onto it (blitting) on every `draw_idle()`, and only the rectangle
that changed is encoded (lossless PNG) and sent to the canvas. Bursts are coalesced: at most one frame per
FRAME_INTERVAL, always of the latest state. A change of limits, labels, scales or size is detected and the
background re-cached. Where no browser is attached (an executed or exported notebook), `_repr_mimebundle_`
carries a PNG of the whole figure.
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

from explorer.live.png import encode_png

FRAME_INTERVAL = 1 / 60  # seconds: the most frames per second a burst of changes produces
MAX_SCALE = 3.0
TILE = 64  # pixels: the unit in which changed regions are found and sent


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
        self.frames = 0  # frames sent to the browser
        self.connected = False  # a browser view has said it is ready
        self._animated: list[Artist] = []
        self._background = None
        self._signature = None
        self._dirty = False
        self._handle = None
        self._last_sent = 0.0
        self._seq = 0
        self._previous = None  # the last frame sent, as one uint32 per pixel

    @property
    def scale(self) -> float:
        return self.figure.dpi / self.dpi

    def animate(self, artist: Artist) -> Artist:
        """Mark `artist` as changing: it is redrawn every frame on top of the cached background."""
        artist.set_animated(True)
        self._animated.append(artist)
        return artist

    def invalidate(self) -> None:
        """Re-cache the background on the next frame (call after changing a static artist)."""
        self._background = None
        self.draw_idle()

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
        wait = max(0.0, self._last_sent + FRAME_INTERVAL - time.perf_counter())
        self._handle = loop.call_later(wait, self._scheduled)

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
        full = self._background is None or self._signature != self._current_signature()
        if full:
            canvas.draw()  # skips animated artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self._signature = self._current_signature()
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible() and artist.figure is not None:
                self.figure.draw_artist(artist)
        buffer = np.asarray(canvas.buffer_rgba())
        H, W = buffer.shape[:2]
        rects = [(0, 0, W, H)] if full or self._previous is None else self._changed_tiles(buffer)
        return buffer, rects, full

    def png(self) -> bytes:
        """The whole figure as PNG bytes, drawn fresh."""
        self._background = None
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
            self._background = None
        return out.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return with_png(self.widget, self.png())

    def _send(self, buffer: np.ndarray, rects: list, full: bool) -> None:
        H, W = buffer.shape[:2]
        self._previous = buffer.view(np.uint32)[..., 0].copy()
        if not rects:
            return
        self._seq += 1
        pngs = [encode_png(buffer[y : y + h, x : x + w]) for x, y, w, h in rects]
        header = {"type": "frame", "rects": [r[:2] for r in rects], "full": full, "W": W, "H": H,
                  "seq": self._seq}
        self.widget.send(header, buffers=pngs)
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
            self._background = None  # a new view needs a whole frame
            self._dirty = True
            self.flush()
        elif content.get("type") == "click" and self.on_click is not None:
            x, y = content.get("x"), content.get("y")
            if all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in (x, y)):
                self.on_click(float(x), 1 - float(y))

    def _set_scale(self, dpr) -> None:
        try:
            scale = float(np.clip(round(float(dpr) * 2) / 2, 1.0, MAX_SCALE))
        except (TypeError, ValueError):
            return
        if scale != self.scale:
            self.figure.set_dpi(self.dpi * scale)
