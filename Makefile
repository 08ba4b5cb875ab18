# Every target creates the virtualenv it needs on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
OUT ?= rendered/$(STACK)
TENANTS ?= 100

.PHONY: test lint render bench clean

$(VENV)/.installed: pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(VENV)/bin/hadolint $$(git ls-files '*Dockerfile')

render: $(VENV)/.installed
	$(PY) -m offline.render --stack $(STACK) --out $(OUT)

bench: $(VENV)/.installed
	$(PY) -m offline.bench --tenants $(TENANTS)

clean:
	rm -rf $(VENV) rendered *.egg-info
