"""Classroom links: query strings set controls, hide them, report what they cannot do, and round-trip."""

import ipywidgets as widgets
import pytest
import traitlets

from explorer.app import links
from explorer.app.dashboard import Dashboard, Entry
from explorer.live import LiveFigure
from explorer.panels.base import Panel


class State(traitlets.HasTraits):
    gate = traitlets.Unicode("AND")
    lr = traitlets.Float(0.1)
    steps = traitlets.Int(3)
    show = traitlets.Bool(False)
    funcs = traitlets.Tuple(("sigmoid",))

    @traitlets.validate("lr")
    def _lr(self, proposal):
        if not proposal["value"] > 0:
            raise traitlets.TraitError(f"the learning rate must be > 0, got {proposal['value']}")
        return proposal["value"]


class Toy(Panel):
    def __init__(self):
        super().__init__()
        self.state = State()
        self.bind("gate", widgets.Dropdown(options=["AND", "OR", "XOR"]), self.state, "gate")
        self.bind("lr", widgets.FloatText(), self.state, "lr")
        self.bind("steps", widgets.IntSlider(min=1, max=10), self.state, "steps")
        self.bind("show", widgets.Checkbox(), self.state, "show")
        self.bind("funcs", widgets.SelectMultiple(options=["sigmoid", "tanh", "relu"]), self.state, "funcs")
        self.controls["go"] = widgets.Button(description="go")
        self.live = LiveFigure(2, 1)
        self.widget = widgets.VBox([*self.controls.values(), self.live.widget, self.message])


@pytest.fixture
def app():
    return Dashboard([Entry("toy", "Toy", "a toy panel", Toy), Entry("other", "Other", "another", Toy)])


def test_a_link_sets_the_panel_and_its_controls(app):
    problems = app.apply_query("?panel=other&gate=xor&lr=0.5&steps=7&show=true&funcs=tanh,relu")
    assert problems == []
    assert app.slug == "other"
    state = app.panels["other"].state
    got = (state.gate, state.lr, state.steps, state.show, state.funcs)
    assert got == ("XOR", 0.5, 7, True, ("tanh", "relu"))


def test_hide_hides_the_named_controls(app):
    app.apply_query("panel=toy&gate=or&hide=gate,lr")
    controls = app.panels["toy"].controls
    assert controls["gate"].layout.display == "none" and controls["lr"].layout.display == "none"
    assert controls["steps"].layout.display != "none"


@pytest.mark.parametrize(
    "query, words",
    [
        ("panel=nope", "panel 'nope' does not exist"),
        ("colour=red", "unknown setting 'colour'"),
        ("gate=maybe", "'maybe' is not one of: AND, OR, XOR"),
        ("lr=fast", "'fast' is not a number"),
        ("lr=-1", "the learning rate must be > 0"),
        ("lr=nan", "NaN"),
        ("show=perhaps", "not true or false"),
        ("hide=wings", "cannot hide 'wings'"),
    ],
)
def test_bad_links_are_reported_in_words_and_ignored(app, query, words):
    problems = app.apply_query(query)
    assert any(words in p for p in problems), problems
    assert words.split("'")[0] in app.notice.value or "ignored" in app.notice.value
    assert app.panels[app.slug].state.lr == 0.1  # the state kept its value


def test_copy_link_round_trips(app):
    app.apply_query("panel=other&gate=XOR&steps=9")
    query = app.show_link()
    assert query == "?panel=other&gate=XOR&steps=9"
    fresh = Dashboard([Entry("toy", "Toy", "", Toy), Entry("other", "Other", "", Toy)])
    assert fresh.apply_query(query) == []
    assert fresh.panels["other"].state.steps == 9


def test_panels_are_built_when_first_opened(app):
    assert list(app.panels) == ["toy"]
    app.tab.selected_index = 1
    assert list(app.panels) == ["toy", "other"]


def test_read_value_covers_range_sliders():
    slider = widgets.FloatRangeSlider(min=-10, max=10, value=(-6, 6))
    assert links.read_value(slider, "-3,4") == (-3.0, 4.0)
    with pytest.raises(ValueError, match="range"):
        links.read_value(slider, "3")
