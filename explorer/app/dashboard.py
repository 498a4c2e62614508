"""The dashboard: every panel in the lectures' order, one tab each, built when first opened."""

from __future__ import annotations

import html
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anywidget
import ipywidgets as widgets
import traitlets

from explorer.app import links
from explorer.app.visitor import wait_for_visitor
from explorer.live.figure import with_png


@dataclass(frozen=True)
class Entry:
    """A panel of the dashboard: its link name, tab title, one-line lead and class ('module:Class')."""

    slug: str
    title: str
    lead: str
    target: str | Callable

    def build(self):
        if callable(self.target):
            return self.target()
        module, name = self.target.split(":")
        return getattr(importlib.import_module(module), name)()


PANELS = [
    Entry("activations", "Activations", "What an activation g does to the net input z, and where its "
          "gradient g'(z) vanishes.", "explorer.panels.activations:ActivationPanel"),
    Entry("perceptron", "Perceptron", "One threshold unit and its learning rule: AND and OR are learned, "
          "XOR never is, until a second layer is added.", "explorer.panels.perceptron:PerceptronPanel"),
    Entry("training", "Training", "Press Play and watch a network learn: the loss falls and the decision "
          "boundary bends.", "explorer.panels.training:TrainingPanel"),
    Entry("descent", "Gradient descent", "The error surface of a linear neuron, and what the learning rate "
          "and the batch size do to the path down it.", "explorer.panels.descent:DescentPanel"),
    Entry("backprop", "Backpropagation", "The lecture's 2-2-2 example, one chain-rule factor at a time, "
          "with every number.", "explorer.panels.backprop:BackpropPanel"),
    Entry("graph", "Computational graph", "Forward values left to right, gradients right to left: each a "
          "product of local derivatives.", "explorer.panels.graph:GraphPanel"),
    Entry("convolution", "Convolution", "A filter theta slides across an image: each output is the sum "
          "of theta times the pixels under it.", "explorer.panels.convolution:ConvolutionPanel"),
    Entry("initialization", "Initialization", "The same network from zeros, N(0, 0.1), Xavier, He and a "
          "too-large start: symmetry, shrinking and saturation.",
          "explorer.panels.initialization:InitializationPanel"),
]


class LinkBox(anywidget.AnyWidget):
    """The page's own address plus `query`, with a copy button (the kernel cannot see the address)."""

    _esm = Path(__file__).with_name("linkbox.js")
    query = traitlets.Unicode("").tag(sync=True)


class Dashboard:
    """All panels as tabs; `apply_query` opens the view a classroom link names."""

    def __init__(self, entries: list[Entry] | None = None):
        self.entries = {e.slug: e for e in (entries or PANELS)}
        self.panels: dict = {}
        self.defaults: dict[str, dict[str, str]] = {}
        self.notice = widgets.HTML()
        self.notice.add_class("nnx-notice")
        self.linkbox = LinkBox()
        share = widgets.Button(description="Link to this view", icon="link")
        share.on_click(lambda _: self.show_link())
        self.tab = widgets.Tab(
            children=[widgets.VBox() for _ in self.entries],
            titles=[e.title for e in self.entries.values()],
        )
        self.tab.observe(self._switched, "selected_index")
        title = widgets.HTML("<h2 style='margin:4px 0'>nn-explorer: how neural networks learn</h2>")
        self.widget = widgets.VBox([title, self.notice, self.tab, widgets.HBox([share]), self.linkbox])
        self.widget.add_class("nnx-dashboard")
        self.tab.selected_index = 0
        self.panel(self.slug)

    @property
    def slug(self) -> str:
        return list(self.entries)[self.tab.selected_index or 0]

    def panel(self, slug: str):
        """The panel named `slug`, built (and put in its tab) the first time it is asked for."""
        if slug not in self.panels:
            entry = self.entries[slug]
            panel = entry.build()
            self.panels[slug] = panel
            self.defaults[slug] = links.snapshot(panel.controls)
            lead = widgets.HTML(f"<p style='font-size:15px;margin:2px 0 6px'>{html.escape(entry.lead)}</p>")
            index = list(self.entries).index(slug)
            self.tab.children[index].children = (lead, panel.view)
        return self.panels[slug]

    def _switched(self, change) -> None:
        """Build the panel of the tab just opened; free the pixel caches of the one left (memory)."""
        left = list(self.entries)[change["old"]] if change["old"] is not None else None
        if left in self.panels:
            for live in self.panels[left].figures():
                live.rest()
        self.panel(self.slug)

    def warm(self) -> None:
        """Import every panel's module and draw the open panel's figures once at 1x and 2x (fonts,
        text and tick caches), so a visitor's first frame and first tabs come sooner; Voila's
        preheated kernels run this while they wait for a visitor."""
        for entry in self.entries.values():
            if isinstance(entry.target, str):
                importlib.import_module(entry.target.split(":")[0])
        for live in self.panel(self.slug).figures():
            dpi = live.figure.dpi
            for scale in (1, 2):
                live.figure.set_dpi(live.dpi * scale)
                live.render()
            live.figure.set_dpi(dpi)

    def apply_query(self, query: str) -> list[str]:
        """Open the view `query` names; report each unknown key or bad value in words, ignore it."""
        params = links.parse_query(query or "")
        problems = []
        slug = params.get("panel", self.slug)
        if slug not in self.entries:
            problems.append(f"panel '{slug}' does not exist; choose one of: {', '.join(self.entries)}")
            slug = self.slug
        self.tab.selected_index = list(self.entries).index(slug)
        panel = self.panel(slug)
        for key, text in params.items():
            if key in links.RESERVED:
                continue
            problems += self._set(panel, key, text)
        for name in filter(None, params.get("hide", "").split(",")):
            if name in panel.controls:
                panel.controls[name].layout.display = "none"
            else:
                problems.append(f"cannot hide '{name}': the {slug} panel has no such control")
        self._report(problems)
        return problems

    def _set(self, panel, key: str, text: str) -> list[str]:
        control = panel.controls.get(key)
        if control is None:
            return [f"unknown setting '{key}' for this panel; it has: {', '.join(panel.controls)}"]
        before = panel.last_message
        try:
            value = links.read_value(control, text)
            control.value = value
        except Exception as e:  # a bad value from a link must never stop the page
            return [f"{key}={text}: {e}"]
        if control.value != value:
            said = panel.last_message[0] if panel.last_message != before else "not allowed here"
            return [f"{key}={text}: {said}"]
        return []

    def show_link(self) -> str:
        """Show (and return) the query string of a link that opens the current view."""
        panel = self.panel(self.slug)
        self.linkbox.query = links.link_query(self.slug, panel.controls, self.defaults[self.slug])
        return self.linkbox.query

    def _report(self, problems: list[str]) -> None:
        if not problems:
            self.notice.value = ""
            return
        items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
        self.notice.value = (
            "<div style='color:#8a5a00;font-size:14px'>Some settings in this link were ignored:"
            f"<ul style='margin:2px 0'>{items}</ul></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return with_png(self.widget, self.panel(self.slug).live.png())


def preheated() -> bool:
    """Whether this kernel was started ahead of a visitor (Voila's preheated pool): only there is
    there time to spare for `Dashboard.warm`."""
    return os.environ.get("VOILA_PREHEAT") == "True"


def query_string() -> str:
    """The page's query string when served by Voila, else "". A kernel Voila starts for a request has
    it in its environment; a preheated one first waits for its visitor's request."""
    if preheated():
        wait_for_visitor()
    return os.environ.get("QUERY_STRING", "")
