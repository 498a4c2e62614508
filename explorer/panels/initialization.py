"""The initialization panel (lecture 001): the same network trained from zeros, N(0, 0.1), Xavier,
He and a too-large N(0, sigma), side by side on the same data with the same seed: each hidden
layer's activation histogram at the start and after training, the loss curves, and a verdict per
start computed from the numbers (identical units, shrinking or growing spread, saturation)."""

from __future__ import annotations

import functools
import html
import time

import ipywidgets as widgets
import numpy as np

from explorer.core.datasets import DATASETS
from explorer.live import LiveFigure
from explorer.panels.base import Panel
from explorer.panels.controls import Slider
from explorer.panels.initialization_state import (
    DEPTH,
    EPOCHS,
    HIDDEN,
    POINTS,
    SIGMA,
    STARTS,
    WIDTH,
    InitState,
    label,
)
from explorer.plots import init_plots as ip
from explorer.plots.style import COLORS, FONT, tidy

COLOR = {"zeros": COLORS[7], "normal": COLORS[1], "xavier": COLORS[0], "he": COLORS[2],
         "large": COLORS[3]}
GOOD, BAD = "#00704a", "#b00020"
GRID_BOX = (0.055, 0.135, 0.705, 0.83)  # x0, y0, x1, y1 of the histogram grid (figure fractions)
GAP = (0.03, 0.035)
RELU_GAP = 0.06
LOSS_BOX = [0.775, 0.135, 0.2, 0.695]


