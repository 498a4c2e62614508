"""Live training: press Play and watch a network learn, the loss fall and the boundary bend.

Play starts an asyncio task that makes a time-boxed chunk of updates, shows one frame and yields, so
the kernel keeps handling widget messages (Pause) between frames. Tests call `step(k)`, `epoch()`.
"""

from __future__ import annotations

import asyncio
import functools
import time

import ipywidgets as widgets
from threadpoolctl import ThreadpoolController

from explorer.core.activations import ACTIVATIONS
from explorer.core.datasets import DATASETS
from explorer.core.mlp import INITS
from explorer.core.optim import METHODS
from explorer.live import LiveFigure
from explorer.live.movie import FORMATS, ffmpeg
from explorer.panels.base import Panel
from explorer.panels.controls import LogSlider, Slider
from explorer.panels.export import Export
from explorer.panels.training_movie import plan, record
from explorer.panels.training_parts import run_lines, show_frame, show_view_settings
from explorer.panels.training_state import OUTPUTS, SEED_MAX, UNITS, TrainingState
from explorer.plots.training_view import HEIGHT, WIDTH, TrainingView

FRAME_TIME = 1 / 36  # seconds per frame while playing (aims above 30/s): updates fill what drawing leaves
BUDGET = (0.006, 0.025)  # the least and most seconds of updates per frame (6 ms: ~45 updates of 2-8-8-1)
DIAGRAM_EVERY = 3  # frames per update of the network diagram while playing (it costs the most)
PAUSE = 0.002  # seconds each frame yields to the kernel (Pause, sending the frame)
W = widgets.Layout
SHORT, WIDE = "220px", "300px"

# tab -> (control name = state trait, widget class, options); each control is bound to its trait
CONTROLS = {
    "Data": [
        ("data", widgets.Dropdown, dict(options=list(DATASETS), width=SHORT)),
        ("classes", widgets.Dropdown, dict(options=[2, 3], width="140px")),
        ("points", widgets.IntSlider, dict(min=10, max=1000, step=10, continuous_update=False)),
        ("noise", Slider, dict(min=0, max=1, step=0.01, continuous_update=False)),
        ("test_fraction", Slider, dict(min=0, max=0.5, step=0.05, continuous_update=False,
                                       description="test part")),
        ("data_seed", widgets.BoundedIntText, dict(min=0, max=SEED_MAX, width=SHORT)),
    ],
    "Network": [
        ("layers", widgets.IntSlider, dict(min=0, max=4, description="hidden layers",
                                           continuous_update=False)),
        *[(u, widgets.BoundedIntText, dict(min=1, max=16, description=f"units {l}", width="140px"))
          for l, u in enumerate(UNITS, 1)],
        ("activation", widgets.Dropdown, dict(options=list(ACTIVATIONS), width=SHORT)),
        ("output", widgets.Dropdown, dict(options=list(OUTPUTS))),
        ("init", widgets.Dropdown, dict(options=list(INITS), width=SHORT)),
        ("init_seed", widgets.BoundedIntText, dict(min=0, max=SEED_MAX, width=SHORT)),
    ],
    "Training": [
        # step None: no snapping in the browser (it would turn 0.3 into 10^-0.5); the state rounds
        ("lr", LogSlider, dict(min=-6, max=2, step=None, readout_format=".3g",
                               continuous_update=False, description="learning rate")),
        ("method", widgets.Dropdown, dict(options=list(METHODS), width=SHORT)),
        ("batch_size", widgets.BoundedIntText, dict(min=1, max=1000, width=SHORT)),
        ("budget", widgets.BoundedIntText, dict(min=0, max=1_000_000, description="epoch budget",
                                                width=SHORT)),
        ("target_loss", widgets.BoundedFloatText, dict(min=0, max=1000, step=0.01, width=SHORT)),
    ],
    "View": [
        ("show_test", widgets.Checkbox, dict(description="show test points", width="auto")),
        ("log_loss", widgets.Checkbox, dict(description="log-scale loss", width="auto")),
    ],
}


@functools.cache
def one_blas_thread() -> None:
    """Keep BLAS to one thread in this kernel: idle OpenBLAS workers spin and steal the browser's
    core."""
    ThreadpoolController().limit(limits=1, user_api="blas")


