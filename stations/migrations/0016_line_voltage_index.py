"""Issue 13: the overview's line-voltage marks (issue 12) cost every list page a read of all connector
specifications on PostgreSQL at 1,000,000 stations (its plan answers the EXISTS of each row with one
hashed pass over the table, 180 ms). A partial index of just the specifications the warning is about
makes that pass 1 ms, and costs an import nothing for the others."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0015_import_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="connectorspec",
            index=models.Index(
                condition=models.Q(("power_type", "AC_3_PHASE"), ("voltage__gt", 277)),
                fields=["station"],
                name="spec_line_voltage_idx",
            ),
        ),
    ]
