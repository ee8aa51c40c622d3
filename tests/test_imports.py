"""Check then import (``stations:import_checked``), the Imports pages (``stations:imports``,
``stations:import_detail``), the plan download, grouped errors and the overview's Import filter."""

import csv
import io
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from benchmarks.csv_files import realistic_csv
from stations import csv_import, services
from stations.choices import ImportSource
from stations.models import ConnectorSpec, ImportRecord, Station
from stations.results import ErrorGroup, RowError, group_errors
from tests.csv_helpers import csv_bytes, row, station_rows
from tests.factories import make_operator, make_station, make_support

pytestmark = pytest.mark.django_db

UPLOAD = "/stations/upload/"
PAGE_LIMIT_BYTES = 200 * 1024


def upload(client, data: bytes, name="stations.csv", **fields):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, "text/csv"), **fields})


def check(client, data: bytes, name="stations.csv") -> ImportRecord:
    response = upload(client, data, name, check_only="on")
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.context["result"].record


def import_checked(client, record: ImportRecord):
    return client.post(reverse("stations:import_checked", kwargs={"pk": record.pk}))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_url_names():
    assert reverse("stations:imports") == "/stations/imports/"
    assert reverse("stations:import_detail", kwargs={"pk": 7}) == "/stations/imports/7/"
    assert reverse("stations:import_checked", kwargs={"pk": 7}) == "/stations/imports/7/import/"
    assert reverse("stations:import_plan", kwargs={"pk": 7}) == "/stations/imports/7/plan.csv"


# Check then import ------------------------------------------------------------------------------------


def test_passed_check_keeps_the_file_and_offers_import_these_stations(operator_client):
    data = csv_bytes(*station_rows("NEW1", 2), row(Station_ID="NEW2"))
    response = upload(operator_client, data, check_only="on")
    record = response.context["result"].record
    record.refresh_from_db()
    assert bytes(record.kept_file) == data
    page = response.content.decode()
    assert "Import these stations" in page
    assert f'action="{reverse("stations:import_checked", kwargs={"pk": record.pk})}"' in page
    assert "Untick" not in page
    assert not Station.objects.exists()


def test_failed_check_and_an_import_keep_no_file(operator_client):
    failed = upload(operator_client, csv_bytes(row(Voltage="1")), check_only="on")
    imported = upload(operator_client, csv_bytes(row()))
    for response in (failed, imported):
        assert "Import these stations" not in response.content.decode()
    assert not ImportRecord.objects.exclude(kept_file=None).exists()


def test_import_these_stations_imports_the_checked_file_in_one_click(operator_client, operator, tenant):
    make_station(tenant, station_id="OLD1")
    record = check(operator_client, csv_bytes(*station_rows("NEW1", 2), row(Station_ID="OLD1")), "mine.csv")
    response = import_checked(operator_client, record)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok
    assert (result.stations_created, result.stations_overridden, result.connector_specs) == (1, 1, 3)
    assert "<strong>mine.csv</strong> is imported" in response.content.decode()
    imported = result.record
    assert (imported.dry_run, imported.succeeded, imported.file_name, imported.user) == (
        False,
        True,
        "mine.csv",
        operator,
    )
    assert set(Station.objects.values_list("station_id", "last_import")) == {
        ("NEW1", imported.pk),
        ("OLD1", imported.pk),
    }
    record.refresh_from_db()
    assert record.kept_file is None  # used
    assert f'href="{reverse("stations:import_detail", kwargs={"pk": imported.pk})}"' in (
        response.content.decode()
    )


def test_a_used_kept_file_cannot_be_imported_twice(operator_client):
    record = check(operator_client, csv_bytes(row(Station_ID="ONCE")))
    assert import_checked(operator_client, record).status_code == 200
    again = import_checked(operator_client, record)
    assert again.status_code == 410
    assert "no longer kept" in again.content.decode()
    assert Station.objects.filter(station_id="ONCE").count() == 1
    assert ImportRecord.objects.filter(dry_run=False).count() == 1


