"""The linear neuron: analytical vs iterative solution, the gradient, divergence, singular A."""

import re

import numpy as np
import pytest

from explorer.core.linear import (
    descend,
    design,
    error,
    error_surface,
    gradient,
    solve,
    toy_data,
)


@pytest.fixture
def data():
    x, t = toy_data(n=20, seed=0, noise=0.1)
    return design(x), t


def test_design_adds_a_column_of_ones():
    X = design([0.5, 2.0])
    np.testing.assert_array_equal(X, [[1.0, 0.5], [1.0, 2.0]])
    assert design(np.zeros((3, 2))).shape == (3, 3)


def test_error_is_the_slides_sum_without_a_half(data):
    X, t = data
    w = np.array([0.3, -1.2])
    by_hand = sum((ti - w @ xi) ** 2 for xi, ti in zip(X, t, strict=True))
    assert error(w, X, t) == pytest.approx(by_hand)


def test_solve_recovers_a_noiseless_line():
    x, t = toy_data(n=10, seed=1, noise=0.0)
    np.testing.assert_allclose(solve(design(x), t), [0.5, 2.0], atol=1e-12)


def test_solve_matches_least_squares_and_zeroes_the_gradient(data):
    X, t = data
    w = solve(X, t)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, t, rcond=None)[0], atol=1e-12)
    np.testing.assert_allclose(gradient(w, X, t), 0.0, atol=1e-10)


@pytest.mark.parametrize("n_in", [1, 3])
def test_gradient_matches_central_differences(n_in):
    rng = np.random.default_rng(7)
    X = design(rng.normal(size=(15, n_in)))
    t = rng.normal(size=15)
    w = rng.normal(size=n_in + 1)
    h = 1e-6
    numeric = [
        (error(w + h * e, X, t) - error(w - h * e, X, t)) / (2 * h) for e in np.eye(n_in + 1)
    ]
    np.testing.assert_allclose(gradient(w, X, t), numeric, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("method, kwargs", [("batch", {}), ("minibatch", {"batch_size": 5})])
def test_iterative_solution_agrees_with_analytical(data, method, kwargs):
    X, t = data
    run = descend(X, t, [0.0, 0.0], lr=0.02, steps=3000, method=method, **kwargs)
    assert run.stopped is None
    if method == "batch":
        np.testing.assert_allclose(run.w, solve(X, t), atol=1e-8, rtol=0)
    else:  # minibatch noise keeps it near, not on, the minimum
        np.testing.assert_allclose(run.w, solve(X, t), atol=0.05)
    assert run.path.shape == (3001, 2) and run.errors.shape == (3001,)


def test_batch_errors_never_increase_for_a_small_rate(data):
    X, t = data
    errors = descend(X, t, [0.0, 0.0], lr=0.02, steps=200).errors
    assert np.all(np.diff(errors) <= 1e-12)


def test_stochastic_path_differs_from_batch_but_both_approach_the_solution(data):
    X, t = data
    w_star = solve(X, t)
    batch = descend(X, t, [0.0, 0.0], lr=0.02, steps=2000)
    sgd = descend(X, t, [0.0, 0.0], lr=0.05, steps=2000, method="stochastic", seed=0)
    assert not np.allclose(batch.path[1:50], sgd.path[1:50])
    for run in (batch, sgd):
        assert np.abs(run.w - w_star).max() < 0.05
        assert run.errors[-1] < 1.2 * error(w_star, X, t)


def test_stochastic_is_seeded(data):
    X, t = data
    a = descend(X, t, [0.0, 0.0], lr=0.05, steps=50, method="stochastic", seed=1)
    b = descend(X, t, [0.0, 0.0], lr=0.05, steps=50, method="stochastic", seed=1)
    c = descend(X, t, [0.0, 0.0], lr=0.05, steps=50, method="stochastic", seed=2)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path, c.path)


