"""Backfill front_desk_note from notes written by the front desk (zero-downtime, in batches).

An appointment whose creator was a receptionist of its clinic had its
``notes`` written by the front desk: those are front-desk remarks, copied to
``front_desk_note`` (cut to its 500 characters). Everything else stays only in
the legacy ``notes`` field, readable by clinical roles for one release.
``notes`` is left as it was: the previous release still reads it.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef

BATCH = 1000


def backfill(apps, schema_editor):
    appointment = apps.get_model("scheduling", "Appointment")
    membership = apps.get_model("clinics", "Membership")
    by_front_desk = membership.objects.filter(
        clinic_id=OuterRef("clinic_id"), user_id=OuterRef("created_by_id"), role="receptionist"
    )
    pending = (
        appointment.objects.filter(front_desk_note="")
        .exclude(notes="")
        .filter(Exists(by_front_desk))
        .order_by("pk")
        .values_list("pk", "notes")
    )
    last = None
    while True:
        rows = pending.filter(pk__gt=last) if last is not None else pending
        batch = list(rows[:BATCH])
        if not batch:
            break
        for pk, notes in batch:
            appointment.objects.filter(pk=pk).update(front_desk_note=notes[:500])
        last = batch[-1][0]


class Migration(migrations.Migration):
    atomic = False  # batches commit one by one: no long lock on a large table

    dependencies = [
        ("scheduling", "0003_front_desk_note_and_check_in_window"),
        ("clinics", "0002_country_and_counters"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
