"""The built wheel: it carries the dashboard notebook and every script the package loads, nothing
from tests/ or notebooks/, and once installed (outside the checkout) `nn-explorer` serves the
notebook from the installed package."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "explorer"
JUNK = ("tests/", "notebooks/", "benchmarks/", "binder/", "artifacts/", ".ci/", ".venv/")
OFFLINE = ("No matching distribution", "Could not find a version", "Failed to establish",
           "Network is unreachable", "Temporary failure in name resolution")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout (hatchling from the environment, else from PyPI)."""
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(4, "--no-build-isolation")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode and any(s in done.stdout + done.stderr for s in OFFLINE):
        pytest.skip("cannot build the wheel: hatchling is not installed here and PyPI cannot be "
                    "reached (pip install hatchling)")
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = out.glob("nn_explorer-*.whl")
    return found


@pytest.fixture(scope="module")
def names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def source_files() -> set[str]:
    """Every file of the package in the checkout, as a path in the wheel (no bytecode)."""
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def loaded_scripts() -> set[str]:
    """The .js files the package's modules load beside themselves (`with_name("x.js")`)."""
    found = set()
    for module in PACKAGE.rglob("*.py"):
        for name in re.findall(r"""with_name\(["']([\w.-]+\.js)["']\)""", module.read_text()):
            found.add((module.parent / name).relative_to(ROOT).as_posix())
    return found


def test_wheel_has_the_notebook_and_every_script(names):
    scripts = loaded_scripts()
    assert {"explorer/live/canvas.js", "explorer/app/linkbox.js"} <= scripts, scripts
    wanted = {"explorer/app/dashboard.ipynb", "explorer/app/cli.py"} | scripts
    assert wanted - names == set()
    assert source_files() - names == set(), "package files missing from the wheel"


def test_wheel_has_no_junk(names):
    junk = [n for n in names if n.startswith(JUNK) or "__pycache__" in n or n.endswith(".pyc")
            or ".ipynb_checkpoints" in n]
    assert junk == []
    assert {n.split("/")[0] for n in names} == {"explorer", "nn_explorer-0.1.0.dist-info"}


def test_wheel_declares_the_console_command(wheel, names):
    (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as z:
        text = z.read(entry).decode()
    assert re.search(r"^nn-explorer = explorer\.app\.cli:main$", text, re.M), text


CHECK = """\
import sys
from pathlib import Path
import explorer, explorer.app.cli as cli
target = Path(sys.argv[1]).resolve()
assert Path(explorer.__file__).resolve().is_relative_to(target), explorer.__file__
args = cli.voila_args(8866, "127.0.0.1", False, 2, 600)
notebook = Path(args[0])
assert notebook == cli.NOTEBOOK and notebook.resolve().is_relative_to(target), notebook
assert notebook.is_file() and '"cells"' in notebook.read_text()
for js in ("live/canvas.js", "live/download.js", "app/linkbox.js"):
    assert (target / "explorer" / js).is_file(), js
print("ok", notebook)
"""


def test_installed_wheel_serves_its_own_notebook(wheel, tmp_path):
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(target)  # before the checkout's editable install on sys.path
    away = tmp_path / "elsewhere"
    away.mkdir()
    run = subprocess.run([sys.executable, "-c", CHECK, str(target)], cwd=away, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("ok ")
    script = target / "bin" / "nn-explorer"
    assert script.is_file() and "explorer.app.cli" in script.read_text()
    usage = subprocess.run([sys.executable, str(script), "--help"], cwd=away, env=env,
                           capture_output=True, text=True, timeout=120)
    assert usage.returncode == 0, usage.stderr
    assert all(f"--{o}" in usage.stdout for o in ("port", "host", "no-browser", "pool"))
