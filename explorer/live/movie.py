"""Animations from RGB frames: an animated GIF (Pillow) or an MP4 (H.264, where ffmpeg exists).

A writer takes frames one at a time (`add`) and gives the file's bytes at the end (`finish`); `close`
frees what it holds (ffmpeg's process, the temporary file) whether or not it finished.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile

import numpy as np
from PIL import Image

FORMATS = {"gif": "image/gif", "mp4": "video/mp4"}


def ffmpeg() -> str | None:
    """The path of the ffmpeg program, or None where it is not installed."""
    return shutil.which("ffmpeg")


def _rgb(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.dtype != np.uint8:
        raise ValueError(f"a frame must be uint8 of shape (h, w, 3 or 4), got {frame.dtype} {frame.shape}")
    return np.ascontiguousarray(frame[..., :3])


class GifWriter:
    """An animated GIF at `fps` frames per second that loops, its last frame held `hold` seconds."""

    def __init__(self, fps: float, hold: float = 2.0):
        self.fps, self.hold = fps, hold
        self.frames: list[Image.Image] = []

    def add(self, frame: np.ndarray) -> None:
        image = Image.fromarray(_rgb(frame))
        self.frames.append(image.quantize(256, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE))

    def finish(self) -> bytes:
        if not self.frames:
            raise ValueError("an animation needs at least one frame")
        step = round(1000 / self.fps)
        durations = [step] * (len(self.frames) - 1) + [max(step, round(1000 * self.hold))]
        out = io.BytesIO()
        first, *rest = self.frames
        first.save(out, "GIF", save_all=True, append_images=rest, duration=durations, loop=0,
                   optimize=False, disposal=1)
        return out.getvalue()

    def close(self) -> None:
        self.frames = []


class Mp4Writer:
    """An H.264 MP4 at `fps` frames per second, encoded by ffmpeg as the frames arrive."""

    def __init__(self, fps: float, hold: float = 2.0):
        if ffmpeg() is None:
            raise ValueError("MP4 needs the ffmpeg program, which is not installed here; save a GIF")
        self.fps, self.hold = fps, hold
        self.proc: subprocess.Popen | None = None
        self.last: np.ndarray | None = None
        fd, self.path = tempfile.mkstemp(suffix=".mp4")
        os.close(fd)
        self.log = tempfile.TemporaryFile()

    def add(self, frame: np.ndarray) -> None:
        rgb = _rgb(frame)
        if self.proc is None:
            self.proc = self._start(*rgb.shape[:2])
        elif rgb.shape != self.last.shape:
            raise ValueError(f"every frame must have the first frame's shape {self.last.shape}, "
                             f"got {rgb.shape}")
        self.proc.stdin.write(rgb.tobytes())
        self.last = rgb

    def finish(self) -> bytes:
        if self.proc is None:
            raise ValueError("an animation needs at least one frame")
        for _ in range(round(self.hold * self.fps)):
            self.proc.stdin.write(self.last.tobytes())
        self.proc.stdin.close()
        if self.proc.wait(timeout=120) != 0:
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace").strip().splitlines()[-1:]
            raise ValueError(f"ffmpeg could not encode the video: {' '.join(tail)}")
        with open(self.path, "rb") as f:
            return f.read()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if os.path.exists(self.path):
            os.remove(self.path)

    def _start(self, h: int, w: int) -> subprocess.Popen:
        command = [
            ffmpeg(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", f"{w}x{h}", "-r", f"{self.fps}", "-i", "-",
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",  # H.264 in yuv420p needs even sides
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-crf", "18",
            "-movflags", "+faststart",
            self.path,
        ]
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=self.log)


WRITERS = {"gif": GifWriter, "mp4": Mp4Writer}
