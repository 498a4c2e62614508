"""Gradient descent for an MLP: full batch, stochastic (one sample per update) or mini-batch.

One epoch is one pass over the training samples (rows of X); stochastic and mini-batch orders are
reshuffled every epoch from the trainer's seed, so a run can be replayed exactly. The last, short batch of
an epoch is used as it is.
In full batch, the loss before an update is the loss of the epoch just finished, so that epoch is
recorded from the update's own forward pass (or when history or stopped is read, if that comes first).
"""

from __future__ import annotations

import math

import numpy as np

from explorer.core._checks import array2d, choice, positive
from explorer.core.mlp import MLP

METHODS = ("batch", "stochastic", "minibatch")
EXPLODED = 1e8  # a loss above this counts as diverged


class Trainer:
    """Trains `net` on X (m, n_0) with targets T (m, n_L); history holds one entry per finished epoch."""

    def __init__(
        self,
        net: MLP,
        X,
        T,
        lr: float,
        method: str = "batch",
        batch_size: int | None = None,
        seed: int = 0,
        X_test=None,
        T_test=None,
        max_epochs: int | None = None,
        target_loss: float | None = None,
    ):
        self.net = net
        self.X = array2d("X", X, cols=net.sizes[0])
        self.T = array2d("T", T, cols=net.sizes[-1], rows=self.X.shape[0])
        self.has_test = X_test is not None and len(X_test) > 0
        if self.has_test:
            self.X_test = array2d("X_test", X_test, cols=net.sizes[0])
            self.T_test = array2d("T_test", T_test, cols=net.sizes[-1], rows=self.X_test.shape[0])
        self.lr = positive("lr", lr)
        self.method = choice("method", method, METHODS)
        self.B = self._batch_size(batch_size)
        self.max_epochs = None if max_epochs is None else positive("max_epochs", max_epochs, integer=True)
        self.target_loss = None if target_loss is None else positive("target_loss", target_loss)
        self.rng = np.random.default_rng(seed)
        self.updates, self.epoch, self._stopped = 0, 0, None
        self._order, self._pos = np.arange(len(self.X)), 0
        self._labels = net.labels_of(self.T)
        self._labels_test = net.labels_of(self.T_test) if self.has_test else None
        self._history: dict[str, list] = {
            k: [] for k in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")
        }
        self._pending = False
        self._epoch_done()

    @property
    def history(self) -> dict[str, list]:
        """Per finished epoch (and the start): epoch, train_loss, test_loss, train_acc, test_acc."""
        self._flush()
        return self._history

    @property
    def stopped(self) -> str | None:
        """None while the run goes on, else why it stopped, in words."""
        self._flush()
        return self._stopped

    @stopped.setter
    def stopped(self, why: str | None) -> None:
        self._flush()
        self._stopped = why

    def _batch_size(self, batch_size) -> int:
        m = len(self.X)
        if self.method == "batch":
            return m
        if self.method == "stochastic":
            return 1
        if batch_size is None:
            raise ValueError("batch_size is required for the minibatch method")
        B = positive("batch_size", batch_size, integer=True)
        if B > m:
            raise ValueError(f"batch_size must be at most the number of samples ({m}), got {B}")
        return B

    def step(self, k: int = 1) -> int:
        """Advance up to k updates (fewer if the run stops); return how many were made."""
        k = positive("k", k, integer=True)
        done = 0
        while done < k and not self._stopped:
            done += self._update()
        return done

    def run_epochs(self, k: int = 1) -> int:
        """Advance k whole epochs (fewer if the run stops); return how many updates were made."""
        k = positive("k", k, integer=True)
        start, goal = self.updates, self.epoch + k
        while self.epoch < goal and not self._stopped:
            self._update()
        return self.updates - start

    @property
    def updates_per_epoch(self) -> int:
        return -(-len(self.X) // self.B)

    def _update(self) -> bool:
        """One update; False if the epoch recorded first (from its forward pass) stopped the run."""
        if self._pos == 0 and self.method != "batch":
            self._order = self.rng.permutation(len(self.X))
        idx = self._order[self._pos : self._pos + self.B]
        X, T = (self.X, self.T) if self.method == "batch" else (self.X[idx], self.T[idx])
        go = self._record_from_step if self._pending else None
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected just below
            loss = self.net._step(X, T, self.lr, go)
        if go is not None and self._stopped:
            return False
        self.updates += 1
        self._pos += self.B
        if not self._finite(loss):
            self._stopped = (
                f"diverged at epoch {self.epoch + 1}: loss = {loss:.3g}; try a smaller learning rate"
            )
            return True
        if self._pos >= len(self.X):
            self._pos = 0
            self.epoch += 1
            self._epoch_done()
        return True

    def _epoch_done(self) -> None:
        """Record the epoch now, or, in full batch, from the next update's forward pass: the loss
        before that update is this epoch's loss (history and stopped record it when read first)."""
        if self.method == "batch":
            self._pending = True
        else:
            self._record(*self._evaluate(self.X, self.T, self._labels))

    def _record_from_step(self, loss: float) -> bool:
        """The pending epoch from the step's own forward pass; True if the update may go ahead."""
        acc = self._accuracy(self.net._last_y(), self._labels)
        self._record(loss, acc)
        return not self._stopped

    def _flush(self) -> None:
        if self._pending:
            self._record(*self._evaluate(self.X, self.T, self._labels))

    @staticmethod
    def _finite(loss: float) -> bool:
        # Non-finite weights make the next loss non-finite, so the loss alone tells.
        return math.isfinite(loss) and loss < EXPLODED

    def _record(self, train_loss: float, train_acc: float) -> None:
        self._pending = False
        h = self._history
        h["epoch"].append(self.epoch)
        h["train_loss"].append(train_loss)
        h["train_acc"].append(train_acc)
        if self.has_test:
            test = self._evaluate(self.X_test, self.T_test, self._labels_test)
        else:
            test = (np.nan, np.nan)
        h["test_loss"].append(test[0])
        h["test_acc"].append(test[1])
        self._check_stop(train_loss)

    def _check_stop(self, train_loss: float) -> None:
        if not self._finite(train_loss):
            self._stopped = (
                f"diverged at epoch {self.epoch}: loss = {train_loss:.3g}; try a smaller learning rate"
            )
        elif self.target_loss is not None and train_loss <= self.target_loss:
            self._stopped = f"reached the target loss {self.target_loss:g} at epoch {self.epoch}"
        elif self.max_epochs is not None and self.epoch >= self.max_epochs:
            self._stopped = f"finished the budget of {self.max_epochs} epochs"

    def _evaluate(self, X, T, labels) -> tuple[float, float]:
        with np.errstate(over="ignore", invalid="ignore"):
            loss, y = self.net._evaluate(X, T)
            return loss, self._accuracy(y, labels)

    def _accuracy(self, y, labels) -> float:
        return np.count_nonzero(self.net.labels_of(y) == labels) / len(labels)

    def evaluate(self, X, T) -> tuple[float, float]:
        """(loss, accuracy) of the current network on X (m, n_0), T (m, n_L)."""
        X = array2d("X", X, cols=self.net.sizes[0])
        T = array2d("T", T, cols=self.net.sizes[-1], rows=X.shape[0])
        return self._evaluate(X, T, self.net.labels_of(T))
