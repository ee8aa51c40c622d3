"""Tenants, their stations and the ordered connector specifications, with every field rule attached."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator
from django.db import models, router
from django.db.models.functions import Lower
from django.utils import formats, timezone

from . import rules
from .choices import ConnectorFormat, ConnectorStandard, ImportSource, PowerType, StationStatus
from .fields import WholeNumberField
from .validators import (
    amperage_validators,
    max_power_validators,
    validate_no_whitespace,
    validate_security_code_length,
    validate_station_id,
    validate_visible_nonblank_text,
    validate_visible_text,
    voltage_validators,
)

NO_CONNECTIVITY_MESSAGE = "Choose Wi-Fi, GSM or both (Ethernet stations choose Wi-Fi)."
# Says nothing about whose station it is: the ID may belong to another tenant.
DUPLICATE_STATION_ID_MESSAGE = "A station with this Station ID is already imported."
# Where ``Station.validate_constraints`` puts each constraint's error: next to the field it is about.
_CONSTRAINT_FIELDS = {"duplicate_station_id": "station_id", "no_connectivity": "wifi_supported"}


class Tenant(models.Model):
    """An operator organisation; every station belongs to exactly one."""

    name = models.CharField(max_length=200, validators=[validate_visible_text])
    slug = models.SlugField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """Links an operator user to its one tenant."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")

    def __str__(self):
        return f"{self.user} @ {self.tenant}"


