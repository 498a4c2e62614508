"""The MLP's fast paths (flat parameters, preallocated arrays, in-place kernels, float32) against
the reference formulas written out plainly in the row layout of the lectures."""

import copy
import warnings

import numpy as np
import pytest

from explorer.core.activations import ACTIVATIONS, INTO, TIMES_DA
from explorer.core.losses import LOSSES
from explorer.core.mlp import MLP, one_hot

CASES = [  # sizes, hidden, output, loss
    ([2, 8, 8, 1], "tanh", "sigmoid", "bce"),
    ([2, 16, 16, 16, 1], "tanh", "sigmoid", "bce"),
    ([3, 5, 4], "relu", "softmax", "softmax_ce"),
    ([3, 6, 2], "sigmoid", "softmax", "mse"),
    ([2, 4, 2], "scaled_tanh", "tanh", "mse"),
    ([2, 6, 3, 1], "leaky_relu", "linear", "mse"),
    ([2, 5, 1], "piecewise_linear", "sigmoid", "mse"),
]


def case(sizes, output, loss, m=9, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(0.0, 1.5, (m, sizes[0]))
    n = sizes[-1]
    if loss == "softmax_ce":
        return X, one_hot(r.integers(0, n, m), n)
    if loss == "bce":
        return X, r.integers(0, 2, (m, n)).astype(float)
    return X, r.uniform(-1.0 if output in ("linear", "tanh") else 0.0, 1.0, (m, n))


def reference(net: MLP, X, T):
    """Loss, dW, db, dX and the a[l] by the lecture's formulas in float64, samples in rows."""
    W = [np.asarray(w, np.float64) for w in net.W]
    b = [np.asarray(v, np.float64) for v in net.b]
    a, z = [X], []
    for l in range(len(W)):
        z.append(a[-1] @ W[l].T + b[l])
        last = l == len(W) - 1
        if last and net.output == "softmax":
            e = np.exp(z[-1] - z[-1].max(axis=1, keepdims=True))
            a.append(e / e.sum(axis=1, keepdims=True))
        else:
            a.append((net.g_out if last else net.g).f(z[-1]))
    E = LOSSES[net.loss_name]
    y = a[-1]
    loss = E.value(y, T)
    dy = E.dy(y, T)
    if net.output == "softmax":
        delta = y * (dy - np.sum(dy * y, axis=1, keepdims=True))
    else:
        delta = dy * net.g_out.df(z[-1])
    dW, db = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        dW[l], db[l] = delta.T @ a[l], delta.sum(axis=0)
        delta = (delta @ W[l]) * (net.g.df(z[l - 1]) if l else 1.0)
    return loss, dW, db, delta, a


@pytest.mark.parametrize("sizes, hidden, output, loss", CASES)
def test_float64_passes_equal_the_reference_formulas(sizes, hidden, output, loss):
    net = MLP(sizes, hidden, output, loss, seed=2, dtype="float64")
    X, T = case(sizes, output, loss)
    E, dW, db, dX, a = reference(net, X, T)
    fw, gr = net.forward(X), net.gradients(X, T)
    for l, (mine, ref) in enumerate(zip(fw.a, a)):
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-15, err_msg=f"a[{l}]")
    assert gr.loss == pytest.approx(E, rel=1e-12) and net.loss(X, T) == gr.loss
    for l in range(len(dW)):
        np.testing.assert_allclose(gr.dW[l], dW[l], rtol=1e-10, atol=1e-15, err_msg=f"dW[{l}]")
        np.testing.assert_allclose(gr.db[l], db[l], rtol=1e-10, atol=1e-15, err_msg=f"db[{l}]")
    np.testing.assert_allclose(gr.dX, dX, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(net.predict(X), a[-1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sizes, hidden, output, loss", CASES)
def test_float32_agrees_with_float64_to_single_precision(sizes, hidden, output, loss):
    net32 = MLP(sizes, hidden, output, loss, seed=2)
    net64 = MLP(sizes, hidden, output, loss, seed=2, dtype="float64")
    for p32, p64 in zip(net32.parameters(), net64.parameters()):
        assert p32.dtype == np.float32 and p64.dtype == np.float64
        np.testing.assert_array_equal(p32, p64.astype(np.float32))  # the same draws, rounded
        p64[...] = p32  # start from exactly the same weights
    X, T = case(sizes, output, loss)
    g32, g64 = net32.gradients(X, T), net64.gradients(X, T)
    assert g32.loss == pytest.approx(g64.loss, rel=1e-5)
    scale = max(np.abs(g).max() for g in g64.dW)
    for l in range(len(g64.dW)):
        assert g32.dW[l].dtype == np.float32
        np.testing.assert_allclose(g32.dW[l], g64.dW[l], rtol=1e-4, atol=1e-5 * scale)
    np.testing.assert_allclose(net32.predict(X), net64.predict(X), rtol=1e-5, atol=1e-6)
    for _ in range(5):
        assert net32.step(X, T, 0.1) == pytest.approx(net64.step(X, T, 0.1), rel=1e-5)
    for p32, p64 in zip(net32.parameters(), net64.parameters()):
        np.testing.assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)


def test_float64_step_follows_the_gradient_by_central_differences():
    net = MLP([2, 8, 8, 1], seed=3, dtype="float64")
    X, T = case([2, 8, 8, 1], "sigmoid", "bce", m=20)
    gr = net.gradients(X, T)
    grads = [g for pair in zip(gr.dW, gr.db) for g in pair]
    h = 1e-6
    for i, (p, g) in enumerate(zip(net.parameters(), grads)):
        for j in np.ndindex(p.shape):
            old = p[j]
            p[j] = old + h
            up = net.loss(X, T)
            p[j] = old - h
            down = net.loss(X, T)
            p[j] = old
            assert g[j] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9), (i, j)
    before = [p.copy() for p in net.parameters()]
    net.step(X, T, 0.5)
    for p, old, g in zip(net.parameters(), before, grads):
        np.testing.assert_allclose(p, old - 0.5 * g, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float64"), "float64", float])
def test_dtype_accepts_names_and_numpy_types(dtype):
    net = MLP([2, 3, 1], dtype=dtype)
    assert net.W[0].dtype == net.dtype == np.dtype(dtype)
    assert net.predict(np.zeros((4, 2))).dtype == net.dtype


@pytest.mark.parametrize("dtype", ["float16", "double precision", np.int64, None, 32])
def test_unknown_dtype_is_refused_in_words(dtype):
    with pytest.raises(ValueError) as e:
        MLP([2, 3, 1], dtype=dtype)
    assert "dtype" in str(e.value) and "float32, float64" in str(e.value)


def test_default_dtype_is_float32_and_float32_inputs_give_a_float32_pass():
    net, net64 = MLP([2, 4, 1]), MLP([2, 4, 1], dtype="float64")
    X = np.random.default_rng(0).normal(size=(6, 2))
    assert net.dtype == np.float32 and net.predict(X).dtype == np.float32
    y = net64.forward(X.astype(np.float32)).y
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, net64.predict(X), rtol=1e-5)
    assert net64.predict(X).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(INTO))
