# The two commands: `make demo` (the main job on the bundled emulator) and `make test` (the whole suite).
# Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
# The official SDK 2.x (the v2 API's truth) shares its import name with the 1.6.0 the dev extra pins,
# so the v2 fidelity test runs it from an environment of its own, built once and reused.
SDK2_VENV ?= .venv-sdk2
SDK2_VERSION := 2.19.0
SDK2_STAMP := $(SDK2_VENV)/.installed-$(SDK2_VERSION)

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/llamacloud-etl demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(SDK2_STAMP):
	$(PYTHON) -m venv $(SDK2_VENV)
	$(SDK2_VENV)/bin/python -m pip install --quiet 'llama-cloud==$(SDK2_VERSION)'
	touch $@

test: lint $(SDK2_STAMP)
	LLAMACLOUD_ETL_SDK2_PYTHON=$(abspath $(SDK2_VENV))/bin/python LLAMACLOUD_ETL_REQUIRE_SDK2=1 $(BIN)/pytest

$(VENV)/.installed-bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(SDK2_VENV) llamacloud_data .pytest_cache .mypy_cache .ruff_cache
