# clausekit — one command per routine task. `make check` is what CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint types docs docs-check check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install clausekit with its dev tools

demo: $(STAMP) ## consolidate the bundled samples into out/
	$(BIN)/clausekit consolidate samples -o out; code=$$?; \
	  echo "code de sortie : $$code"; [ $$code -le 1 ]

test: $(STAMP) ## the test suite
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

types: $(STAMP)
	$(BIN)/mypy

docs: $(STAMP) ## regenerate the generated parts of README.md
	$(BIN)/python -m clausekit.docs README.md

docs-check: $(STAMP)
	$(BIN)/python -m clausekit.docs README.md --check

check: lint types docs-check test ## everything CI runs

bench: $(STAMP) ## speed and memory benchmark (writes bench/results.md)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
