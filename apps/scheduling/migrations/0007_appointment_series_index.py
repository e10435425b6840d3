"""The occurrences-of-a-series index, built on PostgreSQL without locking writes on the appointments table.

Non-atomic for CONCURRENTLY; SQLite (the embedded default) builds it plainly.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

COLUMNS = 'ON scheduling_appointment (series_id, start) WHERE series_id IS NOT NULL'


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS sched_appt_series_start {COLUMNS}")


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS sched_appt_series_start")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("scheduling", "0006_appointment_series")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="appointment",
                    index=models.Index(
                        condition=models.Q(("series__isnull", False)),
                        fields=["series", "start"],
                        name="sched_appt_series_start",
                    ),
                )
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
