"""Pieces of the training panel's state: trait types that check what a visitor sends (any value
can come over the websocket) and explain a refusal in words, a per-epoch curve of bounded length,
kept runs with their labels, and the notes the panel says about a setting at its extremes."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import traitlets

LEVEL_ORDER = {"info": 0, "warning": 1, "error": 2}
# dropdown name -> (output activation, loss); linear + mse uses the lecture's +-1 targets
OUTPUTS = {
    "sigmoid + bce": ("sigmoid", "bce"),
    "sigmoid + mse": ("sigmoid", "mse"),
    "softmax + cross-entropy": ("softmax", "softmax_ce"),
    "linear + mse": ("linear", "mse"),
}


class Number(traitlets.TraitType):
    """A finite number from lo to hi (an integer if asked, else rounded to `digits` significant
    digits if given); anything else is refused in words."""

    def __init__(self, default, lo, hi, integer: bool = False, what: str = "",
                 digits: int | None = None, **kwargs):
        self.lo, self.hi, self.integer, self.what, self.digits = lo, hi, integer, what, digits
        super().__init__(default_value=default, **kwargs)

    def validate(self, obj, value):
        kind = "a whole number" if self.integer else "a number"
        name = self.what or self.name.replace("_", " ")
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
        ok = ok and self.lo <= value <= self.hi and (not self.integer or float(value).is_integer())
        if not ok:
            raise traitlets.TraitError(
                f"{name} must be {kind} from {self.lo:g} to {self.hi:g}, got {value!r}"
            )
        if self.integer:
            return int(value)
        return float(f"{value:.{self.digits}g}") if self.digits else float(value)


class Choice(traitlets.TraitType):
    """One of the keys of a registry; anything else is refused with the list of choices."""

    def __init__(self, options, default: str, what: str, **kwargs):
        self.options, self.what = list(options), what
        super().__init__(default_value=default, **kwargs)

    def validate(self, obj, value):
        if not isinstance(value, str) or value not in self.options:
            choices = ", ".join(self.options)
            raise traitlets.TraitError(f"unknown {self.what} {value!r}; choose one of: {choices}")
        return value


class Curve:
    """Per-epoch values of one run (epoch, train_loss, test_loss, train_acc, test_acc); past `limit`
    points every other point is dropped, so memory stays bounded however long the run lasts."""

    NAMES = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self._rows = np.empty((2 * limit + 2, len(self.NAMES)))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> np.ndarray:
        return self._rows[: self._n, self.NAMES.index(name)]

    def extend(self, history: dict[str, list], start: int = 0) -> None:
        """Append history[name][start:] for every name (lists of equal length, as a Trainer's)."""
        new = np.column_stack([np.asarray(history[k][start:], float) for k in self.NAMES])
        for row0 in range(0, len(new), self.limit):
            chunk = new[row0 : row0 + self.limit]
            self._rows[self._n : self._n + len(chunk)] = chunk
            self._n += len(chunk)
            if self._n > self.limit:
                keep = np.r_[np.arange(0, self._n - 1, 2), self._n - 1]  # every other, and the last
                self._rows[: len(keep)] = self._rows[keep]
                self._n = len(keep)


@dataclass
class Run:
    """A kept run: its settings (for its label), epochs and training loss, whether it diverged."""

    settings: dict
    epoch: np.ndarray
    loss: np.ndarray
    diverged: bool

    MOST = 5  # runs kept at once; the oldest goes first

    def label(self, current: dict) -> str:
        """'lr 0.1, minibatch 16', plus whatever else differs from the `current` settings."""
        s = self.settings
        extra = [s[k] for k in ("net", "activation", "output", "init") if s[k] != current.get(k)]
        return ", ".join([s["lr"], s["method"], *extra]) + (" (diverged)" if self.diverged else "")


MODELS = {  # what a network without hidden layers is, by output and loss
    "sigmoid + bce": "logistic regression (one sigmoid unit)",
    "sigmoid + mse": "a single sigmoid neuron trained on squared error",
    "softmax + cross-entropy": "softmax regression (one linear layer and a softmax)",
    "linear + mse": "a linear neuron trained on squared error (Adaline)",
}


def notes_for(state, name: str) -> list[tuple[str, str]]:
    """What to tell the user after setting `name` of a TrainingState: (text, level) pairs."""
    return _network_notes(state, name) + _data_notes(state, name) + _training_notes(state, name)


def _network_notes(state, name: str) -> list[tuple[str, str]]:
    notes = []
    if name in ("layers", "output") and state.layers == 0:
        notes.append((f"no hidden layer: this network is {MODELS[state.output]}, so its boundary "
                      "is a straight line", "info"))
    if name not in ("activation", "layers") or state.layers == 0:
        return notes
    if state.activation in ("step", "sign"):
        notes.append((f"{state.activation} has slope 0 everywhere, so no gradient flows back "
                      "through the hidden layers: only the last layer learns. Backpropagation "
                      "needs an activation with a slope.", "warning"))
    if state.activation == "linear":
        notes.append(("linear hidden units: the whole network is still a linear function of x, "
                      "so the boundary stays straight", "info"))
    return notes


def _data_notes(state, name: str) -> list[tuple[str, str]]:
    notes, n = [], len(state.X_train)
    if name == "test_fraction" and len(state.X_test) == 0:
        notes.append(("no test set (the test fraction gives 0 points): only the training loss "
                      "is shown", "info"))
    if name in ("points", "test_fraction") and n < 10:
        notes.append((f"only {n} training points: the network can learn them by heart", "info"))
    if name == "noise" and state.noise >= 0.5:
        notes.append((f"noise {state.noise:g} is large next to the data's size (about 1): the "
                      "classes overlap, so no boundary separates them all", "info"))
    return notes


def _training_notes(state, name: str) -> list[tuple[str, str]]:
    notes, n = [], len(state.X_train)
    minibatch = state.method == "minibatch"
    if name in ("batch_size", "method", "points", "test_fraction") and minibatch:
        if state.batch_size > n:
            notes.append((f"batch size {state.batch_size} is more than the {n} training points: "
                          f"each mini-batch uses all {n} (that is full batch)", "warning"))
        elif state.batch_size == 1:
            notes.append(("batch size 1: mini-batch descent is stochastic descent", "info"))
    if name == "lr" and state.lr <= 1e-4:
        notes.append((f"learning rate {state.lr:g} is tiny: each update barely moves the "
                      "weights, so the loss falls very slowly", "info"))
    if name == "lr" and state.lr >= 10:
        notes.append((f"learning rate {state.lr:g} is large: expect the loss to jump about, or "
                      "to blow up (the run then stops and says so)", "warning"))
    return notes


def symmetry_note(layers: list[int]) -> str:
    """The lecture's warning for hidden layers (from 1) whose units stayed identical."""
    which = f"layer {layers[0]}" if len(layers) == 1 else "layers " + ", ".join(map(str, layers))
    return (f"all hidden units in {which} are identical: with zero initial weights every unit gets "
            "the same gradient, so they never become different (the symmetry problem)")


def describe(trainer) -> dict:
    """What labels a run: its optimization and its network, read from its Trainer."""
    net = trainer.net
    method = trainer.method + (f" {trainer.B}" if trainer.method == "minibatch" else "")
    output = next(k for k, v in OUTPUTS.items() if v == (net.output, net.loss_name))
    return {"lr": f"lr {trainer.lr:g}", "method": method, "net": "-".join(map(str, net.sizes)),
            "activation": net.hidden, "output": output, "init": f"{net.init} #{net.seed}"}


def combine(notes: list[tuple[str, str]]) -> tuple[str, str] | None:
    """One message from several notes: their texts joined, at the most severe level."""
    if not notes:
        return None
    level = max((lv for _, lv in notes), key=LEVEL_ORDER.get)
    sentences = [t[0].upper() + t[1:] + ("" if t.endswith(".") else ".") for t, _ in notes]
    return " ".join(sentences), level


def show_frame(view, state, diagram: bool = True) -> None:
    """Show a TrainingState's network, curves and warnings on a TrainingView (the diagram and its
    note only if `diagram`: they cost the most)."""
    s, v = state, view
    v.show_grid(s.evaluate_grid(v.grid), float(s.net.g.f(np.zeros(1))[0]), maps=diagram)
    if diagram:
        v.show_weights(s.net.W)
    v.show_curve(s.curve, s.show_test and s.trainer.has_test)
    v.show_banner("diverged" if s.diverged else "")
    if diagram:
        same = ", ".join(map(str, s.identical_layers()))
        note = f"all units alike in layer{'s' * (',' in same)} {same}\n(the symmetry problem)"
        v.show_note(note if same else "")


def show_view_settings(view, state) -> None:
    """The unit shown large, test points on or off, and the loss scale, from the state."""
    l, _, j = state.unit.partition(".")
    view.show_unit_choice(None if state.unit == "output" else (int(l), int(j) - 1), state.activation)
    view.show_test(state.show_test and state.trainer.has_test)
    view.new_limits(state.log_loss)


def run_lines(state) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], str]:
    """The kept runs as (label, epochs, training loss), and this run's label."""
    current = describe(state.trainer)
    runs = [(r.label(current), r.epoch, r.loss) for r in state.runs]
    return runs, f"{current['lr']}, {current['method']}"
