"""Trainer: batch, stochastic and mini-batch descent; epochs, history, stop conditions, errors."""

import numpy as np
import pytest

from explorer.core.mlp import MLP
from explorer.core.optim import Trainer

M = 30


def blobs(m=M, seed=0):
    """Two Gaussian clusters around (-1, -1) and (1, 1): X (m, 2), T (m, 1) of 0s and 1s."""
    r = np.random.default_rng(seed)
    t = np.arange(m) % 2
    X = r.normal(0.0, 0.7, (m, 2)) + (2 * t[:, None] - 1)
    return X, t[:, None].astype(float)


def net(seed=0, **kw) -> MLP:
    return MLP([2, 4, 1], seed=seed, **kw)


def record_batches(model: MLP, X) -> list[list[int]]:
    """Make the model note the rows of X each update used; returns the growing list of batches."""
    rows = {tuple(x): i for i, x in enumerate(X)}
    batches, original = [], model._step  # the trainer's path: its data were checked once

    def step(Xb, Tb, lr, go=None):
        batches.append([rows[tuple(x)] for x in Xb])
        return original(Xb, Tb, lr, go)

    model._step = step
    return batches


@pytest.mark.parametrize(
    "method, batch_size, lr",
    [("batch", None, 0.5), ("stochastic", None, 0.05), ("minibatch", 7, 0.2)],
)
def test_every_method_reduces_the_loss(method, batch_size, lr):
    X, T = blobs()
    trainer = Trainer(net(), X, T, lr, method=method, batch_size=batch_size)
    trainer.run_epochs(20)
    loss = trainer.history["train_loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert trainer.history["train_acc"][-1] >= 0.9


def test_stochastic_order_is_replayed_by_the_seed_and_changed_by_another():
    X, T = blobs()
    runs = {}
    for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
        model = net()
        batches = record_batches(model, X)
        trainer = Trainer(model, X, T, 0.05, method="stochastic", seed=seed)
        trainer.run_epochs(2)
        runs[name] = (batches, model.W[0].copy())
    assert runs["a"][0] == runs["b"][0]
    np.testing.assert_array_equal(runs["a"][1], runs["b"][1])
    assert runs["a"][0] != runs["c"][0]
    assert not np.array_equal(runs["a"][1], runs["c"][1])
    first, second = runs["a"][0][:M], runs["a"][0][M:]
    assert sorted(sum(first, [])) == list(range(M)) and first != second  # reshuffled per epoch


def test_minibatch_with_a_short_last_batch():
    X, T = blobs()
    model = net()
    batches = record_batches(model, X)
    trainer = Trainer(model, X, T, 0.2, method="minibatch", batch_size=7)
    assert trainer.updates_per_epoch == 5
    assert trainer.run_epochs(2) == 10
    assert (trainer.epoch, trainer.updates) == (2, 10)
    assert [len(b) for b in batches] == [7, 7, 7, 7, 2] * 2
    for e in range(2):
        assert sorted(sum(batches[5 * e : 5 * e + 5], [])) == list(range(M))
    assert trainer.step(4) == 4
    assert (trainer.epoch, trainer.updates, len(trainer.history["epoch"])) == (2, 14, 3)
    assert trainer.step(1) == 1
    assert (trainer.epoch, trainer.updates, len(trainer.history["epoch"])) == (3, 15, 4)


@pytest.mark.parametrize("method, batch_size, per_epoch, sizes", [
    ("batch", None, 1, [M]),
    ("stochastic", None, M, [1] * M),
    ("minibatch", M, 1, [M]),
    ("minibatch", 10, 3, [10, 10, 10]),
])
def test_updates_per_epoch(method, batch_size, per_epoch, sizes):
    X, T = blobs()
    model = net()
    batches = record_batches(model, X)
    trainer = Trainer(model, X, T, 0.1, method=method, batch_size=batch_size)
    assert trainer.updates_per_epoch == per_epoch
    assert trainer.run_epochs(1) == per_epoch
    assert [len(b) for b in batches] == sizes
    if method == "batch":
        assert batches == [list(range(M))]


def test_history_has_one_entry_per_epoch_plus_the_start():
    X, T = blobs()
    trainer = Trainer(net(), X, T, 0.1, method="stochastic")
    assert trainer.history["epoch"] == [0]
    trainer.step(M * 4 + 5)
    assert trainer.epoch == 4
    for key, values in trainer.history.items():
        assert len(values) == 5, key
    assert trainer.history["epoch"] == [0, 1, 2, 3, 4]


def test_test_set_is_recorded_when_given():
    X, T = blobs()
    X_test, T_test = blobs(12, seed=1)
    trainer = Trainer(net(), X, T, 0.5, X_test=X_test, T_test=T_test)
    trainer.run_epochs(3)
    h = trainer.history
    assert len(h["test_loss"]) == len(h["test_acc"]) == 4
    assert np.all(np.isfinite(h["test_loss"])) and all(0 <= a <= 1 for a in h["test_acc"])
    assert h["test_loss"][-1] == pytest.approx(trainer.net.loss(X_test, T_test), rel=1e-12)
    assert h["test_loss"][-1] < h["test_loss"][0]


def test_test_set_is_nan_when_absent():
    X, T = blobs()
    trainer = Trainer(net(), X, T, 0.5)
    trainer.run_epochs(3)
    assert np.all(np.isnan(trainer.history["test_loss"])) and len(trainer.history["test_loss"]) == 4
    assert np.all(np.isnan(trainer.history["test_acc"]))


METHODS = [("batch", None), ("stochastic", None), ("minibatch", 7)]


@pytest.mark.parametrize("method, batch_size", METHODS)
def test_divergence_stops_with_a_message_and_freezes_the_run(method, batch_size):
    X, T = blobs()
    model = net(output="linear", loss="mse")
    trainer = Trainer(model, X, T, 5.0, method=method, batch_size=batch_size)
    trainer.run_epochs(100)
    assert trainer.stopped.startswith("diverged at epoch")
    assert "try a smaller learning rate" in trainer.stopped
    assert trainer.epoch < 100
    updates, params = trainer.updates, [p.copy() for p in model.parameters()]
    assert trainer.step(5) == 0
    assert trainer.run_epochs(2) == 0
    assert trainer.updates == updates
    for p, q in zip(model.parameters(), params):
        np.testing.assert_array_equal(p, q)


def test_target_loss_stops_the_run():
    X, T = blobs()
    trainer = Trainer(net(), X, T, 0.5, target_loss=0.2)
    trainer.run_epochs(1000)
    loss = trainer.history["train_loss"]
    assert trainer.stopped == f"reached the target loss 0.2 at epoch {trainer.epoch}"
    assert loss[-1] <= 0.2 and all(v > 0.2 for v in loss[:-1])
    assert trainer.epoch < 1000
    assert trainer.step(3) == 0


@pytest.mark.parametrize("method, batch_size, per_epoch", [("batch", None, 1), ("minibatch", 7, 5)])
def test_max_epochs_stops_the_run(method, batch_size, per_epoch):
    X, T = blobs()
    trainer = Trainer(net(), X, T, 0.1, method=method, batch_size=batch_size, max_epochs=5)
    assert trainer.step(1000) == 5 * per_epoch
    assert trainer.epoch == 5 and trainer.stopped == "finished the budget of 5 epochs"
    assert trainer.run_epochs(1) == 0


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"method": "minibatch", "batch_size": M + 1}, ["batch_size", str(M + 1), str(M)]),
        ({"method": "minibatch", "batch_size": 0}, ["batch_size", "0"]),
        ({"method": "minibatch", "batch_size": 2.5}, ["batch_size", "2.5"]),
        ({"method": "minibatch"}, ["batch_size"]),
        ({"method": "adam"}, ["method", "'adam'", "batch", "stochastic", "minibatch"]),
        ({"lr": 0.0}, ["lr", "0"]),
        ({"lr": -0.5}, ["lr", "-0.5"]),
        ({"max_epochs": 0}, ["max_epochs", "0"]),
        ({"target_loss": -1.0}, ["target_loss", "-1"]),
        ({"X": np.zeros((M, 3))}, ["X", "(m, 2)", f"({M}, 3)"]),
        ({"T": np.zeros((M - 1, 1))}, ["T", f"({M}, 1)", f"({M - 1}, 1)"]),
        ({"X_test": np.zeros((4, 3)), "T_test": np.zeros((4, 1))}, ["X_test", "(4, 3)"]),
        ({"X_test": np.zeros((4, 2)), "T_test": np.zeros((5, 1))}, ["T_test", "(5, 1)"]),
    ],
)
def test_bad_arguments_raise_naming_them(kwargs, words):
    X, T = blobs()
    args = {"net": net(), "X": X, "T": T, "lr": 0.1, **kwargs}
    with pytest.raises(ValueError) as e:
        Trainer(**args)
    for word in words:
        assert word in str(e.value)


