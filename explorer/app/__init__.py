"""The dashboard: every panel in the lectures' order, classroom links, and the `nn-explorer` command."""
