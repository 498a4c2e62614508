"""nn-explorer: an interactive explorer of how neural networks learn."""

__version__ = "0.1.0"
