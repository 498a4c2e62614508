"""The training run as an animation: a replay of this run from its start (exact, and leaving the live
run alone), bounded in frames and updates, saved as GIF (and MP4 where ffmpeg exists) with progress."""

import asyncio
import io
import shutil

import numpy as np
import pytest
from PIL import Image

from explorer.live.movie import GifWriter
from explorer.panels.training import TrainingPanel
from explorer.panels.training_movie import MOST_FRAMES, MOST_UPDATES, plan, record
from explorer.panels.training_state import TrainingState
from explorer.plots.training_view import HEIGHT, WIDTH


def drain(job):
    fractions = []
    try:
        while True:
            fractions.append(next(job))
    except StopIteration as done:
        return done.value, fractions


@pytest.mark.parametrize("method", ["batch", "stochastic", "minibatch"])
def test_a_replay_trains_exactly_like_the_run(method):
    state = TrainingState(method=method, lr=0.3, points=60)
    state.advance_epochs(3)
    twin = state.replay()
    assert twin.trainer.epoch == 0 and twin.net is not state.net
    twin.advance_epochs(3)
    for W, W_twin in zip(state.net.W, twin.net.W):
        assert np.array_equal(W, W_twin)
    assert np.array_equal(state.curve["train_loss"], twin.curve["train_loss"])


def test_a_replay_starts_from_the_weights_the_run_started_from_after_new_data():
    state = TrainingState(lr=0.3)
    state.advance_epochs(20)
    state.new_data()  # the network keeps its trained weights: the new run starts from them
    start = [W.copy() for W in state.net.W]
    state.advance_epochs(5)
    assert all(np.array_equal(a, b) for a, b in zip(state.replay().net.W, start))


def test_the_plan_covers_the_run_in_bounded_frames_and_updates():
    state = TrainingState(lr=0.3)
    marks, said = plan(state)
    assert marks[0] == 0 and marks[-1] == 100 and "not trained yet" in said
    state.advance_epochs(500)
    marks, said = plan(state)
    assert len(marks) == MOST_FRAMES and marks[-1] == 500 and np.all(np.diff(marks) > 0)
    assert said == "animating this run's 500 epochs in 60 frames"
    sgd = TrainingState(method="stochastic", points=1000, test_fraction=0)
    sgd.advance_epochs(30)  # 1000 updates an epoch: 30,000 updates
    marks, said = plan(sgd)
    assert marks[-1] * sgd.trainer.updates_per_epoch <= MOST_UPDATES
    assert said.startswith("this run has 30 epochs; animating its first 20 epochs")


def test_the_gif_shows_the_run_frame_by_frame_and_leaves_the_live_run_alone():
    panel = TrainingPanel(lr=0.5)
    panel.step(40)
    before = [W.copy() for W in panel.state.net.W]
    data, fractions = drain(record(panel.state, "gif", scale=2.0))
    gif = Image.open(io.BytesIO(data))
    assert gif.size == (100 * WIDTH, 100 * HEIGHT) and gif.n_frames == 41  # epochs 0..40, at 1x
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 42
    gif.seek(0)
    first = np.asarray(gif.convert("RGB")).astype(int)
    gif.seek(40)
    last = np.asarray(gif.convert("RGB")).astype(int)
    assert np.abs(first - last).sum(axis=2).astype(bool).mean() > 0.01  # the picture moved
    assert panel.state.trainer.epoch == 40
    assert all(np.array_equal(a, b) for a, b in zip(panel.state.net.W, before))


def test_a_diverging_run_ends_its_animation_where_it_diverged():
    state = TrainingState(lr=100.0, activation="relu", output="linear + mse", init="he")
    state.advance_epochs(200)
    assert state.diverged
    stopped_at = state.trainer.epoch
    data, _ = drain(record(state, "gif", 1.0))
    assert Image.open(io.BytesIO(data)).n_frames == len(plan(state)[0]) <= stopped_at + 1


def test_an_unknown_format_is_refused_in_words():
    with pytest.raises(ValueError, match="unknown animation format 'avi'; choose one of: gif, mp4"):
        record(TrainingState(), "avi", 1.0)


def test_the_save_row_offers_the_animation_and_saves_it_in_steps_with_progress(monkeypatch):
    panel = TrainingPanel(lr=0.5)
    panel.step(12)
    bar = panel.view and panel.export_bar
    assert "training run as GIF (1x)" in bar.exports
    assert ("training run as MP4" in bar.exports) == (shutil.which("ffmpeg") is not None)
    sent, seen = [], []
    bar.downloader.save = lambda *args: sent.append(args)
    bar.progress.observe(lambda change: seen.append(change["new"]), "value")
    bar.what.value = "training run as GIF (1x)"

    async def press_save_and_train_meanwhile():
        bar.button.click()
        assert bar.task is not None and bar.button.disabled
        while not bar.task.done():
            panel.step(1)  # the kernel is free between frames: the live run goes on
            await asyncio.sleep(0)

    asyncio.run(press_save_and_train_meanwhile())
    name, mime, data = sent[-1]
    assert (name, mime) == ("training_run.gif", "image/gif") and Image.open(io.BytesIO(data)).n_frames == 13
    assert len(seen) >= 10 and seen == sorted(seen) and seen[-1] == 1.0
    assert not bar.button.disabled and bar.progress.layout.visibility == "hidden"
    assert panel.last_message[0].startswith("saved training_run.gif (")
    assert panel.state.trainer.epoch > 12


def test_a_failing_animation_is_said_in_words_and_the_row_recovers(monkeypatch):
    panel = TrainingPanel()
    bar = panel.view and panel.export_bar

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(GifWriter, "add", broken)
    bar.what.value = "training run as GIF (1x)"

    async def press_save():
        bar.button.click()
        await bar.task

    asyncio.run(press_save())
    assert panel.last_message == ("could not save training_run.gif: disk full", "error")
    assert not bar.button.disabled and bar.progress.layout.visibility == "hidden"


def test_budget_and_target_loss_can_be_given_when_the_state_is_made():
    state = TrainingState(budget=5, target_loss=0.01)
    assert state.trainer.max_epochs == 5 and state.trainer.target_loss == 0.01