class InitializationPanel(Panel):
    """Five starts of one network side by side: histograms per layer, loss curves, verdicts."""

    def __init__(self, state: InitState | None = None) -> None:
        super().__init__()
        self.state = state if state is not None else InitState()
        self._make_controls()
        self.live = LiveFigure(11.0, 4.7)
        self._make_figure()
        self.state.observe(self.guard(self._update), names=["version"])
        self.state.observe(self.guard(self._on_epochs), names=["epochs"])
        self.verdict = widgets.HTML()
        self.verdicts: dict[str, str] = {}
        self._arranged = None
        self._shown: dict = {}  # (row, start) -> (run, stopped) an untrained cell was drawn for
        self._update()
        self._on_epochs()
        self.widget = self._layout()

    # Controls -------------------------------------------------------------------------------
    def _make_controls(self) -> None:
        s, style = self.state, {"description_width": "initial"}

        def size(px):
            return widgets.Layout(width=f"{px}px")

        self.bind("data", widgets.Dropdown(options=list(DATASETS), description="data",
                                           style=style, layout=size(150)), s, "data")
        self.bind("points", widgets.IntSlider(min=POINTS[0], max=POINTS[1], step=20,
                                              description="points", style=style,
                                              layout=size(220)), s, "points")
        self.bind("seed", widgets.IntText(description="seed", style=style, layout=size(110)),
                  s, "seed")
        self.bind("depth", widgets.IntSlider(min=DEPTH[0], max=DEPTH[1], style=style,
                                             description="hidden layers", layout=size(230)),
                  s, "depth")
        self.bind("width", widgets.IntSlider(min=WIDTH[0], max=WIDTH[1], description="units",
                                             style=style, layout=size(210)), s, "width")
        self.bind("hidden", widgets.Dropdown(options=list(HIDDEN), description="g",
                                             style=style, layout=size(120)), s, "hidden")
        # a browser slider snaps its value to min + k step: the default 0.3 lies on this grid
        self.bind("lr", Slider(min=0.05, max=3.0, step=0.05, description="η (lr)",
                               readout_format=".2f", style=style, layout=size(240)), s, "lr")
        self.bind("sigma", Slider(min=SIGMA[0], max=SIGMA[1], step=0.5, description="too large σ",
                                  readout_format=".1f", style=style, layout=size(240)),
                  s, "sigma")
        self.bind("epochs", widgets.IntSlider(min=EPOCHS[0], max=EPOCHS[1], step=10,
                                              description="epochs", style=style,
                                              layout=size(230)), s, "epochs")
        for name, fn in (("train", lambda: self.train()), ("reset", self.reset)):
            button = widgets.Button(description=name, layout=size(150 if name == "train" else 80))
            button.on_click(self.guard(lambda _b, fn=fn: fn()))
            self.controls[name] = button
        self.controls["train"].button_style = "primary"

    def _layout(self) -> widgets.Widget:
        c = self.controls
        row = functools.partial(widgets.HBox, layout=widgets.Layout(
            align_items="center", flex_flow="row wrap", grid_gap="6px"))
        title = widgets.HTML("<b style='font-size:18px'>Parameter initialization</b>")
        return widgets.VBox([
            row([title, c["train"], c["reset"], c["epochs"], c["lr"], c["sigma"]]),
            row([c["data"], c["points"], c["seed"], c["depth"], c["width"], c["hidden"]]),
            self.live.widget, self.message, self.verdict,
        ])

    # Actions --------------------------------------------------------------------------------
    def train(self, epochs: int | None = None) -> float:
        """Train every start that has not stopped (by the state's rules); return the seconds."""
        runs = self.state.runs
        before = {s: r.trainer.epoch for s, r in runs.items()}
        going = [s for s, r in runs.items() if not r.trainer.stopped]
        t0 = time.perf_counter()
        notes = self.state.train(epochs)
        seconds = time.perf_counter() - t0
        done = max(r.trainer.epoch - before[s] for s, r in runs.items())
        stopped = [s for s in going if runs[s].trainer.stopped]
        if done:
            notes.insert(0, f"Trained {done} epochs in {seconds:.2f} s.")
        notes += [f"{label(s, self.state.sigma)} {runs[s].trainer.stopped}; the other starts go on."
                  for s in stopped]
        self.say(" ".join(notes), "warning" if stopped or not done else "info")
        return seconds

    def reset(self) -> None:
        """Back to epoch 0: every start's initial weights again, on the same data."""
        self.state.reset()

    def _on_epochs(self, _change=None) -> None:
        self.controls["train"].description = f"train {self.state.epochs} epochs"

    # Figure ---------------------------------------------------------------------------------
    def _make_figure(self) -> None:
        fig, anim = self.live.figure, self.live.animate
        self.cells = {(r, s): ip.make_cell(fig, COLOR[s]) for r in range(DEPTH[1]) for s in STARTS}
        for cell in self.cells.values():
            for artist in (cell.start, cell.after, cell.text):
                anim(artist)
        for r in range(DEPTH[1]):
            self.cells[r, STARTS[0]].ax.set_ylabel(f"$a^{{[{r + 1}]}}$", fontsize=FONT["title"],
                                                   rotation=0, ha="right", va="center")
        self.heads, self.words = {}, {}
        for s in STARTS:
            self.heads[s] = anim(fig.text(0, 0.945, "", ha="center", fontsize=FONT["title"],
                                          weight="bold", color=COLOR[s]))
            self.words[s] = anim(fig.text(0, 0.885, "", ha="center", fontsize=FONT["label"]))
        self.caption = anim(fig.text(0.055, 0.015, "", fontsize=FONT["tick"], color="#333333"))
        self.ax_loss = tidy(fig.add_axes(LOSS_BOX), "training loss E", "epoch")
        self.ax_loss.set_yscale("log")
        self.loss_lines, self.loss_ends = {}, {}
        for s in STARTS:  # zeros dashed and drawn last: it often lies on N(0, 0.1)'s line
            style = {"ls": (0, (4, 3)), "zorder": 3} if s == "zeros" else {}
            key = "N(0, σ)" if s == "large" else label(s, self.state.sigma)  # σ: the heading has it
            self.loss_lines[s] = self.ax_loss.plot([], [], color=COLOR[s], lw=2, label=key, **style)[0]
            self.loss_ends[s] = self.ax_loss.plot([], [], "o", color=COLOR[s], ms=5)[0]
        for s in (*STARTS[1:], STARTS[0]):
            anim(self.loss_lines[s])
            anim(self.loss_ends[s])
        # animated: drawn over the loss lines
        anim(self.ax_loss.legend(loc="upper right", fontsize=FONT["legend"], frameon=True,
                                 framealpha=0.9, handlelength=1.4))

    def _arrange(self, depth: int) -> None:
        """Place the cells of `depth` rows (hide the rest) and the column heads."""
        gap = (GAP[0], GAP[1] if self.state.hidden in ip.RANGE else RELU_GAP)  # ticks on every row
        boxes = ip.grid_boxes(depth, len(STARTS), GRID_BOX, gap)
        for (r, s), cell in self.cells.items():
            for artist in (cell.ax, cell.start, cell.text, cell.after):  # the animated ones too:
                artist.set_visible(r < depth)  # they are drawn whatever their axes' visibility
            if r < depth:
                cell.ax.set_position(boxes[r][STARTS.index(s)])
        for j, s in enumerate(STARTS):
            x, _, w, _ = boxes[0][j]
            self.heads[s].set_x(x + w / 2)
            self.words[s].set_x(x + w / 2)
        self._shown.clear()  # cells shown again draw afresh
        self.live.invalidate()

    def _update(self, _change=None) -> None:
        s = self.state
        if (s.depth, s.hidden) != self._arranged:
            bounded = s.hidden in ip.RANGE
            for (r, _), cell in self.cells.items():
                ip.set_ticks(cell.ax, s.hidden)
                cell.ax.tick_params(labelbottom=r == s.depth - 1 or not bounded)
            self._arrange(s.depth)
            self._arranged = (s.depth, s.hidden)
        for start in STARTS:
            now = s.after(start) if s.runs[start].trainer.epoch else None  # None: not trained
            for r in range(s.depth):  # or diverged
                self._draw_cell(r, start, None if now is None else now[r])
        self._draw_losses()
        self._write_verdicts()
        arch = "-".join(map(str, s.sizes))
        self.caption.set_text(
            f"rows: hidden layers ℓ of {arch}, g = {s.hidden}  ·  grey: a at the start  ·  "
            "coloured: after training  ·  same data and seed for every start")
        self.say("")
        self.live.draw_idle()

    def _draw_cell(self, r: int, start: str, a1: np.ndarray | None) -> None:
        """Cell (layer r + 1, start): histograms of a0 (m, n) at the start and a1 (m, n) now."""
        s, cell = self.state, self.cells[r, start]
        run = s.runs[start]
        a0, stopped = run.a0[r], run.trainer.stopped
        shown = self._shown.get((r, start))
        if a1 is None and shown is not None and shown[0] is run and shown[1] == stopped:
            return  # an untrained run's cell, as drawn last time (a kept run after a sigma change)
        self._shown[r, start] = (run, stopped) if a1 is None else None
        ip.set_cell(cell, a0, a1, ip.edges(s.hidden, a0, a1), clip_first=s.hidden == "relu")
        std0 = float(a0.std())
        if s.runs[start].trainer.stopped:
            cell.text.set_text(f"std {std0:.2g} → diverged")
        elif a1 is not None:
            cell.text.set_text(f"std {std0:.2g} → {float(a1.std()):.2g}")
        else:
            cell.text.set_text(f"std {std0:.2g}")

    def _draw_losses(self) -> None:
        s, ax = self.state, self.ax_loss
        values = []
        for start, run in s.runs.items():
            h = run.trainer.history
            _set_line(self.loss_lines[start], h["epoch"], h["train_loss"])
            _set_line(self.loss_ends[start], h["epoch"][-1:], h["train_loss"][-1:])
            values += h["train_loss"]
        right = 100
        while right < s.trained:
            right *= 2
        if ax.get_xlim() != (0, right):
            ax.set_xlim(0, right)
        ylim = ip.log_limits(np.asarray(values, float))
        if ax.get_ylim() != ylim:
            ax.set_ylim(*ylim)

    def _write_verdicts(self) -> None:
        s, lines = self.state, []
        for start in STARTS:
            word, sentence = s.judge(start)
            stopped = s.runs[start].trainer.stopped
            name = label(start, s.sigma)
            self.heads[start].set_text(name)
            self.words[start].set_text(word + (", diverged" if stopped else ""))
            color = GOOD if word == "kept" and not stopped else BAD
            if self.words[start].get_color() != color:  # set_color always marks it changed
                self.words[start].set_color(color)
            status = s.status(start)
            self.verdicts[start] = f"{name}: {sentence}. {status[0].upper()}{status[1:]}."
            lines.append(
                f'<div style="margin:1px 0"><b style="color:{COLOR[start]}">{html.escape(name)}'
                f'</b> <b>{html.escape(word)}</b>: {html.escape(sentence)}. '
                f'<span style="color:{BAD if stopped else "#555"}">{html.escape(status)}.</span>'
                "</div>")
        self.verdict.value = f'<div style="font-size:13px; line-height:1.35">{"".join(lines)}</div>'


def _set_line(line, x: list, y: list) -> None:
    """set_data unless the line already shows (x, y): an unchanged artist is not redrawn."""
    if not (np.array_equal(line.get_xdata(), x) and np.array_equal(line.get_ydata(), y)):
        line.set_data(x, y)
