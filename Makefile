# Two commands: `make dashboard` (set up and start) and `make test` (set up and run every test).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup dashboard lab test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,lab]"
	touch $(STAMP)

dashboard: $(STAMP)
	$(VENV)/bin/nn-explorer $(ARGS)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter root,$(shell whoami)),--allow-root,)

test: $(STAMP)
	$(PY) -m ruff check explorer tests benchmarks
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_live.py
	$(PY) benchmarks/bench_dashboard.py

clean:
	rm -rf $(VENV) build dist .pytest_cache
