# Two commands do all the set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV)/bin)
DEMO ?= demo

.PHONY: install test lint demo clean bench bench-quick bench-env

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Equipment needs Python 3.11+: run make with PYTHON=python3.11 (or newer)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip 26.3 shows what the build backend warns of. An editable install of this layout has
# setuptools say, each time, that it made one ("Editable installation. Please be careful
# with folders ..."): that one note is silenced, nothing else.
PIP_INSTALL := PYTHONWARNINGS='ignore:Editable installation:UserWarning' $(BIN)/python -m pip install --quiet

install: $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'

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

# Benchmarks against the peers (benchmarks/README.md): not tests, never run by CI.
# APScheduler 4 is a pre-release whose dependencies may clash, so it gets its own venv.
APS4 := benchmarks/.venv-aps4

$(APS4)/bin/python:
	$(PYTHON) -m venv $(APS4)
	$(APS4)/bin/python -m pip install --quiet --pre 'apscheduler>=4.0.0a1,<4.1'

bench-env: install $(APS4)/bin/python
	$(PIP_INSTALL) -e '.[test,bench]'

bench: bench-env
	$(BIN)/python benchmarks/bench.py

bench-quick: bench-env
	$(BIN)/python benchmarks/bench.py --quick

clean:
	rm -rf $(VENV) $(DEMO) $(APS4) build dist *.egg-info
