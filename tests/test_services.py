import pytest
from django.core.exceptions import ValidationError

from stations import services
from stations.choices import ImportSource, StationStatus
from stations.models import ConnectorSpec, ImportRecord, Station
from tests.factories import make_station, spec_data, station_data, two_spec_data

pytestmark = pytest.mark.django_db


def test_imports_station_with_ordered_specs(tenant, operator):
    station = services.station_import(
        tenant=tenant,
        user=operator,
        station_data=station_data(station_id=" ST42 "),
        specs=two_spec_data(),
    )
    station.refresh_from_db()
    assert station.station_id == "ST42"
    assert station.status == StationStatus.INACTIVE
    assert station.tenant == tenant
    assert list(station.connector_specs.values_list("position", "standard")) == [
        (1, "IEC_62196_T2"),
        (2, "CHADEMO"),
    ]
    record = station.last_import
    assert (
        record.source,
        record.user,
        record.succeeded,
        record.stations_created,
        record.connector_specs,
    ) == (
        ImportSource.WIZARD,
        operator,
        True,
        1,
        2,
    )


def test_rejects_station_without_specs_and_writes_nothing(tenant, operator):
    with pytest.raises(ValidationError) as caught:
        services.station_import(tenant=tenant, user=operator, station_data=station_data(), specs=[])
    assert caught.value.code == "no_connector_specs"
    assert not Station.objects.exists()


def test_rejects_bad_spec_by_position_and_writes_nothing(tenant, operator):
    with pytest.raises(ValidationError) as caught:
        services.station_import(
            tenant=tenant,
            user=operator,
            station_data=station_data(),
            specs=[spec_data(), spec_data(voltage=1001)],
        )
    [error] = caught.value.error_list
    assert (error.code, error.params["position"], error.params["field"]) == ("max_value", 2, "voltage")
    assert error.message % error.params == (
        "Connector specification 2, Voltage: Enter whole volts from 110 to 1000."
    )
    assert not Station.objects.exists()
    assert not ConnectorSpec.objects.exists()


def test_duplicate_station_id_is_refused_and_recorded(tenant, other_tenant, operator):
    make_station(other_tenant, station_id="ST1")
    with pytest.raises(ValidationError) as caught:
        make_station(tenant, operator, station_id="st1")
    assert [e.code for e in caught.value.error_dict["station_id"]] == ["duplicate_station_id"]
    assert "South Volt" not in str(caught.value)
    failed = ImportRecord.objects.get(tenant=tenant)
    assert (failed.succeeded, failed.error_count, failed.stations_created) == (False, 1, 0)
    assert Station.objects.filter(tenant=tenant).count() == 0
