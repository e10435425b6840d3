"""Clinic legal name, tax number and locale, for invoices a clinic can send (issue #14).

Three columns with a constant default: PostgreSQL 11+ adds them without
rewriting the table, and db_default keeps a previous release's INSERTs working.
Depends on 0002 for now; the lead re-points it after 0003/0004 at merge.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinics", "0002_country_and_counters")]

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
