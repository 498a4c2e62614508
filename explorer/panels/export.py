"""Export for slides: every panel saves its figure as PNG (at a chosen resolution) or SVG, and any export
a panel adds (the backprop trace's tables, the training run's animation) sits in the same place.

An export's `make(scale)` returns its bytes, or, for a long one, a generator that yields its progress
(0..1) and returns the bytes: in a running kernel that generator is driven by a task that yields to the
kernel between steps, so the panel stays responsive and the progress bar moves while it renders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from dataclasses import dataclass

import ipywidgets as widgets

from explorer.live.download import Downloader

Job = Generator[float, None, bytes]
RESOLUTIONS = {"1x (100 dpi)": 1.0, "2x (200 dpi)": 2.0, "3x (300 dpi, print)": 3.0}


@dataclass(frozen=True)
class Export:
    """A thing a panel can save: its menu label, file name, MIME type and how to make its bytes."""

    label: str
    filename: str
    mime: str
    make: Callable[[float], bytes | Job]  # resolution scale -> bytes, or a job yielding progress


def figure_exports(live, name: str) -> list[Export]:
    """The figure as PNG and as SVG."""
    return [
        Export("figure as PNG", f"{name}.png", "image/png", lambda scale: live.export("png", scale)),
        Export("figure as SVG", f"{name}.svg", "image/svg+xml", lambda scale: live.export("svg")),
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
        self.task: asyncio.Task | None = None
        self.button.on_click(guard(lambda _: self.save()))
        self.widget = widgets.HBox([self.what, self.resolution, self.button, self.progress,
                                    self.downloader])
        self.widget.add_class("nnx-export")

    def make(self, label: str) -> bytes:
        """The bytes of export `label` at the chosen resolution, made now."""
        job = self._start(label)
        try:
            while True:
                self._progress(next(job))
        except StopIteration as done:
            return done.value
        finally:
            self._stop()

    def save(self) -> None:
        """Make the chosen export and hand it to the browser as a download: at once, or in a task
        that yields to the kernel between steps where a kernel's event loop runs."""
        if self.task is not None and not self.task.done():
            self.say("still saving the last export: wait for its progress bar to finish", "warning")
            return
        export = self.exports[self.what.value]
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._deliver(export, self.make(export.label))
            return
        self.task = loop.create_task(self._save_in_steps(export, self._start(export.label)))

    async def _save_in_steps(self, export: Export, job: Job) -> None:
        try:
            while True:
                self._progress(next(job))
                await asyncio.sleep(0)
        except StopIteration as done:
            self._deliver(export, done.value)
        except Exception as e:  # said in words; the panel keeps working
            self.say(f"could not save {export.filename}: {e}", "error")
        finally:
            self._stop()

    def _start(self, label: str) -> Job:
        if label not in self.exports:
            raise ValueError(f"unknown export {label!r}; choose one of: {', '.join(self.exports)}")
        scale = RESOLUTIONS.get(self.resolution.value, 2.0)
        self.progress.value, self.progress.layout.visibility = 0.0, "visible"
        self.button.disabled = True
        try:
            made = self.exports[label].make(scale)
        except Exception:
            self._stop()
            raise
        return _as_job(made) if isinstance(made, bytes) else made

    def _stop(self) -> None:
        self.progress.layout.visibility = "hidden"
        self.button.disabled = False

    def _deliver(self, export: Export, data: bytes) -> None:
        self.downloader.save(export.filename, export.mime, data)
        self.say(f"saved {export.filename} ({len(data) / 1024:,.0f} KB)", "info")

    def _progress(self, fraction: float) -> None:
        self.progress.value = min(max(float(fraction), 0.0), 1.0)


def _as_job(data: bytes) -> Job:
    yield 1.0
    return data
