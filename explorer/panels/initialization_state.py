"""State of the initialization panel (no widgets): one data set and one architecture, trained from
five starts side by side (zeros, N(0, 0.1), Xavier, He, and a too-large N(0, sigma)) on the same
data with the same seed, and what the numbers say about each start: the spread (std) of every
hidden layer's activations, the saturated fraction, identical units.

The too-large start is not in the core's INITS: it is the core's N(0, 0.1) start (same seed, so the
same random draws) with every W scaled by sigma / 0.1, assigned to net.W here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import traitlets

from explorer.core.datasets import DATASETS, make
from explorer.core.mlp import MLP
from explorer.core.optim import Trainer

STARTS = ("zeros", "normal", "xavier", "he", "large")  # the columns, left to right
HIDDEN = ("tanh", "sigmoid", "relu")
DEPTH, WIDTH, POINTS, EPOCHS = (1, 5), (4, 32), (20, 400), (10, 500)
LR, SIGMA, SEED_MAX = (1e-3, 10.0), (0.5, 10.0), 2**31 - 1
NOISE = 0.1  # the data's jitter (fixed)
MAX_TOTAL = 5000  # epochs one run may reach before reset
BUDGET = 1.0  # seconds of training one press may take, by the cost estimate below
# seconds per epoch of one run: fixed, per sample x weight, per sample x unit (fitted on the
# development machine, 2 cores under load; an estimate, used only to bound one press of "train")
COST = (4e-4, 2e-9, 1e-7)
SATURATED = {"tanh": (0.99, "|a| > 0.99"), "sigmoid": (0.49, "a < 0.01 or a > 0.99")}
CENTRE = {"tanh": 0.0, "sigmoid": 0.5, "relu": 0.0}  # g(0)
TINY = {"tanh": 0.1, "sigmoid": 0.05, "relu": 0.05}  # "tiny": layer 1's std below this, and every
# layer's below twice this
SHRINK, GROW = 0.8, 1.6  # mean std ratio per layer below / above which the spread shrinks / grows
SAT_NOTABLE, DEAD_NOTABLE = 0.2, 0.25  # fractions worth a verdict


def label(start: str, sigma: float) -> str:
    """The column title of a start."""
    return {"zeros": "zeros", "normal": "N(0, 0.1)", "xavier": "Xavier", "he": "He",
            "large": f"N(0, {sigma:g})"}[start]


@dataclass
class Layer:
    """Numbers of one hidden layer's activations a (m, n_l): std, saturated and dead fractions."""

    std: float
    saturated: float  # share of values in the flat ends of tanh / sigmoid (0 for relu)
    dead: float  # share of units that are 0 for every sample (relu)


def layer_numbers(a: np.ndarray, hidden: str) -> Layer:
    """Std, saturated share and dead share of the activations a (m, n_l) of one layer."""
    if not np.all(np.isfinite(a)):
        return Layer(math.nan, math.nan, math.nan)
    edge = SATURATED.get(hidden)
    sat = float(np.mean(np.abs(a - CENTRE[hidden]) > edge[0])) if edge else 0.0
    dead = float(np.mean(np.all(a == 0, axis=0))) if hidden == "relu" else 0.0
    return Layer(float(a.std()), sat, dead)


def identical_layers(net: MLP) -> list[int]:
    """Hidden layers (from 1) of two or more units whose rows of W and b are all the same."""
    same = []
    for l, (W, b) in enumerate(zip(net.W[:-1], net.b[:-1]), 1):
        rows = np.column_stack([W, b])
        if len(rows) > 1 and np.allclose(rows, rows[0], rtol=1e-9, atol=1e-12):
            same.append(l)
    return same


def _stds(layers: list[Layer]) -> str:
    return " → ".join(f"{x.std:.2g}" for x in layers)


def verdict(layers: list[Layer], same: list[int], hidden: str, width: int) -> tuple[str, str]:
    """(word, sentence): what the start's numbers say: identical units first, then saturation,
    growth, shrinkage, a tiny spread, else a kept one; dead ReLU units are added when many."""
    if same:
        where = "every hidden layer" if len(same) == len(layers) else f"layers {same}"
        return "symmetric", (f"all {width} units identical in {where} (symmetry never "
                             "broken: equal weights get equal gradients)")
    if not all(math.isfinite(x.std) for x in layers):
        return "overflow", "some activations are not finite numbers"
    word, sentence = _spread(layers, hidden)
    dead = [x.dead for x in layers]
    if max(dead) >= DEAD_NOTABLE:
        l = int(np.argmax(dead)) + 1
        sentence += f"; {100 * max(dead):.0f}% of the ReLU units in layer {l} are 0 for every point"
    return word, sentence


