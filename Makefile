# mailtls: two commands for a new user, `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test install deps lint typecheck unit i18n bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The main job on the built-in lab: local endpoints, one per certificate situation.
demo: install
	$(BIN)/mailtls lab --scan

## OS packages the tests need: Postfix, Dovecot, swaks, msmtp, curl (root or sudo).
deps:
	bash scripts/install-deps.sh

## Everything: set-up, OS packages, catalogue check, lint, types, the whole suite.
test: install deps
	$(BIN)/python tools/i18n.py --check
	$(BIN)/ruff check src tests tools
	$(BIN)/mypy
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not servers"

i18n: install
	$(BIN)/python tools/i18n.py

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache src/*.egg-info

## testssl.sh's answers on the truth listeners -> tests/deep/truth/*.json (root; not in CI).
.PHONY: truth
truth: install deps
	command -v testssl >/dev/null || command -v testssl.sh >/dev/null || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q testssl.sh; }
	$(BIN)/python tools/truth.py
