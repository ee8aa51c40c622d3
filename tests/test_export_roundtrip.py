"""Export, then import into an empty tenant: the same stations and specifications come back."""

import codecs

import pytest

from stations import csv_import, services
from stations.choices import ImportSource
from stations.csv_export import export_lines
from stations.models import Station
from tests import factories

pytestmark = pytest.mark.django_db

STATION_FIELDS = (
    "station_id",
    "security_code",
    "manufacturer",
    "article_number",
    "serial_number",
    "wifi_supported",
    "gsm_supported",
)
SPEC_FIELDS = ("position", "standard", "format", "power_type", "voltage", "amperage")


def _snapshot(queryset):
    return {
        station.station_id: (
            tuple(getattr(station, field) for field in STATION_FIELDS),
            [tuple(getattr(spec, field) for field in SPEC_FIELDS) for spec in station.connector_specs.all()],
        )
        for station in queryset
    }


def _round_trip(tenant, operator):
    before = _snapshot(Station.objects.filter(tenant=tenant))
    data = "".join(export_lines(Station.objects.filter(tenant=tenant))).encode()
    assert data.startswith(codecs.BOM_UTF8)  # as downloaded: the import reads past it
    # Station IDs are unique on the whole platform: the originals make way for the re-import.
    Station.objects.filter(tenant=tenant).delete()
    empty = factories.make_tenant("empty-tenant", "Empty Tenant")
    plan = csv_import.parse(data, tenant=empty)
    assert plan.ok, [(e.row, e.column, e.code, e.message) for e in plan.errors]
    result = services.stations_import(
        tenant=empty, user=operator, plan=plan, source=ImportSource.UPLOAD, file_name="export.csv"
    )
    assert result.stations_created == len(before)
    return before, _snapshot(Station.objects.filter(tenant=empty))


def test_export_imports_back_unchanged(tenant, operator):
    factories.make_station(
        tenant,
        station_id="NC-1",
        specs=[
            *factories.two_spec_data(),
            factories.spec_data(standard="DOMESTIC_F", power_type="AC_1_PHASE", voltage=230, amperage=16),
        ],
    )
    factories.make_station(
        tenant,
        station_id="NC-2",
        manufacturer="Ladestation Müller; Söhne",
        article_number="",
        serial_number="",
        wifi_supported=False,
        gsm_supported=True,
        specs=[factories.spec_data(voltage=400)],
    )
    before, after = _round_trip(tenant, operator)
    assert after == before


def test_formula_cells_import_back_unchanged(tenant, operator):
    factories.make_station(
        tenant,
        station_id="=ST1",
        security_code="+CODE1",
        manufacturer='=HYPERLINK("http://evil")',
        article_number="-5",
        serial_number="@SER",
    )
    factories.make_station(tenant, station_id="-ST2", manufacturer="'=already quoted")
    before, after = _round_trip(tenant, operator)
    assert after == before
