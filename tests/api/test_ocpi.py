"""OCPI 2.2.1 EVSEs of a station, checked field by field against mod_locations' EVSE and Connector."""

import re
from datetime import UTC, datetime
from decimal import Decimal

from stations.choices import StationStatus
from stations.models import Station
from tests import factories

# OCPI 2.2.1 mod_locations: ConnectorType, ConnectorFormat, PowerType and Status, as the spec spells them.
OCPI_CONNECTOR_TYPES = {
    "CHADEMO", "CHAOJI", "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E",
    "DOMESTIC_F", "DOMESTIC_G", "DOMESTIC_H", "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K", "DOMESTIC_L",
    "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC", "IEC_60309_2_single_16",
    "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64", "IEC_62196_T1",
    "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C",
    "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50",
    "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S",
}  # fmt: skip
OCPI_FORMATS = {"SOCKET", "CABLE"}
OCPI_POWER_TYPES = {"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"}
OCPI_STATUSES = {
    "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED",
    "UNKNOWN",
}  # fmt: skip
EVSE_FIELDS = {
    "uid", "evse_id", "status", "status_schedule", "capabilities", "connectors", "floor_level", "coordinates",
    "physical_reference", "directions", "parking_restrictions", "images", "last_updated",
}  # fmt: skip
CONNECTOR_FIELDS = {
    "id", "standard", "format", "power_type", "max_voltage", "max_amperage", "max_electric_power",
    "tariff_ids", "terms_and_conditions", "last_updated",
}  # fmt: skip
# OCPI DateTime: RFC 3339, UTC, string(25); "+00:00 is not the same as UTC".
OCPI_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?$")
PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]+$")

THREE_SPECS = [
    # Rated 11 kW, below the 22.08 kW of 3 × 230 V × 32 A: max_electric_power is the rated maximum.
    factories.spec_data(
        standard="IEC_62196_T2",
        format="SOCKET",
        power_type="AC_3_PHASE",
        voltage=230,
        amperage=32,
        max_power=Decimal("11"),
    ),
    factories.spec_data(
        standard="DOMESTIC_F", format="SOCKET", power_type="AC_1_PHASE", voltage=230, amperage=16
    ),
    factories.spec_data(
        standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC", voltage=920, amperage=400
    ),
]


def _check_datetime(value: str):
    assert len(value) <= 25
    assert OCPI_DATETIME.match(value), value
    assert value.endswith("Z")


def test_three_specs_as_three_evses_field_by_field(api, tenant):
    station = factories.make_station(tenant, station_id="OCPI-1", specs=THREE_SPECS)
    response = api.get("/api/v1/stations/ocpi-1/ocpi/evses/")
    assert response.status_code == 200
    evses = response.json()
    assert isinstance(evses, list)
    assert len(evses) == 3
    expected = [
        ("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32, 11_000),
        ("DOMESTIC_F", "SOCKET", "AC_1_PHASE", 230, 16, 230 * 16),
        ("IEC_62196_T2_COMBO", "CABLE", "DC", 920, 400, 920 * 400),
    ]
    station.refresh_from_db()
    stamp = station.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for position, (evse, (standard, fmt, power, volts, amps, watts)) in enumerate(
        zip(evses, expected, strict=True), start=1
    ):
        assert set(evse) <= EVSE_FIELDS
        # Required: uid, status, connectors, last_updated. Optional ones we hold nothing for are absent.
        assert set(evse) == {"uid", "status", "connectors", "last_updated"}
        assert evse["uid"] == f"OCPI-1-{position}"
        assert PRINTABLE_ASCII.match(evse["uid"])
        assert evse["status"] in OCPI_STATUSES
        assert evse["status"] == "UNKNOWN"
        _check_datetime(evse["last_updated"])
        assert evse["last_updated"] == stamp
        [connector] = evse["connectors"]
        assert set(connector) <= CONNECTOR_FIELDS
        assert connector == {
            "id": str(position),
            "standard": standard,
            "format": fmt,
            "power_type": power,
            "max_voltage": volts,
            "max_amperage": amps,
            "max_electric_power": watts,
            "last_updated": stamp,
        }
        assert isinstance(connector["id"], str)
        assert len(connector["id"]) <= 36
        assert connector["standard"] in OCPI_CONNECTOR_TYPES
        assert connector["format"] in OCPI_FORMATS
        assert connector["power_type"] in OCPI_POWER_TYPES
        assert all(type(connector[f]) is int for f in ("max_voltage", "max_amperage", "max_electric_power"))


def test_an_active_station_is_available(api, tenant):
    station = factories.make_station(tenant, station_id="OCPI-2")
    Station.objects.filter(pk=station.pk).update(status=StationStatus.ACTIVE)
    [evse] = api.get("/api/v1/stations/OCPI-2/ocpi/evses/").json()
    assert evse["status"] == "AVAILABLE"


def test_last_updated_is_utc_whole_seconds():
    from api.ocpi import ocpi_datetime

    local = datetime(2026, 12, 1, 11, 15, 30, 123456, tzinfo=UTC).astimezone()
    assert ocpi_datetime(local) == "2026-12-01T11:15:30Z"
