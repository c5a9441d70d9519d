# Set-up is automatic: every target makes .venv and installs coreopt into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-all lint bench-step bench-lab bench-train

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)  ## the main job: the guide's nine runs, reproduced
	$(BIN)/coreopt run seed_quartic --optimizers gd,momentum,adam --lr 1e-3,1e-2,1e-1 --init 2

test: $(STAMP) lint  ## the test suite (slow tests excluded)
	$(BIN)/python -m pytest -n 2 -m "not slow" tests
	$(BIN)/python -m pytest -q --doctest-modules coreopt

test-all: $(STAMP) lint  ## every test, slow ones included
	$(BIN)/python -m pytest -n 2 tests
	$(BIN)/python -m pytest -q --doctest-modules coreopt

lint: $(STAMP)
	$(BIN)/ruff check coreopt tests benchmarks

bench-step: $(STAMP)  ## one optimizer step, coreopt's Adam against Keras's
	$(BIN)/python benchmarks/step.py

bench-lab: $(STAMP)  ## the convergence lab: the guide's nine runs, 10k Adam runs, Rosenbrock
	$(BIN)/python benchmarks/lab.py

bench-train: $(STAMP)  ## one training epoch of the digits MLP, coreopt's Adam against Keras's
	$(BIN)/python benchmarks/train.py