@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_bad_step_count_raises(k):
    X, T = blobs()
    trainer = Trainer(net(), X, T, 0.1)
    with pytest.raises(ValueError, match="k must be"):
        trainer.step(k)
    with pytest.raises(ValueError, match="k must be"):
        trainer.run_epochs(k)
    assert trainer.updates == 0


def test_accuracy_of_a_linear_output_with_0_1_targets():
    model = MLP([2, 1], output="linear", loss="mse")
    model.W[0][:] = 0.0
    model.b[0][:] = 0.1
    trainer = Trainer(model, np.zeros((2, 2)), np.array([[0.0], [1.0]]), 0.1)
    assert trainer.evaluate(trainer.X, trainer.T)[1] == 0.5


def test_absurd_learning_rate_stops_without_a_warning():
    X, T = blobs()
    trainer = Trainer(MLP([2, 4, 1], hidden="relu", output="linear", loss="mse"), X, T, 1e100)
    trainer.run_epochs(5)
    assert trainer.stopped.startswith("diverged at epoch 1")


# ---- history from the step's own forward pass (full batch) -------------------------------------


def eager_history(model: MLP, X, T, X_test, T_test, lr: float, epochs: int) -> dict[str, list]:
    """Full-batch descent recorded the plain way: evaluate, then update, every epoch."""
    h = {k: [] for k in ("train_loss", "train_acc", "test_loss", "test_acc")}
    for e in range(epochs + 1):
        for name, (Xs, Ts) in (("train", (X, T)), ("test", (X_test, T_test))):
            h[f"{name}_loss"].append(model.loss(Xs, Ts))
            h[f"{name}_acc"].append(np.mean(model.classify(Xs) == model.labels_of(Ts)))
        if e < epochs:
            model.step(X, T, lr)
    return h


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("read_every_step", [False, True])
def test_full_batch_history_equals_evaluating_every_epoch(dtype, read_every_step):
    X, T = blobs()
    X_test, T_test = blobs(12, seed=1)
    trainer = Trainer(net(dtype=dtype), X, T, 0.5, X_test=X_test, T_test=T_test)
    for _ in range(6):
        trainer.step(1)
        if read_every_step:
            assert len(trainer.history["epoch"]) == trainer.epoch + 1
    model = net(dtype=dtype)
    expected = eager_history(model, X, T, X_test, T_test, 0.5, 6)
    assert trainer.history["epoch"] == list(range(7))
    for key, values in expected.items():
        assert trainer.history[key] == values, key  # exactly: the same arithmetic
    for p, q in zip(model.parameters(), trainer.net.parameters()):
        np.testing.assert_array_equal(p, q)


