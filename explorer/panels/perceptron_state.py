"""State of the perceptron panel: gate, encoding, start weights, learning rate, and the run of the
perceptron rule (computed once by the core, replayed one example at a time). Knows no widgets."""

from __future__ import annotations

import math

import numpy as np
import traitlets

from explorer.core import perceptron as P

W_LIMIT = 10.0  # start weights are allowed in [-W_LIMIT, W_LIMIT]
LR_LIMIT = 1e6  # beyond this the weights grow past what a table can show
MAX_EPOCHS = 1000  # the core stops there if the run neither converges nor cycles
MAX_STEPS = 4_000_000  # a cycling run is replayed forever; this only bounds the counter
ENCODINGS = {"pm1": "the lecture's +/-1 with f = sign", "01": "0/1 with f = step"}
BOX = {"pm1": (-1.5, 1.5), "01": (-0.5, 1.5)}  # the square shown, per encoding


def _number(name: str, value: float, lo: float, hi: float, allowed: str) -> float:
    if not math.isfinite(value) or not lo <= value <= hi:
        raise traitlets.TraitError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


class PerceptronState(traitlets.HasTraits):
    """Inputs (gate ... show_two_layer) and the run: `history` (core TrainResult), `steps` done."""

    gate = traitlets.Unicode("AND")
    encoding = traitlets.Unicode("pm1")
    w1 = traitlets.Float(P.LECTURE_W[0])
    w2 = traitlets.Float(P.LECTURE_W[1])
    b = traitlets.Float(P.LECTURE_B)
    lr = traitlets.Float(0.1)
    show_two_layer = traitlets.Bool(False)
    history = traitlets.Instance(P.TrainResult, allow_none=True)
    steps = traitlets.Int(0)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._restart()

    @traitlets.validate("gate")
    def _check_gate(self, proposal):
        key = proposal["value"].upper()
        if key not in P.GATES:
            raise traitlets.TraitError(
                f"unknown gate {proposal['value']!r}; choose one of: {', '.join(P.GATES)}")
        return key

    @traitlets.validate("encoding")
    def _check_encoding(self, proposal):
        if proposal["value"] not in ENCODINGS:
            names = "; ".join(f"{k} ({v})" for k, v in ENCODINGS.items())
            raise traitlets.TraitError(
                f"unknown encoding {proposal['value']!r}; choose one of: {names}")
        return proposal["value"]

    @traitlets.validate("w1", "w2", "b")
    def _check_weight(self, proposal):
        allowed = f"a finite number in [{-W_LIMIT:g}, {W_LIMIT:g}]"
        return _number(proposal["trait"].name, proposal["value"], -W_LIMIT, W_LIMIT, allowed)

    @traitlets.validate("lr")
    def _check_lr(self, proposal):
        return _number("lr", proposal["value"], math.ulp(0.0), LR_LIMIT,
                       f"a finite number > 0 and at most {LR_LIMIT:g}")

    @traitlets.validate("steps")
    def _check_steps(self, proposal):
        return int(min(max(proposal["value"], 0), self.max_steps))

    @traitlets.observe("gate", "encoding", "w1", "w2", "b", "lr")
    def _restart(self, change=None) -> None:
        X, t = P.gate(self.gate, self.encoding)
        self.history = P.train(X, t, (self.w1, self.w2), self.b, self.lr, MAX_EPOCHS, self.encoding)
        self.steps = 0

    def set_weights(self, w1: float, w2: float, b: float) -> None:
        """Set the start weights together: all three are accepted, or none (TraitError)."""
        with self.hold_trait_notifications():
            self.w1, self.w2, self.b = w1, w2, b

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """The gate's truth table in the current encoding: X (4, 2), t (4,)."""
        return P.gate(self.gate, self.encoding)

    # The run, replayed: `steps` examples presented so far. A cycling run repeats its cycle forever.
    @property
    def recorded(self) -> int:
        """Steps the core recorded."""
        return 0 if self.history is None else len(self.history.index)

    @property
    def max_steps(self) -> int:
        """Last step that can be shown: the end of the run, or unbounded (MAX_STEPS) for a cycle."""
        if self.history is None:
            return 0
        return MAX_STEPS if self.history.status == "cycle" else self.recorded

    @property
    def verdict_reached(self) -> bool:
        """True once the replay has reached the point where the core gave its verdict."""
        return self.history is not None and self.steps >= self.recorded

    def _recorded_index(self, s: int) -> int:
        """Index into the recorded states for the state after `s` steps (cycles wrap around)."""
        h = self.history
        if s <= self.recorded:
            return s
        first, now = h.cycle
        s0, period = 4 * (first - 1), 4 * (now - first)
        return s0 + (s - s0) % period

    def weights(self, s: int | None = None) -> tuple[np.ndarray, float]:
        """Weights w (2,) and bias b after `s` steps (default: now)."""
        k = self._recorded_index(self.steps if s is None else s)
        return self.history.w[k].copy(), float(self.history.b[k])

    def last_example(self) -> int | None:
        """Row of X presented in the last step (fixed order 0, 1, 2, 3, 0, ...), None before any."""
        return None if self.steps == 0 else (self.steps - 1) % 4

    def mistakes_per_epoch(self) -> np.ndarray:
        """Mistakes made during each completed epoch, shape (steps // 4,)."""
        h, done = self.history, self.steps // 4
        e = np.arange(1, done + 1)
        if h.cycle is not None:
            first, now = h.cycle
            e = np.where(e < now, e, first + (e - first) % (now - first))
        return h.mistakes_per_epoch[e - 1] if done else np.zeros(0, dtype=int)

    def advance(self, k: int) -> int:
        """Present the next k examples; return how many were (fewer at the end of a run)."""
        before = self.steps
        self.steps = before + max(int(k), 0)
        return self.steps - before
