"""Downloads: bytes made in the kernel, saved as a file by the browser."""

from __future__ import annotations

from pathlib import Path

import anywidget


class Downloader(anywidget.AnyWidget):
    """An invisible widget: `save(filename, mime, data)` makes the browser download `data`."""

    _esm = Path(__file__).with_name("download.js")

    def save(self, filename: str, mime: str, data: bytes) -> None:
        self.send({"type": "download", "filename": filename, "mime": mime}, buffers=[data])
