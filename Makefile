# The two commands the README starts with:
#   make demo   set up, build the demo ledger from sources/ + claims/, serve it on 127.0.0.1
#   make test   set up and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
DB ?= ledger.db
PORT ?= 8001

.PHONY: setup setup-test demo build test lint docs package bench bench-full clean

# the package alone for the demo; the test extra (pytest, hypothesis, playwright, atheris, ...) for the tests
$(BIN)/ledger: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(BIN)/ledger

$(VENV)/.test-deps: $(BIN)/ledger
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.test-deps

setup: $(BIN)/ledger

setup-test: $(VENV)/.test-deps

build: setup
	$(BIN)/ledger build --db $(DB)

demo: build
	$(BIN)/ledger verify --db $(DB)
	$(BIN)/ledger serve --db $(DB) --port $(PORT)

test: setup-test
	$(BIN)/python -m pytest -q

# The checks that keep the package's shape (issue 19, docs/architecture.md): the layer contracts in pyproject.toml,
# ruff (pyflakes and pycodestyle; hashing and YAML only through their one home), and no module over 600 lines
# (each check runs even when one before it fails, so one run shows every finding)
lint: setup-test
	@rc=0; \
	$(BIN)/lint-imports || rc=1; \
	$(BIN)/ruff check . || rc=1; \
	$(BIN)/python tools/check_sizes.py || rc=1; \
	exit $$rc

# every generated page (a file with a cog block): the CLI reference, the schema; tests/test_docs.py checks them
COG_FILES = $(shell grep -lF '[[[cog' README.md docs/*.md)
docs: setup-test
	$(BIN)/cog -r $(COG_FILES)

# A Docker build directory for a read-only public copy (docs/publishing.md): build, verify, checkpoint, package
SITE ?= build/site
package: build
	$(BIN)/ledger verify --db $(DB)
	$(BIN)/ledger head --db $(DB) --out checkpoint.json
	$(BIN)/ledger package $(SITE) --db $(DB)

# Benchmarks (issue 7; see BENCHMARKS.md): each figure beside a baseline measured in the same run.
BENCH_OUT ?= /tmp/ledger-bench
bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run --scale small --out $(BENCH_OUT)

bench-full: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run --scale 1m --out $(BENCH_OUT) --json $(BENCH_OUT)/results-1m.json

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm
