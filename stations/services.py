"""Writes: each inside one transaction, ``full_clean()`` before saving."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import rules
from .choices import ImportSource
from .models import DUPLICATE_STATION_ID_MESSAGE, ConnectorSpec, ImportRecord, Station, Tenant


def duplicate_station_id_error() -> ValidationError:
    """The one answer to a taken Station ID: it says nothing about whose station it is."""
    return ValidationError(
        {"station_id": ValidationError(DUPLICATE_STATION_ID_MESSAGE, code="duplicate_station_id")}
    )


def connector_specs_build(station: Station, specs: Sequence[Mapping]) -> list[ConnectorSpec]:
    """Validated, unsaved specifications for ``station`` at positions 1..N, in the order given.

    Each error names its position and field (``params``), so a caller can point at the right item.
    """
    rules.check_positions(range(1, len(specs) + 1))
    built, errors = [], []
    for position, values in enumerate(specs, start=1):
        spec = ConnectorSpec(station=station, position=position, **values)
        try:
            # The station may be unsaved; its uniqueness with position is guaranteed by numbering.
            spec.full_clean(exclude=["station"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for field, field_errors in error.error_dict.items():
                label = ConnectorSpec._meta.get_field(field).verbose_name
                errors.extend(
                    ValidationError(
                        "Connector specification %(position)d, %(label)s: %(message)s",
                        code=item.code,
                        params={
                            "position": position,
                            "field": field,
                            "label": label,
                            "message": item.messages[0],
                        },
                    )
                    for item in field_errors
                )
        built.append(spec)
    if errors:
        raise ValidationError(errors)
    return built


def import_record_create(*, tenant: Tenant, user, source: str, **counts) -> ImportRecord:
    """Record one import attempt; written on its own so that a failed import is recorded too."""
    return ImportRecord.objects.create(tenant=tenant, user=user, source=source, **counts)


def station_import(
    *,
    tenant: Tenant,
    user,
    station_data: Mapping,
    specs: Sequence[Mapping],
    source: str = ImportSource.WIZARD,
) -> Station:
    """Create one inactive station with its ordered connector specifications, all or nothing.

    Raises ``ValidationError`` (``duplicate_station_id`` on the ``station_id`` field when the ID is taken,
    even by an import that won a race) and records the attempt either way.
    """
    try:
        with transaction.atomic():
            record = import_record_create(
                tenant=tenant,
                user=user,
                source=source,
                row_count=len(specs),
                stations_created=1,
                connector_specs=len(specs),
                succeeded=True,
            )
            station = Station(tenant=tenant, last_import=record, **station_data)
            station.full_clean(exclude=["last_import"])
            built = connector_specs_build(station, specs)
            try:
                with transaction.atomic():
                    station.save()
            except IntegrityError:
                # Another import took the Station ID between the check above and this insert.
                raise duplicate_station_id_error() from None
            ConnectorSpec.objects.bulk_create(built)
    except ValidationError as error:
        import_record_create(
            tenant=tenant, user=user, source=source, row_count=len(specs), error_count=_count(error)
        )
        raise
    return station


def _count(error: ValidationError) -> int:
    return len(error.messages)


def stations_deactivate(*, user, queryset) -> list[Station]:
    """Return the active stations of ``queryset`` to inactive, recording who and when; they can be
    overridden by an import again. The owner is cleared: an inactive station has none. Returns the
    stations deactivated (with the owner they had, for the caller's log)."""
    from django.utils import timezone

    from .choices import StationStatus

    with transaction.atomic():
        # Locked, so that an activation of the same station waits for this to finish.
        stations = list(
            Station.objects.select_for_update(of=("self",))
            .filter(pk__in=queryset.order_by().values("pk"), status=StationStatus.ACTIVE)
            .select_related("activated_by")
            .order_by("pk")
        )
        now = timezone.now()
        Station.objects.filter(pk__in=[station.pk for station in stations]).update(
            status=StationStatus.INACTIVE,
            deactivated_at=now,
            deactivated_by=user,
            activated_at=None,
            activated_by=None,
            updated_at=now,
        )
    return stations
