# The two commands a new machine needs: `make run` and `make test`.
# Python 3.11 to 3.13 are accepted (pyproject.toml): python3.11 if this machine
# has it, else python3; `make PYTHON=python3.13 install` picks another.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Every install is from a hashed lock (requirements/*.lock, `make lock`), by uv,
# which refuses a package whose hash differs and never builds an sdist.
UV := $(BIN)/uv
UV_INSTALL = $(UV) pip install --quiet --require-hashes --no-build
MANAGE := $(BIN)/python manage.py
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: help install install-dev install-runtime run serve demo test lint lint-deploy lint-kube typecheck migrations-check pytest schema rehearse rehearse-replicas image-test bench bench-patients bench-scheduling bench-billing clean lock lock-check audit backup restore-drill lint-migrations old-schema-test messages

help:
	@echo "make run    - set up a virtualenv, migrate, load demo data and serve http://127.0.0.1:$(PORT)"
	@echo "make test   - lint, types, migrations check and the test suite"
	@echo "make rehearse   - the production image's commands on this host, probed over HTTP"
	@echo "make image-test - build and run the real images on a private Docker engine"
	@echo "make install    - the virtualenv (.venv) with the development requirements"
	@echo "make demo       - migrate, create the periodic tasks and load demo data (SQLite unless DATABASE_URL)"
	@echo "make serve      - runserver on http://127.0.0.1:$(PORT) without setting anything up"
	@echo "make lint       - ruff check and ruff format --check"
	@echo "make lint-deploy - hadolint, compose/workflow schemas, actionlint, shellcheck, compose config"
	@echo "make typecheck  - mypy"
	@echo "make migrations-check - makemigrations --check (no model change without its migration)"
	@echo "make pytest     - the test suite only (PYTEST_ARGS passes options); includes the API contract and fuzz tests"
	@echo "make schema     - generate the OpenAPI schema, failing on any warning"
	@echo "make bench      - the performance suite (FULL=1 for 1M rows; BENCH_ARGS passes options)"
	@echo "make bench-patients / bench-scheduling / bench-billing - single-area benchmarks"
	@echo "make clean      - remove the virtualenv, caches, static files and the SQLite database"
	@echo "make rehearse-replicas - two web instances behind HAProxy, one killed under load"
	@echo "make lock   - recompile requirements/*.lock (hashed) from requirements/*.txt"
	@echo "make audit  - pip-audit the locks (fails if it could not reach a vulnerability database)"
	@echo "make lock-check - fail if a requirements/*.lock is stale (the first step of make test)"
	@echo "make install-runtime - the virtualenv with the runtime lock only (what make run installs)"
	@echo "make install-dev - the same as make install: the development lock (and checkov apart)"
	@echo "make lint-kube - deploy/k8s overlays rendered, kubernetes-validate, checkov, yamllint"
	@echo "make backup      - pg_dump of DATABASE_URL with a manifest (BACKUP_ARGS=--out DIR --keep-days N)"
	@echo "make restore-drill - back up a scratch database, restore it, compare, verify, read a patient"
	@echo "make lint-migrations - django-migration-linter over apps/ (PostgreSQL)"
	@echo "make messages  - update locale/*/django.po from the code and compile the .mo (needs Debian's gettext)"
	@echo "make old-schema-test - the previous release's tests on the schema this code migrates"

# uv itself, with pip, from its hashed lock: the one step that is not uv.
$(VENV)/.bootstrap: requirements/bootstrap.lock
	@test -x $(BIN)/python || { echo "== creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"; $(PYTHON) -m venv $(VENV); }
	@echo "== installing uv into $(VENV) (requirements/bootstrap.lock)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/bootstrap.lock
	@touch $@

# What running needs, nothing more (make run): the production lock.
$(VENV)/.runtime: $(VENV)/.bootstrap requirements/production.lock
	@echo "== installing the runtime dependencies into $(VENV) (requirements/production.lock, hashed, with uv)"
	@$(UV_INSTALL) --python $(BIN)/python -r requirements/production.lock
	@touch $@

# Development and tests (make test): the development lock, and checkov in a
# virtualenv of its own (its pins conflict with ours: requirements/checkov.txt).
$(VENV)/.installed: $(VENV)/.bootstrap requirements/development.lock requirements/checkov.lock
	@echo "== installing the development and test tools into $(VENV) (requirements/development.lock)"
	@$(UV_INSTALL) --python $(BIN)/python -r requirements/development.lock
	@test -x $(VENV)/checkov/bin/python || $(BIN)/python -m venv --without-pip $(VENV)/checkov
	@echo "== installing checkov into $(VENV)/checkov (requirements/checkov.lock)"
	@$(UV_INSTALL) --python $(VENV)/checkov/bin/python -r requirements/checkov.lock
	@touch $(VENV)/.runtime $@

