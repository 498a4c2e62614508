"""An AxesImage for small grids redrawn every frame: it fills its axes and is upsampled by numpy
(bilinear or nearest) to the axes' pixels, then drawn 1:1. Agg's general resampler costs several
times more for an 80 x 80 grid, which matters at 30 frames per second. set_data, get_array,
set_cmap and set_clim work as on any AxesImage; the image's extent must equal the axes' limits.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.axes import Axes
from matplotlib.image import AxesImage
from matplotlib.transforms import IdentityTransform


@functools.lru_cache(maxsize=16)
def _linear(n: int, size: int, flip: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For `size` pixel centres over n cells: the cells to mix (i0, i1) and the weight f of i1."""
    x = np.clip((np.arange(size) + 0.5) * n / size - 0.5, 0, n - 1)
    i0 = np.minimum(np.floor(x).astype(int), max(n - 2, 0))
    i1, f = np.minimum(i0 + 1, n - 1), x - i0
    return (i0[::-1].copy(), i1[::-1].copy(), f[::-1].copy()) if flip else (i0, i1, f)


def _bilinear(A: np.ndarray, h: int, w: int, flip: bool) -> np.ndarray:
    """A (rows, cols, ...) interpolated to (h, w, ...) pixel centres; rows reversed if flip."""
    i0, i1, f = _linear(A.shape[0], h, flip)
    f = f.reshape(-1, *[1] * (A.ndim - 1)).astype(A.dtype)
    A = A.take(i0, axis=0) * (1 - f) + A.take(i1, axis=0) * f
    j0, j1, g = _linear(A.shape[1], w, False)
    g = g.reshape(1, -1, *[1] * (A.ndim - 2)).astype(A.dtype)
    return A.take(j0, axis=1) * (1 - g) + A.take(j1, axis=1) * g


@functools.lru_cache(maxsize=16)
def _nearest(n: int, size: int) -> np.ndarray:
    """Index of the cell under each of `size` pixel centres."""
    return np.minimum(((np.arange(size) + 0.5) * n / size).astype(int), n - 1)


def _words(rgba: np.ndarray) -> np.ndarray:
    """An RGBA uint8 array (..., 4) seen as one uint32 per pixel (gathers move 4x fewer items)."""
    return np.ascontiguousarray(rgba, dtype=np.uint8).view(np.uint32)[..., 0]


class FastImage(AxesImage):
    """An image of shape (rows, cols), (rows, cols, 3) or (rows, cols, 4) covering its whole axes.

    bilinear: interpolated to at most SMOOTH times the grid, then pixels repeated to the axes' size
    (large float temporaries cost more than the arithmetic on them); nearest: pixels repeated."""

    SMOOTH = 3

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        box = self.axes.bbox
        h, w = max(1, round(box.height)), max(1, round(box.width))
        A = np.asarray(self.get_array())
        rows, cols = A.shape[:2]
        flip = self.origin == "upper"  # the renderer takes row 0 as the bottom row
        if self.get_interpolation() == "bilinear":
            rows, cols = min(h, self.SMOOTH * rows), min(w, self.SMOOTH * cols)
        if A.ndim == 2:  # scalar: interpolate values, then colour them through a 256-entry table
            v = np.nan_to_num(np.asarray(self.norm(A), dtype=np.float32), nan=0.0)
            if v.shape != (rows, cols):
                v = _bilinear(v, rows, cols, flip)
            elif flip:
                v = v[::-1]
            table = _words(self.cmap(np.linspace(0, 1, 256), bytes=True))
            words = table[(np.clip(v, 0, 1) * 255 + 0.5).astype(np.uint8)]
        else:
            rgba = A if A.dtype == np.uint8 else (np.clip(A, 0, 1) * 255 + 0.5).astype(np.uint8)
            if rgba.shape[2] == 3:
                rgba = np.concatenate([rgba, np.full(rgba.shape[:2] + (1,), 255, np.uint8)], axis=2)
            if rgba.shape[:2] != (rows, cols):
                rgba = (_bilinear(rgba.astype(np.float32), rows, cols, flip) + 0.5).astype(np.uint8)
            elif flip:
                rgba = rgba[::-1]
            words = _words(rgba)
        words = words.take(_nearest(rows, h), axis=0).take(_nearest(cols, w), axis=1)
        im = np.ascontiguousarray(words).view(np.uint8).reshape(h, w, 4)
        return im, box.x0, box.y0, IdentityTransform()


def fast_imshow(ax: Axes, A, extent, interpolation: str = "bilinear", **kwargs) -> FastImage:
    """Like ax.imshow(A, extent=extent, origin="lower") as a FastImage; sets the axes' limits to
    extent."""
    image = FastImage(ax, origin="lower", extent=extent, interpolation=interpolation, **kwargs)
    image.set_data(A)
    ax.add_image(image)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    return image