def plain_descend(X, t, w, lr, steps, size, seed):
    """The rule as the slide writes it, one update at a time: w <- w + lr 2 X_k^T (t_k - X_k w)."""
    rng, m, path = np.random.default_rng(seed), len(t), [np.array(w, dtype=float)]
    rows = []
    while len(rows) < steps:
        order = np.arange(m) if size == m else rng.permutation(m)
        rows += [order[i:i + size] for i in range(0, m, size)]
    for r in rows[:steps]:
        path.append(path[-1] + lr * 2 * X[r].T @ (t[r] - X[r] @ path[-1]))
    return np.array(path)


@pytest.mark.parametrize(("n_in", "method", "size"), [
    (1, "batch", 7), (1, "stochastic", 1), (1, "minibatch", 3), (2, "minibatch", 3),
    (2, "stochastic", 1), (1, "minibatch", 7)])
def test_every_method_follows_the_rule_update_by_update(n_in, method, size):
    rng = np.random.default_rng(4)
    X, t = design(rng.normal(size=(7, n_in))), rng.normal(size=7)  # 3 rows a batch: 3, 3, 1
    w = rng.normal(size=n_in + 1)
    run = descend(X, t, w, 0.03, 24, method, size, seed=5)
    want = plain_descend(X, t, w, 0.03, 24, size, seed=5)
    np.testing.assert_allclose(run.path, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run.errors, [error(v, X, t) for v in want], rtol=1e-12)


def test_large_rate_diverges_with_a_reason(data):
    X, t = data
    run = descend(X, t, [0.0, 0.0], lr=0.1, steps=1000)
    m = re.fullmatch(r"diverged at step (\d+): E = (\S+); try a smaller learning rate", run.stopped)
    k = int(m.group(1))
    assert run.path.shape == (k + 1, 2) and len(run.errors) == k + 1
    assert float(m.group(2)) == pytest.approx(run.errors[-1], rel=0.05)
    assert run.errors[-1] > 1e12 and np.all(run.errors[:-1] <= 1e12)


def test_zero_steps_keeps_the_start(data):
    X, t = data
    run = descend(X, t, [1.0, 2.0], lr=0.01, steps=0)
    np.testing.assert_array_equal(run.path, [[1.0, 2.0]])
    assert run.stopped is None


def test_singular_a_has_a_clear_message():
    X = design(np.full(5, 0.3))
    with pytest.raises(ValueError, match=r"A = X\^T X is singular \(rank 1 < 2 weights\)"):
        solve(X, np.arange(5.0))


def test_error_surface_matches_error_pointwise(data):
    X, t = data
    W0, W1 = np.meshgrid(np.linspace(-1, 2, 7), np.linspace(0, 4, 5))
    S = error_surface(X, t, W0, W1)
    assert S.shape == W0.shape
    expected = [[error([a, b], X, t) for a, b in zip(r0, r1, strict=True)]
                for r0, r1 in zip(W0, W1, strict=True)]
    np.testing.assert_allclose(S, expected, rtol=1e-12)
    i, j = np.unravel_index(np.argmin(S), S.shape)
    assert abs(W1[i, j] - 2.0) <= 1.0


def test_toy_data_shapes_and_seed():
    x, t = toy_data(n=30, seed=4)
    assert x.shape == t.shape == (30,)
    assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_array_equal(t, toy_data(n=30, seed=4)[1])
    assert not np.array_equal(t, toy_data(n=30, seed=5)[1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": 0.0}, r"lr must be a number > 0, got 0"),
        ({"method": "adam"}, r"unknown method 'adam'; choose one of: batch, stochastic, minibatch"),
        ({"method": "minibatch"}, r"batch_size must be an integer > 0 for method .minibatch."),
        ({"method": "minibatch", "batch_size": 21}, r"batch_size must be <= the 20 samples"),
        ({"steps": -1}, r"steps must be an integer >= 0, got -1"),
        ({"w0": [0.0]}, r"w0 must be 2 finite numbers"),
    ],
)
def test_descend_rejects_bad_input(data, kwargs, message):
    X, t = data
    args = {"w0": [0.0, 0.0], "lr": 0.01, "steps": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        descend(X, t, **args)
