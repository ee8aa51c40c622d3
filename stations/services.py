"""Writes: each inside one transaction, ``full_clean()`` before saving."""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from . import rules, throttling
from .bulk import insert_rows, update_rows
from .choices import ImportSource, StationStatus
from .collector import collector_paused
from .csv_format import SPEC_COLUMNS, STATION_COLUMNS
from .models import DUPLICATE_STATION_ID_MESSAGE, ConnectorSpec, ImportRecord, Station, Tenant
from .results import CREATE, OVERRIDE, ImportPlan, RowError
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
            spec.full_clean(exclude=["station"])
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


_ACTIVATION_UNCHECKED = [
    field.name for field in Station._meta.concrete_fields if field.name not in ("status", "activated_at")
]


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
            # Only the values activation sets are checked, in Python: the rest was checked when the station
            # was written, and checking it again cost 8 of 12 queries (the tenant, the user, the Station ID's
            # uniqueness, two CHECKs in savepoints). The database still enforces the user's FK and the CHECKs.
            station.full_clean(exclude=_ACTIVATION_UNCHECKED, validate_constraints=False)
            # The row is locked: its version as read is current.
            station.version += 1
            station.save(update_fields=["status", "activated_at", "activated_by", "updated_at", "version"])
            return station
        # Counted inside the transaction: for a known station the row lock makes check-and-count atomic.
        throttling.failure_record(station_id, client_address, now=now)
    raise ValidationError(ACTIVATION_MISMATCH_MESSAGE, code="activation_mismatch")


# CSV bulk import ----------------------------------------------------------------------------------------


@dataclass
class StationsImportResult:
    """What ``stations_import`` did (or, for Check only, would do), with the attempt's record."""

    plan: ImportPlan
    record: ImportRecord
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    # The counts are the record's: what was (or would be) written, zero for a refused attempt.
    @property
    def stations_created(self) -> int:
        return self.record.stations_created

    @property
    def stations_overridden(self) -> int:
        return self.record.stations_overridden

    @property
    def connector_specs(self) -> int:
        return self.record.connector_specs

    @property
    def warnings(self) -> list:
        return self.plan.warnings


