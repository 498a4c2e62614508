"""The training run as an animation for slides: the run replayed from its start on a figure of its own
(the panel keeps showing the live run), a frame every few epochs, saved as GIF or MP4.

The replay is bounded (at most MOST_UPDATES updates over at most MOST_FRAMES frames), and it is a
generator that yields its progress after each frame, so a kernel can stay responsive while it renders.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from explorer.live import LiveFigure
from explorer.live.movie import WRITERS
from explorer.panels.training_parts import run_lines, show_frame, show_view_settings
from explorer.plots.style import FONT
from explorer.plots.training_view import HEIGHT, WIDTH, TrainingView

FPS = 12  # frames per second of the animation
MOST_FRAMES = 60
FIRST_EPOCHS = 100  # what a run that has not trained yet is animated over
MOST_UPDATES = 20_000  # the most updates a replay makes (it would otherwise take too long)
GIF_SCALE = 1.0  # a GIF keeps every frame until the end; sharper than 100 dpi it runs to many MB


def plan(state) -> tuple[np.ndarray, str]:
    """The epochs to show (0 first, increasing), and a sentence saying what the animation covers."""
    tr = state.trainer
    most = max(1, MOST_UPDATES // tr.updates_per_epoch)
    if tr.epoch == 0:
        epochs, what = min(FIRST_EPOCHS, most), "this run has not trained yet: animating its first"
    elif tr.epoch > most:
        epochs, what = most, f"this run has {tr.epoch:,} epochs; animating its first"
    else:
        epochs, what = tr.epoch, "animating this run's"
    marks = np.unique(np.round(np.linspace(0, epochs, min(MOST_FRAMES, epochs + 1))).astype(int))
    return marks, f"{what} {epochs:,} epochs in {len(marks)} frames"


def record(state, fmt: str, scale: float) -> Generator[float, None, bytes]:
    """Replay `state`'s run from its start as planned now and encode a frame per planned epoch as
    `fmt` (gif or mp4) at `scale` x 100 dpi: a job that yields its progress (0..1) and returns the
    file's bytes."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown animation format {fmt!r}; choose one of: {', '.join(WRITERS)}")
    marks, _ = plan(state)
    return _frames(state.replay(), marks, fmt, min(scale, GIF_SCALE) if fmt == "gif" else scale)


def _frames(twin, marks: np.ndarray, fmt: str, scale: float) -> Generator[float, None, bytes]:
    writer, live = WRITERS[fmt](FPS), LiveFigure(WIDTH, HEIGHT, scale=scale)
    try:
        view, stamp = _figure(live, twin)
        for i, epoch in enumerate(marks):
            if epoch > twin.trainer.epoch and not twin.trainer.stopped:
                twin.advance_epochs(int(epoch - twin.trainer.epoch))
            show_frame(view, twin)
            stamp.set_text(f"epoch {twin.trainer.epoch:,}: loss $E$ = {twin.curve['train_loss'][-1]:.3g}")
            writer.add(live.render()[0])
            yield 0.95 * (i + 1) / len(marks)
            if twin.trainer.stopped:
                break
        data = writer.finish()
        yield 1.0
        return data
    finally:
        writer.close()
        live.widget.close()


def _figure(live: LiveFigure, state) -> tuple[TrainingView, object]:
    """The panel's figure for `state`, with the epoch and loss written where the loss title was."""
    view = TrainingView(live)
    view.show_data(state.X_train, state.y_train, state.X_test, state.y_test)
    view.show_network(state.net.sizes, state.net.output, state.net.midpoint)
    view.show_runs(*run_lines(state))
    show_view_settings(view, state)
    view.loss_ax.set_title("")
    stamp = view.loss_ax.text(0.5, 1.04, "", transform=view.loss_ax.transAxes, ha="center",
                              va="bottom", fontsize=FONT["title"])
    return view, live.animate(stamp)
