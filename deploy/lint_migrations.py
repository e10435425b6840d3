"""Lint ClinicOps' migrations for locking and backward-incompatible operations (make lint-migrations).

    python -m deploy.lint_migrations [--apps LABEL ...]

django-migration-linter reads each migration's SQL (``sqlmigrate``, on the
database of DATABASE_URL: PostgreSQL in CI) and refuses what breaks the
previous release during a rolling deploy or locks a busy table: dropping or
renaming a column or table, a NOT NULL column without a default, and so on.

Linted: every app under ``apps/`` (new apps are included by themselves).
Not linted: Django's and third-party apps' migrations (auth, django_celery_beat,
token_blacklist...): they are history we cannot change, reviewed when we upgrade.

An exception is written in the migration itself, as the linter's
``IgnoreMigration()`` operation with a comment saying why it is safe; none of
ours needs one today (doing so makes django-migration-linter a runtime
requirement: move its pin to requirements/base.txt then).
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", nargs="*", help="app labels to lint (default: every app under apps/)")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ENV", "test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        # SQLite rebuilds tables for most ALTERs: its SQL says nothing about production's.
        print("lint-migrations: needs PostgreSQL (set DATABASE_URL); not linted", file=sys.stderr)
        return 2
    from django_migration_linter import MigrationLinter

    labels = options.apps or [config.label for config in apps.get_app_configs() if config.name.startswith("apps.")]
    linter = MigrationLinter(str(ROOT), include_apps=labels, no_cache=True)
    linter.lint_all_migrations()
    if linter.has_errors:
        print("lint-migrations: FAILED: a migration above is unsafe for a zero-downtime deploy", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