class _ImportLost(Exception):
    """The database changed between reading the file and writing it (another import, an activation)."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


_STATION_DETAILS = tuple(column.field for column in STATION_COLUMNS)
_SPEC_FIELDS = tuple(column.field for column in SPEC_COLUMNS)
_OVERRIDE_DETAILS = tuple(name for name in _STATION_DETAILS if name != "station_id")


@collector_paused()
def stations_import(
    *, tenant: Tenant, user, plan: ImportPlan, source: str, file_name: str = "", dry_run: bool = False
) -> StationsImportResult:
    """Write a checked CSV plan all or nothing, in one transaction and a fixed number of queries.

    New stations are inserted in one statement (the case-insensitive unique index refuses any that
    another import created meanwhile), overridden ones are locked, their details replaced and their
    specifications deleted and inserted anew. Check only (``dry_run``) and a plan with errors write
    nothing but the import record, which every attempt leaves.
    """
    base = {
        "tenant": tenant,
        "user": user,
        "source": source,
        "file_name": file_name[: ImportRecord._meta.get_field("file_name").max_length],
        "dry_run": dry_run,
        "row_count": plan.row_count,
        "plan": plan_summary(plan),
    }
    if dry_run or not plan.ok:
        record = import_record_create(
            **base,
            succeeded=plan.ok,
            error_count=len(plan.errors),
            errors=_errors_data(plan.errors),
            **plan.counts(),
        )
        return StationsImportResult(plan, record, list(plan.errors), dry_run)
    try:
        with transaction.atomic():
            record = import_record_create(**base, succeeded=True, **plan.counts())
            _plan_write(tenant, record, plan)
    except _ImportLost as lost:
        record = import_record_create(**base, error_count=1, errors=_errors_data([lost.error]))
        return StationsImportResult(plan, record, [lost.error], dry_run)
    return StationsImportResult(plan, record, [], dry_run)


def _errors_data(errors: list[RowError]) -> list[dict]:
    """The errors as stored on the import record (JSON), for the downloadable error list: the first
    ``STATION_IMPORT_MAX_STORED_ERRORS`` of them (``error_count`` keeps the full count)."""
    return [
        {"row": e.row, "column": e.column, "code": e.code, "message": e.message, "value": e.value}
        # A workbook's errors name their cell too.
        | ({"cell": e.cell} if e.cell else {})
        for e in errors[: settings.STATION_IMPORT_MAX_STORED_ERRORS]
    ]


def _plan_write(tenant: Tenant, record: ImportRecord, plan: ImportPlan) -> None:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # One order for every import, so that two imports never wait on each other's rows crosswise.
    overrides = sorted((s for s in plan.stations if s.action == OVERRIDE), key=lambda s: s.existing_pk)
    creates = sorted((s for s in plan.stations if s.action == CREATE), key=lambda s: s.station_id.lower())
    owners = []
    if overrides:
        pks = [s.existing_pk for s in overrides]
        locked = dict(
            Station.objects.select_for_update()
            .filter(pk__in=pks, tenant=tenant)
            .order_by("pk")
            .values_list("pk", "status")
        )
        changed = [
            s.station_id
            for s in overrides
            if s.existing_pk not in locked or not Station.status_is_overridable(locked[s.existing_pk])
        ]
        if changed:
            raise _ImportLost(_lost_error("station_changed", changed))
        # Specifications are replaced, not appended: the file holds the station's whole list.
        ConnectorSpec.objects.filter(station_id__in=pks).delete()
        # The Station ID is not rewritten: it matched case-insensitively, and the station identifies itself
        # with the spelling it has (``wiz-001`` in a file keeps the stored ``WIZ-001``).
        update_rows(
            Station,
            ["id", *_OVERRIDE_DETAILS],
            [[s.existing_pk, *(s.station[name] for name in _OVERRIDE_DETAILS)] for s in overrides],
            {"last_import": record.pk, "updated_at": now},
            increments=["version"],
        )
        owners += [(s.existing_pk, s) for s in overrides]
    if creates:
        try:
            # Every column is named, the version too: 1, the model's default for a new station.
            inserted = insert_rows(
                Station,
                _STATION_DETAILS,
                [_details(s.station) for s in creates],
                returning=["id", "station_id"],
                same={
                    "tenant": tenant.pk,
                    "status": StationStatus.INACTIVE,
                    "last_import": record.pk,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                },
            )
        except IntegrityError:
            # The unique index saw a Station ID that another import wrote after this file was checked.
            raise _ImportLost(_lost_error("duplicate_station_id", [s.station_id for s in creates])) from None
        pk_by_id = {station_id.lower(): pk for pk, station_id in inserted}
        owners += [(pk_by_id[s.station_id.lower()], s) for s in creates]
    insert_rows(
        ConnectorSpec,
        ["station", "position", *_SPEC_FIELDS],
        [
            [pk, spec["position"], *(spec[name] for name in _SPEC_FIELDS)]
            for pk, s in owners
            for spec in s.specs
        ],
    )


def _details(values: Mapping) -> list:
    return [values[name] for name in _STATION_DETAILS]


def _lost_error(code: str, station_ids: list[str]):
    if code == "station_changed":
        message = (
            "Nothing was imported: while this file was being imported, some of its stations were "
            "activated or changed by someone else. Upload the file again to see which."
        )
    else:
        message = (
            "Nothing was imported: another import created stations with some of these Station IDs "
            "while this file was being imported. Upload the file again to see which."
        )
    return RowError(None, "Station ID", code, message, ", ".join(station_ids[:5]))


# Deactivation (support staff) ----------------------------------------------------------------------------


def stations_deactivate(*, user, queryset) -> list[Station]:
    """Return the active stations of ``queryset`` to inactive, recording who and when; they can be
    overridden by an import again. The owner is cleared (an inactive station has none) and kept as
    ``previous_owner``. Returns the
    stations deactivated (with the owner they had, for the caller's log)."""
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
            # Read before the row changes (one UPDATE): the owner it had stays on record.
            previous_owner=F("activated_by"),
            activated_at=None,
            activated_by=None,
            updated_at=now,
            version=F("version") + 1,
        )
    return stations


