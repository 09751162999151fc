# The two commands of the README, and the ones behind them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench docs docs-check selfscan clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Scan the bundled examples and print the findings as a pull request review shows them.
demo: $(STAMP)
	$(BIN)/ainascan scan examples --format github-markdown --fail-on never

## Set up and run the whole test suite (needs a Redis server; started if none runs).
test: $(STAMP)
	scripts/ensure-redis
	$(BIN)/python -m pytest

## Our own code, judged by our own scanner: any BLOCK fails.
selfscan: $(STAMP)
	$(BIN)/ainascan scan analyzer bot --fail-on block --format text

## Regenerate docs/rules/ from the rules' docstrings, and docs/confidence.md from the rules and the precision audit.
DOCS_ARGS := docs/rules --confidence docs/confidence.md --audit bench/results/precision.json

docs: $(STAMP)
	$(BIN)/python -m analyzer.docs $(DOCS_ARGS)

docs-check: $(STAMP)
	$(BIN)/python -m analyzer.docs $(DOCS_ARGS) --check

## Benchmarks (not tests); tables land in bench/results/.
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
