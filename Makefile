# The few commands people type. `./go run` / `./go test` are the fresh-machine versions.
UV ?= uv
export UV_PYTHON_DOWNLOADS = never

.PHONY: setup run test test-slow lint format ui sample bench

setup:
	$(UV) sync --frozen

run: setup
	$(UV) run spoor run

test: lint
	$(UV) run pytest -n 2 --dist loadfile

test-slow:
	$(UV) run pytest -n 2 --dist loadfile -m slow

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run python -m scripts.lint_sql

format:
	$(UV) run ruff format .
	$(UV) run ruff check --fix .
	$(UV) run sqlfluff fix dbt_project/models

ui:
	$(UV) run spoor ui

sample:
	$(UV) run spoor simulate --preset sample --out data/sample

bench:
	$(UV) run python -m benchmarks.bench_ingestion
