# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: help install run serve demo test lint lint-deploy typecheck migrations-check pytest schema rehearse image-test bench bench-patients bench-scheduling bench-billing clean backup restore-drill lint-migrations old-schema-test

help:
	@echo "make run    - set up a virtualenv, migrate, load demo data and serve http://127.0.0.1:$(PORT)"
	@echo "make test   - lint, types, migrations check and the test suite"
	@echo "make rehearse   - the production image's commands on this host, probed over HTTP"
	@echo "make image-test - build and run the real images on a private Docker engine"
	@echo "make backup      - pg_dump of DATABASE_URL with a manifest (BACKUP_ARGS=--out DIR --keep-days N)"
	@echo "make restore-drill - back up a scratch database, restore it, compare, verify, read a patient"
	@echo "make lint-migrations - django-migration-linter over apps/ (PostgreSQL)"
	@echo "make old-schema-test - the previous release's tests on the schema this code migrates"

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

test: install lint lint-deploy typecheck migrations-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The deployment files: Dockerfiles, compose files, workflow, shell scripts.
DOCKERFILES := Dockerfile docker/prod/Dockerfile docker/dev/Dockerfile
lint-deploy: install
	$(BIN)/hadolint $(DOCKERFILES)
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.dev.yml compose.prod.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/deploy.yml
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint .github/workflows/deploy.yml
	$(BIN)/shellcheck entrypoint.sh deploy/*.sh .ci/run
	deploy/compose-config.sh

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	ENV=test $(MANAGE) makemigrations --check --dry-run

pytest: install
	ENV=test $(BIN)/pytest $(PYTEST_ARGS)

# Release rehearsal: PostgreSQL on 127.0.0.1:5432 (user postgres) and redis-server installed.
rehearse: install
	$(BIN)/python -m deploy.rehearse

# The real images on a private Docker engine (../shared/tools/local-docker.sh
# here, the runner's own engine in GitHub Actions). IMAGE_TEST_ARGS=--allow-no-engine
# turns "no engine" into a loud skip instead of a failure.
IMAGE_TEST_ARGS ?=
image-test: install
	$(BIN)/python -m deploy.image_test $(IMAGE_TEST_ARGS)

schema: install
	ENV=test $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

# The performance suite (bench/suite.py, docs/performance.md): quick by default,
# FULL=1 for 1M patients / 1M appointments / 200k invoices. Needs PostgreSQL on
# 127.0.0.1:5432; installs Debian's wrk if it is missing. BENCH_ARGS passes options.
bench: install
	$(BIN)/python bench/suite.py $(if $(FULL),--full) $(BENCH_ARGS)

bench-patients: install
	$(BIN)/python bench/patients.py --patients 1000000 --clinics 50

bench-scheduling: install
	$(BIN)/python bench/scheduling.py --appointments 1000000 --clinics 50

bench-billing: install
	$(BIN)/python bench/billing.py --invoices 200000 --clinics 20

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache staticfiles db.sqlite3

# --- Backups and migrations (docs/deploy.md) ---------------------------------
# A pg_dump archive of DATABASE_URL with its manifest in BACKUP_DIR (default ./backups).
BACKUP_ARGS ?=
backup:
	deploy/backup.sh $(BACKUP_ARGS)

# Back up a scratch database, restore it into a fresh one, compare, verify the audit trail, read a patient.
restore-drill: install
	$(BIN)/python -m deploy.restore_drill

# django-migration-linter over every app under apps/ (needs PostgreSQL: DATABASE_URL).
lint-migrations: install
	ENV=test $(BIN)/python -m deploy.lint_migrations

# The previous release (deploy/previous-release) tests against the schema this code migrates.
OLD_SCHEMA_ARGS ?=
old-schema-test: install
	$(BIN)/python -m deploy.old_schema $(OLD_SCHEMA_ARGS)

