# Fresh machine: `make demo` or `make test` (each creates .venv first if needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint tutorials dist clean

$(STAMP): requirements-lock.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	# medmnist (only for the INFO-table test) requires torch and torchvision: --no-deps keeps
	# them out, so `pip check` may report medmnist's requirements, and only those
	$(BIN)/pip install --quiet --no-deps medmnist==3.0.2
	$(BIN)/pip check > $(VENV)/pip-check.txt || ! grep -v '^medmnist ' $(VENV)/pip-check.txt
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/das-keras demo --output das_demo

test: $(STAMP)
	$(BIN)/ruff check das_keras tests benchmarks tutorials/build.py tutorials/src
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/pytest -p no:cacheprovider -q --durations=10 tests

lint: $(STAMP)
	$(BIN)/ruff format das_keras tests benchmarks tutorials/build.py tutorials/src
	$(BIN)/ruff check --fix das_keras tests benchmarks tutorials/build.py tutorials/src

tutorials: $(STAMP)
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/python tutorials/build.py --execute

# sdist + wheel into dist/ with the pinned setuptools (no isolated build env), then `twine check`.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) das_demo dist
