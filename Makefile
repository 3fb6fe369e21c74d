# polyregions: two-command setup.  `make setup` (or any target below) builds .venv once;
# the stamp .venv/.installed makes later runs skip pip until setup.cfg or pyproject.toml change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-slow bench notebooks clean

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml scripts/bootstrap.sh
	PYTHON="$(PYTHON)" bash scripts/bootstrap.sh --force

demo: setup
	$(BIN)/polyregions count examples/demo.json
	$(BIN)/polyregions count examples/demo.json --box -1 1

test: setup
	$(BIN)/python -m pytest -m "not slow" -q

test-slow: setup
	$(BIN)/python -m pytest -m slow -q

bench: setup
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/queries.py

# Execute notebooks/*.ipynb in place and store their outputs (figures included);
# `make notebooks FIGDIR=docs/figures` also writes every figure there as PNG.
notebooks: setup
	$(BIN)/python scripts/run_notebooks.py $(if $(FIGDIR),--figdir $(FIGDIR))

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
