"""The partial unique index behind "one live invoice per appointment", built without blocking writes.

CREATE UNIQUE INDEX CONCURRENTLY cannot run in a transaction, hence
``atomic = False``. On SQLite (the embedded default) a plain partial unique
index does the same job. The state gets the model's UniqueConstraint.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NAME = "billing_invoice_one_live_per_appointment"
WHERE = "appointment_fk_id IS NOT NULL AND NOT (status = 'void')"


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE UNIQUE INDEX {concurrently}IF NOT EXISTS {NAME} ON billing_invoice (appointment_fk_id) WHERE {WHERE}"
    )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("billing", "0002_invoice_appointment_fk")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="invoice",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("appointment__isnull", False), models.Q(("status", "void"), _negated=True)),
                        fields=("appointment",),
                        name=NAME,
                    ),
                )
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
