"""The API's JSON shapes. Input serializers only parse JSON types: every rule is the model's, applied by
the services (``full_clean``), so the API refuses exactly what the wizard refuses, with the same codes.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from stations import rules
from stations.choices import ConnectorFormat, ConnectorStandard, PowerType, StationStatus
from stations.models import ConnectorSpec, ImportRecord, Station
from stations.validators import validate_ascii_digits


def spec_power_watts(spec: ConnectorSpec) -> int:
    """The power of a specification in W (SPEC §1), for ``power_w`` and OCPI's ``max_electric_power``:
    the maximum power where one is given, else the power of voltage and amperage (``rules.power_watts``).
    """
    return rules.power_watts(spec.power_type, spec.voltage, spec.amperage, spec.max_power)


def _code_field(choices):
    """A text field documented with the choice codes; which codes are allowed is the model's rule."""

    @extend_schema_field({"type": "string", "enum": list(choices.values)})
    class CodeField(serializers.CharField):
        pass

    return CodeField


StandardField = _code_field(ConnectorStandard)
FormatField = _code_field(ConnectorFormat)
PowerTypeField = _code_field(PowerType)


# Fields left out take the model's defaults; blank, missing and whitespace are the model's to judge (it
# strips, then checks), so the API answers them with the wizard's codes.


def _text(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, **kwargs)