class ImportRecord(models.Model):
    """One import attempt (wizard, upload or command), successful or not: who, when, what, how it went."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="import_records")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=ImportSource.choices)
    file_name = models.CharField(max_length=rules.TEXT_MAX_LENGTH, blank=True)
    dry_run = models.BooleanField("check only", default=False)
    succeeded = models.BooleanField(default=False)
    row_count = models.PositiveIntegerField("rows", default=0)
    stations_created = models.PositiveIntegerField("created", default=0)
    stations_overridden = models.PositiveIntegerField("overridden", default=0)
    connector_specs = models.PositiveIntegerField("connector specifications", default=0)
    error_count = models.PositiveIntegerField("errors", default=0)
    # The attempt's full error list (row, column, code, message, value), downloadable from the upload page.
    errors = models.JSONField(default=list, blank=True)
    # A passed Check only keeps its file here (not on disk: any app server can finish the import) until it
    # is imported or ``prune_imports`` deletes it after STATION_IMPORT_KEPT_FILE_RETENTION_HOURS.
    kept_file = models.BinaryField(null=True, blank=True, editable=False)
    # What the attempt did (or would do) per station, compact: [Station ID, first row, last row,
    # specifications, action, stored Station ID]. The plan download reads it: the kept file expires, and
    # reading the file again later would answer for the database of then, not of the attempt.
    plan = models.JSONField(default=list, blank=True, editable=False)
    # The passed check whose kept file this attempt imported (Import these stations), if any.
    from_check = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="imports"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        what = self.file_name or self.get_source_display()
        moment = formats.localize(timezone.localtime(self.created_at)) if self.created_at else "–"
        return f"{what} at {moment}"

    @property
    def errors_capped(self) -> bool:
        """Whether only the first ``STATION_IMPORT_MAX_STORED_ERRORS`` errors were stored."""
        return 0 < len(self.errors) < self.error_count

    @property
    def errors_pruned(self) -> bool:
        """Whether ``prune_imports`` deleted the error list after the retention period (the count stays)."""
        retention = timedelta(days=settings.STATION_IMPORT_ERROR_RETENTION_DAYS)
        expired = self.created_at is not None and self.created_at < timezone.now() - retention
        return expired and self.error_count > 0 and not self.errors


class Station(models.Model):
    """A charging station imported into a tenant, inactive until someone activates it."""

    # No index of its own: the (tenant, …) indexes below start with it and serve every look-up by tenant.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="stations", db_index=False)
    station_id = models.CharField(
        "Station ID",
        max_length=rules.STATION_ID_MAX_LENGTH,
        validators=[validate_visible_text, validate_station_id],
        help_text=(
            "The ID the station uses to identify itself to the platform (OCPP), "
            f"up to {rules.STATION_ID_MAX_LENGTH} letters, digits and * - _ = : + | @ ."
        ),
    )
    security_code = models.CharField(
        "Security code",
        max_length=rules.SECURITY_CODE_MAX_LENGTH,
        validators=[validate_visible_nonblank_text, validate_security_code_length, validate_no_whitespace],
        help_text=(
            f"{rules.SECURITY_CODE_MIN_LENGTH} to {rules.SECURITY_CODE_MAX_LENGTH} characters "
            "without spaces; capitals matter. Asked for again at activation so that a mistyped "
            "Station ID cannot activate someone else's station. Print it on the packaging."
        ),
    )
    manufacturer = models.CharField(
        "Manufacturer", max_length=rules.TEXT_MAX_LENGTH, validators=[validate_visible_text]
    )
    article_number = models.CharField(
        "Article number", max_length=rules.TEXT_MAX_LENGTH, blank=True, validators=[validate_visible_text]
    )
    serial_number = models.CharField(
        "Station serial number",
        max_length=rules.TEXT_MAX_LENGTH,
        blank=True,
        validators=[validate_visible_nonblank_text, validate_no_whitespace],
    )
    wifi_supported = models.BooleanField(
        "Wi-Fi",
        default=False,
        help_text="Stations connected by Ethernet cable choose Wi-Fi: both work on a local network.",
    )
    gsm_supported = models.BooleanField("GSM", default=False)
    status = models.CharField(
        "Status", max_length=16, choices=StationStatus.choices, default=StationStatus.INACTIVE
    )
    last_import = models.ForeignKey(
        ImportRecord,
        verbose_name="import",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stations",
        help_text="The import that created the station or last overrode it.",
    )
    created_at = models.DateTimeField("imported at", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # The three user links are empty on an imported station: their indexes (partial, in Meta.indexes)
    # leave such rows out, so that an import does not add an entry to each for every station.
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="owner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activated_stations",
        db_index=False,
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="previous owner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who owned the station before its last deactivation.",
        db_index=False,
    )
    # Optimistic concurrency (SPEC §4 "No lost updates"): every write adds one, so a form opened at an
    # older version knows that the station changed since and refuses to write over it.
    # The database default serves set-based INSERTs that do not name the column (bench_scale's seeding).
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)

    TEXT_FIELDS = ("station_id", "security_code", "manufacturer", "article_number", "serial_number")
    # What an import sets on a station (the wizard's details step, the API), in the form's order.
    DETAIL_FIELDS = (*TEXT_FIELDS, "wifi_supported", "gsm_supported")

    class Meta:
        ordering = ["station_id"]
        constraints = [
            models.UniqueConstraint(
                Lower("station_id"),
                name="station_id_unique_ci",
                violation_error_code="duplicate_station_id",
                violation_error_message=DUPLICATE_STATION_ID_MESSAGE,
            ),
            models.CheckConstraint(
                condition=models.Q(wifi_supported=True) | models.Q(gsm_supported=True),
                name="station_wifi_or_gsm",
                violation_error_code="no_connectivity",
                violation_error_message=NO_CONNECTIVITY_MESSAGE,
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=StationStatus.values),
                name="station_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "station_id"]),
            models.Index(fields=["tenant", "status"]),
            # The overview's manufacturer filter lists the distinct manufacturers of a tenant (or of all).
            models.Index(fields=["tenant", "manufacturer"]),
            models.Index(fields=["manufacturer"]),
            # The overview's default order across tenants (support staff): station_id, then -pk, the admin's
            # tie-breaker. An operator's page already walks (tenant, station_id) with an incremental sort.
            models.Index(fields=["station_id", "-id"], name="station_order_idx"),
            # The stations a user activated (selectors.stations_activated_by), and the SET NULL when a user is
            # deleted.
            *(
                models.Index(
                    fields=[name],
                    condition=models.Q(**{f"{name}__isnull": False}),
                    name=f"station_{name}_idx",
                )
                for name in ("activated_by", "deactivated_by", "previous_owner")
            ),
            # On PostgreSQL, trigram indexes serve the search for part of an ID, serial or article number:
            # plain SQL in migration 0008_scale_indexes, as SQLite cannot have them.
        ]

    def __str__(self):
        return self.station_id

    @property
    def is_active(self) -> bool:
        return self.status == StationStatus.ACTIVE

    @staticmethod
    def status_is_overridable(status: str) -> bool:
        """Whether an import may replace a station's details and specifications: only while inactive."""
        return status == StationStatus.INACTIVE

    def clean_fields(self, exclude=None):
        # Whitespace around a value is never meant: strip it before any rule looks at the value.
        for name in self.TEXT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, value.strip())
        super().clean_fields(exclude=exclude)

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            for item in general:
                errors.setdefault(_CONSTRAINT_FIELDS.get(item.code, NON_FIELD_ERRORS), []).append(item)
            raise ValidationError(errors) from None


