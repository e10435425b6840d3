"""Migrations without fear: the linter refuses unsafe ones, migrate fails fast on a lock,
and the old code on the new schema fails when a column it reads is gone."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from deploy import old_schema

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

INITIAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Thing",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
                ("legacy", models.CharField(max_length=20, null=True)),
            ],
        ),
    ]
"""
DROP_COLUMN = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("{app}", "0001_initial")]
    operations = [migrations.RemoveField(model_name="thing", name="legacy")]
"""
NOT_NULL_WITHOUT_DEFAULT = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("{app}", "0001_initial")]
    operations = [migrations.AddField(model_name="thing", name="code", field=models.IntegerField(null=False))]
"""
NULLABLE_COLUMN = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("{app}", "0001_initial")]
    operations = [migrations.AddField(model_name="thing", name="note", field=models.TextField(null=True))]
"""


def database_url_of_the_tests() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def make_app(root: Path, app: str, second_migration: str) -> None:
    package = root / app
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    (package / "migrations" / "0001_initial.py").write_text(INITIAL)
    (package / "migrations" / "0002_change.py").write_text(second_migration.format(app=app))


def lint(tmp_path: Path, app: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ENV": "test",
        "DJANGO_SETTINGS_MODULE": "lint_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
        "DATABASE_URL": database_url_of_the_tests(),
    }
    command = [sys.executable, "-m", "deploy.lint_migrations", "--apps", app]
    return subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True, check=False)


def test_the_migration_linter_refuses_unsafe_migrations_and_passes_a_safe_one(tmp_path):
    make_app(tmp_path, "drops_a_column", DROP_COLUMN)
    make_app(tmp_path, "adds_not_null", NOT_NULL_WITHOUT_DEFAULT)
    make_app(tmp_path, "adds_nullable", NULLABLE_COLUMN)
    (tmp_path / "lint_settings.py").write_text(
        textwrap.dedent("""
        from config.settings import *  # noqa: F403
        INSTALLED_APPS = [*INSTALLED_APPS, "drops_a_column", "adds_not_null", "adds_nullable"]  # noqa: F405
        """)
    )
    dropped = lint(tmp_path, "drops_a_column")
    assert dropped.returncode == 1, dropped.stdout + dropped.stderr
    assert "DROPPING columns" in dropped.stdout
    not_null = lint(tmp_path, "adds_not_null")
    assert not_null.returncode == 1, not_null.stdout + not_null.stderr
    assert "NOT NULL" in not_null.stdout
    safe = lint(tmp_path, "adds_nullable")
    assert safe.returncode == 0, safe.stdout + safe.stderr
    assert "(adds_nullable, 0002_change)... OK" in safe.stdout


def test_the_release_role_gives_up_on_a_held_lock_and_stops_loudly():
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"])
    env = {
        **os.environ,
        "ENV": "test",
        "DATABASE_URL": database_url_of_the_tests(),
        "MIGRATE_LOCK_TIMEOUT": "1s",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    try:
        # A long transaction holding the table a migration needs (here: the migration history itself).
        holder.execute("LOCK TABLE django_migrations IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        command = [sys.executable, "manage.py", "migrate_safely", "--noinput"]
        done = subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True, timeout=60)
        waited = time.monotonic() - started
        # The release role as Railway's pre-deploy runs it: it must stop at migrate, before the schedule.
        release = subprocess.run(
            ["sh", "entrypoint.sh", "release"], cwd=REPO, env=env, text=True, capture_output=True, timeout=120
        )
    finally:
        holder.close()
    assert done.returncode == 1
    assert "release: migrate FAILED" in done.stderr
    assert "lock timeout" in done.stderr
    assert waited < 30  # it gave up instead of queueing behind the lock for as long as it was held
    assert release.returncode == 1
    assert "release: migrate FAILED" in release.stderr
    assert "periodic tasks in place" not in release.stdout  # nothing after the failed migrate ran


@pytest.mark.slow
def test_old_code_on_the_new_schema_fails_when_a_column_it_reads_is_dropped():
    # The "old code" is this checkout; one test that reads and writes patients.
    tests = ["apps/patients/tests/test_api.py", "-k", "test_a_read_is_audited"]
    schema = old_schema.Schema(database_url_of_the_tests())
    try:
        schema.create_and_migrate()
        assert old_schema.run_old_tests(schema, REPO, tests).returncode == 0
        # The next release drops a column the old code still selects: the check must catch it.
        schema.execute("ALTER TABLE patients_patient DROP COLUMN phone")
        broken = old_schema.run_old_tests(schema, REPO, tests, capture=True)
        assert broken.returncode != 0
        # ... and it failed for that reason, not another.
        assert "UndefinedColumn" in broken.stdout
        assert "phone" in broken.stdout
    finally:
        schema.drop()