class WholeNumberField(serializers.IntegerField):
    """DRF's integer field reads "٢٣٠" as 230: a number given as text is held to SPEC §1's digits first."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            validate_ascii_digits(data)
        return super().to_internal_value(data)


def _number(**kwargs):
    return WholeNumberField(required=False, allow_null=True, **kwargs)


class ConnectorSpecInSerializer(serializers.Serializer):
    standard = StandardField(required=False, allow_blank=True, help_text="OCPI ConnectorType.")
    format = FormatField(required=False, allow_blank=True, help_text="OCPI ConnectorFormat.")
    power_type = PowerTypeField(required=False, allow_blank=True, help_text="OCPI PowerType.")
    voltage = _number(help_text="Whole volts; for AC the phase (line-to-neutral) voltage.")
    amperage = _number(help_text="Whole amperes.")
    # Parsed only (a JSON number or a decimal string); positive, two decimals and "not above V × A" are
    # the model's rules, so the API answers with the wizard's codes.
    max_power = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        help_text=(
            "Optional: the rated maximum in kW (at most two decimals; a number, or a string such as "
            '"7.4") where it is lower than the power of voltage × amperage; null or left out: that power.'
        ),
    )


class StationInSerializer(serializers.Serializer):
    station_id = _text(help_text="OCPP identity of the station; unique on the platform, any case.")
    security_code = _text()
    manufacturer = _text()
    article_number = _text()
    serial_number = _text()
    wifi_supported = serializers.BooleanField(required=False)
    gsm_supported = serializers.BooleanField(required=False)
    connectors = ConnectorSpecInSerializer(
        many=True, help_text="The connector specifications in connector ID order: the first is connector 1."
    )

    def to_internal_value(self, data):
        # The domain's limit on the list's length, before a serializer is run for each of its items.
        connectors = data.get("connectors") if isinstance(data, Mapping) else None
        if isinstance(connectors, list):
            try:
                rules.check_spec_count(len(connectors))
            except DjangoValidationError as error:
                raise serializers.ValidationError({"connectors": get_error_detail(error)}) from None
        return super().to_internal_value(data)

    def station_data(self) -> dict:
        return {name: value for name, value in self.validated_data.items() if name != "connectors"}

    def specs(self) -> list[dict]:
        return [dict(spec) for spec in self.validated_data["connectors"]]


class ConnectorSpecSerializer(serializers.ModelSerializer):
    position = serializers.IntegerField(read_only=True, help_text="The OCPP connector ID it applies to.")
    max_power = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        read_only=True,
        help_text="The rated maximum in kW where given (below the power of voltage × amperage), else null.",
    )
    power_w = serializers.SerializerMethodField(
        help_text="Power in W (OCPI max_electric_power): max_power × 1000 where given, else 3 × V × A for "
        "three-phase AC and V × A otherwise."
    )

    class Meta:
        model = ConnectorSpec
        fields = [
            "position",
            "standard",
            "format",
            "power_type",
            "voltage",
            "amperage",
            "max_power",
            "power_w",
        ]

    def get_power_w(self, spec) -> int:
        return spec_power_watts(spec)


class StationSerializer(serializers.ModelSerializer):
    connectors = ConnectorSpecSerializer(many=True, read_only=True, source="connector_specs")

    class Meta:
        model = Station
        fields = [
            *Station.DETAIL_FIELDS,
            "status",
            "created_at",
            "updated_at",
            "activated_at",
            "connectors",
        ]
        read_only_fields = fields


class StationListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=StationStatus.choices, required=False)
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only stations changed at or after this time (ISO 8601 / RFC 3339)."
    )


class ActivationInSerializer(serializers.Serializer):
    station_id = serializers.CharField(trim_whitespace=True)
    security_code = serializers.CharField(trim_whitespace=True)


class ActivationSerializer(serializers.ModelSerializer):
    connectors = ConnectorSpecSerializer(many=True, read_only=True, source="connector_specs")

    class Meta:
        model = Station
        fields = ["station_id", "status", "activated_at", "connectors"]
        read_only_fields = fields


class RowErrorSerializer(serializers.Serializer):
    """One error or warning of a file, as the upload page lists it."""

    row = serializers.IntegerField(allow_null=True, help_text="Spreadsheet row (the header is row 1).")
    column = serializers.CharField(allow_blank=True)
    cell = serializers.CharField(allow_null=True, help_text="The workbook cell (J7); null for a CSV file.")
    code = serializers.CharField()
    message = serializers.CharField()
    value = serializers.CharField(allow_blank=True)


class ImportRecordSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ImportRecord
        fields = [
            "id",
            "created_at",
            "user",
            "source",
            "file_name",
            "dry_run",
            "succeeded",
            "row_count",
            "stations_created",
            "stations_overridden",
            "connector_specs",
            "error_count",
        ]
        read_only_fields = fields


class ImportRecordDetailSerializer(ImportRecordSerializer):
    errors = serializers.SerializerMethodField()

    class Meta(ImportRecordSerializer.Meta):
        fields = [*ImportRecordSerializer.Meta.fields, "errors"]
        read_only_fields = fields

    @extend_schema_field(RowErrorSerializer(many=True))
    def get_errors(self, record) -> list[dict]:
        return [row_error_data(item) for item in record.errors]


def row_error_data(error) -> dict:
    """A ``RowError`` (or its stored dict) as JSON; ``cell`` where the engine names one (workbooks)."""
    get = error.get if isinstance(error, dict) else lambda name, default=None: getattr(error, name, default)
    return {
        "row": get("row"),
        "column": get("column") or "",
        "cell": get("cell") or None,
        "code": get("code"),
        "message": get("message"),
        "value": get("value") or "",
    }


class StationPlanSerializer(serializers.Serializer):
    station_id = serializers.CharField()
    action = serializers.ChoiceField(choices=["create", "override", "refused"])
    rows = serializers.CharField(help_text="The station's rows in the file (2, or 3–5).")


class ImportResultSerializer(serializers.Serializer):
    """What the upload page shows for a file, as JSON."""

    code = serializers.CharField(allow_null=True, help_text="Null on success; ``import_refused`` otherwise.")
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    import_record = serializers.IntegerField(help_text="The id of the attempt's import record.")
    file_name = serializers.CharField(allow_blank=True)
    encoding = serializers.CharField()
    encoding_note = serializers.CharField(allow_blank=True)
    row_count = serializers.IntegerField()
    stations_created = serializers.IntegerField()
    stations_overridden = serializers.IntegerField()
    stations_refused = serializers.IntegerField()
    connector_specs = serializers.IntegerField()
    warnings = RowErrorSerializer(many=True)
    errors = RowErrorSerializer(many=True)
    stations = StationPlanSerializer(many=True, help_text="What happens (or would) to each station.")


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Path into the request body, or null.")
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, snake_case: what went wrong.")
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True)
