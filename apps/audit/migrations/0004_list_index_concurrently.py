"""Indexes for volume, built CONCURRENTLY (non-atomic): no write lock on the events table while they build.

* (clinic_id, resource_type, resource_id, id) serves the audit list's filter
  and its ORDER BY id DESC from one index range; it replaces the 3-column one.
* BRIN on txid: the sealer's "txid >= horizon" tail, for almost no insert cost
  (BRIN is not touched per row; the unsummarized tail is always scanned).
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NEW = "audit_clinic_resource_id"
OLD = "audit_clinic_resource"


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(f"CREATE INDEX {NEW} ON audit_auditevent (clinic_id, resource_type, resource_id, id)")
        schema_editor.execute(f"DROP INDEX {OLD}")
        return
    # IF NOT EXISTS: a build interrupted earlier leaves an INVALID index; drop it first.
    schema_editor.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        f"WHERE c.relname = '{NEW}' AND NOT i.indisvalid) THEN EXECUTE 'DROP INDEX {NEW}'; END IF; END $$"
    )
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NEW} "
        "ON audit_auditevent (clinic_id, resource_type, resource_id, id)"
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD}")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_event_txid_brin "
        "ON audit_auditevent USING brin (txid) WITH (pages_per_range = 32, autosummarize = on)"
    )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(f"CREATE INDEX {OLD} ON audit_auditevent (clinic_id, resource_type, resource_id)")
        schema_editor.execute(f"DROP INDEX {NEW}")
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD} ON audit_auditevent (clinic_id, resource_type, resource_id)"
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW}")
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS audit_event_txid_brin")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("audit", "0003_checkpoints")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="auditevent", name=OLD),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["clinic", "resource_type", "resource_id", "id"], name=NEW),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
