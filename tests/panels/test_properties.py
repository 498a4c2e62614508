"""Property tests: a visitor drives every control of every panel as the websocket allows (any value,
past a slider's ends, of the wrong type, NaN and inf, a slider's own min, max and step, clicks on
disabled buttons), then presses reset. After every message: no exception escapes and no guarded
callback hit a bug; every state trait passes its own validator; every bound control shows its
trait; the main artists show the state; no 'nan' or 'inf' is drawn or written unless the message
line says why. After the sequence: the figure renders and reset restores what the panel documents.

Set NNX_HYPOTHESIS=explore for a long randomised run (200 examples a panel).
"""

from __future__ import annotations

import logging
import math
import os
import re
import traceback

import ipywidgets as widgets
import numpy as np
import pytest
import traitlets
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from matplotlib.lines import Line2D
from matplotlib.text import Text

settings.register_profile(
    "panels", max_examples=20, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure lists its messages
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large])
settings.register_profile("explore", parent=settings.get_profile("panels"), max_examples=200,
                          derandomize=False, phases=list(Phase))
PROFILE = settings.get_profile(os.environ.get("NNX_HYPOTHESIS", "panels"))

NAN_WORD = re.compile(r"\b(nan|-?inf)\b", re.IGNORECASE)
JUNK = st.one_of(st.none(), st.booleans(), st.text(max_size=4), st.sampled_from(
    [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0, -1, 2**63, "1e9", [1, 2], {}]))


# ---- the visitor ---------------------------------------------------------------------------------

