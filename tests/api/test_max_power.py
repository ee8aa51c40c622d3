"""The maximum power through the API (JSON create, replace, file import) and in OCPI; the OCPI uid limit;
records the API writes say so (``ImportSource.API``)."""

from decimal import Decimal

from stations.choices import ImportSource
from stations.models import ImportRecord, Station
from tests import factories
from tests.csv_helpers import row

URL = "/api/v1/stations/"
DC_920_400 = factories.spec_data(
    standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC", voltage=920, amperage=400
)


def test_create_with_a_maximum_power_answers_it_and_ocpi_publishes_it(api):
    body = factories.station_data(station_id="MAX-1", connectors=[{**DC_920_400, "max_power": 150}])
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    [connector] = response.json()["connectors"]
    assert (connector["max_power"], connector["power_w"]) == (150.0, 150_000)
    assert Station.objects.get(station_id="MAX-1").connector_specs.get().max_power == Decimal("150")
    [evse] = api.get(URL + "MAX-1/ocpi/evses/").json()
    assert evse["connectors"][0]["max_electric_power"] == 150_000
    assert ImportRecord.objects.get().source == ImportSource.API


def test_a_json_number_a_decimal_string_and_null_are_taken(api):
    connectors = [{**DC_920_400, "max_power": value} for value in (7.45, "7.4", None)]
    response = api.post(URL, factories.station_data(connectors=connectors), format="json")
    assert response.status_code == 201, response.json()
    assert [(c["max_power"], c["power_w"]) for c in response.json()["connectors"]] == [
        (7.45, 7_450),
        (7.4, 7_400),
        (None, 368_000),
    ]


def test_create_refuses_a_maximum_above_the_computed_power_by_path(api):
    connectors = [DC_920_400, {**DC_920_400, "max_power": 400}]
    response = api.post(URL, factories.station_data(connectors=connectors), format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "max_power_above_computed"
    assert error["errors"][0]["field"] == "connectors[1].max_power"
    assert "above the 368 kW" in error["message"]
    assert not Station.objects.exists()


def test_replace_sets_and_clears_the_maximum_power_and_records_the_api(api, tenant):
    factories.make_station(tenant, station_id="MAX-2", specs=[{**DC_920_400, "max_power": Decimal("150")}])
    body = factories.station_data(station_id="MAX-2", connectors=[DC_920_400])
    response = api.put(URL + "MAX-2/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["connectors"][0]["max_power"] is None
    assert response.json()["connectors"][0]["power_w"] == 368_000
    assert ImportRecord.objects.order_by("-pk").first().source == ImportSource.API


def test_a_file_imported_by_the_api_keeps_the_column_and_is_recorded_as_api(api):
    from stations.csv_format import ALL_HEADERS, rows_to_csv

    data = rows_to_csv([[*row(Station_ID="MAX-3"), "7,4"]], ALL_HEADERS).encode()
    response = api.post("/api/v1/imports/", data, content_type="text/csv")
    assert response.status_code == 201, response.json()
    assert ImportRecord.objects.get(pk=response.json()["import_record"]).source == ImportSource.API
    spec = Station.objects.get(station_id="MAX-3").connector_specs.get()
    assert spec.max_power == Decimal("7.4")


def test_ocpi_refuses_a_station_whose_uid_would_pass_36_characters(api, tenant):
    fits = "F" * 34  # "-1" makes 36
    factories.make_station(tenant, station_id=fits)
    assert api.get(f"{URL}{fits}/ocpi/evses/").json()[0]["uid"] == f"{fits}-1"
    too_long = "L" * 35
    factories.make_station(tenant, station_id=too_long)
    response = api.get(f"{URL}{too_long}/ocpi/evses/")
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "ocpi_uid_too_long"
    assert f"“{too_long}-1” has 37 characters" in error["message"]
    assert "Station IDs of up to 34 characters fit" in error["message"]
