"""The 2-D data sets: shapes, labels, seeds, the box they live in, the split, and bad input."""

import numpy as np
import pytest

from explorer.core.datasets import CLASSES, DATASETS, make, split

CASES = [(name, k) for name in DATASETS for k in sorted({2, 3, CLASSES[name][1]})
         if k <= CLASSES[name][1]]


@pytest.mark.parametrize("name, k", CASES)
def test_shapes_dtypes_and_labels(name, k):
    X, labels = make(name, n=200, noise=0.1, seed=0, classes=k)
    assert X.shape == (200, 2) and X.dtype == np.float64
    assert labels.shape == (200,) and np.issubdtype(labels.dtype, np.integer)
    assert set(labels.tolist()) == set(range(k))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name, k", CASES)
def test_same_seed_same_data_other_seed_other_data(name, k):
    X, y = make(name, n=50, seed=3, classes=k)
    X2, y2 = make(name, n=50, seed=3, classes=k)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.allclose(X, make(name, n=50, seed=4, classes=k)[0])


@pytest.mark.parametrize("name", list(DATASETS))
def test_noiseless_points_stay_near_the_unit_box(name):
    X, _ = make(name, n=500, noise=0.0, seed=1, classes=CLASSES[name][0])
    assert np.abs(X).max() <= 1.2


def test_noise_is_jitter_on_the_same_points():
    X0, y0 = make("moons", n=100, noise=0.0, seed=5)
    X1, y1 = make("moons", n=100, noise=0.2, seed=5)
    np.testing.assert_array_equal(y0, y1)
    assert 0.1 < np.std(X1 - X0) < 0.3


def test_noiseless_labels_follow_their_rules():
    X, y = make("xor", n=300, noise=0.0)
    np.testing.assert_array_equal(y, X[:, 0] * X[:, 1] < 0)
    X, y = make("linear", n=300, noise=0.0)
    np.testing.assert_array_equal(y, X[:, 1] > 0.5 * X[:, 0] + 0.1)
    X, y = make("circles", n=300, noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 0].max() < r[y == 1].min()


def test_classes_are_balanced():
    _, y = make("spiral", n=300, classes=3)
    np.testing.assert_array_equal(np.bincount(y), [100, 100, 100])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "swiss"}, r"unknown data set 'swiss'; choose one of: xor, circles, moons"),
        ({"n": 0}, r"n must be an integer > 0, got 0"),
        ({"n": 2.5}, r"n must be an integer, got 2.5"),
        ({"noise": -0.1}, r"noise must be a number >= 0, got -0.1"),
        ({"noise": float("nan")}, r"noise must be a number >= 0, got nan"),
        ({"classes": 3}, r"classes must be 2 for 'xor', got 3"),
        ({"name": "spiral", "classes": 1}, r"classes must be 2 to 10 for 'spiral', got 1"),
        ({"name": "gaussians", "classes": 11}, r"classes must be 2 to 10 for 'gaussians', got 11"),
    ],
)
def test_make_rejects_bad_input(kwargs, message):
    kwargs = {"name": "xor", **kwargs}
    with pytest.raises(ValueError, match=message):
        make(**kwargs)


def test_split_sizes_and_partition():
    X, y = make("moons", n=201)
    X_tr, y_tr, X_te, y_te = split(X, y, test_fraction=0.25, seed=0)
    assert (len(X_tr), len(y_tr), len(X_te), len(y_te)) == (151, 151, 50, 50)
    both = np.vstack([X_tr, X_te])
    np.testing.assert_array_equal(np.sort(both, axis=0), np.sort(X, axis=0))
    rows = {tuple(r): lab for r, lab in zip(X.tolist(), y.tolist(), strict=True)}
    assert all(rows[tuple(r)] == lab for r, lab in zip(X_te.tolist(), y_te.tolist(), strict=True))


def test_split_is_seeded():
    X, y = make("circles", n=40)
    a, b = split(X, y, seed=1), split(X, y, seed=1)
    np.testing.assert_array_equal(a[2], b[2])
    assert not np.array_equal(a[2], split(X, y, seed=2)[2])
    assert len(split(X, y, test_fraction=0.0)[2]) == 0


@pytest.mark.parametrize("f", [1.0, -0.1, 1.5])
def test_split_rejects_bad_fraction(f):
    X, y = make("xor", n=10)
    with pytest.raises(ValueError, match="test_fraction must be"):
        split(X, y, test_fraction=f)


def test_split_rejects_mismatched_labels():
    X, y = make("xor", n=10)
    with pytest.raises(ValueError, match=r"labels must have shape \(10,\), got shape \(9,\)"):
        split(X, y[:9])
