# Set-up is automatic: every target makes .venv and installs coreopt into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow test-all test-ray lint browser bench-step bench-lab bench-train bench-startup bench-check bench-population references test-compat docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $(STAMP)

run: $(STAMP)  ## the main job: the tour (the guide reproduced, then more); writes ./coreopt-out/
	$(BIN)/coreopt tour

# One session for the tests and the docstring examples: TensorFlow starts once per worker.
test: $(STAMP) lint browser  ## the test suite (slow tests excluded) and the docstring examples
	COREOPT_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -n 2 -m "not slow and not ray" \
	  --doctest-modules tests coreopt

# The slow tier runs as SLOW_SHARDS pytest sessions, each test's session fixed by a hash
# of its id (tests/conftest.py, --shard). TensorFlow keeps every XLA executable for the
# life of the process, three memory maps per compiled kernel (a fresh Adam's step: ~30,
# SOAP's: ~370), and Linux allows 65,530 maps per process: in three sessions a worker
# passed it and died in LLVM ("Cannot allocate memory"); in four, the optimizer suite's
# worker peaked at 59,013. Raise SLOW_SHARDS as the registry grows.
SLOW_SHARDS := 6

test-slow: $(STAMP)  ## the second tier: the exhaustive tables (marked slow), which CI runs too
	@failed=0; for i in $$(seq 0 $$(($(SLOW_SHARDS) - 1))); do \
	  echo "== slow tier: shard $$i/$(SLOW_SHARDS)"; \
	  $(BIN)/python -m pytest -n 2 -m slow tests --shard $$i/$(SLOW_SHARDS); code=$$?; \
	  [ $$code -eq 0 ] || [ $$code -eq 5 ] || failed=$$code; \
	done; exit $$failed

# Both tiers, one after the other: one session over all of them would pass the map limit.
test-all: test test-slow  ## every test, slow ones included (the Ray ones: make test-ray)

# `coreopt bench --backend ray` on a local cluster of two one-CPU nodes on 127.0.0.1 that
# the tests start and end themselves; Ray (the `ray` extra) goes into the default venv.
test-ray: $(STAMP)  ## the Ray backend of coreopt bench, against the local run (marked ray)
	$(BIN)/python -m pip install --quiet -e ".[ray]"
	$(BIN)/python -m pytest -p no:xdist -q -m ray tests/train/test_bench_ray.py

docs: $(STAMP)  ## the API site from the docstrings (MkDocs), into site/
	$(BIN)/python -m mkdocs build --strict --site-dir site

lint: $(STAMP)
	$(BIN)/ruff check coreopt tests benchmarks references

# Debian's chromium, for the test that opens the HTML report in a real browser: nothing to
# do when it is there, else apt-get (through sudo when not root); else say what to install.
browser:
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else sudo="none"; fi; \
	if [ "$$sudo" != none ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium (apt-get) for the browser test of the report..."; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium >/dev/null && exit 0; \
	fi; \
	echo "make test needs a headless Chromium and could not install it: install Debian's" >&2; \
	echo "'chromium' package (as root: apt-get install --no-install-recommends chromium)," >&2; \
	echo "or put a 'chromium' executable on PATH." >&2; \
	exit 1

bench-step: $(STAMP)  ## one optimizer step, coreopt's Adam against Keras's
	$(BIN)/python benchmarks/step.py

bench-lab: $(STAMP)  ## the convergence lab: the guide's nine runs, 10k Adam runs, Rosenbrock
	$(BIN)/python benchmarks/lab.py

bench-train: $(STAMP)  ## one training epoch of the digits MLP, coreopt's Adam against Keras's, Muon against AdamW
	$(BIN)/python benchmarks/train.py

bench-startup: $(STAMP)  ## start-up of the command line: --help, list and run (time, memory, stderr)
	$(BIN)/python benchmarks/startup.py

bench-population: $(STAMP)  ## 64 digits-MLP trainings as one population against 64 coreopt train runs
	$(BIN)/python benchmarks/population.py

bench-check: $(STAMP)  ## coreopt check and coreopt verify on one optimizer (time, memory)
	$(BIN)/python benchmarks/check.py

# The torch.optim and optax adapters (coreopt.compat.from_torch, from_optax) against the
# libraries themselves, in a venv of their own: the default one has neither torch nor JAX.
COMPAT_VENV := .venv-compat

$(COMPAT_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COMPAT_VENV)/bin/python -m pip install --quiet -e ".[dev,torch,jax]"
	touch $@

test-compat: $(COMPAT_VENV)/.installed  ## the torch and optax adapters, with torch and optax installed
	$(COMPAT_VENV)/bin/python -m pytest -p no:randomly -p no:xdist -q tests/compat \
	  --doctest-modules coreopt/compat
	$(COMPAT_VENV)/bin/python -m pytest -p no:xdist -q tests/testing/test_verify.py \
	  -k torch_and_optax_references

references:  ## regenerates references/data/ with torch.optim and optax, each in its own venv
	bash references/regenerate.sh
