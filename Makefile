# polyregions: two-command setup.  `make setup` (or any target below) builds .venv once;
# the stamp .venv/.installed makes later runs skip pip until setup.cfg, setup.py, pyproject.toml or the
# compiled kernel's source (polyregions/geometry/_kernel.c) change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# torch is large (the default wheel pulls GPU libraries): only make test-torch installs it,
# pinned to the CPU build that setup.cfg's torch extra names.
TORCH := torch==2.13.0

.PHONY: setup demo test test-torch test-slow bench notebooks clean

setup: $(STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml scripts/bootstrap.sh polyregions/geometry/_kernel.c
	PYTHON="$(PYTHON)" bash scripts/bootstrap.sh --force

demo: setup
	$(BIN)/polyregions count examples/demo.json
	$(BIN)/polyregions count examples/demo.json --box -1 1

test: setup
	bash scripts/install_browser.sh
	$(BIN)/python -m pytest -m "not slow and not torch" -q

# The PyTorch importer's tests and notebooks/04_from_pytorch.ipynb, after installing torch.
test-torch: setup
	$(BIN)/python -c 'import torch' 2>/dev/null || $(BIN)/pip install --quiet '$(TORCH)'
	$(BIN)/python -m pytest -m "torch and not slow" -q

test-slow: setup
	$(BIN)/python -m pytest -m slow -q

bench: setup
	$(BIN)/python benchmarks/kernel.py
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/parallel.py
	$(BIN)/python benchmarks/queries.py

# Execute notebooks/*.ipynb in place and store their outputs (figures included);
# `make notebooks FIGDIR=docs/figures` also writes every figure there as PNG.
notebooks: setup
	$(BIN)/python scripts/run_notebooks.py $(if $(FIGDIR),--figdir $(FIGDIR))

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
