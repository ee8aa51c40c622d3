"""The column table shared by import, export and the example files."""

import csv
import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from stations import csv_export, csv_format, csv_import
from stations.choices import ConnectorFormat, ConnectorStandard, PowerType
from stations.csv_format import ALL_HEADERS, COLUMNS, HEADERS, parse_bool, parse_int, station_row


def test_headers_are_the_specs_in_order():
    assert ";".join(HEADERS) == (
        "Station ID;Security code;Manufacturer;Article number;Wi-Fi supported;GSM supported;"
        "Connector type;Format;Power type;Voltage;Amperage;Serial number"
    )


def test_only_article_and_serial_number_are_optional():
    # Required or not is the model field's ``blank``, read by the import.
    assert [c.header for c in COLUMNS if not csv_import.is_required(c)] == [
        "Article number",
        "Serial number",
        "Maximum power (kW)",
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("TRUE", True),
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("FALSE", False),
        ("no", False),
        ("0", False),
    ],
)
def test_boolean_spellings(text, value):
    assert parse_bool(text) is value


# "waar" is read since issue 10 (Dutch spreadsheets write WAAR): a near miss of it still is not.
@pytest.mark.parametrize("text", ["y", "2", "waarr", ""])
def test_boolean_refuses_other_spellings(text):
    with pytest.raises(ValidationError) as caught:
        parse_bool(text)
    assert caught.value.code == "invalid_boolean"


@pytest.mark.parametrize(("text", "value"), [("230", 230), ("+16", 16), ("-5", -5), ("007", 7)])
def test_whole_numbers(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["230V", "230.0", "2_30", "٣", "", "-", "1e3"])
def test_whole_numbers_refuse_anything_else(text):
    with pytest.raises(ValidationError) as caught:
        parse_int(text)
    assert caught.value.code == "invalid_number"


@pytest.mark.parametrize(
    ("header", "choices"),
    [("Connector type", ConnectorStandard), ("Format", ConnectorFormat), ("Power type", PowerType)],
)
def test_choices_take_code_or_label_in_any_case(header, choices):
    parse = csv_format.COLUMN_BY_HEADER[header].parse
    for code, label in choices.choices:
        assert parse(code.lower()) == code
        assert parse(str(label).upper()) == code


def test_station_row_formats_like_the_import_reads():
    station = SimpleNamespace(
        station_id="ST1",
        security_code="K7P2-93QX",
        manufacturer="Alfen",
        article_number="",
        serial_number="ACE1",
        wifi_supported=True,
        gsm_supported=False,
    )
    spec = SimpleNamespace(
        standard="IEC_62196_T2",
        format="SOCKET",
        power_type="AC_3_PHASE",
        voltage=230,
        amperage=16,
        max_power=None,
    )
    cells = station_row(station, spec)
    assert cells == [
        "ST1",
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
        "ACE1",
        "",
    ]
    parsed = {column.field: column.parse(cell) for column, cell in zip(COLUMNS, cells, strict=True) if cell}
    assert parsed["format"] == "SOCKET"
    assert parsed["power_type"] == "AC_3_PHASE"
    assert parsed["wifi_supported"] is True


@pytest.mark.parametrize("kind", sorted(csv_export.EXAMPLES))
def test_example_files_are_semicolon_csv_with_the_header(kind):
    rows = list(csv.reader(io.StringIO(csv_export.example_csv(kind)), delimiter=";"))
    assert rows[0] == list(ALL_HEADERS)
    assert all(len(r) == len(ALL_HEADERS) for r in rows)
    assert len(rows) > 2


def test_example_station_ids_carry_the_tag():
    rows = list(csv.reader(io.StringIO(csv_export.example_csv("multiple", tag="7QK2AB")), delimiter=";"))
    assert {r[0] for r in rows[1:]} == {"EXAMPLE-7QK2AB-1001", "EXAMPLE-7QK2AB-1002"}
    assert csv_export.example_tag() != csv_export.example_tag()


def test_unknown_example_kind():
    with pytest.raises(KeyError):
        csv_export.example_csv("other")
