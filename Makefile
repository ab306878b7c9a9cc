# Two commands do all the set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV)/bin)
DEMO ?= demo

.PHONY: install test lint demo clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Equipment needs Python 3.11+: run make with PYTHON=python3.11 (or newer)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

lint: install
	$(BIN)/ruff check equipment tests docs/examples $(wildcard benchmarks)

test: install lint
	$(BIN)/python -m pytest -q

# The demo runs from its own folder (a script's folder is on sys.path), so it is not
# installed into the framework's environment. Ctrl-C stops the scheduler cleanly (exit 0);
# make then reports the interrupt it received too.
demo: install
	$(BIN)/equipment new $(notdir $(abspath $(DEMO))) --path $(DEMO) --force
	cd $(DEMO) && $(BIN)/python scheduler.py

clean:
	rm -rf $(VENV) $(DEMO) build dist *.egg-info
