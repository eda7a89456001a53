# chatcontract: `make help` lists the targets. Everything runs in .venv, made on first use.
.DEFAULT_GOAL := help
SHELL := bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_VERSION := 26.3
# A venv is rebuilt when pyproject.toml or the constraints change. Python 3.10 has its own pins
# (some of constraints.txt need 3.11): whichever $(PYTHON) is, its venv gets the right ones.
INPUTS := $(shell cat pyproject.toml constraints.txt constraints-py310.txt | cksum | cut -d' ' -f1)
CONSTRAINTS := $(shell $(PYTHON) -c 'import sys; print("constraints-py310.txt" if sys.version_info < (3, 11) else "constraints.txt")' 2>/dev/null || echo constraints.txt)
STAMP := $(VENV)/.installed-$(INPUTS)
# The benchmarks run in their own venv: the library and the openai SDK only, as a user installs
# them. In .venv the dev tools bring click and pygments, which `import httpx` loads for its
# optional CLI (about 2 MiB and some ms that a user's venv does not pay).
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-$(INPUTS)
# The oldest Python the library promises (requires-python >= 3.10): the suite runs there too.
# The first candidate that really runs 3.10 (a pyenv shim named python3.10 may only print an error).
PY310 ?= $(firstword $(foreach p,$(shell command -v python3.10) /root/.pyenv/versions/3.10.13/bin/python,\
	$(shell "$(p)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null && echo "$(p)")))
PY310_VENV := .venv-py310
PY310_CONSTRAINTS := constraints-py310.txt
PY310_STAMP := $(PY310_VENV)/.installed-$(INPUTS)
# make mutation: mutmut in its own venv, over the modules of [tool.mutmut] in pyproject.toml,
# each given at most MUTATION_BUDGET seconds (what is left unchecked is reported as such); the
# first also gets MUTATION_SETUP seconds for mutmut's one run of the whole suite under coverage.
MUTATION_VENV := .venv-mutation
MUTATION_STAMP := $(MUTATION_VENV)/.installed-$(INPUTS)
MUTATION_MODULES := _sse _streaming _error_mapping _response _request _retry _security _pool _reasoning mock._app
MUTATION_BUDGET ?= 300
MUTATION_SETUP ?= 600
# Test runs at once (mutmut's --max-children; its default is one per CPU core).
MUTATION_JOBS ?= 1

# $(call make-venv,DIR,DEPENDENCY GROUP[,INTERPRETER[,CONSTRAINTS]]): DIR with pinned pip, the
# library (editable) and the group, made with INTERPRETER (default $(PYTHON)), pinned by
# CONSTRAINTS (default: those of $(PYTHON)'s version).
define make-venv
	@test -x $(1)/bin/python || $(or $(3),$(PYTHON)) -m venv $(1)
	@$(1)/bin/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	@$(1)/bin/python -m pip install --quiet --disable-pip-version-check -c $(or $(4),$(CONSTRAINTS)) -e . --group $(2)
	@rm -f $(1)/.installed-* && touch $@
endef

.PHONY: help new-api demo install validate generate check-generated lint format typecheck test test-py310 has-py310 prism schemathesis spec-diff conformance-live bench mock vendor lock mutation

help: ## List the targets and what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP):
	@echo "==> setting up $(VENV) (library + pinned dev tools)"
	$(call make-venv,$(VENV),dev)

$(BENCH_STAMP):
	@echo "==> setting up $(BENCH_VENV) (library + openai SDK only, for make bench)"
	$(call make-venv,$(BENCH_VENV),bench)

$(MUTATION_STAMP):
	@echo "==> setting up $(MUTATION_VENV) (library + dev tools + mutmut, for make mutation)"
	$(call make-venv,$(MUTATION_VENV),mutation)

$(PY310_STAMP):
	@test -n "$(PY310)" || { echo "make test-py310: no Python 3.10 found; pass PY310=path/to/python3.10"; exit 1; }
	@echo "==> setting up $(PY310_VENV) with $(PY310) (library + pinned dev tools)"
	$(call make-venv,$(PY310_VENV),dev,$(PY310),$(PY310_CONSTRAINTS))

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

typecheck: install ## mypy --strict over src/ and generated/, codegen/ and tests/ (tests/typing: the typing checks)
	@echo "==> mypy --strict"
	@$(PY) -m mypy src/chatcontract codegen tests

prism: ## Install the pinned Stoplight Prism (npm) into .tools/prism, for tests/test_prism.py
	@bash tools/prism/install.sh

test: install prism validate check-generated lint typecheck ## All checks, then the pytest suite (what CI runs)
	@echo "==> pytest"
	@$(PY) -m pytest

# Prism is a prerequisite because test_prism.py fails (never skips) without it; it is installed once.
has-py310: ## Exit 0 when a Python 3.10 is found (PY310), 1 otherwise; prints which
	@if test -n "$(PY310)"; then echo "Python 3.10: $(PY310)"; else echo "Python 3.10: none found"; exit 1; fi

test-py310: $(PY310_STAMP) prism ## The pytest suite on Python 3.10 (PY310=path), in .venv-py310
	@echo "==> pytest on $$($(PY310_VENV)/bin/python --version)"
	@$(PY310_VENV)/bin/python -m pytest

# From a fresh mutants/ unless MUTATION_KEEP=1 (then mutmut checks only what changed). mutmut
# selects tests by id, collecting more than once in one process: keep parametrized ids short and
# ASCII (pytest escapes a non-ASCII or backslash id differently the second time: "not found").
mutation: $(MUTATION_STAMP) ## Mutation testing (mutmut, not part of make test): the score per module (MUTATION_BUDGET=s each)
	@$(if $(MUTATION_KEEP),true,rm -rf mutants)
	@limit=$$(( $(MUTATION_BUDGET) + $(MUTATION_SETUP) )); for module in $(MUTATION_MODULES); do \
		echo "==> mutmut: chatcontract.$$module (at most $$limit s; log: $(MUTATION_VENV)/mutmut-$$module.log)"; \
		timeout -s INT -k 30 $$limit $(MUTATION_VENV)/bin/mutmut run --max-children $(MUTATION_JOBS) "chatcontract.$$module.*" \
			> $(MUTATION_VENV)/mutmut-$$module.log 2>&1 || echo "    stopped (budget spent or mutmut failed: see the log)"; \
		limit=$(MUTATION_BUDGET); \
	done
	@$(MUTATION_VENV)/bin/python tools/mutation_report.py

conformance-live: install ## Check the real APIs against the specs (needs MINIMAX_API_KEY / EVOLINK_API_KEY; else the mock)
	@$(PY) -m chatcontract conformance

bench: $(BENCH_STAMP) ## Benchmarks against raw httpx and the openai SDK, in .venv-bench (QUICK=1 for tiny sizes)
	@$(BENCH_PY) benchmarks/bench.py $(if $(QUICK),--quick)
	@$(BENCH_PY) benchmarks/batch_bench.py $(if $(QUICK),--quick)
	@$(BENCH_PY) benchmarks/streams_bench.py $(if $(QUICK),--quick)

mock: install ## Run the mock server in the foreground (PORT=8765; 0 picks a free port)
	@$(PY) -m chatcontract mock --port $(or $(PORT),8765)

new-api: install ## Scaffold a spec and its config entry: make new-api NAME=DeepSeek SERVER=https://... MODELS="m1 m2" [PATH_=/v1/chat/completions]
	@test -n "$(NAME)" -a -n "$(SERVER)" -a -n "$(MODELS)" || { echo 'usage: make new-api NAME=DeepSeek SERVER=https://api.deepseek.com MODELS="deepseek-chat"'; exit 2; }
	@$(PY) -m codegen.new_api "$(NAME)" --server "$(SERVER)" $(foreach m,$(MODELS),--model $(m)) $(if $(PATH_),--path $(PATH_))

vendor: install ## Write a self-contained copy of the client: make vendor DEST=path [NAME=chatcontract]
	@test -n "$(DEST)" || { echo "usage: make vendor DEST=path [NAME=package]"; exit 2; }
	@$(PY) -m codegen.vendor "$(DEST)" --name $(or $(NAME),chatcontract)

lock: install $(BENCH_STAMP) ## Rewrite constraints.txt from .venv, .venv-bench (.venv-mutation); constraints-py310.txt from .venv-py310
	@{ head -2 constraints.txt; { $(PY) -m pip freeze --exclude-editable; $(BENCH_PY) -m pip freeze --exclude-editable; \
		if test -x $(MUTATION_VENV)/bin/python; then $(MUTATION_VENV)/bin/python -m pip freeze --exclude-editable; fi; } \
		| grep -v '^chatcontract' | sort -f -u; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@if test -x $(PY310_VENV)/bin/python; then \
		{ head -2 $(PY310_CONSTRAINTS); $(PY310_VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^chatcontract' | sort -f -u; } \
			> $(PY310_CONSTRAINTS).new && mv $(PY310_CONSTRAINTS).new $(PY310_CONSTRAINTS); \
	else echo "lock: no $(PY310_VENV): $(PY310_CONSTRAINTS) left as it is (make test-py310 makes it)"; fi
