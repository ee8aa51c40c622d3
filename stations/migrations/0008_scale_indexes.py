"""Indexes for 1,000,000 stations (issue 13): the overview's default order across tenants, and trigram
indexes for the search on PostgreSQL (pg_trgm, a trusted extension the database owner may
create since PostgreSQL 13). SQLite gets the order indexes only: GIN and pg_trgm do not exist there."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """AddIndex that changes the schema on PostgreSQL only; the model state gets the index everywhere, so
    ``makemigrations --check`` stays clean on every database."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def trigram_index(expression_field, name):
    return django.contrib.postgres.indexes.GinIndex(
        django.contrib.postgres.indexes.OpClass(
            django.db.models.functions.text.Upper(expression_field), name="gin_trgm_ops"
        ),
        name=name,
    )


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
        AddIndexOnPostgreSQL(
            model_name="station", index=trigram_index("station_id", "station_station_id_trgm")
        ),
        AddIndexOnPostgreSQL(
            model_name="station", index=trigram_index("serial_number", "station_serial_trgm")
        ),
        AddIndexOnPostgreSQL(
            model_name="station", index=trigram_index("article_number", "station_article_trgm")
        ),
    ]
