"""`nn-explorer`: serve the dashboard with Voila, sources stripped, idle kernels culled, a preheated pool."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

NOTEBOOK = Path(__file__).with_name("dashboard.ipynb")
# The page's front end loads only what the dashboard uses (not every JupyterLab extension installed).
EXTENSIONS = ["@jupyter-widgets/jupyterlab-manager", "@voila-dashboards/widgets-manager8", "anywidget"]
# Seconds after a visitor takes a preheated kernel before its replacement starts: starting a kernel
# takes a core for seconds, which would otherwise slow that visitor's first view.
REFILL_DELAY = 5


def voila_args(port: int, host: str, browser: bool, pool: int, cull_after: int) -> list[str]:
    """The Voila command line for the dashboard."""
    args = [
        str(NOTEBOOK),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--MappingKernelManager.cull_idle_timeout={cull_after}",
        "--MappingKernelManager.cull_interval=30",
        "--MappingKernelManager.cull_connected=True",
        "--VoilaConfiguration.file_allowlist=[]",
        f"--VoilaConfiguration.extension_allowlist={EXTENSIONS!r}",
    ]
    if pool > 0:
        args += ["--preheat_kernel=True", f"--pool_size={pool}",
                 f"--VoilaKernelManager.fill_delay={REFILL_DELAY}"]
    if not browser:
        args.append("--no-browser")
    return args


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nn-explorer", description=__doc__)
    parser.add_argument("--port", type=int, default=8866, help="port to serve on (default 8866)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; "
                        "0.0.0.0 to let a classroom connect)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--pool", type=int, default=2, help="preheated kernels kept ready (default 2)")
    parser.add_argument("--cull-after", type=int, default=600,
                        help="seconds after which an idle kernel is shut down (default 600)")
    opts = parser.parse_args(argv)
    # Small matrices: one BLAS thread per kernel, so a spinning worker never takes the second core.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from voila.app import Voila

    Voila.launch_instance(argv=voila_args(opts.port, opts.host, not opts.no_browser, opts.pool,
                                          opts.cull_after))


if __name__ == "__main__":
    main()