class TrainingPanel(Panel):
    """Train a small network on 2-D data, live: data, network, optimization, runs to compare."""

    def __init__(self, **settings):
        super().__init__()
        one_blas_thread()
        self.state = TrainingState(say=self.say, **settings)
        tabs = self._build_controls()
        self.live = LiveFigure(WIDTH, HEIGHT)
        self.plots = TrainingView(self.live)
        self.live.on_click = self.guard(self._click)
        self.state.observe(self.guard(self._new_run), names=["run"])
        self.state.observe(self.guard(self._runs_changed), names=["kept"])
        self.state.observe(self.guard(self._view_changed), names=["unit", "show_test", "log_loss"])
        self._task: asyncio.Task | None = None
        self.frames = 0
        self._new_run()
        self.widget = widgets.VBox([self._buttons(), tabs, self.live.widget, self.message])

    # ---- controls -----------------------------------------------------------------------------
    def _build_controls(self) -> widgets.Tab:
        pages = []
        for rows in CONTROLS.values():
            boxes = []
            for name, kind, options in rows:
                options = {"description": name.replace("_", " "), **options}
                width = options.pop("width", WIDE)
                control = kind(layout=W(width=width), style={"description_width": "initial"},
                               **options)
                boxes.append(self.bind(name, control, self.state, name))
            pages.append(widgets.HBox(boxes, layout=W(flex_flow="row wrap")))
        unit = widgets.Dropdown(description="unit", layout=W(width=SHORT))
        unit.observe(self.guard(self._unit_chosen), "value")
        self.controls["unit"] = unit
        hint = widgets.HTML("<span style='color:#555'>or click a unit in the diagram</span>")
        pages[1].children += (unit, hint)
        self.readout = widgets.HTML()
        return widgets.Tab(children=pages, titles=list(CONTROLS))

    def _buttons(self) -> widgets.HBox:
        play = widgets.ToggleButton(description="Play", icon="play", button_style="success",
                                    layout=W(width="90px"))
        play.observe(self.guard(self._play_toggled), "value")
        self.controls["play"] = play
        row = [play]
        for name, text, fn in [
            ("update", "+1 update", lambda: self.step(1)), ("epoch", "+1 epoch", self.epoch),
            ("reset", "reset", self.state.reset), ("new_init", "new init", self.state.new_init),
            ("new_data", "new data", self.state.new_data), ("keep", "keep run", self._keep),
            ("clear", "clear runs", self.state.clear_runs),
        ]:
            button = widgets.Button(description=text, layout=W(width="auto"))
            button.on_click(self.guard(lambda _button, fn=fn: fn()))
            self.controls[name] = button
            row.append(button)
        self.readout.layout = W(margin="0 0 0 12px")
        return widgets.HBox([*row, self.readout],
                            layout=W(flex_flow="row wrap", align_items="center"))

    # ---- training -----------------------------------------------------------------------------
    def step(self, k: int = 1) -> int:
        """Make k updates (fewer if the run stops), show the result; return how many were made."""
        done = 0 if self.state.trainer.stopped else self.state.advance(k)
        self._after_steps()
        return done

    def epoch(self) -> int:
        """Finish one more epoch and show the result; return the number of updates made."""
        done = 0 if self.state.trainer.stopped else self.state.advance_epochs(1)
        self._after_steps()
        return done

    def _after_steps(self) -> None:
        if self.state.trainer.stopped:
            self._say_stopped()
        self.draw()

    def _say_stopped(self) -> None:
        stopped = self.state.trainer.stopped
        if self.state.diverged:
            self.say(f"The run stopped: {stopped}. Press reset to start again from the same "
                     "weights, with a smaller learning rate.", "error")
        else:
            self.say(f"The run stopped: {stopped}. Change the stop condition, or press reset.")

    def _play_toggled(self, change) -> None:
        play = self.controls["play"]
        play.description, play.icon = ("Pause", "pause") if change["new"] else ("Play", "play")
        if not change["new"]:
            return  # the task sees it at its next frame
        if self.state.trainer.stopped:
            self._say_stopped()
            play.value = False
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            play.value = False
            self.say("Play needs a running kernel (a notebook or Voila); use +1 update or "
                     "+1 epoch.")
            return
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._play())

    async def _play(self) -> None:
        """While Play is down: a time-boxed chunk of updates, one frame, then yield to the kernel
        (which handles Pause and sends the frame) until that frame has gone out."""
        play, budget = self.controls["play"], BUDGET[0]
        try:
            while play.value:
                start = time.perf_counter()
                self.state.advance_for(budget)
                training = time.perf_counter() - start
                await self._frame(diagram=self.frames % DIAGRAM_EVERY == 0)
                if self.state.trainer.stopped:
                    self._say_stopped()
                    play.value = False
                drawing = time.perf_counter() - start - training  # and sending, and the kernel
                budget = min(max(FRAME_TIME - drawing, BUDGET[0]), BUDGET[1])
            self.draw()  # the last frame whole: diagram and readout too
        except Exception as e:  # a bug: stop playing, keep the kernel healthy, say what happened
            play.value = False
            self.say(f"Training stopped on an error ({type(e).__name__}: {e}). Press reset.",
                     "error")

    async def _frame(self, diagram: bool) -> None:
        """Draw, then yield until the frame is sent (at most a frame's time, less if Pause comes),
        so no drawing is wasted on a frame the live figure would merge with the next."""
        sent, play = self.live.frames, self.controls["play"]
        self.draw(diagram=diagram)
        await asyncio.sleep(PAUSE)
        waited = PAUSE
        while self.live.connected and self.live.frames == sent and waited < FRAME_TIME and play.value:
            await asyncio.sleep(PAUSE)
            waited += PAUSE

    # ---- drawing ------------------------------------------------------------------------------
    def draw(self, diagram: bool = True) -> None:
        """Show the current network, curves and readouts (the diagram too, unless told not to), and
        ask for a frame."""
        show_frame(self.plots, self.state, diagram)
        if diagram:  # the readout is read by people: a few times a second is enough
            self.readout.value = self._readout()
        self.frames += 1
        self.live.draw_idle()

    def _readout(self) -> str:
        """The epoch counter, losses and accuracies as one line of HTML."""
        c, tr = self.state.curve, self.state.trainer
        loss = f"loss <b>{c['train_loss'][-1]:.3g}</b>"
        acc = f"accuracy <b>{c['train_acc'][-1]:.0%}</b>"
        if tr.has_test:
            loss += f", test {c['test_loss'][-1]:.3g}"
            acc += f", test {c['test_acc'][-1]:.0%}"
        parts = [f"epoch <b>{tr.epoch:,}</b> ({tr.updates:,} updates)", loss, acc]
        return '<span style="font-size:15px">' + " &middot; ".join(parts) + "</span>"

    def _new_run(self, change=None) -> None:
        s, v = self.state, self.plots
        v.show_data(s.X_train, s.y_train, s.X_test, s.y_test)
        v.show_network(s.net.sizes, s.net.output, s.net.midpoint)
        options = [("output", "output")] + [
            (f"layer {name.replace('.', ', unit ')}", name) for name in s.unit_names()
        ]
        if list(self.controls["unit"].options) != options:
            self.controls["unit"].options = options
        for l, name in enumerate(UNITS, 1):
            self.controls[name].disabled = l > s.layers
        self.controls["batch_size"].disabled = s.method != "minibatch"
        self._runs_changed(draw=False)
        self._view_changed(draw=False)
        self.draw()  # once: a frame of the new run

    def _runs_changed(self, change=None, draw: bool = True) -> None:
        self.plots.show_runs(*run_lines(self.state))
        self.plots.new_limits(self.state.log_loss)
        if draw:
            self.draw()

    def _view_changed(self, change=None, draw: bool = True) -> None:
        if self.controls["unit"].value != self.state.unit:
            self.controls["unit"].value = self.state.unit
        show_view_settings(self.plots, self.state)
        if draw:
            self.draw()

    # ---- export: the figure, and the run as an animation --------------------------------------
    def exports(self) -> list[Export]:
        """The figure (PNG, SVG), and this run replayed as a GIF (and an MP4 where ffmpeg exists)."""
        movies = {"gif": "training run as GIF (1x)", "mp4": "training run as MP4"}
        return super().exports() + [
            Export(label, f"training_run.{fmt}", FORMATS[fmt], lambda scale, fmt=fmt: self.movie(fmt, scale))
            for fmt, label in movies.items() if fmt == "gif" or ffmpeg()
        ]

    def movie(self, fmt: str, scale: float = 1.0):
        """This run replayed from its start as an animation (a job yielding progress, returning
        the file's bytes); says what it covers."""
        self.say(plan(self.state)[1] + "; the live run goes on undisturbed")
        return record(self.state, fmt, scale)

    # ---- choosing a unit, keeping a run -------------------------------------------------------
    def _unit_chosen(self, change) -> None:
        if change["new"] is not None and change["new"] != self.state.unit:
            self.state.unit = change["new"]

    def _click(self, x: float, y: float) -> None:
        """A click at figure fractions (x, y): choose the unit under it (output: the decision)."""
        fig, diagram = self.live.figure, self.plots.diagram
        point = diagram.ax.transData.inverted().transform((x * fig.bbox.width, y * fig.bbox.height))
        hit = diagram.unit_at(*point)
        if hit is None:
            return
        l, j = hit
        if l == 0:
            self.say(f"That is input x{j + 1}: its map shows its own value over the plane.")
        elif l == len(self.state.net.sizes) - 1:
            self.state.unit = "output"
        else:
            self.state.unit = f"{l}.{j + 1}"

    def _keep(self) -> None:
        run = self.state.keep()
        if run is not None:
            self.say(f"Kept '{run.label(run.settings)}' for comparison: change a setting (the new "
                     "run starts from the same weights) and press Play.")
