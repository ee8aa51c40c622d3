"""Stations by the API: list, retrieve, create with the wizard's rules, replace, delete, round trip."""

import pytest

from stations import csv_export
from stations.choices import StationStatus
from stations.models import ConnectorSpec, ImportRecord, Station
from stations.selectors import stations_visible_to
from tests import factories
from tests.api.conftest import bearer_client

URL = "/api/v1/stations/"


def body(**overrides):
    data = factories.station_data(**overrides)
    data.setdefault("connectors", [factories.spec_data(), factories.chademo_spec_data()])
    return data


def test_create_answers_the_station_with_ordered_connectors_and_power(api, tenant):
    response = api.post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["station_id"] == "ST1010101"
    assert data["status"] == "inactive"
    assert [c["position"] for c in data["connectors"]] == [1, 2]
    assert data["connectors"][0] == {
        "position": 1,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "voltage": 230,
        "amperage": 16,
        "max_power": None,
        "power_w": 11040,
    }
    assert data["connectors"][1]["power_w"] == 500 * 125
    assert response["Location"] == "/api/v1/stations/ST1010101/"
    station = Station.objects.get(station_id="ST1010101")
    assert station.tenant == tenant
    assert [s.standard for s in station.connector_specs.order_by("position")] == ["IEC_62196_T2", "CHADEMO"]


def test_create_refuses_with_the_models_codes_and_field_paths(api):
    bad = body(station_id="has space", wifi_supported=False, gsm_supported=False)
    response = api.post(URL, bad, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert {(e["field"], e["code"]) for e in data["errors"]} == {
        ("station_id", "invalid_station_id"),
        ("wifi_supported", "no_connectivity"),
    }
    assert not Station.objects.exists()
    assert ImportRecord.objects.get().error_count == 2


def test_create_refuses_bad_connectors_by_path(api):
    bad = body()
    bad["connectors"][1]["voltage"] = 2000
    bad["connectors"][0]["standard"] = "TYPE_9"
    response = api.post(URL, bad, format="json")
    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("connectors[0].standard", "invalid_choice"), ("connectors[1].voltage", "max_value")}
    assert not Station.objects.exists()


def test_create_without_connectors_is_the_services_error(api):
    response = api.post(URL, body(connectors=[]), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "connectors",
            "code": "no_connector_specs",
            "message": "A station needs at least one connector specification.",
        }
    ]


