"""The state of the backpropagation panel: the lecture's numbers, the current step, the error history.

Knows no widgets. Every number is validated by the core's `Example` (a rejected value raises
traitlets.TraitError in words and changes nothing); the trace is recomputed by the core on every edit.
"""

from __future__ import annotations

import math
from dataclasses import replace

import traitlets

from explorer.core.backprop import Example, Trace, descend, trace

WEIGHTS = tuple(f"w{n}" for n in range(1, 9))
FIELDS = ("i1", "i2", "t1", "t2", *WEIGHTS, "b1", "b2", "eta")
MAX_UPDATES = 100_000  # "train N updates" refuses more: 100,000 take about a second in the kernel
MAX_HISTORY = 1_000_000  # updates one error curve holds (32 MB of floats); then reset


def _example(ex: Example, **changes) -> Example:
    """`ex` with `changes` (w1..w8 by name), validated by the core; TraitError in words if refused."""
    w = list(ex.w)
    for k in [k for k in changes if k in WEIGHTS]:
        w[int(k[1:]) - 1] = changes.pop(k)
    try:
        return replace(ex, w=tuple(w), **changes)
    except ValueError as e:
        raise traitlets.TraitError(f"{e}; nothing was changed") from None


def _traceable(ex: Example, what: str) -> None:
    """Refuse (TraitError in words) an example whose traced update holds a non-finite number."""
    try:
        steps = trace(ex).steps
    except ValueError as e:  # the updated weights are not finite numbers
        raise traitlets.TraitError(f"with {what} the update overflows ({e}); nothing was "
                                   "changed") from None
    bad = next((s for s in steps if not math.isfinite(s.value)), None)
    if bad is not None:
        raise traitlets.TraitError(f"with {what} the update overflows ({bad.name} = {bad.value}); "
                                   "nothing was changed")


class BackpropState(traitlets.HasTraits):
    """Inputs, targets, weights, biases, eta and update_biases; the trace, the step and the history."""

    i1, i2, t1, t2 = (traitlets.Any(v) for v in (0.05, 0.10, 0.01, 0.99))
    w1, w2, w3, w4, w5, w6, w7, w8 = (traitlets.Any(v) for v in Example().w)
    b1, b2, eta = traitlets.Any(0.35), traitlets.Any(0.60), traitlets.Any(0.5)
    update_biases = traitlets.Bool(False)
    step = traitlets.Int(1)  # 1-based number of the step shown
    n_updates = traitlets.Int(10_000)
    trace = traitlets.Instance(Trace)  # derived: one update of the current example, step by step
    history = traitlets.List()  # E_total before the first update and after each one since `start`

    def __init__(self) -> None:
        super().__init__()
        self._loading = False
        self.start = Example.lecture()  # the example the history starts from
        self.trace = trace(self.start)
        self.history = [self.trace.value("E_total")]

    @property
    def example(self) -> Example:
        return self.trace.example

    @property
    def from_lecture(self) -> bool:
        """True when the history starts at the lecture's example."""
        return self.start == Example.lecture()

    @traitlets.validate(*FIELDS, "update_biases")
    def _valid(self, proposal):
        name = proposal["trait"].name
        ex = _example(self._fields(), **{name: proposal["value"]})
        _traceable(ex, f"{name} = {proposal['value']!r}")
        return ex.w[WEIGHTS.index(name)] if name in WEIGHTS else getattr(ex, name)

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        n = len(self.trace.steps)
        if not 1 <= proposal["value"] <= n:
            raise traitlets.TraitError(f"step must be between 1 and {n}, got {proposal['value']}")
        return proposal["value"]

    @traitlets.validate("n_updates")
    def _valid_n(self, proposal):
        n = proposal["value"]
        if not 1 <= n <= MAX_UPDATES:
            raise traitlets.TraitError(
                f"N updates must be between 1 and {MAX_UPDATES:,} (larger N would keep the kernel "
                f"busy for seconds), got {n:,}; nothing was changed")
        return n

    @traitlets.observe(*FIELDS, "update_biases")
    def _edited(self, change) -> None:
        if not self._loading:  # an edit: the error history starts again here
            self.start = self._fields()
            self._derive([])

    def _fields(self) -> Example:
        """The Example the fields hold now (each was validated when set)."""
        w = tuple(getattr(self, k) for k in WEIGHTS)
        return Example(self.i1, self.i2, self.t1, self.t2, w, self.b1, self.b2, self.eta,
                       self.update_biases)

    def _derive(self, history: list[float]) -> None:
        """Recompute the trace, keep the step (by name where it still exists), extend the history."""
        new = trace(self._fields())
        names = [s.name for s in new.steps]
        current = self.trace.steps[self.step - 1].name
        step = names.index(current) + 1 if current in names else min(self.step, len(names))
        with self.hold_trait_notifications():
            self.trace = new  # first, so that observers see the new trace before the new step
            self.step = step
            self.history = history or [new.value("E_total")]

    def load(self, ex: Example, history: list[float]) -> None:
        """Show `ex` (all fields at once) with the error `history` that led to it."""
        self._loading = True
        try:
            with self.hold_trait_notifications():
                for name in FIELDS:
                    value = ex.w[WEIGHTS.index(name)] if name in WEIGHTS else getattr(ex, name)
                    setattr(self, name, value)
                self.update_biases = ex.update_biases
        finally:
            self._loading = False
        self._derive(history)

    def _room(self, n: int) -> None:
        """Refuse (TraitError in words) n more updates when the curve would pass MAX_HISTORY."""
        done = len(self.history) - 1
        if done + n > MAX_HISTORY:
            raise traitlets.TraitError(
                f"the error curve holds at most {MAX_HISTORY:,} updates and has {done:,}; "
                f"{n:,} more would pass that: press reset (or edit a number) to start a new curve")

    def apply(self) -> None:
        """Apply the traced update: the weights (and biases, if asked) take their new values."""
        self._room(1)
        self.load(self.trace.updated(), [*self.history, self.trace.value("E_total+")])

    def train(self, n: int) -> None:
        """Apply n updates more (1..MAX_UPDATES); the history grows by n errors."""
        self.n_updates = n  # validates n
        self._room(n)
        ex, errors = descend(self.example, n)
        self.load(ex, [*self.history, *errors])

    def reset(self) -> None:
        """Back to the lecture's example, its first step, and an empty history."""
        self.start = Example.lecture()
        self.load(self.start, [])
        self.step = 1
