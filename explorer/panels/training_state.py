"""The training panel's state, without widgets: settings checked in Python (a visitor can send
any value over the websocket), the data, the network and its Trainer, this run's curves per epoch
(bounded in length), and earlier runs kept for comparison.

Rules: a change of the data keeps the network (unless the number of outputs must change); a change
of the network or of the optimization starts a new run from the initial weights of (init,
init_seed), keeping the previous run's curve; `reset()` replays the same initial weights,
`new_init()` draws the next ones.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import numpy as np
import traitlets

from explorer.core.activations import ACTIVATIONS
from explorer.core.datasets import CLASSES, DATASETS, make, split
from explorer.core.mlp import INITS, MLP, one_hot
from explorer.core.optim import METHODS, Trainer
from explorer.panels.training_parts import (
    OUTPUTS,
    Choice,
    Curve,
    Number,
    Run,
    combine,
    describe,
    notes_for,
    symmetry_note,
)

SEED_MAX = 2**31 - 1
MAX_CLASSES = 3  # the panel has colours for three classes
DATA = ("data", "classes", "points", "noise", "test_fraction", "data_seed")
UNITS = ("units1", "units2", "units3", "units4")
NET = ("layers", *UNITS, "activation", "output", "init", "init_seed")
OPTIM = ("lr", "method", "batch_size")


class TrainingState(traitlets.HasTraits):
    """Everything the training panel shows, as validated traits and the objects they make."""

    data = Choice(DATASETS, "xor", "data set")
    classes = Number(2, 2, MAX_CLASSES, integer=True)
    points = Number(200, 10, 1000, integer=True, what="number of points")
    noise = Number(0.1, 0.0, 1.0)
    test_fraction = Number(0.25, 0.0, 0.5, what="test fraction")
    data_seed = Number(0, 0, SEED_MAX, integer=True, what="data seed")
    layers = Number(2, 0, 4, integer=True, what="number of hidden layers")
    units1 = Number(8, 1, 16, integer=True, what="units in layer 1")
    units2 = Number(8, 1, 16, integer=True, what="units in layer 2")
    units3 = Number(8, 1, 16, integer=True, what="units in layer 3")
    units4 = Number(8, 1, 16, integer=True, what="units in layer 4")
    activation = Choice(ACTIVATIONS, "tanh", "hidden activation")
    output = Choice(OUTPUTS, "sigmoid + bce", "output and loss")
    init = Choice(INITS, "xavier", "initialization")
    init_seed = Number(0, 0, SEED_MAX, integer=True, what="init seed")
    lr = Number(0.1, 1e-6, 100.0, what="learning rate", digits=3)
    method = Choice(METHODS, "batch", "method")
    batch_size = Number(16, 1, 1000, integer=True, what="batch size")
    budget = Number(0, 0, 1_000_000, integer=True, what="epoch budget (0 = none)")
    target_loss = Number(0.0, 0.0, 1000.0, what="target loss (0 = none)")
    unit = traitlets.Unicode("output")  # "output", or "l.j": unit j of hidden layer l (from 1)
    show_test = traitlets.Bool(True)
    log_loss = traitlets.Bool(True)
    run = traitlets.Int(0)  # counts runs: a new network, new data or new settings
    kept = traitlets.Int(0)  # changes when the kept runs change

    def __init__(self, say: Callable[[str, str], None] | None = None, **settings):
        self.say = say or (lambda text, level="info": None)
        self.runs: list[Run] = []
        self.net: MLP | None = None
        self._kept_this = self._symmetry_said = False
        self._per_update = 1e-3
        if settings.get("classes", 2) > 2:
            settings.setdefault("output", "softmax + cross-entropy")
        self._quiet = True  # no reactions until the first run exists
        super().__init__(**settings)
        self._quiet = False
        self._make_data()
        self._new_run(keep=False)
        self._tell(notes_for(self, "layers"))

    # ---- derived settings ---------------------------------------------------------------------
    @property
    def hidden(self) -> list[int]:
        return [getattr(self, f"units{l}") for l in range(1, self.layers + 1)]

    @property
    def sizes(self) -> list[int]:
        k = self.classes if OUTPUTS[self.output][0] == "softmax" else 1
        return [2, *self.hidden, k]

    @property
    def diverged(self) -> bool:
        return bool(self.trainer.stopped and self.trainer.stopped.startswith("diverged"))

    # ---- validation across settings -----------------------------------------------------------
    @traitlets.validate("classes")
    def _check_classes(self, proposal):
        k, most = proposal["value"], min(CLASSES[self.data][1], MAX_CLASSES)
        if k > most:
            raise traitlets.TraitError(
                f"{self.data} has 2 classes; 3 classes are available for spiral and gaussians, "
                f"got {k}"
            )
        return k

    @traitlets.validate("output")
    def _check_output(self, proposal):
        if self.classes > 2 and OUTPUTS[proposal["value"]][0] != "softmax":
            raise traitlets.TraitError(
                f"{proposal['value']} has one output unit, which separates only 2 classes; "
                f"with {self.classes} classes choose softmax + cross-entropy"
            )
        return proposal["value"]

    @traitlets.validate("unit")
    def _check_unit(self, proposal):
        value = proposal["value"]
        if value != "output" and value not in self.unit_names():
            raise traitlets.TraitError(
                f"unit must be 'output' or one of {self.unit_names()}, got {value!r}"
            )
        return value

    def unit_names(self) -> list[str]:
        """Every hidden unit as 'l.j' (layer l, unit j, both from 1)."""
        return [f"{l}.{j}" for l, n in enumerate(self.hidden, 1) for j in range(1, n + 1)]

    # ---- reacting to settings -----------------------------------------------------------------
    @traitlets.observe(*DATA, *NET, *OPTIM)
    def _settings_changed(self, change):
        if self._quiet:
            return
        name = change["name"]
        with self._quietly():
            notes = self._reconcile(name)
        if name in DATA:
            outputs = self.net.sizes[-1]
            self._make_data()
            if self.runs:
                notes.append(("cleared the kept runs: they were trained on other data", "info"))
            self.clear_runs()
            self._new_run(keep=False, reinit=self.sizes[-1] != outputs)
        else:
            run = self._new_run(keep=True)
            if run is not None:
                notes.append((f"kept the last run ({run.label(describe(self.trainer))}) to "
                              "compare; the new run starts from the initial weights", "info"))
        self._tell(notes + notes_for(self, name))

    @traitlets.observe("budget", "target_loss")
    def _stop_changed(self, change):
        if self._quiet:  # the first run's trainer is made with these settings
            return
        tr = self.trainer
        tr.max_epochs = self.budget or None
        tr.target_loss = self.target_loss or None
        if tr.stopped and not self.diverged:
            tr.stopped = None
        last = self.curve["train_loss"][-1]
        if tr.max_epochs and tr.epoch >= tr.max_epochs:
            tr.stopped = f"finished the budget of {tr.max_epochs} epochs"
        elif tr.target_loss and last <= tr.target_loss:
            tr.stopped = f"reached the target loss {tr.target_loss:g} at epoch {tr.epoch}"

    @contextlib.contextmanager
    def _quietly(self):
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def _reconcile(self, name: str) -> list[tuple[str, str]]:
        """Make the settings agree with each other after `name` changed; say what was switched."""
        notes = []
        if name == "data" and self.classes > min(CLASSES[self.data][1], MAX_CLASSES):
            self.classes = 2
            notes.append((f"{self.data} has 2 classes: switched to 2 classes", "info"))
        if self.classes > 2 and OUTPUTS[self.output][0] != "softmax":
            notes.append((f"{self.output} has one output unit, which separates only 2 classes: "
                          f"switched to softmax + cross-entropy ({self.classes} output units)",
                          "warning"))
            self.output = "softmax + cross-entropy"
        if self.unit != "output" and self.unit not in self.unit_names():
            self.unit = "output"
        return notes

    def _tell(self, notes: list[tuple[str, str]]) -> None:
        """Say the notes as one message, with the symmetry warning once per run when it applies."""
        same = self.identical_layers() if self.init == "zeros" else []
        if same and not self._symmetry_said:
            notes.append((symmetry_note(same), "warning"))
            self._symmetry_said = True
        message = combine(notes)
        if message:
            self.say(*message)

    # ---- data, network, trainer ---------------------------------------------------------------
    def _make_data(self) -> None:
        X, labels = make(self.data, self.points, self.noise, self.data_seed, self.classes)
        self.X_train, self.y_train, self.X_test, self.y_test = split(
            X, labels, self.test_fraction, seed=self.data_seed
        )

    def targets(self, labels: np.ndarray) -> np.ndarray:
        """Targets (m, n_L) for labels (m,): one-hot for softmax, +-1 for linear, else 0 and 1."""
        g = OUTPUTS[self.output][0]
        if g == "softmax":
            return one_hot(labels, self.classes)
        t = labels[:, None].astype(np.float64)
        return 2 * t - 1 if g == "linear" else t

    def _make_trainer(self, net: MLP) -> Trainer:
        B = min(self.batch_size, len(self.X_train))  # said in words by notes_for
        test = (self.X_test, self.targets(self.y_test)) if len(self.X_test) else (None, None)
        return Trainer(
            net, self.X_train, self.targets(self.y_train), self.lr, self.method, B,
            seed=self.init_seed, X_test=test[0], T_test=test[1],
            max_epochs=self.budget or None, target_loss=self.target_loss or None,
        )

    def _fresh_net(self) -> MLP:
        g, loss = OUTPUTS[self.output]
        return MLP(self.sizes, self.activation, g, loss, self.init, seed=self.init_seed)

    def _new_run(self, keep: bool = True, reinit: bool = True) -> Run | None:
        """Start a run (a fresh network unless reinit is False); return the previous run if kept."""
        net = self._fresh_net() if reinit or self.net is None else self.net
        trainer = self._make_trainer(net)  # may raise: then nothing has changed
        kept = self.keep(auto=True) if keep else None
        self.net, self.trainer, self.start = net, trainer, net.copy()
        self.curve = Curve()
        self._kept_this = self._symmetry_said = False
        self._sync()
        self.run += 1
        return kept

    def replay(self) -> TrainingState:
        """A copy of this run at its start, to train again apart from the panel (an animation): the
        same settings, data, starting weights and kept runs."""
        names = (*DATA, *NET, *OPTIM, "budget", "target_loss", "unit", "show_test", "log_loss")
        twin = TrainingState(**{name: getattr(self, name) for name in names})
        twin.X_train, twin.y_train, twin.X_test, twin.y_test = (
            self.X_train, self.y_train, self.X_test, self.y_test)
        twin.net, twin.runs = self.start.copy(), list(self.runs)
        twin.start, twin.trainer = self.start, twin._make_trainer(twin.net)
        return twin

    def reset(self) -> None:
        """Start again from the same initial weights (a replay), keeping this run's curve."""
        run = self._new_run(keep=True)
        label = run.label(describe(self.trainer)) if run else ""
        self._tell([(f"kept the last run ({label}) to compare", "info")] if run else [])

    def new_init(self) -> None:
        """Start again from the next initial weights (init_seed + 1)."""
        self.init_seed = (self.init_seed + 1) % (SEED_MAX + 1)

    def new_data(self) -> None:
        """Draw new points (data_seed + 1); the network keeps its weights."""
        self.data_seed = (self.data_seed + 1) % (SEED_MAX + 1)

    # ---- training -------------------------------------------------------------------------------
    def advance(self, k: int = 1) -> int:
        """Make up to k updates (fewer if the run stops); return how many were made."""
        with np.errstate(all="ignore"):  # a diverging run overflows; the trainer says so in words
            done = self.trainer.step(k)
        self._after_steps()
        return done

    def advance_epochs(self, k: int = 1) -> int:
        """Finish k more epochs (fewer if the run stops); return how many updates were made."""
        with np.errstate(all="ignore"):
            done = self.trainer.run_epochs(k)
        self._after_steps()
        return done

    def advance_for(self, seconds: float) -> int:
        """As many updates as fit in `seconds` (at least one, unless the run has stopped)."""
        start, done = time.perf_counter(), 0
        while not self.trainer.stopped:
            left = seconds - (time.perf_counter() - start)
            k = max(1, int((0.8 if done else 0.5) * left / self._per_update))
            t = time.perf_counter()
            with np.errstate(all="ignore"):
                n = self.trainer.step(min(k, 100_000))
            took = (time.perf_counter() - t) / max(n, 1)
            self._per_update = 0.5 * self._per_update + 0.5 * took
            done += n
            if time.perf_counter() - start >= 0.9 * seconds or n < k:
                break
        self._after_steps()
        return done

    def _after_steps(self) -> None:
        self._sync()
        if not self._symmetry_said and self.init == "zeros":
            self._tell([])

    def _sync(self) -> None:
        """Move the trainer's new history entries into this run's bounded curve; the trainer keeps
        only its last entry, so memory does not grow with the number of epochs."""
        h = self.trainer.history
        start = 1 if len(self.curve) else 0
        self.curve.extend(h, start)
        for values in h.values():
            del values[:-1]

    def evaluate_grid(self, X: np.ndarray) -> list[np.ndarray] | None:
        """Every layer's output a[l] on inputs X (m, 2); None if the network is no longer finite."""
        with np.errstate(all="ignore"):
            a = self.net.forward(X).a
        return a if all(np.all(np.isfinite(al)) for al in a) else None

    def identical_layers(self) -> list[int]:
        """Hidden layers (from 1) of 2 or more units that all have the same weights and bias."""
        same = []
        for l, (W, b) in enumerate(zip(self.net.W[:-1], self.net.b[:-1]), 1):
            rows = np.column_stack([W, b])
            if len(rows) > 1 and np.allclose(rows, rows[0], rtol=1e-9, atol=1e-12):
                same.append(l)
        return same

    # ---- kept runs ------------------------------------------------------------------------------
    def keep(self, auto: bool = False) -> Run | None:
        """Keep this run's training-loss curve for comparison (if it has finished an epoch)."""
        if self._kept_this or len(self.curve) < 2:
            if not auto:
                self.say("nothing to keep yet: train for at least one epoch first", "info")
            return None
        c = self.curve
        run = Run(describe(self.trainer), c["epoch"].copy(), c["train_loss"].copy(), self.diverged)
        self.runs = [*self.runs, run][-Run.MOST :]
        self._kept_this = True
        self.kept += 1
        return run

    def clear_runs(self) -> None:
        """Forget the kept runs."""
        if self.runs:
            self.runs = []
            self.kept += 1
