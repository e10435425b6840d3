"""The catalog model Service becomes CatalogItem (named apart from the services layer), keeping its table.

The table is pinned to its old name first, so the rename touches only
Django's state: no SQL runs (``sqlmigrate billing 0005`` prints none), and a
previous release running during the deploy keeps reading and writing
``billing_service``. The foreign keys of invoice and visit lines keep their
columns and constraints; contenttypes renames its row after the migration.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_credit_notes"),
        ("visits", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="service", table="billing_service"),
        migrations.RenameModel(old_name="Service", new_name="CatalogItem"),
    ]
