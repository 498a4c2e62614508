"""One module per panel: controls linked to a state object, and live figures fed by the core."""
