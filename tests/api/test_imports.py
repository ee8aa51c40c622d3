"""CSV imports by the API: the upload page's result as JSON, dry run, raw body, records."""

from django.test import override_settings

from stations.models import ImportRecord, Station
from tests import factories
from tests.csv_helpers import csv_bytes, row, station_rows

URL = "/api/v1/imports/"


def multipart(data: bytes, name="stations.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def test_multipart_import_creates_and_answers_the_counts(api, tenant):
    data = csv_bytes(*station_rows("IMP-1", 2), *station_rows("IMP-2"))
    response = api.post(URL, multipart(data), format="multipart")
    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["code"] is None
    assert result["ok"] is True
    assert (result["stations_created"], result["stations_overridden"], result["connector_specs"]) == (2, 0, 3)
    assert result["row_count"] == 3
    assert result["file_name"] == "stations.csv"
    assert result["stations"] == [
        {"station_id": "IMP-1", "action": "create", "rows": "2–3"},
        {"station_id": "IMP-2", "action": "create", "rows": "4"},
    ]
    record = ImportRecord.objects.get(pk=result["import_record"])
    assert (record.tenant, record.stations_created, record.dry_run) == (tenant, 2, False)
    assert Station.objects.filter(tenant=tenant).count() == 2


def test_dry_run_writes_nothing_but_the_record(api):
    response = api.post(URL + "?dry_run=true", csv_bytes(), content_type="text/csv")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["stations_created"] == 1
    assert not Station.objects.exists()
    assert ImportRecord.objects.get().dry_run is True


def test_dry_run_as_a_multipart_field(api):
    response = api.post(URL, {**multipart(csv_bytes()), "dry_run": "1"}, format="multipart")
    assert response.status_code == 200
    assert not Station.objects.exists()


def test_override_and_warnings_are_reported(api, tenant):
    factories.make_station(tenant, station_id="OVR-1")
    data = csv_bytes(row(Station_ID="ovr-1", Voltage="400"))
    result = api.post(URL, data, content_type="text/csv").json()
    assert result["stations_overridden"] == 1
    assert result["stations"][0] == {"station_id": "OVR-1", "action": "override", "rows": "2"}
    [warning] = result["warnings"]
    assert (warning["row"], warning["column"], warning["code"], warning["cell"]) == (
        2,
        "Voltage",
        "line_voltage",
        None,
    )
    assert "230 V" in warning["message"]


def test_every_error_with_row_column_cell_code_message_value_and_nothing_written(api):
    rows = [row(Station_ID=f"BAD-{n}", Voltage="9999") for n in range(150)]
    response = api.post(URL, csv_bytes(*rows), content_type="text/csv")
    assert response.status_code == 422
    result = response.json()
    assert result["code"] == "import_refused"
    assert len(result["errors"]) == 150  # all of them, not the page's first 100
    assert result["errors"][0] == {
        "row": 2,
        "column": "Voltage",
        "cell": None,
        "code": "max_value",
        "message": result["errors"][0]["message"],
        "value": "9999",
    }
    assert "1000" in result["errors"][0]["message"]
    assert not Station.objects.exists()
    assert ImportRecord.objects.get(pk=result["import_record"]).error_count == 150


def test_a_whole_file_error_has_no_row(api):
    response = api.post(URL, b"", content_type="text/csv")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "row": None,
            "column": "",
            "cell": None,
            "code": "empty_file",
            "message": "The file is empty.",
            "value": "",
        }
    ]


@override_settings(STATION_IMPORT_MAX_UPLOAD_BYTES=1000)
def test_a_raw_body_over_the_limit_is_refused_with_the_pages_error(api):
    response = api.post(URL, csv_bytes(*station_rows("BIG", 30)), content_type="text/csv")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "file_too_large"
    assert not Station.objects.exists()


def test_multipart_without_a_file(api):
    response = api.post(URL, {"dry_run": "true"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "no_file"


def test_bad_dry_run_value(api):
    response = api.post(URL + "?dry_run=maybe", csv_bytes(), content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_dry_run"
    assert not ImportRecord.objects.exists()


def test_records_list_and_detail_with_errors(api, operator, tenant):
    api.post(URL, csv_bytes(row(Amperage="0")), content_type="text/csv")
    api.post(URL + "?file_name=good.csv", csv_bytes(), content_type="text/csv")
    records = api.get(URL).json()["results"]
    assert [r["file_name"] for r in records] == ["good.csv", ""]
    assert records[0]["user"] == "olivia"
    assert records[0]["succeeded"] is True
    failed = api.get(f"{URL}{records[1]['id']}/").json()
    assert failed["error_count"] == 1
    assert failed["errors"][0]["column"] == "Amperage"
    assert failed["errors"][0]["code"] == "min_value"
    assert failed["errors"][0]["cell"] is None


def test_a_raw_body_as_curl_sends_it_by_default(api):
    # curl --data-binary @file.csv says application/x-www-form-urlencoded unless told otherwise.
    response = api.post(URL, csv_bytes(), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201, response.json()
    assert response.json()["stations_created"] == 1


def test_a_head_request_needs_the_view_permission(tenant, operator):
    from django.contrib.auth.models import Group

    from api.tokens import api_token_create
    from tests.api.conftest import bearer_client

    operator.groups.remove(Group.objects.get(name="Operators"))
    client = bearer_client(api_token_create(user=operator, name="no perms")[1])
    assert client.head(URL).status_code == 403
    assert client.options(URL).status_code == 403


@override_settings(STATION_IMPORT_MAX_UPLOAD_BYTES=1000)
def test_a_multipart_file_over_the_limit_is_refused_with_the_pages_error(api):
    response = api.post(URL, multipart(csv_bytes(*station_rows("BIG", 30)), "big.csv"), format="multipart")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "file_too_large"
    assert response.json()["file_name"] == "big.csv"
    assert not Station.objects.exists()
