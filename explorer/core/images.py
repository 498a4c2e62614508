"""Small images made in code, for the convolution panel: grayscale (H, W) and one colour image
(H, W, 3) as three stacked channels R, G, B. Values in [0, 1], rounded to 2 decimals so every
number a panel prints is the exact pixel value. No files, no downloads."""

from __future__ import annotations

import math

import numpy as np

from explorer.core._checks import choice

N = 16  # pixels per side
SUB = 4  # sub-samples per pixel side: edges of discs and polygons are anti-aliased


def _grid(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel centres (rows, cols), each (n*SUB, n*SUB), in pixels (pixel r spans r..r+1)."""
    t = (np.arange(n * SUB) + 0.5) / SUB
    return np.meshgrid(t, t, indexing="ij")


def _average(mask: np.ndarray, n: int = N) -> np.ndarray:
    """The fraction of each pixel's sub-samples that are inside `mask`, shape (n, n)."""
    return mask.reshape(n, SUB, n, SUB).mean(axis=(1, 3))


def _polygon(r, c, centre, radius: float, sides: int, turn: float) -> np.ndarray:
    """Inside a regular polygon with this circumradius, centre (row, col) and rotation (radians)."""
    inside = np.ones(r.shape, bool)
    for m in range(sides):
        angle = turn + (2 * m + 1) * math.pi / sides
        along = (c - centre[1]) * math.cos(angle) - (r - centre[0]) * math.sin(angle)
        inside &= along <= radius * math.cos(math.pi / sides)
    return inside


def _finish(x: np.ndarray) -> np.ndarray:
    x = np.round(np.clip(x, 0.0, 1.0), 2)
    x.flags.writeable = False
    return x


def soccer_ball() -> np.ndarray:
    """A white ball with black pentagons on a grey field, (16, 16)."""
    r, c = _grid()
    centre, R = (N / 2, N / 2), 7.3
    ball = (r - centre[0]) ** 2 + (c - centre[1]) ** 2 <= R**2
    up = -math.pi / 2  # a vertex of the middle pentagon points up
    patches = _polygon(r, c, centre, 2.3, 5, up)
    for m in range(5):
        angle = up + math.pi / 5 + 2 * math.pi * m / 5  # between the middle pentagon's vertices
        at = (centre[0] + 5.9 * math.sin(angle), centre[1] + 5.9 * math.cos(angle))
        patches |= _polygon(r, c, at, 2.0, 5, angle + math.pi)
    value = np.where(ball, np.where(patches, 0.1, 0.95), 0.45)
    return _finish(value.reshape(N, SUB, N, SUB).mean(axis=(1, 3)))


def checkerboard(square: int = 4) -> np.ndarray:
    """Black and white squares of `square` pixels, (16, 16)."""
    i = np.arange(N) // square
    return _finish(((i[:, None] + i[None, :]) % 2).astype(float))


def diagonal_edge() -> np.ndarray:
    """Bright above the diagonal, dark below it, (16, 16)."""
    r, c = _grid()
    return _finish(0.1 + 0.8 * _average(c > r))


def letter_f() -> np.ndarray:
    """A dark letter F on light paper, (16, 16); not symmetric, so flips and turns show."""
    x = np.full((N, N), 0.9)
    x[2:14, 4:7] = 0.1  # the stem
    x[2:5, 4:13] = 0.1  # the top bar
    x[7:10, 4:11] = 0.1  # the middle bar
    return _finish(x)


def colour_disc() -> np.ndarray:
    """A red disc on a blue-green gradient, (16, 16, 3): channels R, G, B stacked. G + B is the
    same across the gradient, so a filter summed over the channels sees only the disc."""
    r, c = _grid()
    disc = _average((r - 7.0) ** 2 + (c - 8.5) ** 2 <= 4.6**2)
    t = np.broadcast_to((np.arange(N) + 0.5) / N, (N, N))  # 0 at the left, 1 at the right
    background = np.stack([np.full((N, N), 0.05), 0.1 + 0.5 * t, 0.6 - 0.5 * t], axis=2)
    red = np.array([0.95, 0.15, 0.1])
    return _finish(background * (1 - disc[..., None]) + red * disc[..., None])


IMAGES: dict[str, np.ndarray] = {
    "soccer ball": soccer_ball(),
    "checkerboard": checkerboard(),
    "diagonal edge": diagonal_edge(),
    "letter F": letter_f(),
    "colour disc": colour_disc(),
}


def get_image(name: str) -> np.ndarray:
    """A writable copy of the built-in image `name`: (H, W) or (H, W, 3), values in [0, 1]."""
    return IMAGES[choice("image", name, IMAGES)].copy()
