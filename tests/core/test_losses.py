"""Losses: dE/dy and fused dE/dz against finite differences and the chain rule; the lecture."""

import warnings

import numpy as np
import pytest

from explorer.core.activations import ACTIVATIONS, softmax
from explorer.core.losses import LOSSES

H = 1e-6

def sample(name: str, m: int = 4, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Outputs y and targets t of shape (m, k) in the loss's domain, away from its clipping."""
    r = np.random.default_rng(seed)
    if name == "mse":
        return r.normal(size=(m, k)), r.normal(size=(m, k))
    if name == "bce":
        return r.uniform(0.05, 0.95, (m, k)), r.uniform(0.0, 1.0, (m, k))
    return r.uniform(0.05, 0.95, (m, k)), np.eye(k)[r.integers(0, k, m)]  # y below the clip at 1


def numeric_grad(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f at x, entry by entry."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + H
        up = f(x)
        x[i] = old - H
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * H)
    return g


def test_registry_names():
    assert set(LOSSES) == {"mse", "bce", "softmax_ce"}
    assert set(LOSSES["bce"].fused) == {"sigmoid"}
    assert set(LOSSES["softmax_ce"].fused) == {"softmax"}
    for name, loss in LOSSES.items():
        assert loss.name == name and loss.formula


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("m, k", [(1, 1), (4, 3), (7, 2)])
def test_dy_matches_central_differences(name, m, k):
    loss = LOSSES[name]
    y, t = sample(name, m, k)
    numeric = numeric_grad(lambda v: loss.value(v, t), y.copy())
    np.testing.assert_allclose(loss.dy(y, t), numeric, rtol=1e-6, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("name", LOSSES)
def test_value_is_the_mean_over_samples_of_the_sum_over_outputs(name):
    loss = LOSSES[name]
    y, t = sample(name, 5, 3)
    per_sample = [loss.value(y[i : i + 1], t[i : i + 1]) for i in range(5)]
    assert loss.value(y, t) == pytest.approx(np.mean(per_sample), rel=1e-12)
    doubled = loss.value(np.vstack([y, y]), np.vstack([t, t]))
    assert doubled == pytest.approx(loss.value(y, t), rel=1e-12)


def test_mse_is_the_lectures_e_total():
    y, t = np.array([[0.75136507, 0.772928465]]), np.array([[0.01, 0.99]])
    assert LOSSES["mse"].value(y, t) == pytest.approx(0.298371109, abs=5e-10)


def chain_rule_dz(output: str, loss: str, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dE/dz of the unfused form: dE/dy times the output activation's Jacobian."""
    if output == "sigmoid":
        return LOSSES[loss].dy(ACTIVATIONS["sigmoid"].f(z), t) * ACTIVATIONS["sigmoid"].df(z)
    s = softmax(z)
    dy = LOSSES[loss].dy(s, t)
    return s * (dy - np.sum(dy * s, axis=1, keepdims=True))


FUSED = [("sigmoid", "bce"), ("softmax", "softmax_ce")]


def fused_sample(output: str, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r = np.random.default_rng(seed)
    z = r.normal(0.0, 2.0, (5, 3))
    t = r.uniform(0, 1, (5, 3)) if output == "sigmoid" else np.eye(3)[r.integers(0, 3, 5)]
    return z, t


@pytest.mark.parametrize("output, loss", FUSED)
def test_fused_dz_equals_the_chain_rule(output, loss):
    z, t = fused_sample(output)
    fused = LOSSES[loss].fused[output]
    expected = chain_rule_dz(output, loss, z, t)
    np.testing.assert_allclose(fused.dz(z, t), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("output, loss", FUSED)
def test_fused_dz_matches_central_differences(output, loss):
    z, t = fused_sample(output, seed=2)
    fused = LOSSES[loss].fused[output]
    numeric = numeric_grad(lambda v: fused.value(v, t), z.copy())
    np.testing.assert_allclose(fused.dz(z, t), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("output, loss", FUSED)
def test_fused_value_equals_unfused_value(output, loss):
    z, t = fused_sample(output, seed=3)
    y = ACTIVATIONS["sigmoid"].f(z) if output == "sigmoid" else softmax(z)
    unfused = LOSSES[loss].value(y, t)
    assert LOSSES[loss].fused[output].value(z, t) == pytest.approx(unfused, rel=1e-10)


@pytest.mark.parametrize("output, loss", FUSED)
def test_fused_forms_are_stable_for_huge_z(output, loss):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, 1e4]])
    t = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    fused = LOSSES[loss].fused[output]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, dz = fused.value(z, t), fused.dz(z, t)
    assert np.isfinite(value) and value > 1e3  # wrong by 1e4 somewhere: a big, finite loss
    assert np.all(np.isfinite(dz))
    assert np.all(np.abs(dz) <= 1.0)


@pytest.mark.parametrize("name", LOSSES)
def test_unfused_forms_are_finite_at_outputs_of_exactly_0_and_1(name):
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    t = np.array([[1.0, 0.0], [1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, dy = LOSSES[name].value(y, t), LOSSES[name].dy(y, t)
    assert np.isfinite(value)
    assert np.all(np.isfinite(dy))


@pytest.mark.parametrize("name", LOSSES)
def test_perfect_outputs_cost_nothing(name):
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert LOSSES[name].value(t.copy(), t) == pytest.approx(0.0, abs=1e-10)
