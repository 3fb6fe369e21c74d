# polyregions: two-command setup.  `make setup` (or any target below) builds .venv once, with
# the exact versions of constraints.txt (setup.cfg states only ranges); the stamp .venv/.installed
# makes later runs skip pip until constraints.txt, setup.cfg, setup.py, pyproject.toml, the
# bootstrap script or the compiled kernel's source (polyregions/geometry/_kernel.c) change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt
# make test-oldest: a second environment with the lowest versions that setup.cfg allows.
OLDEST_VENV := .venv-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.installed
OLDEST_CONSTRAINTS := constraints-oldest.txt
INSTALL_INPUTS := setup.cfg setup.py pyproject.toml scripts/bootstrap.sh polyregions/geometry/_kernel.c \
	polyregions/search/_bounds.c

# torch is large (the default wheel pulls GPU libraries): only make test-torch installs it,
# the CPU build of the version that constraints.txt pins (setup.cfg's torch extra is a range).
TORCH := torch==2.13.0

.PHONY: setup demo test test-oldest test-torch test-slow bench bench-acasxu notebooks clean

setup: $(STAMP)

$(STAMP): $(CONSTRAINTS) $(INSTALL_INPUTS)
	PYTHON="$(PYTHON)" VENV="$(VENV)" CONSTRAINTS="$(CONSTRAINTS)" bash scripts/bootstrap.sh --force

$(OLDEST_STAMP): $(OLDEST_CONSTRAINTS) $(INSTALL_INPUTS)
	PYTHON="$(PYTHON)" VENV="$(OLDEST_VENV)" CONSTRAINTS="$(OLDEST_CONSTRAINTS)" bash scripts/bootstrap.sh --force

demo: setup
	$(BIN)/polyregions count examples/demo.json
	$(BIN)/polyregions count examples/demo.json --box -1 1

test: setup
	bash scripts/install_browser.sh
	$(BIN)/python -m pytest -m "not slow and not torch" -q

# The default test suite once more, in .venv-oldest with the lowest allowed versions
# (constraints-oldest.txt): the lower bounds in setup.cfg are the versions tested here.
test-oldest: $(OLDEST_STAMP)
	bash scripts/install_browser.sh
	$(OLDEST_VENV)/bin/python -m pytest -m "not slow and not torch" -q

# The PyTorch importer's tests and notebooks/04_from_pytorch.ipynb, after installing torch.
test-torch: setup
	$(BIN)/python -c 'import torch' 2>/dev/null || $(BIN)/pip install --quiet -c $(CONSTRAINTS) '$(TORCH)'
	$(BIN)/python -m pytest -m "torch and not slow" -q

test-slow: setup
	$(BIN)/python -m pytest -m slow -q

bench: setup
	$(BIN)/python benchmarks/kernel.py
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/parallel.py
	$(BIN)/python benchmarks/queries.py
	$(BIN)/python benchmarks/points.py
	$(BIN)/python benchmarks/slices.py
	$(BIN)/python benchmarks/acasxu.py --quick

# All 186 ACAS Xu instances of VNN-COMP 2021 with their time limits (hours at worst).
bench-acasxu: setup
	$(BIN)/python benchmarks/acasxu.py

# Execute notebooks/*.ipynb in place and store their outputs (figures included);
# `make notebooks FIGDIR=docs/figures` also writes every figure there as PNG.
notebooks: setup
	$(BIN)/python scripts/run_notebooks.py $(if $(FIGDIR),--figdir $(FIGDIR))

clean:
	rm -rf $(VENV) $(OLDEST_VENV) build dist *.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
