"""Workbooks end to end, as a user sends them: the upload page, ``import_stations`` and the API take the
files LibreOffice wrote (tests/data/libreoffice) through the one engine; the Excel template and the
admin's Excel export go in as downloaded."""

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from stations import csv_import, workbook, xlsx
from stations.choices import ImportSource
from stations.csv_format import ALL_HEADERS, HEADERS
from stations.models import ConnectorSpec, ImportRecord, Station
from tests import factories

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "libreoffice"
UPLOAD = "/stations/upload/"
TEMPLATE_IDS = ["EXAMPLE-LOTEST-0001", "EXAMPLE-LOTEST-1001", "00012345"]


def upload(client, data: bytes, name: str, **fields):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, "application/octet-stream"), **fields})


def snapshot():
    return (
        list(Station.objects.order_by("pk").values()),
        list(ConnectorSpec.objects.order_by("pk").values()),
    )


def stored():
    """What the import stored, station by station, without database keys and times."""
    return [
        (
            station.station_id,
            station.security_code,
            station.manufacturer,
            station.article_number,
            station.serial_number,
            station.wifi_supported,
            station.gsm_supported,
            [
                (s.position, s.standard, s.format, s.power_type, s.voltage, s.amperage)
                for s in station.connector_specs.order_by("position")
            ],
        )
        for station in Station.objects.order_by("station_id")
    ]


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_stations", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


# -- The filled template, in every format LibreOffice saves ------------------------------------------


@pytest.fixture
def from_csv(operator_client):
    """What the template as LibreOffice's UTF-8 CSV stores, the reference for the other formats."""
    response = upload(operator_client, (DATA / "template-utf8.csv").read_bytes(), "stations.csv")
    assert response.status_code == 200, response.context["result"].errors
    reference = stored()
    Station.objects.all().delete()
    return reference


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        pytest.param("template.xlsx", "stations.xlsx", id="xlsx"),
        pytest.param("template.ods", "stations.ods", id="ods"),
        pytest.param("template-cp1252.csv", "stations.csv", id="csv-windows-1252"),
        # Recognised by content, not by name.
        pytest.param("template.ods", "stations.csv", id="ods-renamed-csv"),
        pytest.param("template.xlsx", "stations.csv", id="xlsx-renamed-csv"),
        pytest.param("template-utf8.csv", "stations.xlsx", id="csv-renamed-xlsx"),
    ],
)
def test_the_filled_template_imports_the_same_stations_in_every_format(
    operator_client, from_csv, fixture, name
):
    response = upload(operator_client, (DATA / fixture).read_bytes(), name)
    assert response.status_code == 200, response.context["result"].errors
    result = response.context["result"]
    assert (result.stations_created, result.stations_overridden, result.connector_specs) == (3, 0, 4)
    assert stored() == from_csv
    assert [station[0] for station in stored()] == sorted(TEMPLATE_IDS)
    typed = next(station for station in stored() if station[0] == "00012345")
    assert typed[1:5] == ("00471100", "Mennekes Müller", "0042", "0000987654")


def test_the_command_imports_a_workbook(tenant):
    code, out, err = command(str(DATA / "template.ods"), "--tenant", tenant.slug)
    assert code == 0, err
    assert "3 stations created" in out
    assert sorted(Station.objects.values_list("station_id", flat=True)) == sorted(TEMPLATE_IDS)
    assert ImportRecord.objects.get(source=ImportSource.COMMAND).file_name == "template.ods"


def test_the_command_names_the_cell_of_an_error(tenant):
    code, _out, err = command(str(DATA / "date-in-voltage.xlsx"), "--tenant", tenant.slug)
    assert code == 1
    assert "Row 2, Voltage, cell J2: Cell J2 holds a date (2023-04-01)" in err
    assert not Station.objects.exists()


def test_the_command_help_names_the_formats():
    from stations.management.commands.import_stations import Command

    assert ".xlsx" in Command.help
    assert ".ods" in Command.help


