"""Activation by the API: the service of SPEC §6 with its limits."""

from django.test import override_settings

from stations.choices import StationStatus
from stations.models import Station
from tests import factories

URL = "/api/v1/activations/"
CODE = "K7P2-93QX"


def test_activates_and_answers_the_station(api, operator, other_tenant):
    # Any account activates any tenant's station it holds the code of (the Activate page's rule).
    factories.make_two_spec_station(other_tenant, station_id="ACT-API")
    response = api.post(URL, {"station_id": "act-api", "security_code": CODE}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["station_id"] == "ACT-API"
    assert response.json()["status"] == "active"
    assert [c["position"] for c in response.json()["connectors"]] == [1, 2]
    station = Station.objects.get(station_id="ACT-API")
    assert (station.status, station.activated_by) == (StationStatus.ACTIVE, operator)


def test_unknown_station_and_wrong_code_get_the_same_answer(api, tenant):
    factories.make_station(tenant, station_id="ACT-2")
    wrong = api.post(URL, {"station_id": "ACT-2", "security_code": "nope-nope"}, format="json")
    unknown = api.post(URL, {"station_id": "NOPE-9", "security_code": CODE}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "activation_mismatch"


def test_already_activated(api, tenant):
    factories.make_station(tenant, station_id="ACT-3")
    api.post(URL, {"station_id": "ACT-3", "security_code": CODE}, format="json")
    again = api.post(URL, {"station_id": "ACT-3", "security_code": CODE}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_activated"


@override_settings(ACTIVATION_MAX_FAILED_ATTEMPTS=2)
def test_failed_attempts_are_limited_with_429_and_retry_after(api, tenant):
    factories.make_station(tenant, station_id="ACT-4")
    for _ in range(2):
        assert (
            api.post(URL, {"station_id": "ACT-4", "security_code": "wrong"}, format="json").status_code == 400
        )
    refused = api.post(URL, {"station_id": "ACT-4", "security_code": CODE}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_attempts"
    assert 1 <= int(refused["Retry-After"]) <= 15 * 60
    assert Station.objects.get(station_id="ACT-4").status == StationStatus.INACTIVE


def test_missing_fields(api):
    response = api.post(URL, {"station_id": "X"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "security_code", "code": "required", "message": "This field is required."}
    ]
