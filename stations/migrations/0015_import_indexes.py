"""Issue 13, third round: fewer indexes for an import's INSERT to keep up.

- The single-column indexes of ``Station.tenant`` and ``ConnectorSpec.station`` go: the (tenant, …)
  indexes and the unique (station, position) index start with the same column and serve every look-up
  by it (the overview's tenant filter, the foreign-key checks, the cascade on delete).
- The user links (owner, deactivated by, previous owner) are empty on every imported station: their
  indexes become partial (``IS NOT NULL``), so that a new station adds no entry to them.

Only the index changes: Django's own ``AlterField(db_index=False)`` would also drop and re-create each
foreign key (re-checking every row on PostgreSQL, rebuilding the table on SQLite), so the fields change
in the migration state alone and the database drops the indexes by name (the names Django gave them,
the same on SQLite and PostgreSQL).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Field (model, name, column) → the index Django created for it (``0001_initial``).
DROPPED = {
    ("station", "tenant", "tenant_id"): "stations_station_tenant_id_ee1d1392",
    ("station", "activated_by", "activated_by_id"): "stations_station_activated_by_id_60c3c11a",
    ("station", "deactivated_by", "deactivated_by_id"): "stations_station_deactivated_by_id_062b97da",
    ("station", "previous_owner", "previous_owner_id"): "stations_station_previous_owner_id_f3abe2f9",
    ("connectorspec", "station", "station_id"): "stations_connectorspec_station_id_70498a94",
}


def _drop_index(model: str, column: str, name: str) -> migrations.RunSQL:
    table = f"stations_{model}"
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"', reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")'
    )


def _partial_index(name: str) -> migrations.AddIndex:
    return migrations.AddIndex(
        model_name="station",
        index=models.Index(
            condition=models.Q((f"{name}__isnull", False)), fields=[name], name=f"station_{name}_idx"
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0014_scale_more_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                _drop_index(model, column, name) for (model, _, column), name in DROPPED.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="connectorspec",
                    name="station",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="connector_specs",
                        to="stations.station",
                    ),
                ),
                migrations.AlterField(
                    model_name="station",
                    name="activated_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="activated_stations",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                migrations.AlterField(
                    model_name="station",
                    name="deactivated_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="station",
                    name="previous_owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Who owned the station before its last deactivation.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="previous owner",
                    ),
                ),
                migrations.AlterField(
                    model_name="station",
                    name="tenant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stations",
                        to="stations.tenant",
                    ),
                ),
            ],
        ),
        *(_partial_index(name) for name in ("activated_by", "deactivated_by", "previous_owner")),
    ]
