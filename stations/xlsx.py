"""Workbooks out: the Excel template and the Excel export, both written from the column table.

XlsxWriter, not openpyxl: it writes data validation with input messages, Text-formatted columns and
frozen panes just as well, and its ``constant_memory`` mode flushes each row to disk, so an export of
100,000 stations stays flat in memory (openpyxl's write-only mode keeps every string for the shared
string table). Cells are typed as the import reads them back: identifiers as text cells (Excel keeps
``00012345``), whole numbers as numbers, booleans as TRUE/FALSE. A text cell is never a formula, so the
CSV's formula neutralisation is not needed here.
"""

import io
import tempfile
from collections.abc import Iterable
from types import SimpleNamespace
from typing import IO

import xlsxwriter

from . import rules
from .choices import ConnectorFormat, ConnectorStandard, PowerType
from .csv_export import EXAMPLES, example_tag
from .csv_format import ALL_HEADERS, COLUMNS, parse_bool, parse_decimal, parse_int, station_row
from .workbook import TEXT_FIELDS, max_rows

STATIONS_SHEET = "Stations"
CONNECTOR_TYPES_SHEET = "Connector types"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_BOOLEAN = "boolean"
_NUMBER = "number"
_DECIMAL = "decimal"
_TEXT = "text"


def _cell_kind(column) -> str:
    if column.parse is parse_bool:
        return _BOOLEAN
    if column.parse is parse_int:
        return _NUMBER
    if column.parse is parse_decimal:
        return _DECIMAL
    return _TEXT


_KINDS = tuple(_cell_kind(column) for column in COLUMNS)
_TEXT_COLUMNS = tuple(index for index, column in enumerate(COLUMNS) if column.field in TEXT_FIELDS)


def _prepare(workbook, worksheet) -> None:
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})
    for index, header in enumerate(ALL_HEADERS):
        width = max(len(header) + 2, 14)
        worksheet.set_column(index, index, width, text if index in _TEXT_COLUMNS else None)
    worksheet.write_row(0, 0, ALL_HEADERS, bold)
    worksheet.freeze_panes(1, 0)


def _write_row(worksheet, row: int, cells: list[str], text_format) -> None:
    for index, (kind, value) in enumerate(zip(_KINDS, cells, strict=True)):
        if value == "":
            continue
        if kind == _BOOLEAN:
            worksheet.write_boolean(row, index, value == "TRUE")
        elif kind == _NUMBER:
            worksheet.write_number(row, index, int(value))
        elif kind == _DECIMAL:
            # Two decimals at most: the float reads back as the same text ("7.45"), see workbook.
            worksheet.write_number(row, index, float(parse_decimal(value)))
        else:
            worksheet.write_string(row, index, value, text_format if index in _TEXT_COLUMNS else None)


def write_rows(rows: Iterable[list[str]], output: IO[bytes]) -> None:
    """Writes ``rows`` (``station_row`` cells, in ``COLUMNS`` order, no header) as the export workbook.

    Rows are flushed to disk as they are written (``constant_memory``): memory stays flat.
    """
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "in_memory": False})
    worksheet = workbook.add_worksheet(STATIONS_SHEET)
    text = workbook.add_format({"num_format": "@"})
    _prepare(workbook, worksheet)
    for row, cells in enumerate(rows, start=1):
        _write_row(worksheet, row, cells, text)
    workbook.close()


def export_file(stations: Iterable) -> IO[bytes]:
    """The export workbook of ``stations`` (with their ``connector_specs``, as ``csv_export`` gives
    them) in a temporary file, positioned at its start, to stream with ``FileResponse``."""
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the caller streams and closes it)
    write_rows(
        (station_row(station, spec) for station in stations for spec in station.connector_specs.all()),
        output,
    )
    output.seek(0)
    return output


# -- The template ------------------------------------------------------------------------------------


def _example_rows(tag: str) -> list[list[str]]:
    """Two stations of the CSV examples: one with one connector row, one with two."""
    single = EXAMPLES["single"][1][0]
    double = next(item for item in EXAMPLES["multiple"][1] if len(item[1]) == 2)
    rows = []
    for station, specs in (single, double):
        tagged = SimpleNamespace(**{**vars(station), "station_id": f"EXAMPLE-{tag}-{station.station_id}"})
        rows.extend(station_row(tagged, spec) for spec in specs)
    return rows


def _column_letter(index: int) -> str:
    return xlsxwriter.utility.xl_col_to_name(index)


def write_template(output: IO[bytes], tag: str | None = None) -> None:
    """The Excel template of SPEC §3 into ``output``; example Station IDs are ``EXAMPLE-<tag>-…``."""
    tag = tag or example_tag()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    worksheet = workbook.add_worksheet(STATIONS_SHEET)
    codes = workbook.add_worksheet(CONNECTOR_TYPES_SHEET)
    text = workbook.add_format({"num_format": "@"})
    _prepare(workbook, worksheet)
    for row, cells in enumerate(_example_rows(tag), start=1):
        _write_row(worksheet, row, cells, text)

    bold = workbook.add_format({"bold": True})
    codes.write_row(0, 0, ["Code", "Name"], bold)
    codes.set_column(0, 0, 26)
    codes.set_column(1, 1, 44)
    codes.freeze_panes(1, 0)
    for row, (code, label) in enumerate(ConnectorStandard.choices, start=1):
        codes.write_string(row, 0, code)
        codes.write_string(row, 1, str(label))

    last = max_rows()  # data rows 2 … max_rows() + 1, as 0-based indexes 1 … max_rows()
    code_range = f"='{CONNECTOR_TYPES_SHEET}'!$A$2:$A${len(ConnectorStandard.choices) + 1}"
    lists = {
        "wifi_supported": ["TRUE", "FALSE"],
        "gsm_supported": ["TRUE", "FALSE"],
        "standard": code_range,
        "format": [str(label) for label in ConnectorFormat.labels],
        "power_type": [str(label) for label in PowerType.labels],
    }
    numbers = {
        "voltage": (rules.VOLTAGE_MIN, rules.VOLTAGE_MAX, "Voltage (V)"),
        "amperage": (rules.AMPERAGE_MIN, rules.AMPERAGE_MAX, "Amperage (A)"),
    }
    for index, column in enumerate(COLUMNS):
        if column.field in lists:
            worksheet.data_validation(
                1,
                index,
                last,
                index,
                {
                    "validate": "list",
                    "source": lists[column.field],
                    "error_title": column.header,
                    "error_message": "Choose a value from the list.",
                },
            )
        elif column.field in numbers:
            low, high, title = numbers[column.field]
            worksheet.data_validation(
                1,
                index,
                last,
                index,
                {
                    "validate": "integer",
                    "criteria": "between",
                    "minimum": low,
                    "maximum": high,
                    "input_title": title,
                    "input_message": f"A whole number from {low} to {high}.",
                    "error_title": column.header,
                    "error_message": f"Expected a whole number from {low} to {high}.",
                },
            )
        elif column.field == "max_power":
            worksheet.data_validation(
                1,
                index,
                last,
                index,
                {
                    "validate": "decimal",
                    "criteria": ">=",
                    "value": float(rules.MAX_POWER_MIN),
                    "ignore_blank": True,
                    "input_title": "Maximum power (kW)",
                    "input_message": "Optional: the rated maximum in kW when lower than V × A give.",
                    "error_title": column.header,
                    "error_message": "Expected a number of kW above 0, with at most two decimals.",
                },
            )
    workbook.close()


def template_bytes(tag: str | None = None) -> bytes:
    output = io.BytesIO()
    write_template(output, tag)
    return output.getvalue()
