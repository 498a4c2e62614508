"""Export for slides: every panel saves its figure as PNG (at a chosen resolution) or SVG, and any export
a panel adds (the backprop trace's tables, the training run's animation) sits in the same place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets

from explorer.live.download import Downloader

Progress = Callable[[float], None]
RESOLUTIONS = {"1x (100 dpi)": 1.0, "2x (200 dpi)": 2.0, "3x (300 dpi, print)": 3.0}


@dataclass(frozen=True)
class Export:
    """A thing a panel can save: its menu label, file name, MIME type and how to make its bytes."""

    label: str
    filename: str
    mime: str
    make: Callable[[float, Progress], bytes]  # (resolution scale, progress callback) -> bytes


def figure_exports(live, name: str) -> list[Export]:
    """The figure as PNG and as SVG."""
    return [
        Export("figure as PNG", f"{name}.png", "image/png", lambda scale, _: live.export("png", scale)),
        Export("figure as SVG", f"{name}.svg", "image/svg+xml", lambda scale, _: live.export("svg")),
    ]


class ExportBar:
    """A row: what to save, the resolution, a Save button, and a progress bar for long exports."""

    def __init__(self, exports: list[Export], guard: Callable, say: Callable):
        self.exports = {e.label: e for e in exports}
        self.what = widgets.Dropdown(options=list(self.exports), description="save",
                                     layout=widgets.Layout(width="260px"))
        self.resolution = widgets.Dropdown(options=list(RESOLUTIONS), value="2x (200 dpi)",
                                           layout=widgets.Layout(width="170px"))
        self.button = widgets.Button(description="Save", icon="download", layout=widgets.Layout(width="90px"))
        self.progress = widgets.FloatProgress(min=0, max=1, layout=widgets.Layout(width="160px",
                                                                                    visibility="hidden"))
        self.downloader = Downloader()
        self.say = say
        self.button.on_click(guard(lambda _: self.save()))
        self.widget = widgets.HBox([self.what, self.resolution, self.button, self.progress,
                                    self.downloader])
        self.widget.add_class("nnx-export")

    def make(self, label: str) -> bytes:
        """The bytes of export `label` at the chosen resolution."""
        if label not in self.exports:
            raise ValueError(f"unknown export {label!r}; choose one of: {', '.join(self.exports)}")
        scale = RESOLUTIONS.get(self.resolution.value, 2.0)
        self.progress.value, self.progress.layout.visibility = 0.0, "visible"
        try:
            return self.exports[label].make(scale, self._progress)
        finally:
            self.progress.layout.visibility = "hidden"

    def save(self) -> None:
        """Make the chosen export and hand it to the browser as a download."""
        export = self.exports[self.what.value]
        data = self.make(export.label)
        self.downloader.save(export.filename, export.mime, data)
        self.say(f"saved {export.filename} ({len(data) / 1024:.0f} KB)", "info")

    def _progress(self, fraction: float) -> None:
        self.progress.value = min(max(float(fraction), 0.0), 1.0)
