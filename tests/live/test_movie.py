"""Animation writers: a GIF and an MP4 of the frames given, in order, at their size; bad frames and a
missing ffmpeg are refused in words."""

import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from explorer.live import movie
from explorer.live.movie import GifWriter, Mp4Writer

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def frames(n=6, h=60, w=90):
    out = []
    for i in range(n):
        f = np.full((h, w, 4), 255, np.uint8)
        f[10:30, 10 * i : 10 * i + 20, :3] = (0, 114, 178)  # a blue box moving right
        out.append(f)
    return out


def test_gif_has_every_frame_in_order_and_holds_the_last():
    w = GifWriter(fps=10, hold=1.5)
    for f in frames():
        w.add(f)
    gif = Image.open(io.BytesIO(w.finish()))
    assert gif.size == (90, 60) and gif.n_frames == 6
    for i in range(6):
        gif.seek(i)
        rgb = np.asarray(gif.convert("RGB"))
        assert tuple(rgb[20, 10 * i + 5]) == (0, 114, 178) and tuple(rgb[50, 80]) == (255, 255, 255)
        assert gif.info["duration"] == (1500 if i == 5 else 100)


@needs_ffmpeg
def test_mp4_has_the_frames_size_and_the_held_last_frame():
    w = Mp4Writer(fps=10, hold=1.0)
    try:
        for f in frames(h=61, w=91):  # odd sides are padded to even for H.264
            w.add(f)
        data = w.finish()
    finally:
        w.close()
    assert data[4:8] == b"ftyp"
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=width,height,nb_read_frames", "-of", "csv=p=0", "-"],
        input=data, capture_output=True, check=True,
    )
    assert probe.stdout.decode().strip() == "92,62,16"  # 6 frames + 1 s held at 10 fps


def test_mp4_without_ffmpeg_says_so(monkeypatch):
    monkeypatch.setattr(movie.shutil, "which", lambda name: None)
    with pytest.raises(ValueError, match="needs the ffmpeg program"):
        Mp4Writer(fps=10)


@pytest.mark.parametrize("writer", [GifWriter, pytest.param(Mp4Writer, marks=needs_ffmpeg)])
def test_bad_frames_and_no_frames_are_refused(writer):
    w = writer(fps=10)
    try:
        with pytest.raises(ValueError, match="an animation needs at least one frame"):
            w.finish()
        with pytest.raises(ValueError, match="must be uint8 of shape"):
            w.add(np.zeros((4, 4)))
        w.add(frames(1)[0])
        if writer is Mp4Writer:
            with pytest.raises(ValueError, match="the first frame's shape"):
                w.add(np.zeros((10, 10, 3), np.uint8))
    finally:
        w.close()
