"""The live-figure layer shared by every panel: Agg drawing, blitting, and frames shipped to a canvas."""

from explorer.live.figure import LiveFigure

__all__ = ["LiveFigure"]
