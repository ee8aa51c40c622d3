"""Indexes for 1,000,000 stations (issue 13): the overview's default order across tenants, and trigram
indexes for the search on PostgreSQL (pg_trgm, a trusted extension the database owner may
create since PostgreSQL 13).

The trigram indexes are PostgreSQL's alone, so they are plain SQL here and not in ``Station.Meta``: SQLite
has no GIN, and it rebuilds a table with every index of the model state whenever a later migration adds
a column, which would fail on an index it cannot create."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# The admin's search runs ``UPPER(column::text) LIKE UPPER('%term%')``: the index holds the same expression.
TRIGRAM_INDEXES = {
    "station_station_id_trgm": "station_id",
    "station_serial_trgm": "serial_number",
    "station_article_trgm": "article_number",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in TRIGRAM_INDEXES.items():
            schema_editor.execute(
                f'CREATE INDEX "{name}" ON "stations_station" USING gin ((UPPER("{column}")) gin_trgm_ops)'
            )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in TRIGRAM_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0007_labelprint"),
    ]

    operations = [
        # A no-op on other databases (CreateExtension checks the vendor itself).
        TrigramExtension(),
        migrations.AddIndex(
            model_name="station",
            index=models.Index(fields=["station_id", "-id"], name="station_order_idx"),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
