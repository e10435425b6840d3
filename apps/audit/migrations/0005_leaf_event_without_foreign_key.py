"""The leaf's event column keeps its unique index but loses the database foreign key.

The deferred check ran once per sealed event at the seal's commit, taking a
row lock on every event it checked: a third of a seal's time at 50,000 events
(docs/performance.md). Dropping a constraint rewrites nothing and holds the two
tables' locks only for the catalog change (``migrate_safely`` bounds the wait).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_list_index_concurrently"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditleaf",
            name="event",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="leaf",
                to="audit.auditevent",
            ),
        ),
    ]
