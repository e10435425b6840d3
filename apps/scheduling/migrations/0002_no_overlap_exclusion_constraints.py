"""On PostgreSQL, the database itself refuses overlapping active appointments.

Two exclusion constraints (btree_gist for the equality part) over half-open
ranges [start, end): one per practitioner, one per patient, counting only
booked and checked-in appointments. Touching appointments (10:00-10:30 and
10:30-11:00) do not overlap. The table is new and empty here, so adding them
takes no time; SQLite skips this and relies on the services' check.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

ACTIVE = "status IN ('booked', 'checked_in')"


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in (
        ("sched_appt_practitioner_no_overlap", "practitioner_id"),
        ("sched_appt_patient_no_overlap", "patient_id"),
    ):
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) WHERE ({ACTIVE})"
        )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("sched_appt_practitioner_no_overlap", "sched_appt_patient_no_overlap"):
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
