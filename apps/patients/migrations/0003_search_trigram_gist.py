"""Name search served by a GiST trigram index instead of the GIN one.

Measured at 1,000,000 patients over 50 clinics (docs/performance.md): the same
search query (``search_name % term`` in one clinic, ranked by similarity)
took 16.0 ms on average with GIN (p95 24 ms) and 8.9 ms with GiST (p95 13 ms):
GIN must intersect the clinic's long posting list with every matching
trigram's, GiST descends (clinic_id, trigram signature) together. Results
are identical (the index only finds candidates; ``%`` and the ranking are
unchanged). Built concurrently before the GIN index is dropped, so searches
always have an index; non-atomic for CONCURRENTLY. SQLite skips all of this.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS patients_search_trgm_gist "
        "ON patients_patient USING gist (clinic_id, search_name gist_trgm_ops)"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS patients_search_trgm")


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS patients_search_trgm "
        "ON patients_patient USING gin (clinic_id, search_name gin_trgm_ops)"
    )
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS patients_search_trgm_gist")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("patients", "0002_search_trigram_index")]

    operations = [migrations.RunPython(forwards, backwards)]
