# examsite: `make run` serves the app, `make test` runs the whole suite. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test lint fmt bench setup venv dev-venv clean schemas messages

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

venv: $(VENV)/.runtime-installed
dev-venv: $(VENV)/.dev-installed

## Set up (venv, migrations, banks, first administrator) and serve with gunicorn.
run: venv
	$(BIN)/flask --app wsgi setup
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## The official IMS schemas the QTI export tests validate against, from a package registry (not in git).
schemas:
	bash tests/schemas/fetch.sh build/schemas

## Lint, bank lint, then unit, integration and browser tests.
test: dev-venv schemas
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/flask --app wsgi banks lint --quiet question_banks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: dev-venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Extract the strings marked for translation and update the catalogs (examsite/translations).
messages: dev-venv
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o examsite/translations/messages.pot --no-location --sort-output --project examsite .
	$(BIN)/pybabel update -i examsite/translations/messages.pot -d examsite/translations --no-fuzzy-matching --ignore-obsolete

## Exam-day load benchmark (see docs/benchmarks.md).
bench: dev-venv
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