# The benchmark tools (make bench) only.
$(VENV)/.bench: $(VENV)/.installed requirements/bench.lock
	@echo "== installing the benchmark tools into $(VENV) (requirements/bench.lock)"
	@$(UV_INSTALL) --python $(BIN)/python -r requirements/bench.lock
	@touch $@

install: $(VENV)/.installed
install-dev: install
install-runtime: $(VENV)/.runtime

# Recompile every requirements/*.lock from its requirements/*.txt (uv keeps the
# versions already locked unless an input changed them); commit the result.
lock: $(VENV)/.bootstrap
	$(BIN)/python -m deploy.locks compile

# Fails when a lock is older than its input: a pin added without `make lock`.
lock-check:
	@$(or $(wildcard $(BIN)/python),$(PYTHON)) -m deploy.locks check

# pip-audit over the production and development locks. This machine cannot
# reach a vulnerability database: the script says so and fails instead of
# printing a clean result. The GitHub workflow runs it for real.
audit: install
	$(BIN)/python -m deploy.audit requirements/production.lock requirements/development.lock

# Embedded default: SQLite, in-memory cache, eager Celery tasks, unless
# DATABASE_URL / REDIS_URL are set in the environment or .env.
run: install-runtime demo serve

demo: install-runtime
	ENV=development $(MANAGE) migrate --noinput
	ENV=development $(MANAGE) setup_periodic_tasks
	ENV=development $(MANAGE) seed_demo

serve:
	@echo "ClinicOps on http://127.0.0.1:$(PORT)/api/docs/ (Ctrl-C stops it)"
	ENV=development $(MANAGE) runserver 127.0.0.1:$(PORT)

test: lock-check install lint lint-deploy typecheck migrations-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The deployment files: Dockerfiles, compose files, workflow, shell scripts,
# Kubernetes manifests, Dependabot and pre-commit configuration.
DOCKERFILES := Dockerfile docker/prod/Dockerfile docker/dev/Dockerfile
lint-deploy: install
	$(BIN)/hadolint $(DOCKERFILES)
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.dev.yml compose.prod.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/deploy.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/pre-commit validate-config .pre-commit-config.yaml
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint .github/workflows/deploy.yml
	$(BIN)/shellcheck entrypoint.sh deploy/*.sh .ci/run
	deploy/compose-config.sh
	$(MAKE) --no-print-directory lint-kube

# deploy/k8s offline: the overlays rendered (deploy/k8s.py), then
# kubernetes-validate, checkov's Kubernetes policies and yamllint.
lint-kube: install
	$(BIN)/python -m deploy.k8s lint

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	ENV=test $(MANAGE) makemigrations --check --dry-run

pytest: install
	ENV=test $(BIN)/pytest $(PYTEST_ARGS)

# Release rehearsal: PostgreSQL on 127.0.0.1:5432 (user postgres) and redis-server installed.
rehearse: install
	$(BIN)/python -m deploy.rehearse

# Two web instances behind HAProxy (Debian's haproxy), a worker and Beat; one
# instance SIGKILLed under load: no request fails after HAProxy notices, no task
# is lost (deploy/replicas.py). Needs PostgreSQL on 127.0.0.1:5432 and redis-server.
rehearse-replicas: install
	$(BIN)/python -m deploy.replicas

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
bench: $(VENV)/.bench
	$(BIN)/python bench/suite.py $(if $(FULL),--full) $(BENCH_ARGS)

bench-patients: $(VENV)/.bench
	$(BIN)/python bench/patients.py --patients 1000000 --clinics 50

bench-scheduling: $(VENV)/.bench
	$(BIN)/python bench/scheduling.py --appointments 1000000 --clinics 50

bench-billing: $(VENV)/.bench
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
# Translations of document labels (locale/, English is the source language). The
# compiled .mo are committed beside their .po, so tests, `make run` and the image
# need no gettext tools; apps/billing/tests/test_pdf_labels.py fails on a stale .mo.
MESSAGE_LANGUAGES ?= de
messages: install
	ENV=test $(MANAGE) makemessages --no-location $(foreach lang,$(MESSAGE_LANGUAGES),-l $(lang)) \
		--ignore 'bench/*' --ignore 'tests/*' --ignore '*/tests/*' --ignore 'deploy/*' --ignore 'docs/*' \
		--ignore 'staticfiles/*'
	ENV=test $(MANAGE) compilemessages --ignore '.venv'

lint-migrations: install
	ENV=test $(BIN)/python -m deploy.lint_migrations

# The previous release (deploy/previous-release) tests against the schema this code migrates.
OLD_SCHEMA_ARGS ?=
old-schema-test: install
	$(BIN)/python -m deploy.old_schema $(OLD_SCHEMA_ARGS)