class BugCatcher(logging.Handler):
    """Collects the tracebacks the panels' guard logs (a bug it caught and showed)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture
def bugs():
    catcher = BugCatcher()
    logger = logging.getLogger("explorer")
    logger.addHandler(catcher)
    yield catcher
    logger.removeHandler(catcher)


def send(widget: widgets.Widget, **state) -> None:
    """What a visitor's websocket message does: set_state with JSON values. A value the widget's
    own traits refuse raises TraitError (ipywidgets logs it; the kernel lives); a TraitError from
    an observer of the change (the panel) is a bug and is raised."""
    try:
        widget.set_state(state)
    except traitlets.TraitError as e:
        frames = [f.name for f in traceback.extract_tb(e.__traceback__)]
        if "_notify_observers" in frames:
            raise


def click(button: widgets.Button) -> None:
    """A click message, as the browser sends it (also for a disabled button)."""
    button._handle_button_msg(None, {"event": "click"}, [])


def around(lo: float, hi: float, whole: bool = False):
    """Values in [lo, hi] mostly, sometimes a little or far past either end."""
    lo, hi = max(lo, -1e300), min(hi, 1e300)  # a visitor may have set a bound near 1e308
    span = max(hi - lo, 1.0)
    if whole:
        inside = st.integers(int(math.ceil(lo)), int(math.floor(hi)))
        past = st.integers(int(lo - span), int(hi + span))
    else:
        inside = st.floats(lo, hi)
        past = st.floats(lo - span, hi + span)
    return st.one_of(inside, inside, inside, past, JUNK)


def action(panel, skip=(), cheap=None):
    """A strategy of one visitor message to a control of `panel`, as (description, thunk)."""
    cheap = cheap or {}
    options = []
    for name, control in panel.controls.items():
        if name in skip:
            continue
        options.append(_messages(name, control, cheap.get(name)))
    return st.one_of(options)


def _messages(name: str, c: widgets.Widget, cheap):
    def msg(**state):
        return (f"{name} <- {state}", lambda: send(c, **state))

    if isinstance(c, widgets.Button):
        return st.just((f"click {name}", lambda: click(c)))
    if isinstance(c, widgets.Play):
        return st.one_of(st.integers(-2, 60).map(lambda v: msg(value=v)),
                         st.booleans().map(lambda v: msg(playing=v)))
    if hasattr(c, "boxes"):  # the activation panel's function picker: one checkbox per name
        return st.tuples(st.sampled_from(sorted(c.boxes)), st.one_of(st.booleans(), JUNK)).map(
            lambda nv: (f"{name}[{nv[0]}] <- {nv[1]!r}", lambda: send(c.boxes[nv[0]], value=nv[1])))
    if isinstance(c, (widgets.Dropdown, widgets.ToggleButtons)):
        values = [v for _, v in c._options_full] if hasattr(c, "_options_full") else list(c.options)
        n = len(values)
        return st.one_of(st.sampled_from(values).map(lambda v: msg(value=v)),
                         st.integers(-1, n + 1).map(lambda i: msg(index=i)),
                         JUNK.map(lambda v: msg(value=v)))
    if isinstance(c, (widgets.Checkbox, widgets.ToggleButton)):
        return st.one_of(st.booleans(), JUNK).map(lambda v: msg(value=v))
    if isinstance(c, widgets.Text):
        typed = st.lists(st.floats(-12, 12, allow_nan=False).map(lambda v: f"{v:.3g}"),
                         min_size=0, max_size=4).map(", ".join)
        return st.one_of(typed, st.text(max_size=8)).map(lambda v: msg(value=v))
    if isinstance(c, (widgets.FloatRangeSlider, widgets.IntRangeSlider)):
        ends = around(c.min, c.max)
        return st.one_of(st.tuples(ends, ends).map(lambda v: msg(value=list(v))),
                         JUNK.map(lambda v: msg(value=v)),
                         st.tuples(st.sampled_from(["min", "max", "step"]), around(c.min, c.max))
                         .map(lambda kv: msg(**{kv[0]: kv[1]})))
    whole = isinstance(c.value, int) and not isinstance(c.value, bool)
    if isinstance(c, widgets.FloatLogSlider):
        values = around(c.base ** c.min, c.base ** c.max)
    elif cheap is not None:
        values = around(*cheap, whole=whole)
    elif hasattr(c, "min") and hasattr(c, "max"):
        values = around(c.min, c.max, whole)
    else:  # a text box: around its value
        v = float(c.value)
        values = around(v - 5 - abs(v), v + 5 + abs(v), whole)
    if cheap is not None:
        return values.map(lambda v: msg(value=v))
    props = []
    if isinstance(c, (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider)):
        lo, hi = c.min, c.max
        props = [st.tuples(st.sampled_from(["min", "max", "step"]), around(lo, hi, whole))
                 .map(lambda kv: msg(**{kv[0]: kv[1]}))]
    return st.one_of(values.map(lambda v: msg(value=v)), *props)


def run_session(panel, data, check, reset, *, skip=(), cheap=None, bugs, most=12) -> None:
    """Send a random sequence of messages; after each, the invariants; then render and reset."""
    log = []
    bugs.records.clear()  # the fixture lives across examples: each starts without a bug
    n = data.draw(st.integers(1, most), label="messages")
    for _ in range(n):
        what, thunk = data.draw(action(panel, skip, cheap), label="message")
        log.append(what)
        note(what)
        thunk()
        assert not bugs.records, f"a callback failed after {log}: {bugs.records[0].exc_text}"
        check_state(panel.state)
        check(panel)
        check_words(panel)
    for live in figures(panel):  # drawn at a low resolution: what matters is that it draws
        live.figure.set_dpi(40)
        live.render()
    reset(panel)
    assert not bugs.records, f"reset failed after {log}: {bugs.records[0].exc_text}"
    check_state(panel.state)
    check(panel)


# ---- invariants shared by every panel ------------------------------------------------------------

def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    try:
        return bool(a == b)
    except ValueError:  # tuples of arrays
        return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def check_state(state: traitlets.HasTraits) -> None:
    """Every trait's value passes its own validation (cross-validators too) unchanged."""
    for name, trait in state.traits().items():
        value = getattr(state, name)
        if value is None and getattr(trait, "allow_none", False):
            continue
        try:
            again = trait._validate(state, value)
        except traitlets.TraitError as e:
            raise AssertionError(f"{name} = {value!r} fails its validator: {e}") from None
        assert same(again, value), f"{name} = {value!r} validates to {again!r}"


def check_bound(panel, pairs: dict[str, str]) -> None:
    """Each control shows its state trait (unless a visitor moved a clamping slider's own min or
    max past the state's value: see test_a_slider_whose_min_a_visitor_moved_still_shows_the_...)."""
    for control, trait in pairs.items():
        c = panel.controls[control]
        shown, value = c.value, getattr(panel.state, trait)
        if outside(c, value):
            continue
        assert same(shown, value), f"control {control} shows {shown!r}, state {trait} = {value!r}"


def outside(c: widgets.Widget, value) -> bool:
    """True if `value` lies outside the range of a slider that clamps to it."""
    if isinstance(c, widgets.FloatLogSlider):
        lo, hi = c.base ** c.min, c.base ** c.max
    elif isinstance(c, (widgets.FloatSlider, widgets.IntSlider)):
        lo, hi = c.min, c.max
    else:
        return False
    return isinstance(value, (int, float)) and not lo <= value <= hi


def examples(n: int) -> settings:
    """The profile with n examples (the explore profile keeps its own number)."""
    return settings(PROFILE, max_examples=n if PROFILE.max_examples < 100 else PROFILE.max_examples)


