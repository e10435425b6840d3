"""Clinic legal name, tax number and locale, for invoices a clinic can send (issue #14).

Three columns with a constant default: PostgreSQL 11+ adds them without
rewriting the table, and db_default keeps a previous release's INSERTs working.
Depends on 0004 (invitations), the latest clinics migration when main was merged.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinics", "0004_invitations")]

    operations = [
        migrations.AddField(
            model_name="clinic",
            name="legal_name",
            field=models.CharField(blank=True, default="", db_default="", max_length=200),
        ),
        migrations.AddField(
            model_name="clinic",
            name="tax_number",
            field=models.CharField(blank=True, default="", db_default="", max_length=40),
        ),
        migrations.AddField(
            model_name="clinic",
            name="locale",
            field=models.CharField(blank=True, default="", db_default="", max_length=16),
        ),
    ]
