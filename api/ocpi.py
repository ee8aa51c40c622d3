"""A station's connector specifications as OCPI 2.2.1 ``EVSE`` objects (mod_locations, "EVSE Object").

One EVSE per specification, as OCPI advises for OCPP 1.x stations ("one 'virtual' EVSE per Connector"),
each with the one ``Connector`` it has. Field names, types and value spellings are OCPI 2.2.1's; optional
fields we hold nothing for (``evse_id``, ``capabilities``, ``coordinates``, ``tariff_ids``, …) are left out
rather than sent empty. Our ``ConnectorStandard``, ``ConnectorFormat`` and ``PowerType`` are stored as
the OCPI codes already.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stations.choices import ConnectorFormat, ConnectorStandard, PowerType, StationStatus
from stations.models import ConnectorSpec, Station

from .serializers import spec_power_watts

# OCPI Status: an inactive station has not reported anything to the platform yet; once activated it is
# taken to be available (the platform that knows better overrides this with live OCPP status).
EVSE_STATUS = {StationStatus.INACTIVE: "UNKNOWN", StationStatus.ACTIVE: "AVAILABLE"}
# OCPI 2.2.1 EVSE.uid is CiString(36), while a Station ID may have 48 characters (OCPP's identity limit).
# SPEC §9 makes the uid ``<station_id>-<position>``, which a roaming hub keys the EVSE by: a station whose
# uid would not fit is refused (``ocpi_uid_too_long``) rather than sent with a uid that strict hubs reject,
# or with a shortened one that no longer names the station and would change if the rule did.
OCPI_UID_MAX_LENGTH = 36


def ocpi_datetime(value: datetime) -> str:
    """OCPI DateTime: RFC 3339 in UTC with ``Z`` (OCPI: "+00:00 is not the same as UTC"), at most 25
    characters, so whole seconds."""
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def evse_uid(station: Station, spec: ConnectorSpec) -> str:
    return f"{station.station_id}-{spec.position}"


def check_evse_uids(station: Station, specs: list[ConnectorSpec]) -> None:
    """Raise ``ocpi_uid_too_long`` unless every EVSE uid of the station fits OCPI's 36 characters."""
    longest = max((evse_uid(station, spec) for spec in specs), key=len, default="")
    if len(longest) > OCPI_UID_MAX_LENGTH:
        raise ValidationError(
            "Station %(station_id)s cannot be published over OCPI: its EVSE uid “%(uid)s” has %(length)d "
            "characters, and OCPI 2.2.1 allows %(limit)d. Station IDs of up to %(fits)d characters fit.",
            code="ocpi_uid_too_long",
            params={
                "station_id": station.station_id,
                "uid": longest,
                "length": len(longest),
                "limit": OCPI_UID_MAX_LENGTH,
                "fits": OCPI_UID_MAX_LENGTH - len(longest) + len(station.station_id),
            },
        )


def evse(station: Station, spec: ConnectorSpec) -> dict:
    """One OCPI EVSE holding the one Connector of ``spec``."""
    # Specifications are replaced with their station (override) and never edited alone outside it, and
    # the station's updated_at moves with every change: the last change of EVSE and Connector alike.
    last_updated = ocpi_datetime(station.updated_at)
    return {
        "uid": evse_uid(station, spec),
        "status": EVSE_STATUS[station.status],
        "connectors": [
            {
                "id": str(spec.position),
                "standard": spec.standard,
                "format": spec.format,
                "power_type": spec.power_type,
                "max_voltage": spec.voltage,
                "max_amperage": spec.amperage,
                "max_electric_power": spec_power_watts(spec),
                "last_updated": last_updated,
            }
        ],
        "last_updated": last_updated,
    }


def station_evses(station: Station) -> list[dict]:
    """The station's EVSEs in connector ID order (``station.connector_specs`` in position order).

    Raises ``ValidationError`` (``ocpi_uid_too_long``) for a station whose uids do not fit OCPI.
    """
    specs = sorted(station.connector_specs.all(), key=lambda s: s.position)
    check_evse_uids(station, specs)
    return [evse(station, spec) for spec in specs]


# Serializers documenting the objects in the OpenAPI schema (the views return ``evse()`` as is).


class OcpiConnectorSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=36, help_text="CiString(36): the OCPP connector ID (position).")
    standard = serializers.ChoiceField(choices=ConnectorStandard.choices, help_text="ConnectorType.")
    format = serializers.ChoiceField(choices=ConnectorFormat.choices, help_text="ConnectorFormat.")
    power_type = serializers.ChoiceField(choices=PowerType.choices, help_text="PowerType.")
    max_voltage = serializers.IntegerField(help_text="V; line to neutral for AC_3_PHASE.")
    max_amperage = serializers.IntegerField(help_text="A.")
    max_electric_power = serializers.IntegerField(help_text="W.")
    last_updated = serializers.CharField(help_text="DateTime: RFC 3339, UTC (2026-12-01T10:15:00Z).")


@extend_schema_field({"type": "string", "enum": sorted(set(EVSE_STATUS.values()))})
class OcpiStatusField(serializers.CharField):
    pass


class OcpiEvseSerializer(serializers.Serializer):
    uid = serializers.CharField(
        max_length=OCPI_UID_MAX_LENGTH,
        help_text="CiString(36): <station_id>-<position> (a station whose uid would be longer is refused).",
    )
    status = OcpiStatusField(help_text="Status: UNKNOWN while inactive, AVAILABLE once activated.")
    connectors = OcpiConnectorSerializer(many=True)
    last_updated = serializers.CharField(help_text="DateTime: RFC 3339, UTC.")
