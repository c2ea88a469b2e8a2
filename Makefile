# ScaleLab: `make up` installs what is missing and starts everything; `make test` runs every check.

# The venv's interpreter must be one every Unix user can run (the system-users mode runs servers
# as them), so prefer the system Python over one installed under a private home.
PYTHON ?= $(firstword $(foreach p,/usr/bin/python3 python3,\
            $(shell $(p) -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
                    && echo $(p))))
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := .make
export PATH := $(BIN):$(PATH)
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
EXT_SOURCES := $(shell find extension/src extension/style -type f 2>/dev/null) \
               extension/package.json extension/tsconfig.json
APT_GET := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)

.PHONY: up install test test-deps lint lint-python lint-extension test-python test-extension \
        api-types bench clean distclean

up: install ## Install what is missing, then start hub, proxy and service on 127.0.0.1:8000
	$(BIN)/scalelab up

install: $(STAMP)/package $(STAMP)/proxy

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Build tools first: the package is installed with --no-build-isolation, so the extension is
# built with this venv's jlpm and the install needs no second copy of JupyterLab.
$(STAMP)/build-tools: $(BIN)/python
	$(PIP) install "hatchling>=1.25" "hatch-jupyter-builder>=0.9" editables "jupyterlab>=4.6,<5"
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/extension: $(STAMP)/build-tools $(EXT_SOURCES) extension/yarn.lock
	cd extension && jlpm install && jlpm build:prod
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/package: $(STAMP)/extension pyproject.toml
	$(PIP) install --no-build-isolation -e .
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/proxy: hub_config/package.json
	cd hub_config && npm install --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/test-python: $(STAMP)/package
	$(PIP) install --no-build-isolation -e ".[test]"
	@mkdir -p $(STAMP) && touch $@

# Debian packages the tests drive for real: Chromium (browser tests), PostgreSQL (store tests),
# acl (the system-users mode sets ACLs on workspaces).
test-deps: install $(STAMP)/test-python
	@command -v chromium >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium; }
	@command -v setfacl >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq acl; }
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null || \
		{ $(APT_GET) update -qq && $(APT_GET) install -y -qq postgresql; }

# The extension's API types, generated from the service's OpenAPI document; run it after changing
# a model in src/scalelab/service/models.py (tests/unit/test_api_types.py fails until then).
api-types: $(STAMP)/package
	$(BIN)/python -m scalelab.service.openapi > $(STAMP)/openapi.json
	cd extension && jlpm generate:api < ../$(STAMP)/openapi.json

lint-python: $(STAMP)/test-python
	$(BIN)/ruff check src tests bench hub_config
	$(BIN)/ruff format --check src tests bench hub_config

lint-extension: $(STAMP)/extension
	cd extension && jlpm lint && jlpm typecheck

lint: lint-python lint-extension

test-extension: $(STAMP)/extension
	cd extension && jlpm test

test-python: test-deps
	$(BIN)/python -m pytest -p no:cacheprovider

test: test-deps lint test-extension test-python ## Lint, extension tests, Python tests

bench: install $(STAMP)/test-python
	@for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(STAMP) extension/lib src/scalelab/labextension tests/artifacts

distclean: clean
	rm -rf $(VENV) extension/node_modules hub_config/node_modules .data