def figures(panel) -> list:
    return [v for v in vars(panel).values() if hasattr(v, "render") and hasattr(v, "figure")]


def texts(panel) -> list[str]:
    """Every text a student reads: figure texts and the HTML widgets of the panel."""
    out = []
    for live in figures(panel):
        fig = live.figure
        found = [*fig.texts, *(t for ax in fig.axes if ax.get_visible()
                              for t in (*ax.texts, ax.title, ax.xaxis.label, ax.yaxis.label))]
        found += [a for a in live._animated if isinstance(a, Text)]
        out += [t.get_text() for t in found if t.get_visible()]
    for v in vars(panel).values():
        shown = isinstance(v, (widgets.HTML, widgets.HTMLMath, widgets.Label))
        if shown and v is not panel.message:
            out.append(v.value)
    return out


def check_words(panel) -> None:
    """No 'nan' or 'inf' is shown unless the message line explains (a warning or an error)."""
    text, level = panel.last_message
    if text and level in ("warning", "error"):
        return
    for t in texts(panel):
        assert not NAN_WORD.search(t), f"{t!r} is shown without a message saying why"
    assert not NAN_WORD.search(text), f"the message {text!r} shows a non-number"


def xy(line: Line2D) -> np.ndarray:
    return np.column_stack([np.asarray(line.get_xdata(), float),
                            np.asarray(line.get_ydata(), float)])


def close(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-12, atol=0)


# ---- activations ---------------------------------------------------------------------------------

def check_activations(p) -> None:
    from explorer.panels.activations_state import NAMES

    s = p.state
    check_bound(p, {n: n for n in ("show_derivative", "z_probe", "alpha", "A", "S", "sigma")})
    assert p.controls["z_range"].value == (s.z_min, s.z_max)
    assert p.controls["functions"].value == s.functions
    assert s.z_min < s.z_max and s.z_min <= s.z_probe <= s.z_max
    z = s.grid()
    for name in NAMES:
        on = name in s.functions
        assert p.lines_g[name].get_visible() == on
        assert p.lines_d[name].get_visible() == (on and s.show_derivative)
        if on:
            g = s.activation(name)
            close(p.lines_g[name].get_ydata(), g.f(z))
            close(p.lines_d[name].get_ydata(), g.df(z))
    assert list(p.probe_g[0].get_xdata()) == [s.z_probe] * 2
    if s.functions:
        assert p.controls["hist_function"].value == s.hist_function
        counts, edges, _ = s.histogram()
        close(p.stairs.get_data().values, counts)


def reset_activations(p) -> None:
    from explorer.panels.activations_state import ActivationState

    click(p.controls["reset"])
    fresh = ActivationState()
    for name in fresh.trait_names():
        assert same(getattr(p.state, name), getattr(fresh, name)), name


@given(data=st.data())
@examples(15)
def test_activation_panel(data, bugs):
    from explorer.panels.activations import ActivationPanel

    run_session(ActivationPanel(), data, check_activations, reset_activations, bugs=bugs)


# ---- perceptron ----------------------------------------------------------------------------------

def check_perceptron(p) -> None:
    from explorer.core import perceptron as P
    from explorer.panels.perceptron_state import BOX

    s = p.state
    check_bound(p, {"gate": "gate", "encoding": "encoding", "two_layer": "show_two_layer",
                    "w1": "w1", "w2": "w2", "b": "b", "lr": "lr"})
    assert 0 <= s.steps <= s.max_steps
    X, t = s.data()
    close(p.a["points"][0].get_offsets(), X[t <= 0].reshape(-1, 2))
    close(p.a["points"][1].get_offsets(), X[t > 0].reshape(-1, 2))
    close(p.a["hist"].get_ydata(), s.mistakes_per_epoch())
    if not (s.show_two_layer and s.gate == "XOR"):
        w, b = s.weights()
        box = BOX[s.encoding]
        segment = P.decision_line(w, b, box, box)
        close(xy(p.a["line"]), np.empty((0, 2)) if segment is None else segment)
        wrong = P.predict(X, w, b, s.encoding) != t
        close(p.a["mistakes"].get_offsets(), X[wrong].reshape(-1, 2))


def reset_perceptron(p) -> None:
    """reset: back to the start weights (the sliders), step 0; the settings stay."""
    click(p.controls["reset"])
    s = p.state
    assert s.steps == 0 and not p.controls["play"].playing
    w, b = s.weights()
    assert tuple(w) == (s.w1, s.w2) and b == s.b


