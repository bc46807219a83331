# Everything a fresh machine needs, from Python 3.11 and make alone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/costbot demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# make bench SCALE=4: also ingest the org x4 (80 000 resources, ~29 M lines, streamed)
SCALE ?= 1
bench: $(STAMP)
	$(BIN)/python bench/run_all.py --scale $(SCALE)

clean:
	rm -rf $(VENV) demo-data costbot.db costbot.db-wal costbot.db-shm
