"""Issue 11's input rules through the API: invisible characters, digits 0–9, at most 64 connectors
(the rules' boundaries are in tests/test_models.py and tests/test_rules.py)."""

import pytest

from stations.models import Station
from tests.api.test_stations import URL, body
from tests.factories import spec_data

pytestmark = pytest.mark.django_db

ARABIC_230 = "٢٣٠"


def test_api_refuses_invisible_characters(api):
    response = api.post(URL, body(manufacturer="Al\tfen"), format="json")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("manufacturer", "invisible_character")
    ]


def test_api_refuses_other_digits_given_as_text(api):
    bad = body()
    bad["connectors"][0]["voltage"] = ARABIC_230
    response = api.post(URL, bad, format="json")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("connectors[0].voltage", "invalid_number")
    ]


def test_api_refuses_more_than_64_connectors(api):
    response = api.post(URL, body(connectors=[spec_data()] * 65), format="json")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("connectors", "too_many_connector_specs")
    ]
    assert not Station.objects.exists()
    response = api.post(URL, body(connectors=[spec_data()] * 64), format="json")
    assert response.status_code == 201, response.json()
