"""Issue 13: the overview's line-voltage filter at 1,000,000 stations. PostgreSQL estimates "three-phase and
above 277 V" from each column alone (a third of the specifications are three-phase; most voltages are above
277) at about 225,000 specifications, when 6,666 are; it then counts the operator's filtered list by walking
all 900,000 of its stations (230 ms). Statistics of the two columns together (an MCV list) give the real
figure, and the count goes through the partial index of migration 0016. PostgreSQL only; a no-op elsewhere.
"""

from django.db import migrations

STATISTICS = "spec_power_voltage_stats"


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE STATISTICS IF NOT EXISTS "{STATISTICS}" (mcv) ON "power_type", "voltage" '
            'FROM "stations_connectorspec"'
        )
        # A sample of the table, not a read of it (seconds at 2,000,000 rows): the estimate is right at once.
        schema_editor.execute('ANALYZE "stations_connectorspec"')


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP STATISTICS IF EXISTS "{STATISTICS}"')


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0016_line_voltage_index"),
    ]

    operations = [migrations.RunPython(create_statistics, drop_statistics)]
