"""The convolution panel: maps are the core's correlate2d with unvisited entries blank, the window
and the sum follow the position, presets, several filters, stride and padding, colour images,
refusals in words, reset, and the drawing helpers of explorer/plots/conv_plots.py."""

import numpy as np
import pytest
import traitlets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from explorer.core import conv
from explorer.core.images import IMAGES
from explorer.panels.convolution import ConvolutionPanel, skipped_notes
from explorer.panels.convolution_state import ConvolutionState
from explorer.plots import conv_plots as cp


@pytest.fixture
def panel():
    return ConvolutionPanel()


def full_map(panel, slot=0):
    """The core's whole feature map for filter `slot` at the panel's settings."""
    s = panel.state
    x = IMAGES[s.image] if s.image in IMAGES else s.x
    theta = np.asarray(s.thetas[slot])
    if x.ndim == 3:
        theta = np.repeat(theta[..., None], 3, axis=2)
    return conv.correlate2d(x, theta, s.stride, s.padding)


def shown(panel, slot=0):
    return np.ma.filled(np.ma.asarray(panel.maps[slot].get_array(), dtype=float), np.nan)


def check_position(panel):
    """Map data, window rectangle, products and the sum all match the core at this position."""
    s = panel.state
    a = full_map(panel, s.current)
    rows, cols = a.shape
    i, j = divmod(s.position, cols)
    for slot in range(s.n_filters):
        want = full_map(panel, slot).ravel().copy()
        want[s.position + 1 :] = np.nan
        np.testing.assert_array_equal(shown(panel, slot), want.reshape(rows, cols))
        assert panel.cells[slot].get_xy() == (j - 0.5, i - 0.5)
    x0, y0 = panel.rects[0].get_xy()
    assert (x0, y0) == (j * s.stride - s.padding - 0.5, i * s.stride - s.padding - 0.5)
    assert panel.rects[0].get_width() == s.k
    w = s.window()
    assert w.a == a[i, j]  # the sum shown is the map entry, to the last bit
    assert panel.sum_text.get_text().endswith(f"= {cp.num(a[i, j])}")
    products = w.products.sum(axis=2) if w.x.ndim == 3 else w.products
    for r in range(s.k):
        for c in range(s.k):
            assert panel.pr.texts[r][c].get_text() == cp.num(products[r, c])
    assert f"window {s.position + 1} of {rows * cols}: map row {i + 1}, column {j + 1}" in \
        panel.where.value


# Stepping ---------------------------------------------------------------------------------------

def test_starts_at_the_lectures_top_left_4x4_window(panel):
    s = panel.state
    assert (s.image, s.k, s.position) == ("soccer ball", 4, 0)
    check_position(panel)
    assert np.isnan(shown(panel)).sum() == 13 * 13 - 1
    assert r"\text{over } x_{1:4,\,1:4}" in panel.formula.value
    x, theta = IMAGES["soccer ball"][:4, :4], conv.get_filter("vertical edge", 4)
    assert f"({cp.num(theta[0, 0]).replace('−', '-')})({x[0, 0]:.2f})" in panel.formula.value


@pytest.mark.parametrize("position", [1, 12, 13, 50, 168])
def test_the_slider_moves_the_window_and_fills_the_map(panel, position):
    panel.controls["position"].value = position
    assert panel.state.position == position == panel.controls["play"].value
    check_position(panel)


def test_play_and_step_advance_row_by_row(panel):
    panel.controls["play"].value = 3
    assert panel.state.position == 3 and panel.controls["position"].value == 3
    assert panel.step(10) == 10
    assert panel.state.ij == (1, 0)  # 13 windows per row: the 14th starts row 2
    check_position(panel)


def test_stepping_redraws_only_the_moving_artists(panel):
    panel.live.render()
    panel.live._previous = panel.live.render()[0].view(np.uint32)[..., 0].copy()
    panel.step(1)
    buffer, rects, full = panel.live.render()
    assert not full  # the cached background stays: only animated artists were redrawn
    assert rects and sum(w * h for _, _, w, h in rects) < 0.6 * buffer.shape[0] * buffer.shape[1]


