# `make run` sets up and starts the studio; `make test` sets up and runs every test.
PORT ?= 8000
# honcho gives each process its own PORT, so the web port travels under another name.
export REELSMITH_PORT := $(PORT)

.PHONY: run test setup setup-dev lint bench

setup:
	./scripts/setup run

setup-dev:
	./scripts/setup dev

run: setup
	@echo "Reelsmith on http://127.0.0.1:$(PORT)  (Ctrl-C stops everything)"
	.venv/bin/honcho start -f Procfile

test: setup-dev
	./scripts/test

lint: setup-dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy studio generation
	.venv/bin/lint-imports

bench: setup-dev
	.venv/bin/python bench/submit_latency.py
	.venv/bin/python bench/web_overhead.py
