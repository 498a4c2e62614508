"""State of the convolution panel: the image, up to three filters theta (presets or custom),
kernel size k, stride, padding and the window's position; the maps come from the core.
No widgets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import traitlets

from explorer.core import conv
from explorer.core.images import IMAGES

KS = (3, 4)
STRIDES = (1, 4)  # smallest, largest
PADDINGS = (0, 3)
MAX_FILTERS = 3
THETA_MAX = 100.0  # |theta_ij| at most this
CUSTOM = "custom"
DEFAULT_NAMES = ("vertical edge", "horizontal edge", "blur")
DEFAULTS = dict(image="soccer ball", k=4, stride=1, padding=0, n_filters=1, current=0, position=0)


@dataclass(frozen=True, eq=False)
class Setup:
    """What the core computes for the current inputs: the image x (H, W[, C]), its padded copy,
    one theta per filter slot (k, k[, C]: on a colour image the same theta on every channel),
    the full feature map of each slot (rows, cols), and the map's shape."""

    x: np.ndarray
    x_padded: np.ndarray
    thetas: tuple[np.ndarray, ...]
    maps: tuple[np.ndarray, ...]
    shape: tuple[int, int]
    k: int
    stride: int
    padding: int
    notes: list[str] = field(default_factory=list)

    @property
    def positions(self) -> int:
        return self.shape[0] * self.shape[1]


def _fail(text: str):
    raise traitlets.TraitError(text)


def resized(theta: np.ndarray, k: int) -> np.ndarray:
    """A custom theta cut (top-left k x k) or grown with zeros to (k, k)."""
    out = np.zeros((k, k))
    n = min(k, theta.shape[0])
    out[:n, :n] = theta[:n, :n]
    return out


