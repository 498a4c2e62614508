"""Activations: derivatives by central differences, the lecture's values, shapes, stability."""

import warnings

import numpy as np
import pytest

from explorer.core.activations import ACTIVATIONS, get_activation

VARIANTS = {
    **ACTIVATIONS,
    "leaky_relu(alpha=0.25)": get_activation("leaky_relu", alpha=0.25),
    "scaled_tanh(A=1,S=1)": get_activation("scaled_tanh", A=1.0, S=1.0),
    "scaled_tanh(A=2.5,S=0.3)": get_activation("scaled_tanh", A=2.5, S=0.3),
}
KINKS = (0.0, 1.0)  # step, sign, relu, leaky_relu at 0; piecewise_linear at 0 and 1
H = 1e-6


def grid() -> np.ndarray:
    """z from -6 to 6, at least 1e-3 away from every kink."""
    z = np.linspace(-6.0, 6.0, 1201)
    return z[np.all([np.abs(z - k) >= 1e-3 for k in KINKS], axis=0)]


def test_registry_has_the_lecture_names():
    assert set(ACTIVATIONS) == {
        "step", "sign", "linear", "piecewise_linear", "sigmoid", "tanh",
        "bipolar_sigmoid", "scaled_tanh", "relu", "leaky_relu",
    }
    for name, act in ACTIVATIONS.items():
        assert act.name == name
        assert isinstance(act.formula, str) and act.formula


@pytest.mark.parametrize("name", VARIANTS)
def test_df_matches_central_differences(name):
    act, z = VARIANTS[name], grid()
    numeric = (act.f(z + H) - act.f(z - H)) / (2 * H)
    np.testing.assert_allclose(act.df(z), numeric, rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize(
    "name, z, expected",
    [
        ("sigmoid", 0.0, 0.5),
        ("tanh", 0.0, 0.0),
        ("step", 0.0, 1.0),
        ("step", -1e-9, 0.0),
        ("sign", 0.0, 1.0),
        ("sign", -1e-9, -1.0),
        ("linear", -3.5, -3.5),
        ("piecewise_linear", -0.5, 0.0),
        ("piecewise_linear", 0.25, 0.25),
        ("piecewise_linear", 1.5, 1.0),
        ("relu", -1.0, 0.0),
        ("relu", 2.0, 2.0),
        ("leaky_relu", -1.0, -0.1),
        ("leaky_relu", 2.0, 2.0),
        ("bipolar_sigmoid", 0.0, 0.0),
    ],
)
def test_known_values(name, z, expected):
    assert float(ACTIVATIONS[name].f(np.array(z))) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("name, z, expected", [("sigmoid", 0.0, 0.25), ("tanh", 0.0, 1.0),
                                               ("bipolar_sigmoid", 0.0, 0.5), ("relu", -1.0, 0.0),
                                               ("leaky_relu", -1.0, 0.1), ("linear", 7.0, 1.0)])
def test_known_derivatives(name, z, expected):
    assert float(ACTIVATIONS[name].df(np.array(z))) == pytest.approx(expected, abs=1e-15)


def test_scaled_tanh_maps_plus_minus_one_to_plus_minus_one():
    """LeCun's choice A = 1.7159, S = 2/3 makes g(1) = 1 and g(-1) = -1 (to 4 digits)."""
    g = ACTIVATIONS["scaled_tanh"].f(np.array([-1.0, 1.0]))
    np.testing.assert_array_equal(np.round(g, 4), [-1.0, 1.0])


def test_scaled_tanh_uses_its_parameters():
    g = get_activation("scaled_tanh", A=2.0, S=0.5)
    assert float(g.f(np.array(1.0))) == pytest.approx(2.0 * np.tanh(0.5))
    assert float(get_activation("leaky_relu", alpha=0.25).f(np.array(-2.0))) == -0.5


def test_bipolar_sigmoid_is_the_lecture_formula():
    z = np.linspace(-20.0, 20.0, 401)
    np.testing.assert_allclose(
        ACTIVATIONS["bipolar_sigmoid"].f(z),
        (1 - np.exp(-z)) / (1 + np.exp(-z)),
        rtol=1e-12,
        atol=1e-15,
    )


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)])
def test_shape_and_dtype_preserved(name, shape):
    z = np.random.default_rng(0).normal(0.0, 2.0, shape)
    for fn in (VARIANTS[name].f, VARIANTS[name].df):
        out = fn(z)
        assert np.shape(out) == shape
        assert np.result_type(out) == np.float64


@pytest.mark.parametrize("name", VARIANTS)
def test_integer_input_gives_float64(name):
    out = VARIANTS[name].f(np.array([-2, 0, 3]))
    assert np.result_type(out) == np.float64


def test_runtime_warnings_are_errors_in_this_suite():
    """pyproject's filterwarnings makes RuntimeWarning an error: overflow cannot pass silently."""
    with pytest.raises(RuntimeWarning):
        np.exp(np.array([1e4]))


@pytest.mark.parametrize("name", VARIANTS)
def test_no_warning_and_no_nan_for_huge_z(name):
    z = np.concatenate([np.linspace(-1e4, 1e4, 2001), [-1e4, -745.2, -710.0, 710.0, 745.2, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, df = VARIANTS[name].f(z), VARIANTS[name].df(z)
    assert np.all(np.isfinite(f)), name
    assert np.all(np.isfinite(df)), name


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError) as e:
        get_activation("softsign")
    msg = str(e.value)
    assert "'softsign'" in msg
    for name in ACTIVATIONS:
        assert name in msg


@pytest.mark.parametrize(
    "name, params, words",
    [
        ("leaky_relu", {"alpha": 2.0}, ["alpha", "2"]),
        ("leaky_relu", {"alpha": -0.1}, ["alpha", "-0.1"]),
        ("scaled_tanh", {"A": float("nan")}, ["A", "nan"]),
        ("scaled_tanh", {"S": float("inf")}, ["S", "inf"]),
        ("relu", {"alpha": 0.1}, ["relu", "alpha"]),
    ],
)
def test_bad_parameters_raise_naming_them(name, params, words):
    with pytest.raises(ValueError) as e:
        get_activation(name, **params)
    for word in words:
        assert word in str(e.value)


def test_unknown_parameter_names_the_allowed_ones():
    with pytest.raises(ValueError) as e:
        get_activation("leaky_relu", beta=1.0)
    assert "beta" in str(e.value) and "alpha" in str(e.value)
