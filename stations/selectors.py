"""Reads, each scoped to what the asking user may see: the only place tenant scope is applied."""

import json

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from .choices import StationStatus
from .models import ImportRecord, Station, Tenant


def tenant_of(user) -> Tenant | None:
    """The tenant an operator user belongs to, or None (anonymous, support staff without one)."""
    if not user.is_authenticated:
        return None
    membership = getattr(user, "membership", None)
    return membership.tenant if membership is not None else None


def _scoped(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` as ``user`` may see it: whole for support staff, the own tenant's rows for an operator."""
    if user.is_authenticated and user.is_superuser:
        return queryset
    tenant = tenant_of(user)
    return queryset.none() if tenant is None else queryset.filter(tenant=tenant)


def stations_visible_to(user) -> QuerySet[Station]:
    """Every station for support staff (superusers), the own tenant's for an operator, none otherwise."""
    return _scoped(Station.objects.all(), user)


def stations_with_station_id(station_ids, queryset: QuerySet[Station] | None = None) -> QuerySet[Station]:
    """Stations whose Station ID equals one of ``station_ids`` case-insensitively (uses the unique index)."""
    lowered = sorted({station_id.lower() for station_id in station_ids})
    queryset = Station.objects.all() if queryset is None else queryset
    values = lowered
    if connection.vendor == "postgresql" and len(lowered) > 1:
        # A file's thousands of IDs as one JSON parameter that the server unpacks: as an IN list, Django
        # builds a placeholder and psycopg quotes a value each, in Python (30 ms of CPU for 5,000 IDs,
        # against 4 ms).
        values = RawSQL(
            "SELECT jsonb_array_elements_text(%s::jsonb)", [json.dumps(lowered, ensure_ascii=False)]
        )
    return queryset.alias(station_id_lower=Lower("station_id")).filter(station_id_lower__in=values)


def station_by_station_id(station_id: str, queryset: QuerySet[Station] | None = None) -> Station | None:
    """The station with this Station ID (any case) within ``queryset`` (default: the whole platform)."""
    return stations_with_station_id([station_id], queryset).first()


def import_records_visible_to(user) -> QuerySet[ImportRecord]:
    """Import records, scoped like stations."""
    return _scoped(ImportRecord.objects.all(), user)


def stations_activated_by(user) -> QuerySet[Station]:
    """The active stations ``user`` activated (and so owns), of any tenant, most recently activated first."""
    if not user.is_authenticated:
        return Station.objects.none()
    return Station.objects.filter(activated_by=user, status=StationStatus.ACTIVE).order_by("-activated_at")


def active_stations_visible_to(user) -> QuerySet[Station]:
    """The active stations ``user`` may see, with their owners, most recently activated first."""
    return (
        stations_visible_to(user)
        .filter(status=StationStatus.ACTIVE)
        .select_related("activated_by")
        .order_by("-activated_at", "station_id")
    )


def import_records_listed_for(user) -> QuerySet[ImportRecord]:
    """The import records ``user`` may see, newest first, without the stored files, lists and plans."""
    return (
        import_records_visible_to(user)
        .select_related("user", "tenant")
        .defer("kept_file", "errors", "plan")
        .order_by("-created_at", "-pk")
    )


def kept_checks_of(user) -> QuerySet[ImportRecord]:
    """The passed checks whose file ``user`` may import: only their own tenant's, whoever checked them."""
    tenant = tenant_of(user)
    if tenant is None:
        return ImportRecord.objects.none()
    checks = ImportRecord.objects.filter(tenant=tenant, dry_run=True, succeeded=True)
    return checks.defer("kept_file", "errors", "plan")


def distinct_values(queryset: QuerySet, field_name: str) -> list:
    """The distinct values of ``field_name`` in ``queryset`` (already scoped), in order.

    PostgreSQL 15 has no skip scan: ``DISTINCT`` reads every row of the tenant (50–390 ms at 900,000
    stations), while a recursive "loose index scan" jumps from value to value in the field's index (< 1 ms).
    """
    values = queryset.order_by(field_name).values_list(field_name, flat=True)
    if connection.vendor != "postgresql":
        return list(values.distinct())
    if values.query.is_empty():
        return []
    first_sql, first_params = values[:1].query.sql_with_params()
    step = values.filter(**{f"{field_name}__gt": RawSQL("found.value", ())})[:1]
    next_sql, next_params = step.query.sql_with_params()
    sql = (
        f"WITH RECURSIVE found(value) AS (({first_sql}) UNION ALL "
        f"SELECT ({next_sql}) FROM found WHERE found.value IS NOT NULL) "
        f"SELECT value FROM found WHERE value IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*first_params, *next_params])
        return [value for (value,) in cursor.fetchall()]
