"""Gradient descent for an MLP: full batch, stochastic (one sample per update) or mini-batch.

One epoch is one pass over the training samples (rows of X); stochastic and mini-batch orders are
reshuffled every epoch from the trainer's seed, so a run can be replayed exactly. The last, short batch of
an epoch is used as it is.
"""

from __future__ import annotations

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
        self.updates, self.epoch, self.stopped = 0, 0, None
        self._order, self._pos = np.arange(len(self.X)), 0
        self.history: dict[str, list] = {
            k: [] for k in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")
        }
        self._record()

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
        for done in range(k):
            if self.stopped:
                return done
            self._update()
        return k

    def run_epochs(self, k: int = 1) -> int:
        """Advance k whole epochs (fewer if the run stops); return how many updates were made."""
        k = positive("k", k, integer=True)
        start, goal = self.updates, self.epoch + k
        while self.epoch < goal and not self.stopped:
            self._update()
        return self.updates - start

    @property
    def updates_per_epoch(self) -> int:
        return -(-len(self.X) // self.B)

    def _update(self) -> None:
        if self._pos == 0 and self.method != "batch":
            self._order = self.rng.permutation(len(self.X))
        idx = self._order[self._pos : self._pos + self.B]
        X, T = (self.X, self.T) if self.method == "batch" else (self.X[idx], self.T[idx])
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected just below
            loss = self.net._step(X, T, self.lr)
        self.updates += 1
        self._pos += self.B
        if not self._finite(loss):
            self.stopped = (
                f"diverged at epoch {self.epoch + 1}: loss = {loss:.3g}; try a smaller learning rate"
            )
            return
        if self._pos >= len(self.X):
            self._pos = 0
            self.epoch += 1
            self._record()

    @staticmethod
    def _finite(loss: float) -> bool:
        # Non-finite weights make the next loss non-finite, so the loss alone tells.
        return bool(np.isfinite(loss) and loss < EXPLODED)

    def _record(self) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            self._record_epoch()

    def _record_epoch(self) -> None:
        h = self.history
        h["epoch"].append(self.epoch)
        train_loss, train_acc = self.evaluate(self.X, self.T)
        h["train_loss"].append(train_loss)
        h["train_acc"].append(train_acc)
        test = self.evaluate(self.X_test, self.T_test) if self.has_test else (np.nan, np.nan)
        h["test_loss"].append(test[0])
        h["test_acc"].append(test[1])
        self._check_stop(train_loss)

    def _check_stop(self, train_loss: float) -> None:
        if not self._finite(train_loss):
            self.stopped = (
                f"diverged at epoch {self.epoch}: loss = {train_loss:.3g}; try a smaller learning rate"
            )
        elif self.target_loss is not None and train_loss <= self.target_loss:
            self.stopped = f"reached the target loss {self.target_loss:g} at epoch {self.epoch}"
        elif self.max_epochs is not None and self.epoch >= self.max_epochs:
            self.stopped = f"finished the budget of {self.max_epochs} epochs"

    def evaluate(self, X, T) -> tuple[float, float]:
        """(loss, accuracy) of the current network on X, T."""
        fw_loss = self.net.loss(X, T)
        acc = float(np.mean(self.net.classify(X) == self.net.labels_of(T)))
        return fw_loss, acc
