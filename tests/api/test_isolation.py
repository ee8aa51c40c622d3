"""Isolation: tenant A's token never reaches tenant B's stations or records (404), no token is 401."""

import pytest

from stations.models import ImportRecord, Station
from tests import factories
from tests.csv_helpers import csv_bytes, row

THEIRS = "THEIRS-1"


@pytest.fixture
def theirs(other_tenant, other_operator):
    station = factories.make_station(other_tenant, other_operator, station_id=THEIRS)
    record = ImportRecord.objects.filter(tenant=other_tenant).get()
    return station, record


def _station_body():
    return {
        **factories.station_data(station_id=THEIRS, manufacturer="Hijack"),
        "connectors": [factories.spec_data()],
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/stations/{THEIRS}/"),
        ("get", f"/api/v1/stations/{THEIRS.lower()}/"),
        ("put", f"/api/v1/stations/{THEIRS}/"),
        ("delete", f"/api/v1/stations/{THEIRS}/"),
        ("get", f"/api/v1/stations/{THEIRS}/ocpi/evses/"),
        ("get", "/api/v1/imports/{record}/"),
    ],
)
def test_another_tenants_objects_are_404(api, theirs, method, path):
    station, record = theirs
    response = getattr(api, method)(path.format(record=record.pk), _station_body(), format="json")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "errors": []}
    station.refresh_from_db()
    assert station.manufacturer == "Alfen"


def test_another_tenants_stations_and_records_are_not_listed(api, theirs, tenant):
    factories.make_station(tenant, station_id="MINE-1")
    assert [s["station_id"] for s in api.get("/api/v1/stations/").json()["results"]] == ["MINE-1"]
    own_records = set(ImportRecord.objects.filter(tenant=tenant).values_list("pk", flat=True))
    assert {r["id"] for r in api.get("/api/v1/imports/").json()["results"]} == own_records


def test_creating_another_tenants_station_id_reveals_nothing(api, theirs):
    response = api.post("/api/v1/stations/", _station_body(), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_station_id"
    assert "South" not in response.content.decode()


def test_an_import_cannot_override_another_tenants_station(api, theirs):
    response = api.post("/api/v1/imports/", csv_bytes(row(Station_ID=THEIRS)), content_type="text/csv")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["column"], error["code"]) == (2, "Station ID", "already_registered")
    assert "South" not in response.content.decode()
    assert Station.objects.get(station_id=THEIRS).manufacturer == "Alfen"


def test_support_staff_see_every_tenant(support, theirs, tenant):
    from api.tokens import api_token_create
    from tests.api.conftest import bearer_client

    factories.make_station(tenant, station_id="MINE-1")
    client = bearer_client(api_token_create(user=support, name="support")[1])
    assert {s["station_id"] for s in client.get("/api/v1/stations/").json()["results"]} == {"MINE-1", THEIRS}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/stations/"),
        ("post", "/api/v1/stations/"),
        ("get", f"/api/v1/stations/{THEIRS}/"),
        ("put", f"/api/v1/stations/{THEIRS}/"),
        ("delete", f"/api/v1/stations/{THEIRS}/"),
        ("get", f"/api/v1/stations/{THEIRS}/ocpi/evses/"),
        ("get", "/api/v1/imports/"),
        ("post", "/api/v1/imports/"),
        ("get", "/api/v1/imports/{record}/"),
        ("post", "/api/v1/activations/"),
    ],
)
def test_without_a_token_every_endpoint_is_401(anonymous_api, theirs, method, path):
    _station, record = theirs
    response = getattr(anonymous_api, method)(path.format(record=record.pk), {}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
