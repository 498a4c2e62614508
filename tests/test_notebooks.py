"""Every notebook executes top to bottom without an error, and its panels leave a real image behind."""

import base64
import io
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from PIL import Image

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.fixture(autouse=True)
def _scratch_dirs(tmp_path, monkeypatch):
    """Keep Jupyter, IPython and matplotlib state out of the repository."""
    for var in ("JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_panel(path):
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent)}}
    NotebookClient(nb, timeout=120, kernel_name="python3", resources=resources).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}"
    pngs = [o.data["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert pngs, f"{path.name} shows no figure where no browser is attached"
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(pngs[0]))).convert("RGB"))
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 10, "the figure is blank"


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"
    assert all(os.path.getsize(p) < 200_000 for p in NOTEBOOKS), "a notebook was committed with outputs"