@given(data=st.data())
@PROFILE
def test_perceptron_panel(data, bugs):
    from explorer.panels.perceptron import PerceptronPanel

    run_session(PerceptronPanel(), data, check_perceptron, reset_perceptron, bugs=bugs)


# ---- training ------------------------------------------------------------------------------------

TRAINING_CHEAP = {"points": (10, 120), "units1": (1, 6), "units2": (1, 6), "units3": (1, 6),
                  "units4": (1, 6), "batch_size": (1, 40), "budget": (0, 30)}


def check_training(p) -> None:
    from explorer.panels.training import CONTROLS

    s = p.state
    check_bound(p, {name: name for rows in CONTROLS.values() for name, _, _ in rows})
    assert p.controls["unit"].value == s.unit
    assert s.net.sizes == s.sizes
    c = s.curve
    close(p.plots.train_loss.get_ydata(), c["train_loss"])
    close(p.plots.train_loss.get_xdata(), c["epoch"])
    assert p.plots.banner.get_visible() == s.diverged
    if s.trainer.stopped and s.diverged:
        assert "diverged" in p.last_message[0] or "diverged" in p.plots.banner.get_text()


def reset_training(p) -> None:
    """reset: the same initial weights again, epoch 0, the settings kept."""
    from explorer.core.mlp import MLP
    from explorer.panels.training_state import OUTPUTS

    click(p.controls["reset"])
    s = p.state
    assert s.trainer.epoch == 0 and s.trainer.updates == 0 and not s.diverged
    g, loss = OUTPUTS[s.output]
    fresh = MLP(s.sizes, s.activation, g, loss, s.init, seed=s.init_seed)
    for W, W0 in zip(s.net.W, fresh.W, strict=True):
        np.testing.assert_array_equal(W, W0)


@given(data=st.data())
@examples(12)
def test_training_panel(data, bugs):
    from explorer.panels.training import TrainingPanel

    panel = TrainingPanel(points=60)
    run_session(panel, data, check_training, reset_training, cheap=TRAINING_CHEAP, bugs=bugs)


# ---- descent -------------------------------------------------------------------------------------

def check_descent(p) -> None:
    from explorer.panels.descent_state import MAX_STEPS, NAMES
    from explorer.plots import surface as S

    s = p.state
    check_bound(p, {"lr": "lr", "w0": "w0", "w1": "w1", "n": "n", "noise": "noise",
                    "seed": "seed", "batch_size": "batch_size", "batch": "show_batch",
                    "stochastic": "show_stochastic", "minibatch": "show_minibatch"})
    assert 0 <= s.steps <= MAX_STEPS
    close(xy(p.start_marker)[0], s.start)
    for m in NAMES:
        run = s.run(m) if getattr(s, f"show_{m}") else None
        assert p.paths[m].get_visible() == (run is not None)
        if run is None:
            continue
        expected = Line2D([], [])
        S.set_path(expected, run.path, p.ax.get_xlim(), p.ax.get_ylim())
        close(xy(p.paths[m]), xy(expected))
        close(p.curves[m].get_ydata(), run.errors)


def reset_descent(p) -> None:
    """reset: step 0 from the start; data, start and learning rate stay."""
    click(p.controls["reset"])
    assert p.state.steps == 0 and not p.controls["play"].playing
    for run in p._runs().values():
        assert len(run.path) == 1


@given(data=st.data())
@examples(12)
def test_descent_panel(data, bugs):
    from explorer.panels.descent import DescentPanel

    run_session(DescentPanel(), data, check_descent, reset_descent, bugs=bugs)


# ---- backprop ------------------------------------------------------------------------------------

BACKPROP_CHEAP = {"n_updates": (1, 300)}


def check_backprop(p) -> None:
    from explorer.panels.backprop_state import FIELDS

    s = p.state
    check_bound(p, {**{f: f for f in FIELDS}, "update_biases": "update_biases", "step": "step",
                    "n_updates": "n_updates"})
    n = len(s.trace.steps)
    assert 1 <= s.step <= n
    assert p.caption.get_text().startswith(f"step {s.step}/{n}")
    close(p.error_line.get_ydata(), s.history)
    assert all(math.isfinite(st_.value) for st_ in s.trace.steps), "the trace holds a non-number"


def reset_backprop(p) -> None:
    from explorer.core.backprop import Example

    click(p.controls["reset"])
    s = p.state
    assert s.example == Example.lecture() and s.step == 1 and len(s.history) == 1


@given(data=st.data())
@PROFILE
def test_backprop_panel(data, bugs):
    from explorer.panels.backprop import BackpropPanel

    run_session(BackpropPanel(), data, check_backprop, reset_backprop, cheap=BACKPROP_CHEAP,
                bugs=bugs)