def test_reading_the_history_does_not_change_the_run():
    X, T = blobs()
    quiet, watched = Trainer(net(), X, T, 0.5), Trainer(net(), X, T, 0.5)
    for _ in range(20):
        quiet.step(3)
        watched.step(1)
        watched.history, watched.stopped  # noqa: B018
        watched.step(2)
    assert quiet.history == watched.history
    for p, q in zip(quiet.net.parameters(), watched.net.parameters()):
        np.testing.assert_array_equal(p, q)


def test_target_loss_stops_before_the_next_update_in_full_batch():
    X, T = blobs()
    trainer = Trainer(net(), X, T, 0.5, target_loss=0.2)
    made = trainer.step(10_000)
    assert made == trainer.updates == trainer.epoch
    model = net()
    for _ in range(made):
        model.step(X, T, 0.5)
    assert model.loss(X, T) <= 0.2 < trainer.history["train_loss"][-2]
    for p, q in zip(model.parameters(), trainer.net.parameters()):
        np.testing.assert_array_equal(p, q)


def test_stopped_can_be_cleared_and_set():
    X, T = blobs()
    trainer = Trainer(net(), X, T, 0.1, max_epochs=3)
    trainer.run_epochs(3)
    assert trainer.stopped == "finished the budget of 3 epochs"
    trainer.max_epochs, trainer.stopped = None, None
    assert trainer.step(2) == 2 and trainer.stopped is None
    trainer.stopped = "paused by hand"
    assert trainer.step(1) == 0 and trainer.stopped == "paused by hand"
