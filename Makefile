# mailtls: two commands for a new user, `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
## Every install is pinned by constraints.txt (make constraints refreshes it).
CONSTRAINTS := constraints.txt
PIP    := $(BIN)/python -m pip install -q -c $(CONSTRAINTS)
## Two stamps: the runtime alone (demo) and runtime + [lint] + [dev] (test). The dev
## install touches both; the runtime install touches only its own, so `make test` after
## `make demo` still installs the dev tools.
RUNTIME_STAMP := $(VENV)/.stamp-runtime
DEV_STAMP     := $(VENV)/.stamp-dev

.PHONY: demo test install runtime deps lint typecheck unit i18n man bench bench-lint-real clean constraints

define venv
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
endef

$(RUNTIME_STAMP): pyproject.toml $(CONSTRAINTS)
	$(venv)
	$(PIP) --build-constraint $(CONSTRAINTS) -e .
	touch $(RUNTIME_STAMP)

$(DEV_STAMP): pyproject.toml $(CONSTRAINTS)
	$(venv)
	$(PIP) --build-constraint $(CONSTRAINTS) -e '.[dev]'
	touch $(DEV_STAMP) $(RUNTIME_STAMP)

## The runtime only: scan, audit-config, send, lab, the client (and lint for Python).
runtime: $(RUNTIME_STAMP)
## Runtime, lint grammars and the dev tools (pytest, mypy, ruff, hypothesis, babel).
install: $(DEV_STAMP)

## The main job on the built-in lab: local endpoints, one per certificate situation.
demo: runtime
	$(BIN)/mailtls lab --scan

## OS packages the tests need: Postfix, Dovecot, swaks, msmtp, curl (root or sudo).
deps:
	bash scripts/install-deps.sh

## nodemailer for the devcert snippet tests, pinned by tests/devcert/node/package-lock.json
## (without npm the test says why it skips).
.PHONY: node-deps
node-deps:
	@if command -v npm >/dev/null 2>&1; then \
	  cd tests/devcert/node && npm ci --no-audit --no-fund --ignore-scripts --silent; \
	else echo "npm not found: the nodemailer snippet test will be skipped"; fi

## Everything: set-up, OS packages, catalogue check, lint, types, the whole suite.
test: install deps node-deps
	$(BIN)/python tools/i18n.py --check
	$(BIN)/python tools/manpage.py --check
	$(BIN)/ruff check src tests tools
	$(BIN)/mypy
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not servers"

i18n: install
	$(BIN)/python tools/i18n.py

bench: install
	$(BIN)/python bench/run.py

## Real-world lint benchmark: pinned mail packages from PyPI/npm/Debian (cached in ~/.cache), mailtls lint vs semgrep.
bench-lint-real: install
	$(BIN)/python bench/lint-real/run.py

## docs/mailtls.1 from the click commands (make test checks it is current).
man: install
	$(BIN)/python tools/manpage.py

## Re-resolve every dependency into constraints.txt; review the diff, run make test, commit.
constraints:
	bash scripts/constraints.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache src/*.egg-info

## testssl.sh's answers on the truth listeners -> tests/deep/truth/*.json (root; not in CI).
.PHONY: truth
truth: install deps
	command -v testssl >/dev/null || command -v testssl.sh >/dev/null || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q testssl.sh; }
	$(BIN)/python tools/truth.py