@dataclass(frozen=True)
class PruneTarget:
    """One kind of stored data that expires: its empty value, the age it is measured by, its retention."""

    name: str
    emptied: dict  # what the data is set back to (the record itself is kept); any other value is data
    age_field: str
    retention: timedelta


def prune_targets() -> list[PruneTarget]:
    """What ``prune_imports`` deletes, read from the settings at call time."""
    return [
        PruneTarget(
            "error lists",
            {"errors": []},
            "created_at",
            timedelta(days=settings.STATION_IMPORT_ERROR_RETENTION_DAYS),
        ),
        PruneTarget(
            "kept files",
            {"kept_file": None},
            "created_at",
            timedelta(hours=settings.STATION_IMPORT_KEPT_FILE_RETENTION_HOURS),
        ),
    ]


def import_records_prune(*, now, dry_run: bool = False) -> dict[str, int]:
    """Empty the stored data older than its retention on every import record; how many records, per kind.

    ``error_count`` stays: the record still says how many errors the attempt had.
    """
    pruned = {}
    with transaction.atomic():
        for target in prune_targets():
            expired = ImportRecord.objects.filter(
                **{f"{target.age_field}__lt": now - target.retention}
            ).exclude(**target.emptied)
            pruned[target.name] = expired.count() if dry_run else expired.update(**target.emptied)
    return pruned


def labels_print(
    *, user, stations, layout: str, base_url: str, import_record: ImportRecord | None = None
) -> bytes:
    """The labels PDF of those of ``stations`` that ``user`` may see, recorded as a ``LabelPrint``.

    Only users who may change stations get labels (their security codes are on them). Another tenant's
    stations are skipped, as the admin does; with nothing left to print the answer is an error.
    """
    # Imported here so that this appended service leaves the module's shared import block alone.
    from django.core.exceptions import PermissionDenied
    from django.db.models import QuerySet

    from . import labels, selectors
    from .models import LabelPrint

    if not user.has_perm("stations.change_station"):
        raise PermissionDenied
    wanted = stations.values("pk") if isinstance(stations, QuerySet) else [station.pk for station in stations]
    chosen = list(
        selectors.stations_visible_to(user)
        .filter(pk__in=wanted)
        .order_by("station_id")
        .only("station_id", "security_code", "manufacturer", "article_number", "tenant_id")[
            : labels.MAX_LABELS + 1
        ]
    )
    if len(chosen) > labels.MAX_LABELS:
        raise ValidationError(
            "At most %(limit)s labels are printed at once: choose fewer stations.",
            code="too_many_labels",
            params={"limit": f"{labels.MAX_LABELS:,}"},
        )
    if not chosen:
        raise ValidationError("There are no stations to print labels for.", code="no_stations")
    try:
        # Drawn before the transaction: a thousand labels take seconds, and SQLite's write lock would wait.
        pdf = labels.labels_pdf(chosen, labels.LAYOUTS[layout], base_url)
    except labels.LabelTooFull as error:
        raise ValidationError(
            "The text of station %(station_id)s is too long to fit on a label of this layout.",
            code="label_too_full",
            params={"station_id": error.station_id},
        ) from None
    except labels.LabelCharacterMissing as error:
        raise ValidationError(
            "Station %(station_id)s has characters the label font cannot print: %(characters)s.",
            code="label_character_missing",
            params={"station_id": error.station_id, "characters": " ".join(error.characters)},
        ) from None
    tenants = {station.tenant_id for station in chosen}
    record = LabelPrint(
        tenant_id=tenants.pop() if len(tenants) == 1 else None,
        user=user,
        import_record=import_record,
        layout=layout,
        label_count=len(chosen),
        station_ids=[station.station_id for station in chosen],
    )
    with transaction.atomic():
        record.full_clean()
        record.save()
    return pdf


# One station by the API: replace (the CSV override for one station) and delete ---------------------------

STATION_ACTIVE_MESSAGE = "Station %(station_id)s is active: only inactive stations can be %(action)s."