class ConvolutionState(traitlets.HasTraits):
    """Inputs (image ... position) and the derived `setup` (maps of every filter slot)."""

    image = traitlets.Unicode(DEFAULTS["image"])
    k = traitlets.Int(DEFAULTS["k"])
    stride = traitlets.Int(DEFAULTS["stride"])
    padding = traitlets.Int(DEFAULTS["padding"])
    n_filters = traitlets.Int(DEFAULTS["n_filters"])
    current = traitlets.Int(DEFAULTS["current"])  # the filter slot that is edited and stepped (0..)
    position = traitlets.Int(DEFAULTS["position"])  # the window's index, row by row (0..)
    names = traitlets.Tuple()  # a preset name or "custom" for each of the MAX_FILTERS slots
    thetas = traitlets.Tuple()  # (k, k) for each slot
    setup = traitlets.Instance(Setup, allow_none=True)

    def __init__(self, **kwargs) -> None:
        self._images = dict(IMAGES)  # built-ins plus any set with set_image
        super().__init__(**kwargs)
        if not self.names:
            self.names = DEFAULT_NAMES
        if not self.thetas:
            self.thetas = tuple(conv.get_filter(n, self.k) for n in self.names)
        self._derive()
        self.observe(self._on_k, names=["k"])
        self.observe(self._on_n_filters, names=["n_filters"])
        self.observe(self._derive, names=["image", "stride", "padding", "thetas"])

    # Validation: a visitor can send any value; each refusal says what is allowed ---------------
    def _geometry(self, what: str, *, x=None, k=None, padding=None) -> None:
        x = self.x if x is None else x
        k = self.k if k is None else k
        p = self.padding if padding is None else padding
        n = min(x.shape[:2])
        if k > n + 2 * p:
            need = math.ceil((k - n) / 2)
            _fail(f"{what} gives no output: the {k} × {k} kernel is larger than the padded image "
                  f"({n} + 2·{p} = {n + 2 * p} < {k}); use padding ≥ {need} or a smaller kernel. "
                  "The previous value is kept.")

    @traitlets.validate("image")
    def _v_image(self, p):
        if p["value"] not in self._images:
            _fail(f"unknown image {p['value']!r}; choose one of: {', '.join(self._images)}")
        self._geometry(f"The image {p['value']!r}", x=self._images[p["value"]])
        return p["value"]

    @traitlets.validate("k")
    def _v_k(self, p):
        if p["value"] not in KS:
            _fail(f"the kernel size k must be 3 or 4 (θ is 3 × 3 or 4 × 4), got {p['value']!r}")
        self._geometry(f"k = {p['value']}", k=p["value"])
        return p["value"]

    @traitlets.validate("stride")
    def _v_stride(self, p):
        lo, hi = STRIDES
        if not lo <= p["value"] <= hi:
            _fail(f"the stride s must be {lo} to {hi} pixels, got {p['value']!r}")
        return p["value"]

    @traitlets.validate("padding")
    def _v_padding(self, p):
        lo, hi = PADDINGS
        if not lo <= p["value"] <= hi:
            _fail(f"the padding p must be {lo} to {hi} pixels, got {p['value']!r}")
        self._geometry(f"Padding p = {p['value']}", padding=p["value"])
        return p["value"]

    @traitlets.validate("n_filters")
    def _v_n_filters(self, p):
        if not 1 <= p["value"] <= MAX_FILTERS:
            _fail(f"the number of filters must be 1 to {MAX_FILTERS}, got {p['value']!r}")
        return p["value"]

    @traitlets.validate("current")
    def _v_current(self, p):
        if not 0 <= p["value"] < self.n_filters:
            _fail(f"the current filter must be 1 to {self.n_filters} (the filters in use), got "
                  f"{p['value'] + 1!r}")
        return p["value"]

    @traitlets.validate("position")
    def _v_position(self, p):
        """Clamped into the map: 0 .. positions - 1."""
        last = self.setup.positions - 1 if self.setup is not None else 0
        return min(max(p["value"], 0), last)

    @traitlets.validate("names")
    def _v_names(self, p):
        names = tuple(p["value"])
        allowed = [*conv.FILTERS, CUSTOM]
        if len(names) != MAX_FILTERS or any(n not in allowed for n in names):
            _fail(f"names must be {MAX_FILTERS} of: {', '.join(allowed)}; got {names!r}")
        return names

    @traitlets.validate("thetas")
    def _v_thetas(self, p):
        thetas = tuple(np.array(t, dtype=np.float64) for t in p["value"])
        if len(thetas) != MAX_FILTERS or any(t.shape != (self.k, self.k) for t in thetas):
            _fail(f"thetas must be {MAX_FILTERS} arrays of shape ({self.k}, {self.k})")
        for n, t in enumerate(thetas):
            bad = ~np.isfinite(t) | (np.abs(t) > THETA_MAX)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                _fail(f"θ{n + 1}[{r + 1},{c + 1}] must be a number from -{THETA_MAX:g} to "
                      f"{THETA_MAX:g}, got {float(t[r, c]):g}; the previous value is kept")
        for t in thetas:
            t.flags.writeable = False
        return thetas

    # Changes --------------------------------------------------------------------------------
    def _on_k(self, change) -> None:
        """A new k: presets in the new size, custom thetas cut or grown with zeros."""
        notes = []
        thetas = []
        for n, (name, theta) in enumerate(zip(self.names, self.thetas)):
            if name == CUSTOM:
                how = "cut to" if change["new"] < change["old"] else "grown with zeros to"
                if n < self.n_filters:
                    notes.append(f"custom θ{n + 1} was {how} {change['new']} × {change['new']}.")
                thetas.append(resized(theta, change["new"]))
            else:
                thetas.append(conv.get_filter(name, change["new"]))
        self._notes = notes
        self.thetas = tuple(thetas)

    def _on_n_filters(self, change) -> None:
        if self.current >= change["new"]:
            self.current = change["new"] - 1

    def _derive(self, _change=None) -> None:
        x = self._images[self.image]
        C = x.shape[2] if x.ndim == 3 else 0
        thetas = tuple(np.repeat(t[..., None], C, axis=2) if C else t for t in self.thetas)
        maps = tuple(conv.correlate2d(x, t, self.stride, self.padding) for t in thetas)
        old = self.setup
        setup = Setup(x, conv.pad(x, self.padding), thetas, maps, maps[0].shape, self.k,
                      self.stride, self.padding, getattr(self, "_notes", []))
        self._notes = []
        at_end = old is not None and self.position == old.positions - 1 and old.positions > 1
        with self.hold_trait_notifications():
            self.setup = setup
            self.position = setup.positions - 1 if at_end else self.position  # clamped

    # Actions --------------------------------------------------------------------------------
    @property
    def x(self) -> np.ndarray:
        """The current image, (H, W) or (H, W, C)."""
        return self._images[self.image]

    @property
    def ij(self) -> tuple[int, int]:
        """The output position (row i, column j) of the window: positions go row by row."""
        return divmod(self.position, self.setup.shape[1])

    def window(self, slot: int | None = None) -> conv.Window:
        """The core's window at the current position, for filter `slot` (default: the current)."""
        s = self.setup
        i, j = self.ij
        return conv.window(s.x, s.thetas[self.current if slot is None else slot], i, j, s.stride,
                           s.padding)

    def choose(self, name: str) -> None:
        """Give the current filter the preset `name` (or mark it custom, keeping its numbers)."""
        if name not in conv.FILTERS and name != CUSTOM:
            _fail(f"unknown filter {name!r}; choose one of: {', '.join(conv.FILTERS)}, {CUSTOM}")
        names, thetas = list(self.names), list(self.thetas)
        names[self.current] = name
        if name != CUSTOM:
            thetas[self.current] = conv.get_filter(name, self.k)
        with self.hold_trait_notifications():
            self.thetas = tuple(thetas)
            self.names = tuple(names)

    def set_entry(self, r: int, c: int, value) -> None:
        """Set theta_rc (0-based) of the current filter; "custom" unless it equals a preset."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            _fail(f"θ{self.current + 1}[{r + 1},{c + 1}] must be a number, got {value!r}; the "
                  "previous value is kept")
        if not (0 <= r < self.k and 0 <= c < self.k):  # a hidden cell, sent a value directly
            _fail(f"θ{self.current + 1}[{r + 1},{c + 1}] is outside the {self.k} × {self.k} filter; "
                  "nothing was changed")
        theta = np.array(self.thetas[self.current])
        theta[r, c] = value
        thetas = list(self.thetas)
        thetas[self.current] = theta
        names = list(self.names)
        names[self.current] = next((n for n, f in conv.FILTERS.items()
                                    if np.array_equal(f.kernels[self.k], theta)), CUSTOM)
        with self.hold_trait_notifications():
            self.thetas = tuple(thetas)
            self.names = tuple(names)

    def set_image(self, x, name: str = "your image") -> None:
        """Use your own image x (H, W) or (H, W, 3), values in [0, 1], at most 64 pixels a side."""
        if name in IMAGES:
            _fail(f"{name!r} is a built-in image; give your image another name")
        x = np.array(x, dtype=np.float64)
        ok = x.ndim in (2, 3) and (x.ndim == 2 or x.shape[2] == 3) and 1 <= min(x.shape[:2])
        if not ok or max(x.shape[:2]) > 64:
            _fail(f"an image must have shape (H, W) or (H, W, 3) with 1 to 64 pixels a side, got "
                  f"shape {x.shape}")
        if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
            _fail("an image's values must be numbers from 0 to 1")
        self._geometry(f"The image {name!r}", x=x)
        x.flags.writeable = False
        self._images[name] = x
        if self.image == name:
            self._derive()
        self.image = name

    def reset(self) -> None:
        """Back to the defaults: the soccer ball, one 4 x 4 vertical-edge filter, window 1."""
        with self.hold_trait_notifications():  # checked together when the block ends
            for name, value in DEFAULTS.items():
                setattr(self, name, value)
            self.names = DEFAULT_NAMES
            self.thetas = tuple(conv.get_filter(n, DEFAULTS["k"]) for n in DEFAULT_NAMES)
