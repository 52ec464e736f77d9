# Community Escalations — every project task has a target here; `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PLUGIN_ID      := $(shell python3 -c "import json;print(json.load(open('plugin.json'))['id'])")
PLUGIN_VERSION := $(shell python3 -c "import json;print(json.load(open('plugin.json'))['version'])")
VENV   := .venv
PY     := $(VENV)/bin/python
PB_DIR := server/escalations/runtime/_pb

.PHONY: help setup gen test test-python test-webapp test-bridge check check-python check-webapp \
        check-bridge bench dist dist-native webapp bridge deploy mattermost e2e test-e2e clean \
        logs enable disable reset mutation demo

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## first command on a fresh machine: Python venv, generated stubs, webapp packages
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(MAKE) gen
	$(MAKE) -C server/bridge lint-tools
	cd webapp && npm ci --no-audit --no-fund
	webapp/scripts/ensure-chromium.sh

gen: ## generate the gRPC stubs from our own .proto files
	$(PY) scripts/gen_protos.py

test: test-python test-webapp test-bridge test-e2e ## run every suite (Python, webapp + browser, Go bridge, real-server e2e)

test-python: gen webapp dist-native ## Python: policy, runtime + host emulator, workflow, the native bundle
	$(PY) -m pytest

test-webapp: ## webapp: unit/component tests and the real-browser test
	cd webapp && npm test

test-bridge: gen ## Go bridge: unit tests, runs against the Python backend, older servers' plugin host
	$(MAKE) -C server/bridge gen
	cd server/bridge && go test ./...
	$(MAKE) -C server/bridge compat

test-e2e: e2e ## the end-to-end suite against a real (stock) Mattermost server; see tests/e2e/README.md

check: check-python check-webapp check-bridge ## lint and type gates: ruff, mypy --strict, tsc, eslint, go vet, staticcheck

check-python: gen ## ruff, ruff format --check, mypy --strict over server/, tests/, scripts/; the layer contracts (lint-imports)
	$(VENV)/bin/ruff check server tests scripts
	$(VENV)/bin/ruff format --check server tests scripts
	$(VENV)/bin/mypy
	PYTHONPATH=server $(VENV)/bin/lint-imports

check-webapp: ## tsc --noEmit and eslint
	cd webapp && npm run check

check-bridge: ## go vet, gofmt and staticcheck (pinned, installed by make setup) on the bridge
	$(MAKE) -C server/bridge vet lint

bench: gen dist ## benchmarks; each prints its figures (the real-server one starts the local server)
	$(PY) tests/bench/run.py

webapp: ## build webapp/dist/main.js
	cd webapp && npm run build

bridge: ## cross-compile the Go bridge for the stock-server bundle
	$(MAKE) -C server/bridge

dist: gen webapp bridge ## bundle for stock Mattermost (Go bridge + Python backend + webapp)
	$(PY) scripts/bundle.py --flavour bridge

dist-native: gen webapp ## bundle for servers with native Python plugin support
	$(PY) scripts/bundle.py --flavour native

deploy: dist ## upload and enable (local server, or MM_SERVICESETTINGS_SITEURL + MM_ADMIN_TOKEN)
	$(PY) scripts/deploy.py dist/$(PLUGIN_ID)-$(PLUGIN_VERSION).tar.gz

demo: dist ## something to click: local server + plugin + the policy's people, and a test host page logged in as a responder
	$(PY) scripts/demo.py

mattermost: ## build (cached) and start a local Mattermost server with PostgreSQL
	scripts/mattermost-server start

logs: ## the plugin's lines of the local server's log (last 100)
	@scripts/mattermost-server logs 5000 | grep -F '$(PLUGIN_ID)' | tail -n 100 || true

enable: ## enable the installed plugin (local server, or MM_SERVICESETTINGS_SITEURL + MM_ADMIN_TOKEN)
	$(PY) scripts/deploy.py enable

disable: ## disable the installed plugin (same server as enable)
	$(PY) scripts/deploy.py disable

reset: ## restart the installed plugin: disable, then enable (same server as enable)
	$(PY) scripts/deploy.py reset

mutation: gen ## mutation testing of the critical modules: score per module, surviving mutants
	$(PY) scripts/mutation.py

e2e: dist ## end-to-end suite against a real Mattermost server
	scripts/mattermost-server start
	$(PY) -m pytest tests/e2e -m e2e

clean: ## remove build output and caches (keeps .venv and node_modules)
	rm -rf dist build $(PB_DIR) webapp/dist server/bridge/dist .pytest_cache .mypy_cache .ruff_cache
