# chatcontract: `make help` lists the targets. Everything runs in .venv, made on first use.
.DEFAULT_GOAL := help
SHELL := bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_VERSION := 26.3
# A venv is rebuilt when pyproject.toml or constraints.txt change.
INPUTS := $(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(INPUTS)
# The benchmarks run in their own venv: the library and the openai SDK only, as a user installs
# them. In .venv the dev tools bring click and pygments, which `import httpx` loads for its
# optional CLI (about 2 MiB and some ms that a user's venv does not pay).
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-$(INPUTS)

# $(call make-venv,DIR,DEPENDENCY GROUP): DIR with pinned pip, the library (editable) and the group.
define make-venv
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	@$(1)/bin/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	@$(1)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e . --group $(2)
	@rm -f $(1)/.installed-* && touch $@
endef

.PHONY: help demo install validate generate check-generated lint format typecheck test prism schemathesis spec-diff conformance-live bench mock vendor lock

help: ## List the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP):
	@echo "==> setting up $(VENV) (library + pinned dev tools)"
	$(call make-venv,$(VENV),dev)

$(BENCH_STAMP):
	@echo "==> setting up $(BENCH_VENV) (library + openai SDK only, for make bench)"
	$(call make-venv,$(BENCH_VENV),bench)

demo: install ## The main job: validate, prove no drift, run the CLI on each API (mock server unless keys are set)
	@$(PY) -m codegen.validate_specs
	@$(PY) -m codegen --check
	@$(PY) -m chatcontract demo

install: $(STAMP) ## Create .venv with the library and every pinned dev tool

validate: install ## Validate the specs (OpenAPI 3.2) and check every example against its schema
	@echo "==> validating specs/"
	@$(PY) -m codegen.validate_specs

generate: install ## Rebuild generated/ from specs/ (deterministic); report spec changes since HEAD
	@$(PY) -m codegen
	@if git rev-parse --verify --quiet HEAD >/dev/null 2>&1 && { ! git diff --quiet HEAD -- specs/ || test -n "$$(git ls-files --others --exclude-standard -- specs/)"; }; then \
		echo "==> specs/ differ from HEAD:"; $(PY) -m codegen.spec_diff; fi

schemathesis: install ## Bounded Schemathesis run of every spec against the mock (EXAMPLES=10 per phase)
	@echo "==> schemathesis against the mock"
	@$(PY) tools/schemathesis/run.py --max-examples $(or $(EXAMPLES),10)

spec-diff: install ## Report spec changes since a git ref, breaking first: make spec-diff [REF=HEAD] [MARKDOWN=1]
	@$(PY) -m codegen.spec_diff --ref $(or $(REF),HEAD) $(if $(MARKDOWN),--markdown)

check-generated: install ## Fail when generated/ is stale: added, deleted or changed files
	@echo "==> checking generated/ against specs/"
	@$(PY) -m codegen --check

lint: install ## ruff lint and format check
	@echo "==> ruff"
	@$(PY) -m ruff check --quiet .
	@$(PY) -m ruff format --quiet --check .

format: install ## Apply ruff's fixes and formatting to hand-written code
	@$(PY) -m ruff check --quiet --fix .
	@$(PY) -m ruff format --quiet .

typecheck: install ## mypy --strict over src/ and generated/, plus the typing checks in tests/typing
	@echo "==> mypy --strict"
	@$(PY) -m mypy src/chatcontract tests/typing

prism: ## Install the pinned Stoplight Prism (npm) into .tools/prism, for tests/test_prism.py
	@bash tools/prism/install.sh

test: install prism validate check-generated lint typecheck ## All checks, then the pytest suite (what CI runs)
	@echo "==> pytest"
	@$(PY) -m pytest

conformance-live: install ## Check the real APIs against the specs (needs MINIMAX_API_KEY / EVOLINK_API_KEY; else the mock)
	@$(PY) -m chatcontract conformance

bench: $(BENCH_STAMP) ## Benchmarks against raw httpx and the openai SDK, in .venv-bench (QUICK=1 for tiny sizes)
	@$(BENCH_PY) benchmarks/bench.py $(if $(QUICK),--quick)

mock: install ## Run the mock server in the foreground (PORT=8765; 0 picks a free port)
	@$(PY) -m chatcontract mock --port $(or $(PORT),8765)

vendor: install ## Write a self-contained copy of the client: make vendor DEST=path [NAME=chatcontract]
	@test -n "$(DEST)" || { echo "usage: make vendor DEST=path [NAME=package]"; exit 2; }
	@$(PY) -m codegen.vendor "$(DEST)" --name $(or $(NAME),chatcontract)

lock: install $(BENCH_STAMP) ## Rewrite constraints.txt from the current .venv and .venv-bench
	@{ head -2 constraints.txt; { $(PY) -m pip freeze --exclude-editable; $(BENCH_PY) -m pip freeze --exclude-editable; } \
		| grep -v '^chatcontract' | sort -f -u; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
