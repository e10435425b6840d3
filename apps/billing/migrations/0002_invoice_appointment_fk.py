"""``Invoice.appointment`` becomes a real foreign key, one live invoice per appointment.

Zero-downtime, in three steps a running previous release never notices:

1. state only: the old ``appointment_id`` UUID column is now the field
   ``legacy_appointment_id`` (same column, no SQL); the new nullable FK column
   ``appointment_fk_id`` is added (instant: nullable, no default);
2. backfill: each invoice whose old id names an appointment of its own clinic
   gets the FK; if several live invoices named one appointment, only the oldest
   is linked (the others keep their legacy id, so nothing is lost);
3. enforce: the partial unique index (one live invoice per appointment) is built
   CONCURRENTLY in a non-atomic migration (0003) so writes are never blocked.

The legacy column is dropped in the next release. ``credited_amount`` (credit
notes) is added with a constant database default, which PostgreSQL 11+ stores
without rewriting the table, and which lets the previous release's INSERTs
(that do not name it) go on working.
"""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BATCH = 2000


def backfill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    invoice_model = apps.get_model("billing", "Invoice")
    appointment_model = apps.get_model("scheduling", "Appointment")
    linked: set = set()
    rows = (
        invoice_model.objects.filter(legacy_appointment_id__isnull=False, appointment__isnull=True)
        .exclude(status="void")
        .order_by("created_at", "id")
        .values_list("id", "clinic_id", "legacy_appointment_id")
    )
    pending: list = []
    for invoice_id, clinic_id, appointment_id in rows.iterator(chunk_size=BATCH):
        pending.append((invoice_id, clinic_id, appointment_id))
        if len(pending) >= BATCH:
            _link(invoice_model, appointment_model, pending, linked)
            pending = []
    if pending:
        _link(invoice_model, appointment_model, pending, linked)


def _link(invoice_model, appointment_model, rows, linked) -> None:  # type: ignore[no-untyped-def]
    clinics = dict(
        appointment_model.objects.filter(pk__in=[row[2] for row in rows]).values_list("id", "clinic_id")
    )
    for invoice_id, clinic_id, appointment_id in rows:
        if clinics.get(appointment_id) != clinic_id or appointment_id in linked:
            continue  # another clinic's, a missing, or an already billed appointment: left unlinked
        linked.add(appointment_id)
        invoice_model.objects.filter(pk=invoice_id).update(appointment_id=appointment_id)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("scheduling", "0002_no_overlap_exclusion_constraints"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="invoice", name="appointment_id"),
                migrations.AddField(
                    model_name="invoice",
                    name="legacy_appointment_id",
                    field=models.UUIDField(blank=True, db_column="appointment_id", null=True),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="invoice",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                db_column="appointment_fk_id",
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="scheduling.appointment",
            ),
        ),
        migrations.AddField(
            model_name="invoice",
            name="credited_amount",
            field=models.DecimalField(
                decimal_places=4, default=Decimal("0"), db_default=Decimal("0"), max_digits=14
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