def test_create_refuses_a_station_id_taken_in_another_tenant_without_saying_whose(api, other_tenant):
    factories.make_station(other_tenant, station_id="TAKEN-1")
    response = api.post(URL, body(station_id="taken-1"), format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "duplicate_station_id"
    assert data["errors"][0]["field"] == "station_id"
    assert "South" not in str(data)


def test_create_answers_a_wrong_json_type_with_its_path(api):
    bad = body()
    bad["connectors"][0]["amperage"] = "sixteen"
    response = api.post(URL, bad, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "connectors[0].amperage"
    assert response.json()["errors"][0]["code"] == "invalid"


def test_list_filters_and_paginates_by_cursor(api, tenant):
    for number in range(5):
        factories.make_station(tenant, station_id=f"LIST-{number}")
    Station.objects.filter(station_id="LIST-3").update(status=StationStatus.ACTIVE)
    response = api.get(URL, {"page_size": 2})
    assert response.status_code == 200
    page = response.json()
    assert [s["station_id"] for s in page["results"]] == ["LIST-0", "LIST-1"]
    seen = [s["station_id"] for s in page["results"]]
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [s["station_id"] for s in page["results"]]
    assert seen == [f"LIST-{n}" for n in range(5)]
    active = api.get(URL, {"status": "active"}).json()["results"]
    assert [s["station_id"] for s in active] == ["LIST-3"]


def test_list_updated_since(api, tenant):
    old = factories.make_station(tenant, station_id="OLD-1")
    new = factories.make_station(tenant, station_id="NEW-1")
    Station.objects.filter(pk=old.pk).update(updated_at="2020-01-01T00:00:00Z")
    response = api.get(URL, {"updated_since": new.updated_at.isoformat()})
    assert [s["station_id"] for s in response.json()["results"]] == ["NEW-1"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "sleeping"}, "status"), ({"updated_since": "yesterday"}, "updated_since")],
)
def test_list_refuses_bad_filters(api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_retrieve_by_station_id_in_any_case(api, tenant):
    factories.make_station(tenant, station_id="Mixed.Case:1")
    response = api.get(URL + "mIXED.case:1/")
    assert response.status_code == 200
    assert response.json()["station_id"] == "Mixed.Case:1"


def test_replace_overrides_details_and_connectors_and_keeps_the_spelling(api, tenant):
    factories.make_two_spec_station(tenant, station_id="WIZ-001")
    replacement = body(
        station_id="wiz-001", manufacturer="ABB", connectors=[factories.spec_data(amperage=32)]
    )
    response = api.put(URL + "wiz-001/", replacement, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["station_id"] == "WIZ-001"
    assert data["manufacturer"] == "ABB"
    assert [(c["position"], c["amperage"]) for c in data["connectors"]] == [(1, 32)]
    assert ConnectorSpec.objects.filter(station__station_id="WIZ-001").count() == 1
    assert ImportRecord.objects.filter(stations_overridden=1, succeeded=True).exists()


def test_replace_refuses_an_active_station_and_changes_nothing(api, tenant):
    station = factories.make_station(tenant, station_id="ACT-1")
    Station.objects.filter(pk=station.pk).update(status=StationStatus.ACTIVE)
    response = api.put(URL + "ACT-1/", body(station_id="ACT-1", manufacturer="ABB"), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "station_active"
    assert Station.objects.get(pk=station.pk).manufacturer == "Alfen"


def test_replace_refuses_another_station_id_in_the_body(api, tenant):
    factories.make_station(tenant, station_id="KEEP-1")
    response = api.put(URL + "KEEP-1/", body(station_id="OTHER-1"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "station_id_mismatch"


def test_replace_refuses_invalid_connectors_and_keeps_the_old_ones(api, tenant):
    factories.make_two_spec_station(tenant, station_id="KEEP-2")
    response = api.put(
        URL + "KEEP-2/", body(station_id="", connectors=[factories.spec_data(voltage=5)]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "connectors[0].voltage"
    assert ConnectorSpec.objects.filter(station__station_id="KEEP-2").count() == 2


def test_delete_an_inactive_station_and_refuse_an_active_one(api, tenant):
    factories.make_station(tenant, station_id="DEL-1")
    active = factories.make_station(tenant, station_id="DEL-2")
    Station.objects.filter(pk=active.pk).update(status=StationStatus.ACTIVE)
    assert api.delete(URL + "del-1/").status_code == 204
    assert not Station.objects.filter(station_id="DEL-1").exists()
    response = api.delete(URL + "DEL-2/")
    assert response.status_code == 409
    assert response.json()["code"] == "station_active"
    assert Station.objects.filter(station_id="DEL-2").exists()


def test_support_staff_without_a_tenant_cannot_create(support):
    from api.tokens import api_token_create

    client = bearer_client(api_token_create(user=support, name="support")[1])
    response = client.post(URL, body(), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_user_without_the_permission_gets_403(tenant, operator):
    from django.contrib.auth.models import Group

    from api.tokens import api_token_create

    operator.groups.remove(Group.objects.get(name="Operators"))
    client = bearer_client(api_token_create(user=operator, name="no perms")[1])
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_round_trip_create_read_export_reimport_gives_the_same_station(api, operator):
    created = api.post(URL, body(article_number="=SUM(A1)", serial_number=""), format="json").json()
    read = api.get(URL + created["station_id"] + "/").json()
    assert read == created
    exported = "".join(csv_export.export_lines(stations_visible_to(operator))).encode("utf-8")
    response = api.post("/api/v1/imports/?file_name=export.csv", exported, content_type="text/csv")
    assert response.status_code == 201, response.json()
    assert response.json()["stations_overridden"] == 1
    again = api.get(URL + created["station_id"] + "/").json()
    ignore = {"updated_at"}
    assert {k: v for k, v in again.items() if k not in ignore} == {
        k: v for k, v in read.items() if k not in ignore
    }


def test_replace_checks_the_status_after_taking_the_lock(tenant, operator):
    # The view read the station while inactive; it was activated before the replace took the row lock.
    from django.core.exceptions import ValidationError

    from stations import services

    stale = factories.make_station(tenant, station_id="RACE-1")
    Station.objects.filter(pk=stale.pk).update(status=StationStatus.ACTIVE)
    with pytest.raises(ValidationError) as refused:
        services.station_replace(
            tenant=tenant,
            user=operator,
            station=stale,
            station_data=factories.station_data(manufacturer="ABB"),
            specs=[factories.spec_data()],
            source="wizard",
        )
    assert refused.value.code == "station_active"
    assert Station.objects.get(pk=stale.pk).manufacturer == "Alfen"


def test_delete_checks_the_status_after_taking_the_lock(tenant):
    from django.core.exceptions import ValidationError

    from stations import services

    stale = factories.make_station(tenant, station_id="RACE-2")
    Station.objects.filter(pk=stale.pk).update(status=StationStatus.ACTIVE)
    with pytest.raises(ValidationError) as refused:
        services.station_delete(station=stale)
    assert refused.value.code == "station_active"
    assert Station.objects.filter(pk=stale.pk).exists()