def station_replace(
    *, tenant: Tenant, user, station: Station, station_data: Mapping, specs: Sequence[Mapping], source: str
) -> Station:
    """Replace an inactive station's details and connector specifications, as a CSV override does.

    The Station ID keeps its stored spelling (it matched case-insensitively); the row is locked and its
    status checked after the lock (the README's locking contract). Raises ``ValidationError``
    (``station_active`` for an active station) and records the attempt either way.
    """
    details = {name: value for name, value in station_data.items() if name != "station_id"}
    try:
        with transaction.atomic():
            locked = Station.objects.select_for_update().get(pk=station.pk, tenant=tenant)
            if not Station.status_is_overridable(locked.status):
                raise ValidationError(
                    STATION_ACTIVE_MESSAGE,
                    code="station_active",
                    params={"station_id": locked.station_id, "action": "replaced"},
                )
            record = import_record_create(
                tenant=tenant,
                user=user,
                source=source,
                row_count=len(specs),
                stations_overridden=1,
                connector_specs=len(specs),
                succeeded=True,
            )
            for name, value in details.items():
                setattr(locked, name, value)
            locked.last_import = record
            locked.full_clean(exclude=["last_import"])
            built = connector_specs_build(locked, specs)
            locked.version = F("version") + 1
            locked.save()
            locked.refresh_from_db(fields=["version"])
            ConnectorSpec.objects.filter(station=locked).delete()
            ConnectorSpec.objects.bulk_create(built)
    except ValidationError as error:
        import_record_create(
            tenant=tenant, user=user, source=source, row_count=len(specs), error_count=_count(error)
        )
        raise
    return locked


def station_delete(*, station: Station) -> None:
    """Delete an inactive station with its specifications; an active one is refused (``station_active``)."""
    with transaction.atomic():
        locked = Station.objects.select_for_update().get(pk=station.pk)
        if not Station.status_is_overridable(locked.status):
            raise ValidationError(
                STATION_ACTIVE_MESSAGE,
                code="station_active",
                params={"station_id": locked.station_id, "action": "deleted"},
            )
        locked.delete()


# Check then import (SPEC §3) ------------------------------------------------------------------------------


class KeptFileGone(Exception):
    """The checked file is no longer kept: imported already, or deleted after its retention."""


def kept_file_cutoff(now=None):
    """Checks made before this moment no longer keep their file (what ``prune_imports`` deletes)."""
    return (now or timezone.now()) - timedelta(hours=settings.STATION_IMPORT_KEPT_FILE_RETENTION_HOURS)


def import_record_keep_file(*, record: ImportRecord, data: bytes) -> None:
    """Keep the file of a passed Check only with its record, so that it can be imported in one click."""
    with transaction.atomic():
        ImportRecord.objects.filter(pk=record.pk).update(kept_file=data)
    record.kept_file = data


def plan_summary(plan: ImportPlan) -> list[list]:
    """What an attempt did (or would do) per station, as ``ImportRecord.plan`` stores it."""
    return [
        [s.station_id, s.row_numbers[0], s.row_numbers[-1], len(s.specs), s.action, s.existing_station_id]
        for s in plan.stations
    ]


def stations_import_kept(*, record: ImportRecord, user, parse) -> StationsImportResult:
    """Import the file a passed Check only kept, read and checked afresh by ``parse(data, tenant=...)``
    (the caller's engine: it sits above the services).

    The file is taken from the record under a row lock and emptied in the same transaction, so two clicks
    (on any app servers) import it once; the attempt leaves its own record, as an upload does. Raises
    ``KeptFileGone`` when the file was imported already or is past its retention.
    """
    with transaction.atomic():
        locked = (
            ImportRecord.objects.select_for_update()
            .filter(pk=record.pk, dry_run=True, succeeded=True, created_at__gte=kept_file_cutoff())
            .exclude(kept_file=None)
            .values_list("kept_file", flat=True)
            .first()
        )
        # The conditional update is the claim on SQLite too, where the lock above is a no-op.
        if locked is None or not ImportRecord.objects.filter(pk=record.pk).exclude(kept_file=None).update(
            kept_file=None
        ):
            raise KeptFileGone
        data = bytes(locked)
    plan = parse(data, tenant=record.tenant)
    result = stations_import(
        tenant=record.tenant,
        user=user,
        plan=plan,
        source=record.source,
        file_name=record.file_name,
        dry_run=False,
    )
    with transaction.atomic():
        ImportRecord.objects.filter(pk=result.record.pk).update(from_check=record)
    result.record.from_check = record
    return result
