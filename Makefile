# Two commands do all the set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= demo

.PHONY: install test lint demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

lint: install
	$(BIN)/ruff check equipment tests benchmarks

test: install lint
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/equipment new $(DEMO) --path $(DEMO) --force
	cd $(DEMO) && ../$(BIN)/python -m pip install --quiet --no-deps -e . && ../$(BIN)/python scheduler.py

clean:
	rm -rf $(VENV) $(DEMO) build dist *.egg-info