# -- Bad input: a specific message each, nothing written ---------------------------------------------


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(60):
                member.write(b"\0" * (1024 * 1024))
    return buffer.getvalue()


def _without_sheets() -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(DATA / "template.xlsx") as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data)
            out.writestr(info, data)
    return buffer.getvalue()


def _fixture(name):
    return lambda: (DATA / name).read_bytes()


# (id, file, name sent, [(row, place, code)], words of the page)
BAD_INPUT = [
    ("no-sheet", _without_sheets, "s.xlsx", [(None, "", "no_sheet")], "has no sheet"),
    *[
        (
            f"empty-first-sheet-{s}",
            _fixture(f"empty-first-sheet.{s}"),
            f"s.{s}",
            [(None, "", "empty_sheet")],
            "is empty",
        )
        for s in ("xlsx", "ods")
    ],
    *[
        (
            f"header-row-3-{s}",
            _fixture(f"header-row-3.{s}"),
            f"s.{s}",
            [(None, "", "header_not_in_row_1")],
            "is in row 3",
        )
        for s in ("xlsx", "ods")
    ],
    *[
        (
            f"merged-header-{s}",
            _fixture(f"merged-header.{s}"),
            f"s.{s}",
            [(None, "", "merged_header")],
            "are merged",
        )
        for s in ("xlsx", "ods")
    ],
    *[
        (
            f"formula-error-{s}",
            _fixture(f"formula-error.{s}"),
            f"s.{s}",
            [(3, "Voltage, cell J3", "formula_error"), (4, "Amperage, cell K4", "formula_error")],
            "holds the formula error #N/A",
        )
        for s in ("xlsx", "ods")
    ],
    *[
        (
            f"date-in-voltage-{s}",
            _fixture(f"date-in-voltage.{s}"),
            f"s.{s}",
            [(2, "Voltage, cell J2", "cell_date")],
            "holds a date (2023-04-01)",
        )
        for s in ("xlsx", "ods")
    ],
    *[
        (
            f"serial-20-digits-{s}",
            _fixture(f"serial-20-digits.{s}"),
            f"s.{s}",
            [(2, "Serial number, cell L2", "too_many_digits")],
            "more than 15 digits",
        )
        for s in ("xlsx", "ods")
    ],
    *[
        (
            f"header-misspelled-{s}",
            _fixture(f"header-misspelled.{s}"),
            f"s.{s}",
            [
                (1, "Station id, cell A1", "misspelled_header"),
                (1, "Serial  number, cell L1", "header_spacing"),
                (1, "Notes, cell M1", "unknown_header"),
            ],
            "Spell this header exactly “Station ID” (headers are case-sensitive)",
        )
        for s in ("xlsx", "ods")
    ],
    ("zip-bomb", _zip_bomb, "s.xlsx", [(None, "", "workbook_too_large")], "unpacks to 60 MB"),
    (
        "password",
        _fixture("password-protected.xlsx"),
        "s.xlsx",
        [(None, "", "password_protected")],
        "password",
    ),
    ("xls", _fixture("stations.xls"), "s.xls", [(None, "", "xls_format")], "save it as .xlsx"),
    ("xls-renamed-csv", _fixture("stations.xls"), "s.csv", [(None, "", "xls_format")], "save it as .xlsx"),
]


