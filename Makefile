# Every target creates the virtualenv it needs on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
OUT ?= rendered/$(STACK)
TENANTS ?= 100

.PHONY: test lint render diff bench e2e clean

$(VENV)/.installed: pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m pytest

# pyright is pinned: the variable stops its wrapper asking PyPI for a newer release on every run.
lint: $(VENV)/.installed
	$(PY) -m ruff check .
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(VENV)/bin/pyright --pythonpath $(PY)
	$(VENV)/bin/hadolint $$(git ls-files '*Dockerfile')
	go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 .github/workflows/*.yml

render: $(VENV)/.installed
	$(PY) -m offline.render --stack $(STACK) --out $(OUT)

# Markdown for a pull-request comment; BASE and HEAD are renders or folders of per-stack renders;
# DIFF_ARGS=--max-chars=N truncates it.
diff: $(VENV)/.installed
	@test -n "$(BASE)" -a -n "$(HEAD)" || { echo "usage: make diff BASE=<render dir> HEAD=<render dir>" >&2; exit 2; }
	@$(PY) -m offline.diff $(DIFF_ARGS) $(BASE) $(HEAD)

bench: $(VENV)/.installed
	$(PY) -m offline.bench --tenants $(TENANTS)

# The program under the real Pulumi engine against a local control plane (README, "End-to-end test").
# Builds its tools once into ~/.cache/astronomer-platform/e2e (the Kubernetes provider: `pulumi plugin
# install` first, then a build from source); E2E_ARGS=--help for the options, --allow-blocked in CI.
e2e: $(VENV)/.installed
	$(PY) -m e2e.run $(E2E_ARGS)

clean:
	rm -rf $(VENV) rendered *.egg-info
