# The README's two commands: `make demo` (set up, then run the demo) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint lint-imports
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	bash scripts/install-services.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(VENV)/bin/facilities demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The layer contracts of pyproject.toml [tool.importlinter] (not yet part of `lint`).
lint-imports: setup
	$(VENV)/bin/lint-imports

test: setup
	$(VENV)/bin/pytest -q
