# Two set-up commands (README): `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(PIP) torch==2.13.0
	$(PIP) -c constraints.txt -e .

demo: install
	$(BIN)/rnncast demo

test: $(BIN)/python
	$(PIP) torch==2.13.0
	$(PIP) -c constraints.txt -e '.[test]'
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q

lint: $(BIN)/python
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) runs
