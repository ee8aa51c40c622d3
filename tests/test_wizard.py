"""The import wizard through the test client: each step's POST (``<step>-<field>`` data) and every error path."""

import pytest
from django.urls import reverse

from stations.models import ConnectorSpec, ImportRecord, Station
from tests.factories import make_station

pytestmark = pytest.mark.django_db

URL = reverse("stations:import")
PREFIX = "station_import_wizard_view"


def details_data(**overrides):
    data = {
        "current_step": "details",
        "details-station_id": "ST-100",
        "details-security_code": "K7P2-93QX",
        "details-manufacturer": "Alfen",
        "details-article_number": "NG910",
        "details-serial_number": "ACE1",
        "details-wifi_supported": "on",
    }
    data.update(overrides)
    return _management(data)


def connectors_data(*specs, **overrides):
    specs = specs or (spec(),)
    data = {
        "current_step": "connectors",
        "connectors-TOTAL_FORMS": str(len(specs)),
        "connectors-INITIAL_FORMS": "0",
        "connectors-MIN_NUM_FORMS": "0",
        "connectors-MAX_NUM_FORMS": "1000",
    }
    for index, values in enumerate(specs):
        for name, value in values.items():
            data[f"connectors-{index}-{name}"] = value
    data.update(overrides)
    return _management(data)


def spec(**overrides):
    values = {
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "voltage": "230",
        "amperage": "16",
    }
    values.update(overrides)
    return values


def overview_data(**extra):
    return _management({"current_step": "overview", **extra})


def _management(data):
    step = data.pop("current_step")
    return {f"{PREFIX}-current_step": step, **data}


def test_smoke(operator_client):
    response = operator_client.get(URL)
    assert response.status_code == 200
    print(response.content.decode())
    response = operator_client.post(URL, details_data())
    assert response.status_code == 200, response.content
    print(response.content.decode())
    response = operator_client.post(URL, connectors_data(spec(), spec(voltage="400")))
    print(response.content.decode())
    response = operator_client.post(URL, overview_data())
    assert response.status_code == 302, response.content
    print(response["Location"])