def test_whole_map_button_and_clamped_positions(panel):
    panel.controls["end"].click()
    assert panel.state.position == 168 and not np.isnan(shown(panel)).any()
    check_position(panel)
    panel.state.position = 10**6  # a visitor past the end: clamped
    assert panel.state.position == 168 and panel.controls["position"].value == 168
    panel.state.position = -4
    assert panel.state.position == 0
    panel.controls["position"].value = 10**6
    assert panel.state.position == 168
    assert panel.step(5) == 0
    panel.controls["play"].playing = True  # ▶ at the end starts again
    assert panel.state.position == 0 and panel.controls["play"].value == 0


# Filters --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(conv.FILTERS))
@pytest.mark.parametrize("k", [3, 4])
def test_presets_set_theta_cells_and_map(panel, name, k):
    panel.controls["k"].value = k
    panel.controls["preset"].value = name
    theta = conv.get_filter(name, k)
    np.testing.assert_array_equal(panel.state.thetas[0], theta)
    assert panel.state.names[0] == name
    for r in range(k):
        for c in range(k):
            assert panel.controls[f"theta_{r}_{c}"].value == theta[r, c]
            assert panel.th.texts[r][c].get_text() == cp.num(theta[r, c])
    assert panel.ax_th.get_title() == f"θ1: {name}"
    panel.step(7)
    check_position(panel)
    cmap, clim = cp.map_colours(full_map(panel))
    assert panel.maps[0].get_clim() == clim


def test_editing_a_cell_makes_a_custom_filter_and_back(panel):
    panel.controls["theta_0_0"].value = 3.5
    s = panel.state
    assert s.thetas[0][0, 0] == 3.5 and s.names[0] == "custom"
    assert panel.controls["preset"].value == "custom"
    check_position(panel)
    panel.controls["theta_0_0"].value = -1.0  # the vertical edge again
    assert s.names[0] == "vertical edge" and panel.controls["preset"].value == "vertical edge"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e6])
def test_bad_theta_entries_are_refused_and_restored(panel, bad):
    before = np.array(panel.state.thetas[0])
    panel.controls["theta_1_2"].value = bad
    text, level = panel.last_message
    assert level == "error" and "θ1[2,3] must be a number from -100 to 100" in text
    assert f"got {bad:g}; the previous value is kept" in text
    assert panel.controls["theta_1_2"].value == before[1, 2]
    np.testing.assert_array_equal(panel.state.thetas[0], before)
    assert panel.step(3) == 3
    check_position(panel)


def test_a_cell_outside_the_filter_is_refused_in_words(panel):
    panel.controls["k"].value = 3  # the fourth row and column of cells are hidden
    before = np.array(panel.state.thetas[0])
    panel.controls["theta_2_3"].value = 1.0  # as a visitor's message to the hidden cell can
    text, level = panel.last_message
    assert level == "error" and "θ1[3,4] is outside the 3 × 3 filter; nothing was changed" in text
    np.testing.assert_array_equal(panel.state.thetas[0], before)


def test_a_non_number_is_refused_by_the_state():
    s = ConvolutionState()
    with pytest.raises(traitlets.TraitError, match="θ1\\[1,1\\] must be a number, got 'abc'"):
        s.set_entry(0, 0, "abc")


def test_three_filters_give_three_maps_and_the_current_one_is_edited(panel):
    c = panel.controls
    c["n_filters"].value = 3
    assert [ax.get_visible() for ax in panel.ax_maps] == [True, True, True]
    c["current"].value = 1
    assert panel.ax_th.get_title() == "θ2: horizontal edge"
    assert c["preset"].value == "horizontal edge"
    c["preset"].value = "sharpen"
    assert panel.state.names == ("vertical edge", "sharpen", "blur")
    c["theta_0_0"].value = 2.0
    assert panel.state.thetas[1][0, 0] == 2.0 and panel.state.thetas[0][0, 0] == -1.0
    c["position"].value = 40
    check_position(panel)
    assert [ax.get_title() for ax in panel.ax_maps] == ["1: vertical edge", "2: custom", "3: blur"]
    assert panel.ax_maps[1].spines["top"].get_edgecolor()[:3] != panel.ax_maps[0].spines[
        "top"].get_edgecolor()[:3]
    c["current"].value = 2
    c["n_filters"].value = 2  # the edited filter is dropped: the last one left is edited
    assert panel.state.current == 1 and c["current"].value == 1
    assert [ax.get_visible() for ax in panel.ax_maps] == [True, True, False]
    assert not panel.cells[2].get_visible() and not panel.maps[2].get_visible()
    check_position(panel)


