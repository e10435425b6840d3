# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: help install run serve demo test lint typecheck migrations-check pytest schema bench-patients bench-billing clean

help:
	@echo "make run    - set up a virtualenv, migrate, load demo data and serve http://127.0.0.1:$(PORT)"
	@echo "make test   - lint, types, migrations check and the test suite"

$(VENV)/.installed: requirements/base.txt requirements/production.txt requirements/development.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/development.txt
	@touch $@

install: $(VENV)/.installed

# Embedded default: SQLite, in-memory cache, eager Celery tasks, unless
# DATABASE_URL / REDIS_URL are set in the environment or .env.
run: install demo serve

demo: install
	ENV=development $(MANAGE) migrate --noinput
	ENV=development $(MANAGE) setup_periodic_tasks
	ENV=development $(MANAGE) seed_demo

serve:
	@echo "ClinicOps on http://127.0.0.1:$(PORT)/api/docs/ (Ctrl-C stops it)"
	ENV=development $(MANAGE) runserver 127.0.0.1:$(PORT)

test: install lint typecheck migrations-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	ENV=test $(MANAGE) makemigrations --check --dry-run

pytest: install
	ENV=test $(BIN)/pytest $(PYTEST_ARGS)

schema: install
	ENV=test $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

bench-patients: install
	$(BIN)/python bench/patients.py --patients 1000000 --clinics 50

bench-billing: install
	$(BIN)/python bench/billing.py --invoices 200000 --clinics 20

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache staticfiles db.sqlite3
