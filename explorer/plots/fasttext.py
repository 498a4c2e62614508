"""FastText: a matplotlib Text that an Agg canvas draws from a cache of its pixels.

Laying out and rendering a text costs matplotlib about 1 ms a line (more for mathtext); a live figure
that redraws the same strings step after step (node values, grid numbers, captions) pastes them
instead, some 0.05 ms. Only Agg drawing is cached; SVG and PDF export draw real text.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from matplotlib.transforms import Bbox, IdentityTransform

SPRITE_BYTES = 2 * 2**20  # the pixels of drawn texts kept for FastText, at most
MAX_BOXES = 1024  # the window extents of texts kept for FastText, at most
SCRATCH = (640, 256)  # pixels: the buffer FastText renders a text in (a larger one gets its own)


class FastText(Text):
    """A Text that an Agg canvas draws from a cache of its pixels. The first draw of a look (string,
    colour, font, alignment, box, dpi and the anchor's place within a pixel) renders it as a Text
    into a scratch buffer; every later draw of that look pastes those pixels, the same up to rounding
    in the last bit (matplotlib 3.11 takes about 1 ms a line to lay out and render a text, a paste
    some 0.05 ms). Its window extent is remembered the same way. Other renderers (SVG, PDF) and
    clipped, wrapped, TeX or path-effect texts are drawn as a plain Text. Make one with `fast`."""

    pixel_aligned = False  # True: the anchor is rounded to a whole pixel (it moves < 0.5 px), so
    # that equal texts anywhere share one rendering

    _sprites: OrderedDict = OrderedDict()  # look -> sprite (see _render_in); least recent first
    _bytes = 0
    _boxes: OrderedDict = OrderedDict()  # (look, anchor, dpi) -> window extent; least recent first
    _scratch: dict = {}  # dpi -> a RendererAgg to lay out and render texts in

    def get_window_extent(self, renderer=None, dpi=None) -> Bbox:
        """As Text's, remembered by look and place (laying a text out costs ~0.2 ms a line)."""
        renderer = renderer or self._renderer
        if not (isinstance(renderer, RendererAgg) and dpi is None and self.get_visible()
                and self.get_text()):
            return super().get_window_extent(renderer, dpi)
        anchor = tuple(self.get_transform().transform(self.get_unitless_position()))
        key = (self._look(), anchor, renderer.dpi)
        box = FastText._boxes.get(key)
        if box is None:
            box = FastText._boxes[key] = self._laid_out(renderer, super().get_window_extent)
            if len(FastText._boxes) > MAX_BOXES:
                FastText._boxes.popitem(last=False)
        FastText._boxes.move_to_end(key)
        self._renderer = renderer
        return box.frozen()

    def draw(self, renderer) -> None:
        clipped = self.get_clip_on() and (self.get_clip_box() or self.get_clip_path()) is not None
        anchor = self.get_transform().transform(self.get_unitless_position())
        if not (isinstance(renderer, RendererAgg) and self.get_visible() and self.get_text()
                and np.all(np.isfinite(anchor))
                and not (clipped or self.get_wrap() or self.get_usetex() or self.get_path_effects())):
            return super().draw(renderer)
        self._renderer = renderer
        anchor = np.round(anchor) if self.pixel_aligned else anchor
        base = np.floor(anchor)
        key = (self._look(), *(anchor - base), renderer.dpi)
        sprite = FastText._sprites.get(key)
        if sprite is None:
            sprite = self._cache(key, self._render(renderer, anchor))
        FastText._sprites.move_to_end(key)
        pixels, rgb, dx, dy = sprite
        if pixels.size:
            if rgb is not None:  # one colour: only its coverage (alpha) was kept
                image = np.empty((*pixels.shape, 4), np.uint8)
                image[..., :3], image[..., 3] = rgb, pixels
                pixels = image
            gc = renderer.new_gc()
            renderer.draw_image(gc, base[0] + dx, base[1] + dy, pixels)
            gc.restore()
        self.stale = False

    def _look(self) -> tuple:
        """Everything but the place that decides this text's pixels."""
        fp, patch = self.get_fontproperties(), self.get_bbox_patch()
        font = (tuple(fp.get_family()), fp.get_style(), fp.get_variant(), fp.get_weight(),
                fp.get_stretch(), fp.get_size_in_points(), fp.get_file(), fp.get_math_fontfamily())
        box = None if patch is None else (
            patch.get_facecolor(), patch.get_edgecolor(), patch.get_linewidth(),
            patch.get_linestyle(), type(patch.get_boxstyle()).__name__,
            tuple(sorted(vars(patch.get_boxstyle()).items())), patch.get_mutation_scale(),
            patch.get_mutation_aspect())
        return (self.get_text(), to_rgba(self.get_color()), self.get_alpha(), font,
                self.get_horizontalalignment(), self.get_verticalalignment(),
                self._multialignment, self.get_rotation(), self.get_rotation_mode(),
                self.get_transform_rotates_text(), self.get_linespacing(), self.get_antialiased(),
                self.get_parse_math(), self.get_fontfeatures(), self.get_language(), box)

    def _laid_out(self, renderer, fn, *args):
        """fn(scratch, *args) for the scratch renderer at renderer's dpi: one renderer lays out
        every FastText, so matplotlib measures (and parses, for mathtext) each string once."""
        scratch = FastText._scratch.get(renderer.dpi)
        if scratch is None:
            if len(FastText._scratch) > 3:
                FastText._scratch.clear()
            scratch = FastText._scratch[renderer.dpi] = RendererAgg(SCRATCH[0], SCRATCH[1],
                                                                   renderer.dpi)
        scratch.mathtext_parser = renderer.mathtext_parser  # it remembers what it parsed
        try:
            return fn(scratch, *args)
        finally:
            self._renderer = renderer

    def _render(self, renderer, anchor: np.ndarray) -> tuple:
        """This text drawn alone at `anchor` (display pixels) on a transparent buffer: its pixels
        (RGBA, rows bottom first; or, all in one colour rgb, their alpha), rgb (or None), and their
        lower left corner relative to floor(anchor)."""
        return self._laid_out(renderer, self._render_in, anchor)

    def _render_in(self, scratch: RendererAgg, anchor: np.ndarray) -> tuple:
        box = super().get_window_extent(scratch)
        if self.get_bbox_patch() is not None:
            self.update_bbox_position_size(scratch)
            box = Bbox.union([box, self.get_bbox_patch().get_window_extent(scratch)])
        margin = math.ceil(self.get_fontsize() * scratch.dpi / 72) + 4  # glyphs overhang the box
        left, bottom = math.floor(box.x0) - margin, math.floor(box.y0) - margin
        width, height = math.ceil(box.x1) + margin - left, math.ceil(box.y1) + margin - bottom
        if width > scratch.width or height > scratch.height:
            scratch = RendererAgg(width, height, scratch.dpi)  # a huge text: a scratch of its own
        scratch.clear()
        position, transform = self.get_position(), self.get_transform()
        self.set_position(anchor - (left, bottom))  # the same place within a pixel
        self.set_transform(IdentityTransform())
        try:
            super().draw(scratch)
        finally:
            self.set_position(position)
            self.set_transform(transform)
        region = np.asarray(scratch.buffer_rgba())[scratch.height - height :, :width]  # rows top first
        rows = np.flatnonzero(region[..., 3].any(axis=1))
        cols = np.flatnonzero(region[..., 3].any(axis=0))
        if not rows.size:
            return np.zeros((0, 0), np.uint8), None, 0, 0
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        pixels, (x0, y0) = region[r0:r1, c0:c1][::-1], np.floor(anchor)
        inked = pixels[pixels[..., 3] > 0, :3]
        rgb = tuple(inked[0]) if (inked == inked[0]).all() else None
        pixels = pixels[..., 3].copy() if rgb is not None else pixels.copy()
        return pixels, rgb, int(left + c0 - x0), int(bottom + height - r1 - y0)

    @classmethod
    def _cache(cls, key: tuple, sprite: tuple) -> tuple:
        cls._sprites[key] = sprite
        cls._bytes += sprite[0].nbytes
        while cls._bytes > SPRITE_BYTES and len(cls._sprites) > 1:
            cls._bytes -= cls._sprites.popitem(last=False)[1][0].nbytes
        return sprite


def fast(text: Text, pixel_aligned: bool = False) -> FastText:
    """`text` (made by ax.text or fig.text) turned into a FastText in place."""
    text.__class__ = FastText
    text.pixel_aligned = pixel_aligned
    return text
