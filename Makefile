# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test demo migrate lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,postgres]"
	touch $(STAMP)

run: $(STAMP)  ## start the bot on SQLite (settings from .env; migrations applied on start)
	$(BIN)/python -m bot run

test: lint typecheck pytest  ## ruff, mypy and the whole pytest suite

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Parallel workers (pytest-xdist): most of an end-to-end test's time is waiting for the bot
# process, so more workers than this machine's two cores still shorten the run.
# worksteal: an idle worker takes tests queued on a busy one (the e2e tests vary from 1 s to 2 min).
TEST_WORKERS ?= 4

pytest: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

demo: $(STAMP)  ## a scripted scene against the local Telegram emulator; no token needed
	$(BIN)/python -m bot demo

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

bench: $(STAMP)  ## benchmarks (the pipeline on SQLite and on PostgreSQL with 1 and 3 replicas): print their figures, assert nothing
	$(BIN)/python -m bench.pipeline
	$(BIN)/python -m bench.outbox
	$(BIN)/python -m bench.outbox_crash
	$(BIN)/python -m bench.digest
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.export
	$(BIN)/python -m bench.start

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
