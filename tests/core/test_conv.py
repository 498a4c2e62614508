"""The convolution core: the feature map is the lecture's a = sum theta_ij x_ij at every window
(against a double loop and scipy), output sizes, windows, presets, images, and refusals in words."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.core.conv import (
    FILTERS,
    correlate2d,
    flattened_length,
    get_filter,
    output_size,
    pad,
    window,
)
from explorer.core.images import IMAGES, get_image


def double_loop(x, theta, stride, padding):
    """The definition, written out: zero-pad, then for each output (i, j) sum theta * window."""
    x, theta = np.asarray(x, float), np.asarray(theta, float)
    H, W = x.shape[:2]
    k = theta.shape[0]
    xp = np.zeros((H + 2 * padding, W + 2 * padding) + x.shape[2:])
    xp[padding : padding + H, padding : padding + W] = x
    rows, cols = (H + 2 * padding - k) // stride + 1, (W + 2 * padding - k) // stride + 1
    out = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            total = 0.0
            for u in range(k):
                for v in range(k):
                    total += np.sum(theta[u, v] * xp[i * stride + u, j * stride + v])
            out[i, j] = total
    return out


def random_case(seed, channels):
    rng = np.random.default_rng(seed)
    H, W = rng.integers(4, 13, size=2)
    k = int(rng.integers(1, 5))
    shape = (H, W) if channels == 0 else (H, W, channels)
    x = rng.uniform(-1, 1, size=shape)
    theta = rng.normal(size=(k, k) if channels == 0 else (k, k, channels))
    return x, theta, int(rng.integers(1, 4)), int(rng.integers(0, 4))


@pytest.mark.parametrize("channels", [0, 1, 3])
@pytest.mark.parametrize("seed", range(12))
def test_feature_map_equals_the_double_loop(seed, channels):
    x, theta, s, p = random_case(seed, channels)
    np.testing.assert_allclose(correlate2d(x, theta, s, p), double_loop(x, theta, s, p),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(H=st.integers(1, 9), W=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 4),
       p=st.integers(0, 3), seed=st.integers(0, 2**16), colour=st.booleans())
def test_feature_map_equals_the_double_loop_everywhere(H, W, k, s, p, seed, colour):
    if k > min(H, W) + 2 * p:
        with pytest.raises(ValueError, match="larger than the padded image"):
            correlate2d(np.zeros((H, W)), np.zeros((k, k)), s, p)
        return
    rng = np.random.default_rng(seed)
    extra = (3,) if colour else ()
    x, theta = rng.uniform(0, 1, (H, W) + extra), rng.normal(size=(k, k) + extra)
    a = correlate2d(x, theta, s, p)
    assert a.shape == (output_size(H, k, s, p), output_size(W, k, s, p))
    np.testing.assert_allclose(a, double_loop(x, theta, s, p), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_feature_map_equals_scipy_on_the_padded_image(seed):
    signal = pytest.importorskip("scipy.signal")
    x, theta, s, p = random_case(seed, 0)
    valid = signal.correlate2d(np.pad(x, p), theta, mode="valid")
    np.testing.assert_allclose(correlate2d(x, theta, 1, p), valid, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(correlate2d(x, theta, s, p), valid[::s, ::s], rtol=1e-12, atol=1e-12)


def test_it_is_cross_correlation_not_flipped_convolution():
    x = np.zeros((5, 5))
    x[2, 2] = 1.0  # one bright pixel
    theta = np.arange(9.0).reshape(3, 3)
    a = correlate2d(x, theta, padding=1)
    # the window sliding over a single spot prints theta turned by 180 degrees (no flip is done)
    np.testing.assert_array_equal(a[1:4, 1:4], theta[::-1, ::-1])


def test_lecture_window_is_the_top_left_4x4_region():
    x = np.arange(64.0).reshape(8, 8)
    theta = np.arange(16.0).reshape(4, 4)
    w = window(x, theta, 0, 0)
    np.testing.assert_array_equal(w.x, x[0:4, 0:4])
    assert w.a == sum(theta[i, j] * x[i, j] for i in range(4) for j in range(4))


def test_a_channel_sum_is_the_sum_of_per_channel_maps():
    x, theta, s, p = random_case(3, 3)
    per = sum(correlate2d(x[..., c], theta[..., c], s, p) for c in range(3))
    np.testing.assert_allclose(correlate2d(x, theta, s, p), per, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n, k, s, p, want", [
    (16, 3, 1, 0, 14), (16, 4, 1, 0, 13), (16, 3, 2, 0, 7), (16, 3, 1, 1, 16), (16, 4, 4, 0, 4),
    (16, 4, 3, 3, 7), (64, 4, 1, 0, 61), (5, 5, 1, 0, 1), (3, 4, 1, 1, 2), (1, 1, 4, 0, 1),
])
def test_output_size_is_floor_of_n_plus_2p_minus_k_over_s_plus_1(n, k, s, p, want):
    assert output_size(n, k, s, p) == want == (n + 2 * p - k) // s + 1
    assert correlate2d(np.zeros((n, n)), np.zeros((k, k)), s, p).shape == (want, want)


@pytest.mark.parametrize("colour", [False, True])
@pytest.mark.parametrize("s, p", [(1, 0), (2, 1), (3, 2), (4, 3)])
def test_window_sums_are_the_map_entries_to_the_last_bit(colour, s, p):
    x = get_image("colour disc" if colour else "soccer ball")
    theta = get_filter("vertical edge", 4)
    theta = np.repeat(theta[..., None], 3, axis=2) if colour else theta
    a = correlate2d(x, theta, s, p)
    xp = pad(x, p)
    for i, j in itertools.product(range(a.shape[0]), range(a.shape[1])):
        w = window(x, theta, i, j, s, p)
        assert w.a == a[i, j]
        assert (w.row, w.col) == (i * s, j * s)
        np.testing.assert_array_equal(w.x, xp[i * s : i * s + 4, j * s : j * s + 4])
        np.testing.assert_array_equal(w.products, theta * w.x)


def test_padding_adds_zeros_on_each_side():
    x = np.ones((2, 3, 3))
    xp = pad(x, 2)
    assert xp.shape == (6, 7, 3)
    assert xp.sum() == x.sum() and xp[2:4, 2:5].min() == 1.0
    w = window(np.ones((4, 4)), np.ones((3, 3)), 0, 0, padding=1)
    assert w.a == 4.0  # the corner window holds 5 padded zeros


def test_the_lectures_flattened_length():
    assert flattened_length((64, 64, 3)) == 12_288
    assert flattened_length(IMAGES["colour disc"].shape) == 768
    assert flattened_length(IMAGES["soccer ball"].shape) == 256
    assert get_image("colour disc").reshape(-1).shape == (768,)


# Presets and images -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("k", [3, 4])
def test_presets_come_in_both_sizes_and_are_copies(name, k):
    theta = get_filter(name, k)
    assert theta.shape == (k, k) and np.all(np.isfinite(theta))
    theta[0, 0] = 99.0
    assert get_filter(name, k)[0, 0] != 99.0


@pytest.mark.parametrize("k", [3, 4])
def test_what_the_presets_do(k):
    ramp = np.tile(np.arange(10.0), (10, 1))  # brighter to the right by 1 per column
    flat = np.full((10, 10), 0.7)
    assert np.all(correlate2d(ramp, get_filter("vertical edge", k)) > 0)
    assert np.all(correlate2d(ramp, get_filter("horizontal edge", k)) == 0)
    assert np.all(correlate2d(ramp.T, get_filter("horizontal edge", k)) > 0)
    for name in ("vertical edge", "horizontal edge", "edge (Laplacian)"):
        np.testing.assert_allclose(correlate2d(flat, get_filter(name, k)), 0.0, atol=1e-12)
    for name in ("blur", "sharpen", "identity"):  # these keep a flat image's brightness
        np.testing.assert_allclose(correlate2d(flat, get_filter(name, k)), 0.7, atol=1e-12)
    x = get_image("letter F")
    np.testing.assert_array_equal(correlate2d(x, get_filter("identity", k)), x[1 : 17 - k + 1,
                                                                               1 : 17 - k + 1])


@pytest.mark.parametrize("name", list(IMAGES))
def test_images_are_small_in_range_rounded_and_read_only(name):
    x = IMAGES[name]
    assert x.shape[:2] == (16, 16) and x.ndim in (2, 3)
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() - x.min() > 0.5
    np.testing.assert_array_equal(x, np.round(x, 2))
    with pytest.raises(ValueError):
        x[0, 0] = 0.5
    copy = get_image(name)
    copy[0, 0] = 0.5  # a copy is writable and leaves the registry alone


def test_colour_disc_is_a_red_disc_on_a_blue_green_gradient():
    x = IMAGES["colour disc"]
    R, G, B = x[..., 0], x[..., 1], x[..., 2]
    assert R[7, 8] > 0.8 and G[7, 8] < 0.2 and B[7, 8] < 0.2  # red in the middle
    assert R[0, 0] < 0.1 and B[0, 0] > G[0, 0]  # blue at the top left
    assert R[15, 15] < 0.1 and G[15, 15] > B[15, 15]  # green at the bottom right
    total = x.sum(axis=2)  # the gradient cancels in R + G + B: a shared theta sees only the disc
    np.testing.assert_allclose(total[13:], total[15, 0], atol=0.011)
    assert total[7, 8] - total[15, 0] > 0.4


# Refusals -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: correlate2d(np.zeros((3, 3)), np.zeros((4, 4))),
     r"theta \(4 x 4\) is larger than the padded image \(3 x 3: 3 x 3 with padding 0\)"),
    (lambda: correlate2d(np.zeros((5, 5)), np.zeros((3, 3)), stride=0),
     "stride must be an integer > 0, got 0"),
    (lambda: correlate2d(np.zeros((5, 5)), np.zeros((3, 3)), stride=1.5),
     "stride must be an integer, got 1.5"),
    (lambda: correlate2d(np.zeros((5, 5)), np.zeros((3, 3)), padding=-1),
     "padding must be an integer >= 0, got -1"),
    (lambda: correlate2d(np.full((5, 5), np.nan), np.zeros((3, 3))), "x must be finite"),
    (lambda: correlate2d(np.zeros((5, 5)), [[1, np.inf], [0, 0]]), "theta must be finite"),
    (lambda: correlate2d(np.zeros((5, 5, 3)), np.zeros((3, 3))),
     r"theta must have shape \(kh, kw, 3\) to match the 3 channels of x, got shape \(3, 3\)"),
    (lambda: correlate2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 2))), r"got shape \(3, 3, 2\)"),
    (lambda: correlate2d(np.zeros(5), np.zeros((3, 3))),
     r"x must be an image of shape \(H, W\) or \(H, W, C\), got shape \(5,\)"),
    (lambda: window(np.zeros((5, 5)), np.zeros((3, 3)), 3, 0),
     "i must be an integer from 0 to 2 \\(the feature map has 3 rows\\), got 3"),
    (lambda: window(np.zeros((5, 5)), np.zeros((3, 3)), 0, -1), "j must be an integer from 0 to 2"),
    (lambda: output_size(3, 4, 1, 0), r"the kernel \(k = 4\) is larger than the padded image"),
    (lambda: output_size(16, 3, 0, 0), "stride must be an integer > 0, got 0"),
    (lambda: get_filter("emboss"), "unknown filter 'emboss'; choose one of: vertical edge, "),
    (lambda: get_filter("blur", 5), "filter 'blur' comes in sizes k = 3, 4, got k = 5"),
    (lambda: get_image("cat"), "unknown image 'cat'; choose one of: soccer ball"),
])
def test_bad_input_is_refused_in_words(call, message):
    with pytest.raises(ValueError, match=message):
        call()
