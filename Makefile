# Every target installs what it needs through `make install` (a virtual environment in .venv).
# The tests start and stop their own Keycloak (the server distribution, fetched once into
# ~/.cache/keycloak-reconciler, or Docker when an engine answers); set KEYCLOAK_URL and credentials to
# use a running one instead. See reconciler/testing/server.py.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAUNCH := $(BIN)/python -m reconciler.testing

.PHONY: install slapd test test-matrix unit lint demo keycloak-up keycloak-down keycloak-status bench clean

install: $(STAMP) slapd

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# OpenLDAP's slapd for the LDAP federation tests: apt-get installs it when missing (as root); where it
# cannot, a note says how, and those tests fail with the same hint.
slapd:
	@bash scripts/ensure_slapd.sh

# The whole suite, against a real Keycloak that the pytest plugin starts and stops.
test: install
	$(BIN)/pytest

# The integration and end-to-end tests on every supported Keycloak version, one after another (each
# run starts its own server of that version); prints the time each took. MATRIX_VERSIONS picks others.
MATRIX_VERSIONS ?=
test-matrix: install
	$(BIN)/python scripts/test_matrix.py $(MATRIX_VERSIONS)

# The benchmarks only, with their figures printed (also appended to benchmark-results.jsonl); the
# scale table (kcr next to the minimal reads, realm import and partialImport, with request counts and
# kcr's peak RSS) also goes to benchmark-scale.md. Sizes below; override any of them, e.g.
# `make bench KCR_BENCH_USERS=200 KCR_BENCH_GROUPS=100` for a quick run. KCR_BENCH_REPEAT: no-op
# plan runs (median); KCR_BENCH_PARTIAL_IMPORT=N: partialImport up to N users only (0: never). The
# whole suite runs the scale benchmark with tiny sizes, as a check that it works. BENCH_TESTS: which
# benchmark files (default: all), e.g. BENCH_TESTS=tests/benchmarks/test_scale_benchmark.py.
BENCH_TESTS ?=
bench: export KCR_BENCH_USERS ?= 200,2000,10000
bench: export KCR_BENCH_GROUPS ?= 1000
bench: export KCR_BENCH_CLIENTS ?= 500
bench: export KCR_BENCH_ROLES ?= 200
bench: install
	@# kcr runs from bytecode, as from an installed wheel: an editable install run with
	@# PYTHONDONTWRITEBYTECODE set would otherwise compile every module again in each timed run.
	$(BIN)/python -m compileall -q reconciler tests/benchmarks
	$(BIN)/pytest -m benchmark -s -q $(BENCH_TESTS)

# The pure tests only (no Keycloak).
unit: install
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff check reconciler tests scripts .github/actions
	$(BIN)/ruff format --check reconciler tests scripts .github/actions
	$(BIN)/mypy

# A throw-away Keycloak for the demo; scripts/demo.sh runs while it is up, then it is stopped.
demo: install
	$(LAUNCH) run -- bash scripts/demo.sh

# A local Keycloak in the background for trying things by hand (state and log in .keycloak/).
# Prints the `export KEYCLOAK_...` lines: eval "$$(make -s keycloak-up)"
keycloak-up: install
	@$(LAUNCH) up

keycloak-status: install
	@$(LAUNCH) status

keycloak-down: install
	@$(LAUNCH) down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