class ConnectorSpec(models.Model):
    """One connector specification; ``position`` N is the specification of OCPP connector ID N."""

    # No index of its own: the unique (station, position) index starts with it.
    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="connector_specs", db_index=False
    )
    position = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    standard = models.CharField("Standard", max_length=32, choices=ConnectorStandard.choices)
    format = models.CharField("Format", max_length=8, choices=ConnectorFormat.choices)
    power_type = models.CharField("Power type", max_length=16, choices=PowerType.choices)
    voltage = WholeNumberField(
        "Voltage",
        validators=voltage_validators,
        help_text=(
            f"Whole volts, {rules.VOLTAGE_MIN} to {rules.VOLTAGE_MAX}. "
            "For AC enter the phase (line-to-neutral) voltage: "
            "a 400 V three-phase connector is entered as 230 V."
        ),
    )
    amperage = WholeNumberField(
        "Amperage",
        validators=amperage_validators,
        help_text=f"Whole amperes, {rules.AMPERAGE_MIN} to {rules.AMPERAGE_MAX}.",
    )
    max_power = models.DecimalField(
        "Maximum power (kW)",
        max_digits=7,
        decimal_places=rules.MAX_POWER_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=max_power_validators,
        help_text=(
            "Optional: the connector's rated maximum in kW where it is lower than voltage × amperage "
            "(150 for a DC unit of 920 V × 400 A limited to 150 kW). Leave it empty otherwise."
        ),
    )

    class Meta:
        # By the foreign key's column: "station" would order by the station's own ordering, a join.
        ordering = ["station_id", "position"]
        verbose_name = "connector specification"
        indexes = [
            # The specifications rules.line_voltage_warning warns about (a few in a hundred): the overview
            # marks their stations on every page and filters by them. Without it PostgreSQL answers the
            # mark's EXISTS by reading all 2,000,000 specifications once (180 ms a page); with it, 1 ms.
            models.Index(
                fields=["station"],
                condition=models.Q(power_type=PowerType.AC_3_PHASE, voltage__gt=rules.HIGHEST_PHASE_VOLTAGE),
                name="spec_line_voltage_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "position"],
                name="connector_spec_position_unique",
                violation_error_code="duplicate_position",
            ),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="connector_spec_position_min"),
            models.CheckConstraint(
                condition=models.Q(voltage__gte=rules.VOLTAGE_MIN, voltage__lte=rules.VOLTAGE_MAX),
                name="connector_spec_voltage_range",
            ),
            models.CheckConstraint(
                condition=models.Q(amperage__gte=rules.AMPERAGE_MIN, amperage__lte=rules.AMPERAGE_MAX),
                name="connector_spec_amperage_range",
            ),
            models.CheckConstraint(
                condition=models.Q(standard__in=ConnectorStandard.values),
                name="connector_spec_standard_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=ConnectorFormat.values), name="connector_spec_format_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(power_type__in=PowerType.values), name="connector_spec_power_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(max_power__isnull=True) | models.Q(max_power__gte=rules.MAX_POWER_MIN),
                name="connector_spec_max_power_positive",
            ),
        ]

    def __str__(self):
        return f"{self.position}: {self.get_standard_display()}, {self.power_display}"

    # CHECK constraints that restate a field's validators or choices, for the database's sake.
    FIELD_RULE_CONSTRAINTS = frozenset(
        {
            "connector_spec_position_min",
            "connector_spec_voltage_range",
            "connector_spec_amperage_range",
            "connector_spec_standard_valid",
            "connector_spec_format_valid",
            "connector_spec_power_type_valid",
            "connector_spec_max_power_positive",
        }
    )

    def validate_constraints(self, exclude=None):
        # ``clean_fields`` already applied the rules of FIELD_RULE_CONSTRAINTS, and Django would evaluate
        # each again with a query per item (the admin's inline, every row): only the others are checked.
        using = router.db_for_write(ConnectorSpec, instance=self)
        for constraint in self._meta.constraints:
            if constraint.name not in self.FIELD_RULE_CONSTRAINTS:
                constraint.validate(ConnectorSpec, self, exclude=exclude, using=using)

    def clean(self):
        super().clean()
        if self.voltage is not None and self.amperage is not None and self.max_power is not None:
            try:
                rules.check_max_power(self.power_type, self.voltage, self.amperage, self.max_power)
            except ValidationError as error:
                raise ValidationError({"max_power": error}) from None

    @property
    def power_watts(self) -> int | None:
        if self.voltage is None or self.amperage is None:
            return None
        return rules.power_watts(self.power_type, self.voltage, self.amperage, self.max_power)

    @property
    def power_display(self) -> str:
        watts = self.power_watts
        return "" if watts is None else rules.format_kw(watts)

    @property
    def line_voltage_warning(self) -> rules.LineVoltageWarning | None:
        return rules.line_voltage_warning(self.power_type, self.voltage)


class LabelLayoutChoice(models.TextChoices):
    """The two label layouts of SPEC §8 (their geometry lives in ``labels``)."""

    SHEET = "sheet", "A4 sheet, 3 × 8 labels (70 × 37 mm)"
    ROLL = "roll", "Label printer, 62 × 29 mm"


class LabelPrint(models.Model):
    """One print of packaging labels: who printed which stations' labels, when, in which layout.

    The stations are kept as their Station IDs, in print order, not as links: the record must still say
    what was printed after a station is deleted or overridden, and a print of 1,000 labels stays one row.
    """

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="label_prints",
        help_text="The tenant of the printed stations (empty when support staff printed several tenants').",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    import_record = models.ForeignKey(
        ImportRecord,
        verbose_name="import",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="label_prints",
        help_text="The import whose stations were printed, when printed from its page.",
    )
    layout = models.CharField(max_length=16, choices=LabelLayoutChoice.choices)
    label_count = models.PositiveIntegerField("labels")
    station_ids = models.JSONField("Station IDs", default=list)
    created_at = models.DateTimeField("printed at", auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "label print"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(layout__in=LabelLayoutChoice.values), name="label_print_layout_valid"
            ),
        ]

    def __str__(self):
        return f"{self.label_count} labels at {formats.localize(timezone.localtime(self.created_at))}"