def _spread(layers: list[Layer], hidden: str) -> tuple[str, str]:
    depth, stds = len(layers), f"(std {_stds(layers)})"
    sat = [x.saturated for x in layers]
    if hidden in SATURATED and max(sat) >= SAT_NOTABLE:
        parts = ", ".join(f"{100 * f:.0f}% in layer {l}" for l, f in enumerate(sat, 1))
        return "saturated", (f"{hidden} units saturated ({SATURATED[hidden][1]}): {parts}; "
                             "there g'(z) ≈ 0, so little gradient flows back")
    first, last = layers[0].std, layers[-1].std
    ratio = (last / first) ** (1 / (depth - 1)) if depth > 1 and first > 0 else 1.0
    steps = np.diff([x.std for x in layers])
    if hidden == "relu" and ratio > GROW:
        how = "layer by layer" if np.all(steps > 0) else f"from layer 1 to layer {depth}"
        return "grows", f"activations grow {how} {stds}"
    if ratio < SHRINK:
        how = "layer by layer" if np.all(steps < 0) else f"from layer 1 to layer {depth}"
        return "shrinks", f"activations shrink {how} {stds}"
    if first < TINY[hidden] and max(x.std for x in layers) < 2 * TINY[hidden]:
        return "tiny", (f"activations stay close to g(0) = {CENTRE[hidden]:g} {stds}: every "
                        "unit works in the nearly linear middle of g")
    return "kept", ("the spread is kept across layers " if depth > 1 else "a usable spread ") + stds


@dataclass
class Run:
    """One start: its network (trained in place), Trainer, and hidden activations at epoch 0."""

    start: str
    net: MLP
    trainer: Trainer
    a0: list[np.ndarray]  # hidden activations (m, n_l) at the start, l = 1..depth


class Setting(traitlets.TraitType):
    """A whole number or a number from lo to hi, or one of `options`; anything else (of any type,
    as a visitor can send) is refused with a sentence: what was wrong and what is allowed."""

    def __init__(self, default, what: str, lo=None, hi=None, whole=False, options=(), **kw):
        self.what, self.lo, self.hi, self.whole, self.options = what, lo, hi, whole, options
        super().__init__(default_value=default, **kw)

    def validate(self, obj, value):
        if self.options:
            if isinstance(value, str) and value in self.options:
                return value
            raise traitlets.TraitError(f"{self.what} must be one of: {', '.join(self.options)}, "
                                       f"got {value!r}")
        ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
        ok = ok and math.isfinite(value) and self.lo <= value <= self.hi
        ok = ok and (not self.whole or float(value).is_integer())
        if not ok:
            kind = "a whole number" if self.whole else "a number"
            lo, hi = (f"{v:d}" if isinstance(v, int) else f"{v:g}" for v in (self.lo, self.hi))
            raise traitlets.TraitError(f"{self.what} must be {kind} from {lo} to {hi}, "
                                       f"got {value!r}")
        return int(value) if self.whole else float(value)


EPOCHS_ARG = Setting(1, "epochs", 1, 10**6, whole=True)  # checks train()'s argument


