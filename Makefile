# Every target creates the virtualenv it needs on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
OUT ?= rendered/$(STACK)
TENANTS ?= 100
DATA_PLANES ?= 0

# `make` alone lists the targets rather than doing the first one.
.DEFAULT_GOAL := help
.PHONY: help test lint check render diff bench e2e e2e-bench images-lock mirror vet clean tenant-kit kit-dag-check deploy-targets

# pip runs quiet for a minute or two: say what is happening (on stderr: `make diff` output is Markdown).
$(VENV)/.installed: pyproject.toml requirements.txt
	@echo "Setting up $(VENV): installing the project and its dev tools (first run or changed dependencies; 1-2 minutes)..." >&2
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The text after `##` on a target's line is its help line; the column is as wide as the longest target.
help: ## list the targets
	@awk -F':.*## ' '/^[a-z][a-z0-9-]*:.*## /{name[++n] = $$1; text[n] = $$2; if (length($$1) > w) w = length($$1)} \
		END {for (i = 1; i <= n; i++) printf "  %-" w "s  %s\n", name[i], text[i]}' $(MAKEFILE_LIST)

# The ticket manager's tests run a real MIT Kerberos realm: its Debian packages (and the e2e harness's)
# are installed when missing if make runs as root, otherwise named.
test: $(VENV)/.installed ## ruff and the whole test suite
	@$(PY) -m devtools.system_packages
	@$(PY) -m vetting.tools regctl
	$(PY) -m ruff check .
	$(PY) -m pytest

ACTIONLINT = github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

# pyright is pinned: the variable stops its wrapper asking PyPI for a newer release on every run.
lint: $(VENV)/.installed ## ruff, pyright (strict), hadolint and actionlint
	$(PY) -m ruff check .
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(VENV)/bin/pyright --pythonpath $(PY)
	$(VENV)/bin/hadolint $$(git ls-files '*Dockerfile')
	go run $(ACTIONLINT) .github/workflows/*.yml
	$(PY) -m tenant_kit.workflows build/kit-workflows
	go run $(ACTIONLINT) build/kit-workflows/*.yml

# Every stack file unless STACK or STACK_FILE names one; --ci (or $CI) fails on a plain-text secret.
CHECK_FILES = $(if $(STACK_FILE),$(STACK_FILE),$(if $(filter command line environment,$(origin STACK)),Pulumi.$(STACK).yaml,$(wildcard Pulumi.*.yaml)))
check: $(VENV)/.installed ## validate stack files: every Pulumi.*.yaml, or [STACK=dev] [STACK_FILE=<file>]
	@$(PY) -m stackfile.check $(CHECK_FILES)

# STACK_FILE renders a variant config under the stack's name (its URNs), e.g. to diff it with the stack.
render: $(VENV)/.installed ## render a stack offline: STACK=dev OUT=rendered/<stack> [STACK_FILE=<variant file>]
	$(PY) -m offline.render --stack $(STACK) --out $(OUT)$(if $(STACK_FILE), --stack-file $(STACK_FILE))

# Markdown for a pull-request comment; BASE and HEAD are renders or folders of per-stack renders;
# DIFF_ARGS=--max-chars=N truncates it.
diff: $(VENV)/.installed ## Markdown diff of two renders: BASE=<dir> HEAD=<dir>
	@test -n "$(BASE)" -a -n "$(HEAD)" || { echo "usage: make diff BASE=<render dir> HEAD=<render dir>" >&2; exit 2; }
	@$(PY) -m offline.diff $(DIFF_ARGS) $(BASE) $(HEAD)

bench: $(VENV)/.installed ## benchmark the program offline with TENANTS=100 tenants (at least 1), over DATA_PLANES=0 data planes
	$(PY) -m benchmarks.program --tenants $(TENANTS) --data-planes $(DATA_PLANES)

# The program under the real Pulumi engine against a local control plane (docs/e2e.md).
# Builds its tools once into ~/.cache/astronomer-platform/tools (the Kubernetes provider: `pulumi plugin
# install` first, then a build from source); E2E_ARGS=--help for the options.
e2e: $(VENV)/.installed ## the program under the real engine against a local control plane
	$(PY) -m e2e.run $(E2E_ARGS)

# The program under the real engine at N tenants against what the API server itself needs for the same
# objects (docs/benchmarks.md); E2E_BENCH_ARGS=--skip-checkpoints or --parallel=P to compare settings.
e2e-bench: $(VENV)/.installed ## real-engine up, preview and destroy at TENANTS=100 against the API server's floors
	$(PY) -m e2e.bench --tenants $(TENANTS) $(E2E_BENCH_ARGS)

# Image vetting (docs/image-vetting.md). STACKS limits the stacks (default all).
# images-lock needs the pinned chart: CHART=<chart directory>, platform.chartPath, or the stack's
# Artifactory Helm repository (ARTIFACTORY_PASSWORD); vet and mirror need Artifactory and the upstreams.
VETTING_STACKS = $(foreach stack,$(STACKS),--stack $(stack))
images-lock: $(VENV)/.installed ## write locks/<stack>.json from the pinned chart: [CHART=<dir>] [STACKS=dev]
	$(PY) -m vetting lock $(VETTING_STACKS)$(if $(CHART), --chart $(CHART))

vet: $(VENV)/.installed ## scan gate on every locked image; reports in build/vetting-reports
	$(PY) -m vetting vet $(VETTING_STACKS)

mirror: $(VENV)/.installed ## scan gate, then copy what Artifactory lacks and record digests in the locks
	$(PY) -m vetting mirror $(VETTING_STACKS)

# A tenant team's Astro CLI project from the stack config (docs/local-kit.md). OUT defaults
# to build/tenant-kit/<stack>/<tenant>; files the team changed are kept and named unless FORCE=1.
tenant-kit: $(VENV)/.installed ## a tenant's local Astro project and pipeline: TENANT=<name> [STACK=dev] [OUT=<dir>] [TARGETS=<json>] [FORCE=1]
	@test -n "$(TENANT)" || { echo "usage: make tenant-kit TENANT=<name> [STACK=dev] [OUT=<dir>] [TARGETS=<json>] [FORCE=1]" >&2; exit 2; }
	@$(PY) -m tenant_kit --tenant $(TENANT) --stack $(STACK)$(if $(filter command line environment,$(origin OUT)), --out $(OUT))$(if $(TARGETS), --targets $(TARGETS))$(if $(FORCE), --force)

deploy-targets: $(VENV)/.installed ## a tenant's pipeline targets from the stacks' outputs: TENANT=<name> [STACKS="dev prod"]
	@test -n "$(TENANT)" || { echo "usage: make deploy-targets TENANT=<name> [STACKS=\"dev prod\"]" >&2; exit 2; }
	@$(PY) -m tenant_kit.deploy_targets --tenant $(TENANT)$(foreach s,$(STACKS), --stack $(s))

# The virtualenv with the Runtime's Airflow and cncf.kubernetes provider is cached under
# ~/.cache/astronomer-platform/kit-dag-check (built on first use).
kit-dag-check: $(VENV)/.installed ## every kit's example DAG in a DagBag under its Runtime's Airflow
	$(PY) -m tenant_kit.dag_check

# A folder under rendered/ goes only when it is a render (its manifest lists all it holds), and rendered/
# itself only once empty: whatever else is there stays, named.
clean: ## remove the virtualenv and the renders (nothing else under rendered/)
	rm -rf $(VENV) *.egg-info
	@$(PYTHON) -m devtools.owned remove --manifest .render-manifest.json --what render $(wildcard rendered/*)
	@rmdir rendered 2>/dev/null || true
