"""Trigram search on PostgreSQL: the extensions, then a GIN index built concurrently.

Non-atomic, because CREATE INDEX CONCURRENTLY cannot run in a transaction and
must not lock the table for writes while it builds (zero-downtime deploys).
One GIN index over (clinic_id, search_name) with btree_gin lets a search
scoped to the caller's clinics use a single index. SQLite skips all of this.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS patients_search_trgm "
        "ON patients_patient USING gin (clinic_id, search_name gin_trgm_ops)"
    )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS patients_search_trgm")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("patients", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