def test_an_expired_kept_file_is_refused_with_a_message(operator_client, settings):
    settings.STATION_IMPORT_KEPT_FILE_RETENTION_HOURS = 24
    record = check(operator_client, csv_bytes(row(Station_ID="LATE")))
    ImportRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(hours=25))
    response = import_checked(operator_client, record)
    assert response.status_code == 410
    assert "checked more than 24 hours ago" in response.content.decode()
    assert not Station.objects.exists()
    assert ImportRecord.objects.filter(dry_run=False).count() == 0


def test_another_tenants_kept_file_is_404_and_stays_kept(operator_client, other_operator):
    record = check(operator_client, csv_bytes(row(Station_ID="MINE")))
    assert import_checked(client_of(other_operator), record).status_code == 404
    record.refresh_from_db()
    assert record.kept_file is not None
    assert not Station.objects.exists()


def test_support_without_tenant_cannot_use_a_kept_file(operator_client):
    record = check(operator_client, csv_bytes(row(Station_ID="MINE")))
    assert import_checked(client_of(make_support()), record).status_code == 403
    assert not Station.objects.exists()


def test_a_colleague_of_the_same_tenant_may_finish_the_import(operator_client, tenant):
    record = check(operator_client, csv_bytes(row(Station_ID="SHARED")))
    assert import_checked(client_of(make_operator(tenant, "colleague")), record).status_code == 200
    assert Station.objects.get().station_id == "SHARED"


def test_the_kept_file_is_checked_again_as_it_is_imported(operator_client, other_tenant):
    before = (Station.objects.count(), ConnectorSpec.objects.count())
    record = check(operator_client, csv_bytes(row(Station_ID="RACE1"), row(Station_ID="RACE2")))
    make_station(other_tenant, station_id="RACE2")  # registered elsewhere after the check
    response = import_checked(operator_client, record)
    assert response.status_code == 422
    errors = response.context["result"].errors
    assert [(e.row, e.column, e.code) for e in errors] == [(3, "Station ID", "already_registered")]
    assert "already registered" in response.content.decode()
    assert (Station.objects.count(), ConnectorSpec.objects.count()) == (before[0] + 1, before[1] + 1)
    assert not Station.objects.filter(station_id="RACE1").exists()
    assert ImportRecord.objects.filter(dry_run=False, succeeded=False, error_count=1).count() == 1


def test_a_check_record_that_failed_or_imported_cannot_be_imported(operator_client):
    failed = upload(operator_client, csv_bytes(row(Voltage="1")), check_only="on").context["result"].record
    imported = upload(operator_client, csv_bytes(row(Station_ID="DONE"))).context["result"].record
    for record in (failed, imported):
        assert import_checked(operator_client, record).status_code == 404


def test_import_these_stations_needs_a_post_with_csrf(operator, operator_client):
    record = check(operator_client, csv_bytes(row(Station_ID="CSRF")))
    assert (
        operator_client.get(reverse("stations:import_checked", kwargs={"pk": record.pk})).status_code == 405
    )
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    assert import_checked(strict, record).status_code == 403
    assert not Station.objects.exists()
    record.refresh_from_db()
    assert record.kept_file is not None


def test_import_these_stations_needs_login_and_add_station(operator_client, tenant):
    record = check(operator_client, csv_bytes(row(Station_ID="PERM")))
    assert import_checked(Client(), record).status_code == 302
    viewer = make_operator(tenant, "vera")
    viewer.groups.clear()
    assert import_checked(client_of(viewer), record).status_code == 403
    assert not Station.objects.exists()