# Stride, padding, kernel size -----------------------------------------------------------------

@pytest.mark.parametrize("k, stride, padding", [(4, 1, 0), (3, 2, 1), (4, 3, 3), (3, 4, 2)])
def test_stride_padding_and_the_size_formula(panel, k, stride, padding):
    c = panel.controls
    c["k"].value, c["stride"].value, c["padding"].value = k, stride, padding
    n = conv.output_size(16, k, stride, padding)
    assert panel.state.setup.shape == (n, n)
    formula = f"⌊(16 + 2·{padding} − {k})/{stride}⌋ + 1 = {n}"
    assert formula in panel.facts.value and f"a {n} × {n} map, {n * n} windows" in panel.facts.value
    assert rf"\lfloor(16 + 2\cdot{padding} - {k})/{stride}\rfloor + 1 = {n}" in \
        panel.size_text.get_text()
    assert panel.ax_img.get_xlim() == (-padding - 0.5, 16 + padding - 0.5)
    assert panel.ax_maps[0].get_xlim() == (-0.5, n - 0.5)
    assert panel.outline.get_visible() == (padding > 0)
    for position in (0, n * n // 2, n * n - 1):
        panel.state.position = position
        check_position(panel)


def test_a_stride_that_skips_the_last_column_says_so(panel):
    panel.controls["stride"].value = 3  # 16 - 4 = 12 is a multiple of 3: nothing skipped
    assert panel.last_message == ("", "info")
    panel.controls["stride"].value = 2 if panel.state.k == 3 else 4
    panel.controls["k"].value = 3  # 16 - 3 = 13: stride 4 leaves 1 row and column out
    assert ("never covers the last 1 row/column of the padded image: 16 + 2·0 − 3 = 13 is not a "
            "multiple of 4.") in panel.last_message[0]
    assert panel.last_message[1] == "info"


def test_at_the_end_a_new_geometry_stays_at_the_end(panel):
    panel.fill()
    panel.controls["stride"].value = 2
    assert panel.state.position == 48 and not np.isnan(shown(panel)).any()
    panel.state.position = 10
    panel.controls["padding"].value = 3
    assert panel.state.position == 10


def test_k_changes_presets_and_resizes_custom_thetas(panel):
    panel.controls["theta_3_3"].value = 9.0
    panel.controls["k"].value = 3
    assert panel.state.thetas[0].shape == (3, 3) and panel.state.names[0] == "custom"
    assert "custom θ1 was cut to 3 × 3." in panel.last_message[0]
    assert panel.controls["theta_3_3"].layout.display == "none"
    assert panel.controls["theta_2_2"].layout.display is None
    assert panel.grid.layout.grid_template_columns == "repeat(3, 58px)"
    panel.controls["k"].value = 4
    assert panel.state.thetas[0][3, 3] == 0.0 and "grown with zeros" in panel.last_message[0]
    check_position(panel)


@pytest.mark.parametrize("control, value, words", [
    ("stride", 0, "the stride s must be 1 to 4 pixels, got 0"),
    ("stride", 9, "the stride s must be 1 to 4 pixels, got 9"),
    ("padding", -1, "the padding p must be 0 to 3 pixels, got -1"),
    ("padding", 7, "the padding p must be 0 to 3 pixels, got 7"),
])
def test_values_past_the_sliders_are_refused_in_words(panel, control, value, words):
    before = getattr(panel.state, control)
    panel.controls[control].value = value  # what a visitor can send over the websocket
    assert panel.last_message == (words, "error")
    assert panel.controls[control].value == before == getattr(panel.state, control)
    assert panel.step(2) == 2
    check_position(panel)


@pytest.mark.parametrize("trait, value, words", [
    ("k", 5, "the kernel size k must be 3 or 4"),
    ("n_filters", 0, "the number of filters must be 1 to 3, got 0"),
    ("n_filters", 4, "the number of filters must be 1 to 3, got 4"),
    ("current", 1, "the current filter must be 1 to 1"),
    ("image", "cat", "unknown image 'cat'; choose one of: soccer ball"),
    ("names", ("blur",), "names must be 3 of"),
])
def test_the_state_refuses_visitor_values(trait, value, words):
    with pytest.raises(traitlets.TraitError, match=words):
        setattr(ConvolutionState(), trait, value)


def test_a_kernel_larger_than_the_padded_image_gives_no_output(panel):
    s = panel.state
    with pytest.raises(traitlets.TraitError, match="larger than the padded image"):
        s.set_image(np.zeros((3, 3)), "tiny")  # 3 + 2·0 < 4
    for bad, words in [(np.full((5, 5), 2.0), "values must be numbers from 0 to 1"),
                       (np.zeros((5, 5, 2)), r"shape \(H, W\) or \(H, W, 3\)"),
                       (np.zeros((5, 5)), "'letter F' is a built-in image")]:
        with pytest.raises(traitlets.TraitError, match=words):
            s.set_image(bad, "letter F" if "built-in" in words else "bad")
    assert "bad" not in panel.controls["image"].options
    panel.controls["padding"].value = 1
    s.set_image(np.full((3, 3), 0.5), "tiny")
    assert panel.controls["image"].value == "tiny" and s.setup.shape == (2, 2)
    check_position(panel)
    panel.controls["padding"].value = 0
    text, level = panel.last_message
    assert level == "error" and text.startswith("Padding p = 0 gives no output: the 4 × 4 kernel")
    assert "use padding ≥ 1 or a smaller kernel" in text and "previous value is kept" in text
    assert s.padding == 1 and panel.controls["padding"].value == 1
    panel.controls["k"].value = 3
    panel.controls["padding"].value = 0  # a 3 x 3 kernel fits: one window
    assert s.setup.shape == (1, 1) and panel.controls["position"].disabled
    check_position(panel)
    panel.controls["k"].value = 4
    assert panel.last_message[1] == "error" and "k = 4 gives no output" in panel.last_message[0]
    assert s.k == 3 and panel.controls["k"].value == 3


# Images ------------------------------------------------------------------------------------------

def test_grayscale_image_and_its_flattened_length(panel):
    assert "this 16 × 16 image flattens to 256 numbers" in panel.facts.value
    assert "64 · 64 · 3 = 12,288" in panel.facts.value
    assert panel.ax_img.get_title() == "image x: 16 × 16 = 256 numbers"
    assert not any(ax.get_visible() for ax in panel.ax_ch)
    np.testing.assert_array_equal(panel.image.get_array(), IMAGES["soccer ball"])
    w = panel.state.window()
    assert [t.get_text() for t in panel.xw.texts[0]] == [f"{v:.2f}" for v in w.x[0]]


def test_colour_image_shows_three_channels_and_sums_over_them(panel):
    panel.controls["image"].value = "colour disc"
    panel.controls["padding"].value = 1
    x = IMAGES["colour disc"]
    assert "this 16 × 16 × 3 image flattens to 768 numbers" in panel.facts.value
    assert all(ax.get_visible() for ax in panel.ax_ch)
    for c in range(3):
        np.testing.assert_array_equal(panel.channels[c].get_array(), np.pad(x[..., c], 1))
    panel.controls["position"].value = 100
    check_position(panel)
    w = panel.state.window()
    assert r"x^R = \begin{bmatrix}" in panel.formula.value
    assert " & ".join(f"{v:.2f}" for v in w.x[0, :, 1]) in panel.formula.value  # G, first row
    assert all(r.get_xy() == panel.rects[0].get_xy() for r in panel.rects[1:])
    panel.controls["image"].value = "letter F"
    assert not any(ax.get_visible() for ax in panel.ax_ch)
    assert not any(r.get_visible() for r in panel.rects[1:])


# Reset and pixels -------------------------------------------------------------------------------

def test_reset_restores_everything(panel):
    c = panel.controls
    c["image"].value = "checkerboard"
    c["k"].value = 3
    c["stride"].value, c["padding"].value = 2, 2
    c["n_filters"].value = 3
    c["current"].value = 2
    c["theta_0_0"].value = 7.0
    c["position"].value = 20
    c["reset"].click()
    s = panel.state
    assert (s.image, s.k, s.stride, s.padding, s.n_filters, s.current, s.position) == (
        "soccer ball", 4, 1, 0, 1, 0, 0)
    assert s.names == ("vertical edge", "horizontal edge", "blur")
    assert (c["image"].value, c["k"].value, c["padding"].value, c["current"].options) == (
        "soccer ball", 4, 0, (("θ1", 0),))
    assert panel.last_message == ("", "info")
    check_position(panel)


def test_the_figure_has_pixels_of_every_part(panel):
    panel.controls["n_filters"].value = 2
    panel.fill()
    buffer = panel.live.render()[0]
    assert len(np.unique(np.ascontiguousarray(buffer).view(np.uint32))) > 50
    H, W = buffer.shape[:2]
    for box in (panel.ax_img, panel.ax_pr, panel.ax_maps[1]):
        x0, y0, x1, y1 = box.get_window_extent().extents.astype(int)
        patch = buffer[H - y1 : H - y0, x0:x1, :3]
        assert patch.std() > 10  # not blank


# Drawing helpers ----------------------------------------------------------------------------------

def test_num_formats_for_small_cells():
    assert [cp.num(v) for v in (0.0, -0.0001, 0.45, -0.9, 1 / 9, 12.345, -1234.0)] == [
        "0", "0", "0.45", "−0.9", "0.111", "12.3", "−1234"]


def test_visited_blanks_what_comes_after_the_position():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(cp.visited(a, 3), [[0, 1, 2], [3, np.nan, np.nan]])
    assert not np.isnan(a).any()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_map_slots_stay_in_their_box(n):
    box = (0.7, 0.18, 0.29, 0.71)
    slots = cp.map_slots(n, box, 0.46)
    assert len(slots) == n
    for x, y, w, h in slots:
        assert box[0] - 1e-9 <= x and x + w <= box[0] + box[2] + 1e-9
        assert box[1] - 1e-9 <= y and y + h <= box[1] + box[3] + 1e-9


def test_skipped_rows_and_columns_are_counted():
    assert skipped_notes(16, 16, 4, 3, 0) == []
    assert skipped_notes(16, 16, 3, 4, 0)[0].startswith("With stride 4 the window never covers "
                                                        "the last 1 row/column")
    notes = skipped_notes(9, 8, 3, 4, 0)  # 9 - 3 = 6 leaves 2 rows; 8 - 3 = 5 leaves 1 column
    assert ["the last 2 rows of" in notes[0], "the last 1 column of" in notes[1]] == [True, True]


def test_map_colours_gray_for_non_negative_maps():
    assert cp.map_colours(np.array([[0.0, 0.5]]))[0] is cp.GRAY
    cmap, clim = cp.map_colours(np.array([[-2.0, 1.0]]))
    assert cmap is cp.DIVERGING and clim == (-2.0, 2.0)


def test_grid_numbers_are_drawn_in_their_own_colour_and_place():
    """The grids' numbers are FastTexts that share one rendering per look: the same string in
    another colour is rendered again, and each is pasted at its own cell."""
    fig = Figure(figsize=(2, 1), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    grid = cp.number_grid(ax, size=2)
    cp.set_grid(grid, np.array([[0.95, 0.05], [0.95, 0.95]]), cp.GRAY, (0, 1),
                labels=np.array([["0.95", "0.95"], ["0.95", "0.95"]]))
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    ink = rgb.max(axis=-1) - rgb.min(axis=-1) < 8  # greys only: the image and its numbers
    cells = {(r, c): rgb[50 * r : 50 * r + 50, 100 * c : 100 * c + 100, 0] for r in (0, 1)
             for c in (0, 1)}
    assert ink.all()
    assert cells[0, 1].max() > 200 and cells[0, 1].min() < 60  # white on black
    assert cells[0, 0].min() < 60 and cells[1, 1].min() < 60  # black on light grey
    assert np.array_equal(cells[0, 0], cells[1, 0])  # the same number, pasted in its own cell
