"""Signed Merkle checkpoints: leaf, node and checkpoint tables; txid on events; legacy columns nullable.

Zero-downtime: every step here is instant on a large table. ``txid`` is added
without a default (a volatile default would rewrite the table and stamp the old
rows), then the default is set for new rows only, so old rows keep NULL: that
is how the sealer tells the legacy chain apart. The previous release keeps
writing its chain columns meanwhile; its rows get a txid and are sealed.
The triggers now refuse UPDATE, DELETE and TRUNCATE on all four tables.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import apps.audit.models

TABLES = ("audit_auditevent", "audit_auditleaf", "audit_auditnode", "audit_auditcheckpoint")

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log tables are append-only (% refused on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def add_txid(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute("ALTER TABLE audit_auditevent ADD COLUMN txid bigint NULL")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE audit_auditevent ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint)"
        )


def drop_txid(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute("ALTER TABLE audit_auditevent DROP COLUMN txid")


def add_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        if table != "audit_auditevent":  # its row trigger exists since 0002
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
            )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )


def drop_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        if table != "audit_auditevent":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="auditevent",
                    name="txid",
                    field=models.BigIntegerField(
                        blank=True, db_default=apps.audit.models.CurrentTransactionId(), editable=False, null=True
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_txid, drop_txid)],
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tree_size", models.BigIntegerField(unique=True)),
                ("root_hash", models.CharField(max_length=64)),
                ("prev_checkpoint_hash", models.CharField(max_length=64)),
                ("checkpoint_hash", models.CharField(max_length=64, unique=True)),
                ("sealed_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("signature", models.CharField(max_length=128)),
                ("frontier", models.JSONField(default=list)),
                ("txid_horizon", models.BigIntegerField(blank=True, null=True)),
            ],
            options={"ordering": ["-tree_size"]},
        ),
        migrations.CreateModel(
            name="AuditLeaf",
            fields=[
                ("log_index", models.BigIntegerField(primary_key=True, serialize=False)),
                ("leaf_hash", models.BinaryField(max_length=32)),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="leaf", to="audit.auditevent"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="AuditNode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("level", models.PositiveSmallIntegerField()),
                ("index", models.BigIntegerField()),
                ("hash", models.BinaryField(max_length=32)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("level", "index"), name="audit_node_level_index")]
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
