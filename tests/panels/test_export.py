"""The save row under every panel: figure PNG at each resolution, SVG, progress, and the download."""

import io

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

from explorer.live import LiveFigure
from explorer.panels.base import Panel
from explorer.panels.export import RESOLUTIONS, Export


class Plain(Panel):
    def __init__(self):
        super().__init__()
        self.live = LiveFigure(3, 2)
        self.live.figure.add_subplot(111).plot([0, 1], [0, 1])
        self.widget = widgets.VBox([self.live.widget, self.message])

    def exports(self):
        def slow(scale):
            for k in range(5):
                yield k / 4
            return b"done"

        return super().exports() + [Export("slow thing", "slow.bin", "application/octet-stream", slow)]


@pytest.fixture
def bar():
    panel = Plain()
    assert isinstance(panel.view, widgets.VBox) and panel.export_bar.widget in panel.view.children
    panel.export_bar.sent = []
    panel.export_bar.downloader.save = lambda *args: panel.export_bar.sent.append(args)
    return panel.export_bar


@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
def test_png_has_the_chosen_resolution(bar, resolution):
    bar.resolution.value = resolution
    bar.what.value = "figure as PNG"
    bar.button.click()
    filename, mime, data = bar.sent[-1]
    assert (filename, mime) == ("plain.png", "image/png")
    scale = RESOLUTIONS[resolution]
    assert Image.open(io.BytesIO(data)).size == (round(300 * scale), round(200 * scale))


def test_svg_and_extra_exports_download_and_report(bar):
    bar.what.value = "figure as SVG"
    bar.button.click()
    assert bar.sent[-1][0] == "plain.svg" and b"<svg" in bar.sent[-1][2]
    bar.what.value = "slow thing"
    bar.button.click()
    assert bar.sent[-1] == ("slow.bin", "application/octet-stream", b"done")
    assert bar.progress.value == 1.0 and bar.progress.layout.visibility == "hidden"


def test_an_unknown_export_is_refused_in_words(bar):
    with pytest.raises(ValueError, match="unknown export 'gif'"):
        bar.make("gif")


def test_the_static_fallback_is_a_real_image():
    bundle = Plain()._repr_mimebundle_()
    image = np.asarray(Image.open(io.BytesIO(bundle["image/png"])).convert("RGB"))
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 5