@pytest.mark.parametrize(
    ("data", "name", "expected", "words"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_workbooks_get_their_own_message_and_write_nothing(
    operator_client, tenant, data, name, expected, words
):
    factories.make_station(tenant, station_id="KEEP1")
    before = snapshot()
    response = upload(operator_client, data(), name)
    assert response.status_code == 422
    errors = response.context["result"].errors
    assert [(e.row, e.place, e.code) for e in errors] == expected
    page = response.content.decode()
    assert words in page
    for _row, place, _code in expected:
        assert f">{place}<" in page if place else True
    assert snapshot() == before
    record = ImportRecord.objects.get(source=ImportSource.UPLOAD)
    assert (record.succeeded, record.error_count) == (False, len(expected))


def test_the_error_list_of_a_workbook_names_the_cell(operator_client):
    response = upload(operator_client, (DATA / "date-in-voltage.ods").read_bytes(), "stations.ods")
    record = response.context["result"].record
    assert record.errors[0]["cell"] == "J2"
    download = operator_client.get(reverse("stations:upload_errors", kwargs={"pk": record.pk}))
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Row;Column;Value;Message"
    assert lines[1].startswith("2;Voltage, cell J2;2023-04-01;Cell J2 holds a date")


def test_engine_errors_in_a_workbook_name_the_cell_too(tenant):
    output = io.BytesIO()
    xlsx.write_rows(
        [
            [
                "W1",
                "K7P2-93QX",
                "Alfen",
                "",
                "TRUE",
                "FALSE",
                "IEC_62196_T2",
                "Socket",
                "Three-phase AC",
                "230",
                "16",
                "",
                "",
            ],
            [
                "W2",
                "K7P2-93QX",
                "Alfen",
                "",
                "TRUE",
                "FALSE",
                "IEC_62196_T2",
                "Socket",
                "Three-phase AC",
                "230",
                "999",
                "",
                "",
            ],
        ],
        output,
    )
    plan = csv_import.parse(output.getvalue(), tenant=tenant)
    [error] = plan.errors
    assert (error.row, error.column, error.cell, error.place) == (3, "Amperage", "K3", "Amperage, cell K3")
    assert str(error).startswith("Row 3, Amperage, cell K3: ")
    assert [(s.station_id, s.action) for s in plan.stations] == [("W1", "create"), ("W2", "refused")]


def test_a_cell_error_refuses_its_station_in_a_check(operator_client):
    response = upload(
        operator_client, (DATA / "date-in-voltage.xlsx").read_bytes(), "s.xlsx", check_only="on"
    )
    plan = response.context["result"].plan
    assert [s.action for s in plan.stations if 2 in s.row_numbers] == ["refused"]


def test_number_cells_in_text_columns_warn_on_the_result_page(operator_client):
    response = upload(operator_client, (DATA / "typed-in.xlsx").read_bytes(), "typed-in.xlsx")
    assert response.status_code == 200, response.context["result"].errors
    warnings = response.context["result"].warnings
    assert {w.code for w in warnings} == {"stored_as_number"}
    assert [w.column for w in warnings] == ["Station ID", "Security code", "Article number", "Serial number"]
    page = response.content.decode()
    assert "Station ID values were stored as numbers in the workbook (cells A5)" in page
    assert "leading zeros may be lost" in page
    # The value as the workbook held it: the zeros are gone, and the warning said so.
    assert Station.objects.filter(station_id="12345", security_code="471100").exists()


def test_the_api_reads_workbooks_and_names_the_cell(tenant):
    from api.tokens import api_token_create
    from tests.api.conftest import bearer_client

    client = bearer_client(api_token_create(user=factories.make_operator(tenant, "apiuser"), name="t")[1])
    good = {"file": SimpleUploadedFile("s.ods", (DATA / "template.ods").read_bytes())}
    response = client.post("/api/v1/imports/", good, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["stations_created"] == 3
    bad = (DATA / "serial-20-digits.xlsx").read_bytes()
    response = client.post("/api/v1/imports/", bad, content_type="application/octet-stream")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["column"], error["cell"], error["code"]) == (
        2,
        "Serial number",
        "L2",
        "too_many_digits",
    )


# -- The upload page ---------------------------------------------------------------------------------


def test_the_page_takes_workbooks_and_links_the_template(operator_client):
    page = operator_client.get(UPLOAD).content.decode()
    accept = re.search(r'accept="([^"]*)"', page).group(1)
    assert {".csv", ".xlsx", ".ods"} <= set(accept.split(","))
    assert f'href="{reverse("stations:template_xlsx")}"' in page
    assert "WAHR</code>/<code>FALSCH" in page
    assert "PRAWDA</code>/<code>FAŁSZ" in page
    assert "scientific notation" in page


# -- The Excel template -------------------------------------------------------------------------------


def test_template_url_login_and_permission(client, tenant):
    from django.contrib.auth import get_user_model

    url = reverse("stations:template_xlsx")
    assert url == "/stations/upload/template.xlsx"
    assert "/accounts/login/" in client.get(url)["Location"]
    client.force_login(get_user_model().objects.create_user("nobody", password="x"))
    assert client.get(url).status_code == 403


def _template(client) -> bytes:
    response = client.get(reverse("stations:template_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="stations-template.xlsx"'
    assert response["Cache-Control"] == "no-store"
    return response.content


def _example_ids(data: bytes) -> list[str]:
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Stations")
    return [row[0] for row in sheet.to_python()[1:]]


def test_every_template_download_gets_its_own_example_tag(operator_client):
    first, second = _example_ids(_template(operator_client)), _example_ids(_template(operator_client))
    assert re.fullmatch(r"EXAMPLE-[A-Z2-9]{6}-0001", first[0])
    assert first[0].split("-")[1] != second[0].split("-")[1]


def test_the_template_as_downloaded_imports_its_two_examples(operator_client):
    data = _template(operator_client)
    response = upload(operator_client, data, "stations-template.xlsx")
    assert response.status_code == 200, response.context["result"].errors
    result = response.context["result"]
    assert (result.stations_created, result.connector_specs) == (2, 3)
    assert sorted(Station.objects.values_list("station_id", flat=True)) == sorted(set(_example_ids(data)))


def test_the_template_filled_in_imports_with_its_zeros(operator_client):
    book = openpyxl.load_workbook(io.BytesIO(_template(operator_client)))
    sheet = book["Stations"]
    # Typed into the Text-formatted columns, as a user would: the zeros stay.
    sheet.append(
        [
            "00099",
            "0077",
            "Alfen",
            "0042",
            True,
            False,
            "CHADEMO",
            "Cable",
            "DC",
            500,
            125,
            "00000000000000000001",
        ]
    )
    filled = io.BytesIO()
    book.save(filled)
    response = upload(operator_client, filled.getvalue(), "filled.xlsx")
    assert response.status_code == 200, response.context["result"].errors
    assert response.context["result"].stations_created == 3
    station = Station.objects.get(station_id="00099")
    assert (station.security_code, station.article_number, station.serial_number) == (
        "0077",
        "0042",
        "00000000000000000001",
    )
    assert response.context["result"].warnings == []


# -- The admin's Excel export ------------------------------------------------------------------------


@pytest.fixture
def exported_stations(tenant, other_tenant):
    factories.make_two_spec_station(
        tenant, station_id="00012345", security_code="00471100", serial_number="12345678901234567890"
    )
    factories.make_station(
        tenant, station_id="NC-2", manufacturer="Zaptec", article_number="0042", gsm_supported=True
    )
    factories.make_station(other_tenant, station_id="SV-1", manufacturer="Secretvolt GmbH")


def _xlsx_rows(response) -> list[list]:
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    assert re.fullmatch(r'attachment; filename="stations-\d{8}-\d{4}\.xlsx"', response["Content-Disposition"])
    data = b"".join(response.streaming_content)
    return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_export_selected_as_excel_keeps_to_the_tenant(client, operator, exported_stations):
    client.force_login(operator)
    pks = list(Station.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:stations_station_changelist"), {"action": "export_xlsx", "_selected_action": pks}
    )
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert rows[0] == list(ALL_HEADERS)
    assert [row[0] for row in rows[1:]] == ["00012345", "00012345", "NC-2"]
    assert rows[1][HEADERS.index("Serial number")] == "12345678901234567890"
    assert rows[1][HEADERS.index("Wi-Fi supported")] is True
    assert rows[1][HEADERS.index("Voltage")] == 230


def test_export_all_matching_as_excel_follows_the_filter(client, operator, exported_stations):
    client.force_login(operator)
    changelist = client.get(
        reverse("admin:stations_station_changelist") + "?manufacturer=Zaptec"
    ).content.decode()
    assert reverse("admin:stations_station_export_xlsx") + "?manufacturer=Zaptec" in changelist
    assert "Export all matching (Excel)" in changelist
    response = client.get(reverse("admin:stations_station_export_xlsx") + "?manufacturer=Zaptec")
    assert [row[0] for row in _xlsx_rows(response)[1:]] == ["NC-2"]


def test_export_all_matching_as_excel_with_a_bad_filter_goes_back_to_the_list(client, operator):
    client.force_login(operator)
    response = client.get(reverse("admin:stations_station_export_xlsx") + "?created_at__gte=not-a-date")
    assert response.status_code == 302


def test_excel_export_imports_back_unchanged(client, operator, exported_stations):
    client.force_login(operator)
    response = client.get(reverse("admin:stations_station_export_xlsx"))
    data = b"".join(response.streaming_content)
    before = stored()
    result = upload(client, data, "export.xlsx").context["result"]
    assert result.errors == []
    assert (result.stations_created, result.stations_overridden) == (0, 2)
    assert result.warnings == []
    assert stored() == before
    station = Station.objects.get(station_id="00012345")
    assert (station.security_code, station.serial_number) == ("00471100", "12345678901234567890")
    assert Station.objects.get(station_id="NC-2").article_number == "0042"


def test_the_export_workbook_is_a_real_workbook_for_our_reader(client, operator, exported_stations):
    client.force_login(operator)
    data = b"".join(client.get(reverse("admin:stations_station_export_xlsx")).streaming_content)
    assert workbook.detect(data) == workbook.XLSX


def test_a_line_voltage_warning_in_a_workbook_names_the_cell(tenant):
    output = io.BytesIO()
    cells = ["W1", "K7P2-93QX", "Alfen", "", "TRUE", "FALSE", "IEC_62196_T2", "Socket", "Three-phase AC"]
    xlsx.write_rows([[*cells, "400", "16", "", ""]], output)
    plan = csv_import.parse(output.getvalue(), tenant=tenant)
    assert plan.errors == []
    [warning] = plan.warnings
    assert (warning.row, warning.place) == (2, "Voltage, cell J2")


def test_another_tenants_station_id_in_a_workbook_names_the_cell(tenant, other_tenant):
    factories.make_station(other_tenant, station_id="SV-1")
    output = io.BytesIO()
    cells = ["SV-1", "K7P2-93QX", "Alfen", "", "TRUE", "FALSE", "IEC_62196_T2", "Socket", "Three-phase AC"]
    xlsx.write_rows([[*cells, "230", "16", "", ""]], output)
    [error] = csv_import.parse(output.getvalue(), tenant=tenant).errors
    assert (error.code, error.place) == ("already_registered", "Station ID, cell A2")


def test_a_workbook_past_the_row_limit_is_refused_as_a_csv_is(operator_client, settings):
    settings.STATION_IMPORT_MAX_ROWS = 3
    output = io.BytesIO()
    cells = [
        "",
        "K7P2-93QX",
        "Alfen",
        "",
        "TRUE",
        "FALSE",
        "IEC_62196_T2",
        "Socket",
        "Three-phase AC",
        "230",
        "16",
    ]
    xlsx.write_rows([[f"R{n}", *cells[1:], "", ""] for n in range(10)], output)
    response = upload(operator_client, output.getvalue(), "long.xlsx")
    assert response.status_code == 422
    assert [e.code for e in response.context["result"].errors] == ["too_many_rows"]
    assert not Station.objects.exists()