def test_prune_imports_deletes_kept_files_past_their_retention(tenant, settings):
    settings.STATION_IMPORT_KEPT_FILE_RETENTION_HOURS = 24
    fields = {"tenant": tenant, "source": ImportSource.UPLOAD, "dry_run": True, "succeeded": True}
    old = ImportRecord.objects.create(kept_file=b"old", **fields)
    recent = ImportRecord.objects.create(kept_file=b"recent", **fields)
    ImportRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    out = StringIO()
    call_command("prune_imports", "--dry-run", stdout=out)
    assert "Would delete the kept files of 1 import record." in out.getvalue()
    assert ImportRecord.objects.exclude(kept_file=None).count() == 2
    out = StringIO()
    call_command("prune_imports", stdout=out)
    assert "Deleted the kept files of 1 import record." in out.getvalue()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.kept_file, bytes(recent.kept_file)) == (None, b"recent")
    assert ImportRecord.objects.count() == 2


# Result pages ---------------------------------------------------------------------------------------


def test_check_of_a_failing_file_calls_its_valid_stations_ok_not_created(operator_client):
    response = upload(
        operator_client,
        csv_bytes(*station_rows("GOOD", 2), row(Station_ID="BAD", Voltage="1")),
        check_only="on",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "would be created once the errors are fixed" in page
    assert ">Created<" not in page
    assert "Spreadsheet rows" in page
    assert ">Rows<" not in page
    assert response.context["action_counts"] == {"create": 1, "override": 0, "refused": 1}


def test_result_counts_per_action_and_lists_at_most_100_stations(operator_client, tenant, other_tenant):
    make_station(tenant, station_id="S0")
    make_station(other_tenant, station_id="S1")
    response = upload(
        operator_client, csv_bytes(*(row(Station_ID=f"S{n}") for n in range(150))), check_only="on"
    )
    assert response.context["action_counts"] == {"create": 148, "override": 1, "refused": 1}
    assert len(response.context["stations_shown"]) == 100
    assert response.context["stations_more"] == 50
    page = response.content.decode()
    assert "The first 100 of 150 stations" in page
    assert "<code>S99</code>" in page
    assert "<code>S100</code>" not in page


def test_plan_download_has_every_station_and_is_named_after_the_file(operator_client, tenant):
    make_station(tenant, station_id="WIZ-001")
    data = csv_bytes(row(Station_ID="wiz-001"), *(row(Station_ID=f"P{n}") for n in range(149)))
    record = check(operator_client, data, "depot east.csv")
    response = operator_client.get(reverse("stations:import_plan", kwargs={"pk": record.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="depot east-plan.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Station ID", "Spreadsheet rows", "Connector specifications", "Action", "Stored as"]
    assert len(lines) == 151
    assert lines[1] == ["wiz-001", "2", "1", "would be overridden", "WIZ-001"]
    assert lines[150] == ["P148", "151", "1", "would be created", ""]


def test_plan_of_an_import_stays_after_the_stations_change(operator_client):
    response = upload(operator_client, csv_bytes(*station_rows("KEPT", 3)))
    record = response.context["result"].record
    Station.objects.all().delete()
    lines = operator_client.get(reverse("stations:import_plan", kwargs={"pk": record.pk})).content
    assert lines.decode("utf-8-sig").splitlines()[1] == "KEPT;2–4;3;created;"


def test_plan_cells_are_neutralised(operator_client):
    record = check(operator_client, csv_bytes(row(Station_ID="=1+2")))  # a valid Station ID
    text = operator_client.get(reverse("stations:import_plan", kwargs={"pk": record.pk})).content.decode()
    assert text.splitlines()[1] == "'=1+2;2;1;would be created;"


@pytest.mark.parametrize("check_only", [True, False], ids=["check", "import"])
def test_5000_row_result_page_stays_under_200_kb(operator_client, check_only):
    data = realistic_csv(5000, prefix="SIZE")
    response = upload(operator_client, data, **({"check_only": "on"} if check_only else {}))
    assert response.status_code == 200
    assert response.context["result"].plan.row_count == 5000
    assert len(response.content) < PAGE_LIMIT_BYTES, len(response.content)


def test_5000_row_failing_result_page_stays_under_200_kb(operator_client):
    response = upload(operator_client, realistic_csv(5000, bad_fraction=0.5, prefix="BAD"), check_only="on")
    assert response.status_code == 422
    assert len(response.context["result"].errors) > 2000
    assert len(response.content) < PAGE_LIMIT_BYTES, len(response.content)


def test_windows_1252_note_shows_the_accented_letters_found(operator_client):
    data = csv_bytes(
        row(Manufacturer="Müller"), row(Station_ID="ST2", Manufacturer="Électricité"), encoding="cp1252"
    )
    response = upload(operator_client, data, check_only="on")
    assert response.context["accented"] == {"letters": ["ü", "É", "é"], "values": ["Müller", "Électricité"]}
    page = response.content.decode()
    assert "Accented letters found: <strong" in page
    assert "<q>Müller</q>" in page


# Grouped errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "text"),
    [
        ([7], "7"),
        ([2, 3, 4], "2–4"),
        ([2, 5, 9, 10, 11, 12], "2, 5, 9–12"),
        ([], ""),
        (list(range(2, 200, 2)), "2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, … (99 rows in all)"),
    ],
    ids=["one", "range", "mixed", "whole-file", "long"],
)
def test_rows_of_an_error_group(rows, text):
    assert ErrorGroup("Voltage", "x", rows).rows_text == text


def test_group_errors_by_column_and_message_in_the_order_of_their_first_row():
    errors = [
        RowError(2, "Voltage", "min_value", "Too low.", "1"),
        RowError(2, "Amperage", "min_value", "Too low.", "0"),
        RowError(3, "Voltage", "min_value", "Too low.", "2"),
        RowError(5, "Voltage", "min_value", "Too low.", "1"),
        RowError(None, "Station ID", "station_changed", "Changed.", ""),
    ]
    groups = group_errors(errors)
    assert [(g.column, g.rows_text, g.values) for g in groups] == [
        ("Voltage", "2–3, 5", ["1", "2"]),
        ("Amperage", "2", ["0"]),
        ("Station ID", "", [""]),
    ]


def test_page_shows_the_first_100_groups_and_says_how_many_more(operator_client):
    # A station whose rows do not follow each other: one message per station, so 120 kinds of error.
    ids = [f"X{n}" for n in range(120)]
    response = upload(operator_client, csv_bytes(*(row(Station_ID=i) for i in ids + ids)))
    assert len(response.context["error_groups"]) == 100
    assert response.context["error_groups_more"] == 20
    assert "… and 20 more kinds of error." in response.content.decode()


def test_error_download_is_named_after_the_uploaded_file(operator_client):
    record = upload(operator_client, csv_bytes(row(Voltage="1")), "Depot Nord.csv").context["result"].record
    response = operator_client.get(reverse("stations:upload_errors", kwargs={"pk": record.pk}))
    assert response["Content-Disposition"] == 'attachment; filename="Depot Nord-errors.csv"'


def test_error_download_without_a_file_name_is_named_after_the_record(tenant, operator_client):
    record = ImportRecord.objects.create(tenant=tenant, source=ImportSource.UPLOAD, error_count=0)
    response = operator_client.get(reverse("stations:upload_errors", kwargs={"pk": record.pk}))
    assert response["Content-Disposition"] == f'attachment; filename="import-{record.pk}-errors.csv"'


def test_error_download_name_with_accents_and_quotes_is_a_safe_header(operator_client):
    name = 'Bornes "été".csv'
    record = upload(operator_client, csv_bytes(row(Voltage="1")), name).context["result"].record
    header = operator_client.get(reverse("stations:upload_errors", kwargs={"pk": record.pk}))[
        "Content-Disposition"
    ]
    assert header == "attachment; filename*=utf-8''Bornes%20%C3%A9t%C3%A9-errors.csv"


# Imports pages --------------------------------------------------------------------------------------------


def test_imports_list_shows_the_tenants_records_newest_first(operator_client, tenant, other_tenant):
    upload(operator_client, csv_bytes(row(Station_ID="A1")), "first.csv")
    upload(operator_client, csv_bytes(row(Voltage="1")), "second.csv", check_only="on")
    ImportRecord.objects.create(tenant=other_tenant, source=ImportSource.UPLOAD, file_name="theirs.csv")
    response = operator_client.get(reverse("stations:imports"))
    assert response.status_code == 200
    assert [r.file_name for r in response.context["records"]] == ["second.csv", "first.csv"]
    page = response.content.decode()
    assert "theirs.csv" not in page
    for heading in ("When", "Who", "Source", "File", "Rows", "Created", "Overridden", "Errors", "Check only"):
        assert f'<th scope="col">{heading}</th>' in page or f'class="text-end">{heading}</th>' in page
    assert ">Tenant</th>" not in page


def test_support_sees_every_tenants_records_with_the_tenant(client, tenant, other_tenant):
    for owner in (tenant, other_tenant):
        ImportRecord.objects.create(tenant=owner, source=ImportSource.UPLOAD, file_name=f"{owner.slug}.csv")
    client.force_login(make_support())
    response = client.get(reverse("stations:imports"))
    assert {r.file_name for r in response.context["records"]} == {"north-charge.csv", "south-volt.csv"}
    assert ">Tenant</th>" in response.content.decode()


def test_imports_list_is_paginated(operator_client, tenant):
    ImportRecord.objects.bulk_create(
        ImportRecord(tenant=tenant, source=ImportSource.UPLOAD, file_name=f"f{n}.csv") for n in range(120)
    )
    first = operator_client.get(reverse("stations:imports"))
    assert len(first.context["records"]) == 50
    assert first.context["paginator"].num_pages == 3
    assert len(operator_client.get(reverse("stations:imports"), {"page": 3}).context["records"]) == 20


@pytest.mark.parametrize("name", ["stations:imports", "stations:import_detail", "stations:import_plan"])
def test_imports_pages_need_login_and_view_permission(tenant, name):
    record = ImportRecord.objects.create(tenant=tenant, source=ImportSource.UPLOAD)
    url = reverse(name) if name == "stations:imports" else reverse(name, kwargs={"pk": record.pk})
    assert Client().get(url).status_code == 302
    nobody = make_operator(tenant, "nobody")
    nobody.groups.clear()
    assert client_of(nobody).get(url).status_code == 403


@pytest.mark.parametrize("name", ["stations:import_detail", "stations:import_plan", "stations:upload_errors"])
def test_another_tenants_record_is_404_by_url(operator_client, other_tenant, name):
    record = ImportRecord.objects.create(tenant=other_tenant, source=ImportSource.UPLOAD, file_name="x.csv")
    assert operator_client.get(reverse(name, kwargs={"pk": record.pk})).status_code == 404


def test_detail_of_an_import_links_its_stations_labels_and_errors(operator_client, tenant):
    record = (
        upload(operator_client, csv_bytes(*station_rows("D1", 2), row(Station_ID="D2")))
        .context["result"]
        .record
    )
    response = operator_client.get(reverse("stations:import_detail", kwargs={"pk": record.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/admin/stations/station/?last_import__id__exact={record.pk}" in page
    labels = reverse("stations:import_labels", kwargs={"pk": record.pk})
    assert f'href="{labels}?layout=sheet"' in page
    assert f'href="{labels}?layout=roll"' in page
    assert "2 stations were last created or overridden by this import" in page
    assert "<code>D1</code></td><td>2–3</td><td>2</td><td>Created" in page


def test_detail_of_a_failed_upload_shows_grouped_errors_and_their_download(operator_client):
    rows = [row(Station_ID=f"E{n}", Voltage="1") for n in range(30)]
    record = upload(operator_client, csv_bytes(*rows), "bad.csv").context["result"].record
    page = operator_client.get(reverse("stations:import_detail", kwargs={"pk": record.pk})).content.decode()
    assert "<td>2–31</td>" in page
    assert page.count("Enter whole volts from 110 to 1000.") == 1
    assert reverse("stations:upload_errors", kwargs={"pk": record.pk}) in page
    assert "Nothing was imported" in page


def test_detail_of_a_kept_check_offers_import_these_stations(operator_client, other_operator):
    record = check(operator_client, csv_bytes(row(Station_ID="LATER")))
    url = reverse("stations:import_detail", kwargs={"pk": record.pk})
    assert "Import these stations" in operator_client.get(url).content.decode()
    assert import_checked(operator_client, record).status_code == 200
    page = operator_client.get(url).content.decode()
    assert "Import these stations" not in page
    imported = ImportRecord.objects.get(dry_run=False)
    assert imported.from_check == record
    assert (
        f'<a href="{reverse("stations:import_detail", kwargs={"pk": imported.pk})}">see the import</a>'
        in page
    )
    page = operator_client.get(reverse("stations:import_detail", kwargs={"pk": imported.pk})).content.decode()
    assert f'<a href="{url}">the check</a>' in page


def test_detail_escapes_the_file_name(operator_client, tenant):
    record = ImportRecord.objects.create(tenant=tenant, source=ImportSource.UPLOAD, file_name="<b>x</b>.csv")
    page = operator_client.get(reverse("stations:import_detail", kwargs={"pk": record.pk})).content.decode()
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;.csv" in page


# The overview's Import filter -------------------------------------------------------------------------------


def test_overview_filter_shows_the_stations_of_an_import(operator_client, tenant):
    make_station(tenant, station_id="BEFORE")
    record = (
        upload(operator_client, csv_bytes(row(Station_ID="F1"), row(Station_ID="F2")))
        .context["result"]
        .record
    )
    response = operator_client.get("/admin/stations/station/", {"last_import__id__exact": record.pk})
    assert response.status_code == 200
    assert sorted(s.station_id for s in response.context["cl"].result_list) == ["F1", "F2"]


def test_overview_filter_with_another_tenants_import_shows_nothing(operator_client, tenant, other_operator):
    make_station(tenant, station_id="MINE")
    theirs = upload(client_of(other_operator), csv_bytes(row(Station_ID="THEIRS"))).context["result"].record
    response = operator_client.get("/admin/stations/station/", {"last_import__id__exact": theirs.pk})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert "THEIRS" not in response.content.decode()


def test_station_change_page_links_to_its_import(operator_client, tenant):
    record = upload(operator_client, csv_bytes(row(Station_ID="LINKED"))).context["result"].record
    station = Station.objects.get(station_id="LINKED")
    page = operator_client.get(f"/admin/stations/station/{station.pk}/change/").content.decode()
    assert f'href="{reverse("stations:import_detail", kwargs={"pk": record.pk})}"' in page


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_import_the_kept_file_once(tenant, operator):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises whole write transactions, so nothing overlaps")
    data = csv_bytes(*(row(Station_ID=f"TWICE-{n}") for n in range(200)))
    plan = csv_import.parse(data, tenant=tenant)
    record = services.stations_import(
        tenant=tenant, user=operator, plan=plan, source=ImportSource.UPLOAD, file_name="a.csv", dry_run=True
    ).record
    services.import_record_keep_file(record=record, data=data)
    barrier, outcomes = threading.Barrier(2), []

    def click():
        try:
            barrier.wait(timeout=10)
            result = services.stations_import_kept(record=record, user=operator, parse=csv_import.parse)
            outcomes.append("imported" if result.ok else "failed")
        except services.KeptFileGone:
            outcomes.append("gone")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["gone", "imported"]
    assert Station.objects.filter(station_id__startswith="TWICE-").count() == 200
