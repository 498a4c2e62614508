"""The layering rule: explorer.core is numpy and the standard library only, no widgets or plots."""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import explorer.core

CORE_DIR = Path(explorer.core.__file__).parent
MODULES = sorted(f"explorer.core.{m.name}" for m in pkgutil.iter_modules(explorer.core.__path__))
FORBIDDEN = ("ipywidgets", "matplotlib")
ALLOWED_TOP = set(sys.stdlib_module_names) | {"numpy", "__future__"}

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def imported_after(*modules: str) -> set[str]:
    """Names in sys.modules of a fresh interpreter after importing `modules`."""
    command = [sys.executable, "-c", PROBE, *modules]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout))


def test_the_core_modules_are_discovered():
    for name in ("activations", "losses", "mlp", "optim"):
        assert f"explorer.core.{name}" in MODULES


@pytest.mark.parametrize("modules", [("explorer.core",), tuple(MODULES), *[(m,) for m in MODULES]],
                         ids=lambda m: "all" if len(m) > 1 else m[0])
def test_importing_the_core_loads_no_widgets_or_plots(modules):
    loaded = imported_after(*modules)
    assert set(modules) <= loaded
    bad = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert not bad, f"importing {', '.join(modules)} loaded {bad}"


def imports_of(path: Path) -> list[str]:
    """Every module an import statement in the file names (relative ones as explorer.core.*)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            relative = "explorer.core" + (f".{node.module}" if node.module else "")
            names.append(node.module if node.level == 0 else relative)
    return names


@pytest.mark.parametrize("path", sorted(CORE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_core_source_imports_only_numpy_and_the_standard_library(path):
    names = imports_of(path)
    inside = [n for n in names if n == "explorer.core" or n.startswith("explorer.core.")]
    outside = [n for n in names if n.split(".")[0] not in ALLOWED_TOP and n not in inside]
    assert not outside, f"{path.name} imports {outside}: the core takes numpy and the stdlib only"
    text = path.read_text()
    for word in FORBIDDEN:
        assert f"import {word}" not in text and f"from {word}" not in text, path.name