class InitState(traitlets.HasTraits):
    """Settings (data ... sigma), `epochs` per press of train, the runs, and `version` (bumped
    whenever the runs change, so a view knows to redraw)."""

    data = Setting("circles", "data set", options=tuple(DATASETS))
    points = Setting(200, "points", *POINTS, whole=True)
    seed = Setting(0, "seed", 0, SEED_MAX, whole=True)
    depth = Setting(3, "depth (hidden layers)", *DEPTH, whole=True)
    width = Setting(16, "width (units per hidden layer)", *WIDTH, whole=True)
    hidden = Setting("tanh", "hidden activation", options=HIDDEN)
    lr = Setting(0.3, "learning rate η", *LR)
    sigma = Setting(3.0, "σ of the too-large start", *SIGMA)
    epochs = Setting(100, "epochs per press", *EPOCHS, whole=True)
    version = traitlets.Int(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reset()
        self.observe(lambda _c: self.reset(), names=["data", "points", "seed", "depth", "width",
                                                    "hidden", "lr"])
        self.observe(self._new_sigma, names=["sigma"])

    # ---- runs ---------------------------------------------------------------------------------
    @property
    def sizes(self) -> list[int]:
        return [2, *[self.width] * self.depth, 1]

    def reset(self) -> None:
        """New data and new networks from each start (same seed for all), nothing trained."""
        self.X, labels = make(self.data, self.points, NOISE, self.seed)
        self.T = labels[:, None].astype(np.float64)
        self.runs = {s: self._run(s) for s in STARTS}
        self.version += 1

    def _new_sigma(self, _change) -> None:
        """Only the too-large start depends on sigma: while nothing is trained the other four are
        what a reset would make again (same data, seed and draws), so they are kept."""
        if self.trained:
            self.reset()
            return
        self.runs = {**self.runs, "large": self._run("large")}
        self.version += 1

    def _run(self, start: str) -> Run:
        init = "normal" if start == "large" else start
        net = MLP(self.sizes, hidden=self.hidden, output="sigmoid", loss="bce", init=init,
                  seed=self.seed)
        if start == "large":  # the same draws as N(0, 0.1), scaled: N(0, sigma)
            net.W = [W * (self.sigma / 0.1) for W in net.W]
        with np.errstate(over="ignore", invalid="ignore"):
            trainer = Trainer(net, self.X, self.T, self.lr, seed=self.seed)
            a0 = [a.copy() for a in net.forward(self.X).a[1:-1]]
        return Run(start, net, trainer, a0)

    @property
    def trained(self) -> int:
        """Epochs trained so far: the most any start has reached."""
        return max(r.trainer.epoch for r in self.runs.values())

    def cost(self) -> float:
        """Estimated seconds one epoch of every still-running start takes."""
        weights = sum(a * b for a, b in zip(self.sizes[1:], self.sizes[:-1]))
        units = sum(self.sizes[1:])
        per = COST[0] + self.points * (COST[1] * weights + COST[2] * units)
        return per * sum(1 for r in self.runs.values() if not r.trainer.stopped)

    def train(self, epochs: int | None = None) -> list[str]:
        """Train every start that has not stopped for `epochs` more (default: self.epochs), fewer
        if the press would exceed BUDGET seconds or MAX_TOTAL epochs; return notes in words."""
        k = self.epochs if epochs is None else EPOCHS_ARG.validate(self, epochs)
        going = [r for r in self.runs.values() if not r.trainer.stopped]
        if not going:
            return ["Every start has stopped; press reset (or change a setting)."]
        room = MAX_TOTAL - self.trained
        if room <= 0:
            return [f"{MAX_TOTAL} epochs is the most this panel trains; press reset."]
        fit = max(1, int(BUDGET / self.cost()))
        notes = []
        if min(k, room) > fit:
            notes.append(f"Trained {fit} of the {k} epochs asked, so that a press takes about "
                         f"{BUDGET:g} s ({len(going)} networks × {self.points} points); "
                         "press train again to continue.")
        for run in going:
            run.trainer.run_epochs(min(k, room, fit))
        self.version += 1
        return notes

    def after(self, start: str) -> list[np.ndarray] | None:
        """Hidden activations (m, n_l) of a start's network now; None if its run diverged."""
        run = self.runs[start]
        if run.trainer.stopped:
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            return run.net.forward(self.X).a[1:-1]

    def numbers(self, start: str) -> list[Layer]:
        """Layer numbers of a start's hidden activations at epoch 0."""
        return [layer_numbers(a, self.hidden) for a in self.runs[start].a0]

    def judge(self, start: str) -> tuple[str, str]:
        """The verdict (word, sentence) on a start: its activations at epoch 0, its units now."""
        run = self.runs[start]
        word, sentence = verdict(self.numbers(start), identical_layers(run.net), self.hidden,
                                 self.width)
        if word == "symmetric" and run.trainer.epoch:
            sentence += f"; still identical after {run.trainer.epoch} epochs"
        return word, sentence

    def status(self, start: str) -> str:
        """How a start's run stands: the core's reason if it stopped, else its loss and accuracy."""
        tr = self.runs[start].trainer
        if tr.stopped:
            return f"stopped: {tr.stopped}"
        loss, acc = tr.history["train_loss"][-1], tr.history["train_acc"][-1]
        return f"now loss {loss:.3g}, {100 * acc:.0f}% of points right"
