"""Writes: each inside one transaction, ``full_clean()`` before saving."""

import hashlib
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from . import rules, throttling
from .choices import ImportSource, StationStatus
from .models import DUPLICATE_STATION_ID_MESSAGE, ConnectorSpec, ImportRecord, Station, Tenant
from .selectors import station_by_station_id


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


# Activation (SPEC §6) ------------------------------------------------------------------------------------

# One answer whether the Station ID is unknown or the code is wrong: it must not tell which.
ACTIVATION_MISMATCH_MESSAGE = "Station ID and security code do not match. Check both and try again."
ALREADY_ACTIVATED_MESSAGE = "Station %(station_id)s is already activated."
TOO_MANY_ATTEMPTS_MESSAGE = "Too many attempts, try again later (in at most %(minutes)d minutes)."
# Compared against when no station has the ID, so that an unknown ID costs the same as a wrong code.
_NO_STATION_CODE = "\x00" * 64


def _codes_match(given: str, expected: str) -> bool:
    """Constant-time comparison of digests: equal lengths, so not even a code's length leaks."""
    return constant_time_compare(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


def station_activate(*, user, station_id: str, security_code: str, client_address: str | None, now=None):
    """Activate the station with ``station_id`` (any case) for ``user`` if ``security_code`` matches.

    Raises ``ValidationError``: ``too_many_attempts`` once the Station ID or the client address used up its
    failed attempts in the current window (the code is not checked then), ``activation_mismatch`` for an
    unknown Station ID and for a wrong code alike, ``already_activated`` for an active station whose code
    matches. The station row is locked (``select_for_update``) for the whole check-and-write, so
    activations, and imports overriding the station that lock it the same way, take turns.
    """
    now = now or timezone.now()
    station_id = station_id.strip()
    security_code = security_code.strip()
    with transaction.atomic():
        station = station_by_station_id(station_id, Station.objects.select_for_update())
        if throttling.attempts_exhausted(station_id, client_address, now=now):
            raise ValidationError(
                TOO_MANY_ATTEMPTS_MESSAGE,
                code="too_many_attempts",
                params={"minutes": throttling.window_minutes()},
            )
        expected = station.security_code if station is not None else _NO_STATION_CODE
        if _codes_match(security_code, expected) and station is not None:
            if station.is_active:
                raise ValidationError(
                    ALREADY_ACTIVATED_MESSAGE,
                    code="already_activated",
                    params={"station_id": station.station_id},
                )
            station.status = StationStatus.ACTIVE
            station.activated_at = now
            station.activated_by = user
            station.full_clean()
            station.save(update_fields=["status", "activated_at", "activated_by", "updated_at"])
            return station
        # Counted inside the transaction: for a known station the row lock makes check-and-count atomic.
        throttling.failure_record(station_id, client_address, now=now)
    raise ValidationError(ACTIVATION_MISMATCH_MESSAGE, code="activation_mismatch")