# ---- graph ---------------------------------------------------------------------------------------

def check_graph(p) -> None:
    from explorer.core.graph import LATEX
    from explorer.panels.graph import PARAMS, num

    s = p.state
    check_bound(p, {**{q: q for q in (*PARAMS, "target")}, "sigmoid": "sigmoid", "loss": "loss",
                    "step": "step"})
    assert 1 <= s.step <= s.n_steps
    assert p.caption.get_text().startswith(f"step {s.step} of {s.n_steps}")
    node = s.graph.node("x")
    assert p.diagram.values["x"].get_text() == f"${LATEX['x']}$ = {num(node.value)}"
    for n in s.graph.nodes:
        assert math.isfinite(n.value) and math.isfinite(n.grad), f"{n.name} is not finite"


def reset_graph(p) -> None:
    from explorer.panels.graph import LECTURE

    click(p.controls["reset"])
    s = p.state
    assert {q: getattr(s, q) for q in LECTURE} == LECTURE
    assert (s.sigmoid, s.loss, s.target, s.step) == (False, False, 1.0, 1)


@given(data=st.data())
@PROFILE
def test_graph_panel(data, bugs):
    from explorer.panels.graph import GraphPanel

    run_session(GraphPanel(), data, check_graph, reset_graph, bugs=bugs)


# ---- convolution ---------------------------------------------------------------------------------

def check_convolution(p) -> None:
    from explorer.plots import conv_plots as cp

    s, setup = p.state, p.state.setup
    check_bound(p, {"k": "k", "stride": "stride", "padding": "padding", "n_filters": "n_filters",
                    "position": "position", "image": "image", "current": "current"})
    assert 0 <= s.position < setup.positions and 0 <= s.current < s.n_filters
    for n in range(s.n_filters):
        assert p.maps[n].get_visible()
        close(p.maps[n].get_array().filled(np.nan), cp.visited(setup.maps[n], s.position))
    assert p.sum_text.get_text().endswith(cp.num(s.window().a))
    theta = s.thetas[s.current]
    for r in range(s.k):
        for c in range(s.k):
            assert p.controls[f"theta_{r}_{c}"].value == theta[r, c]


def reset_convolution(p) -> None:
    from explorer.panels.convolution_state import DEFAULT_NAMES, DEFAULTS

    click(p.controls["reset"])
    s = p.state
    assert {k: getattr(s, k) for k in DEFAULTS} == DEFAULTS and s.names == DEFAULT_NAMES


@given(data=st.data())
@PROFILE
def test_convolution_panel(data, bugs):
    from explorer.panels.convolution import ConvolutionPanel

    run_session(ConvolutionPanel(), data, check_convolution, reset_convolution, bugs=bugs)


# ---- initialization ------------------------------------------------------------------------------

INIT_CHEAP = {"points": (20, 60), "width": (4, 8), "depth": (1, 3), "epochs": (10, 30)}


def check_initialization(p) -> None:
    from explorer.panels.initialization_state import STARTS, label

    s = p.state
    check_bound(p, {n: n for n in ("data", "points", "seed", "depth", "width", "hidden", "lr",
                                   "sigma", "epochs")})
    for start in STARTS:
        h = s.runs[start].trainer.history
        close(p.loss_lines[start].get_ydata(), h["train_loss"])
        assert p.heads[start].get_text() == label(start, s.sigma)
        assert s.runs[start].net.sizes == s.sizes


def reset_initialization(p) -> None:
    click(p.controls["reset"])
    assert p.state.trained == 0


@given(data=st.data())
@examples(8)
def test_initialization_panel(data, bugs):
    from explorer.panels.initialization import InitializationPanel
    from explorer.panels.initialization_state import InitState

    panel = InitializationPanel(InitState(points=40, width=6, depth=2, epochs=20))
    run_session(panel, data, check_initialization, reset_initialization, cheap=INIT_CHEAP,
                bugs=bugs)


# ---- found by the tests above --------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["convolution", "backprop"])
def test_a_slider_whose_min_a_visitor_moved_still_shows_the_state(kind):
    from explorer.panels.backprop import BackpropPanel
    from explorer.panels.convolution import ConvolutionPanel

    panel, name = (ConvolutionPanel(), "position") if kind == "convolution" else (
        BackpropPanel(), "step")
    control = panel.controls[name]
    send(control, min=3)
    click(panel.controls["reset"])
    assert getattr(panel.state, name) in (0, 1)
    assert control.value == getattr(panel.state, name)