def test_in_place_kernels_equal_the_registry(name, dtype):
    z = np.concatenate([np.linspace(-30, 30, 2001), [-1e4, -400.0, -89.0, 89.0, 400.0, 1e4, 0.0]])
    z = z.astype(dtype)
    out = np.empty_like(z)
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("error")
        INTO[name](z, out)
    expected = ACTIVATIONS[name].f(z.astype(np.float64))
    assert out.dtype == dtype and np.all(np.isfinite(out))
    tol = {np.float32: (2e-7, 1e-7), np.float64: (1e-14, 4e-16)}[dtype]
    np.testing.assert_allclose(out, expected, rtol=tol[0], atol=tol[1])
    assert out[-2] == expected[-2]  # saturates exactly at z = 1e4
    assert abs(out[-7] - expected[-7]) < 1e-37  # and at -1e4 (sigmoid: capped just above 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(TIMES_DA))
def test_in_place_derivatives_equal_the_registry(name, dtype):
    z = np.linspace(-6, 6, 501)
    act = ACTIVATIONS[name]
    a = act.f(z).astype(dtype)
    delta = np.linspace(-1, 1, 501).astype(dtype)
    expected = delta * act.df(z)
    TIMES_DA[name](delta, a, np.empty_like(a))
    np.testing.assert_allclose(delta, expected, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-7 if dtype == np.float32 else 1e-15)


def test_assigned_weights_are_used_and_trained():
    net = MLP([2, 2, 2], hidden="sigmoid", output="sigmoid", loss="mse", dtype="float64")
    W0 = np.array([[0.15, 0.20], [0.25, 0.30]])
    net.W[0], net.b[1] = W0, np.array([0.6, 0.6])
    X, T = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
    fw = net.forward(X)
    np.testing.assert_allclose(fw.z[0], X @ W0.T + net.b[0])
    net.step(X, T, 0.5)
    assert not np.array_equal(net.W[0], W0) and net.W[0] is net.parameters()[0]
    np.testing.assert_array_equal(W0, [[0.15, 0.20], [0.25, 0.30]])  # the caller's array untouched
    net.W = [w * 2 for w in net.W]  # a whole new list, as the initialization panel does
    assert net.loss(X, T) == pytest.approx(reference(net, X, T)[0], rel=1e-14)


def test_results_are_fresh_arrays_not_workspaces():
    net = MLP([2, 5, 1], seed=1)
    X, T = case([2, 5, 1], "sigmoid", "bce")
    y, fw, gr = net.predict(X), net.forward(X), net.gradients(X, T)
    kept = [y.copy(), fw.y.copy(), fw.a[1].copy(), gr.dW[0].copy(), gr.delta[0].copy()]
    for _ in range(3):
        net.step(X, T, 1.0)
        net.predict(X + 1)
        net.gradients(X + 1, T)
    for old, now in zip(kept, [y, fw.y, fw.a[1], gr.dW[0], gr.delta[0]]):
        np.testing.assert_array_equal(old, now)


@pytest.mark.parametrize("how", ["copy", "deepcopy"])
def test_copies_have_their_own_parameters(how):
    net = MLP([2, 4, 1], seed=1)
    X, T = case([2, 4, 1], "sigmoid", "bce")
    twin = net.copy() if how == "copy" else copy.deepcopy(net)
    twin.step(X, T, 1.0)
    assert not np.array_equal(twin.W[0], net.W[0])
    twin_again = twin.copy()
    twin_again.step(X, T, 1.0)
    assert twin.loss(X, T) != twin_again.loss(X, T)
    assert twin.dtype == net.dtype and twin.W[0].dtype == np.float32
