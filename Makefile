# pcsim: the two commands of the quick start are `make demo` and `make test`.
# Both create .venv (Python 3.12, selected by .python-version under pyenv) and install
# pcsim with every dependency declared in pyproject.toml.

PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test test-fast lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "pcsim needs Python >= 3.12 (brian2 2.10.1); found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,cuda,bench]'
	touch $@

demo: setup
	$(BIN)/pcsim run ring --quick

test: setup
	$(BIN)/ruff check pcsim tests benchmarks figures
	$(BIN)/python -m pytest -q -m "not slow"
	$(BIN)/python -m pytest -q -m slow --durations=15

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check pcsim tests benchmarks figures
	$(BIN)/ruff format --check pcsim tests benchmarks figures

bench: setup
	$(BIN)/python benchmarks/scaling.py

clean:
	rm -rf $(VENV) results build *.egg-info
