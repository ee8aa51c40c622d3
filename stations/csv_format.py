"""The station CSV format: one table of columns (header ↔ model field ↔ parser ↔ formatter).

Import, export and the example files all read this table, so they cannot drift apart. Parsers turn a
stripped cell into the value the model field takes, raising ``ValidationError`` with a code; the model
field's own validators then apply the rules.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

from .choices import ConnectorFormat, ConnectorStandard, PowerType
from .validators import validate_ascii_digits

DELIMITER = ";"

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


# Formula cells (CSV injection): a spreadsheet runs a cell starting with one of these as a formula.
# Exports and error lists write such a cell with a leading apostrophe; the import takes exactly one off
# again, so an exported file imports back unchanged.
_NEUTRALISED = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise_cell(value: str) -> str:
    """The cell as written: a leading apostrophe added where a spreadsheet would run it as a formula."""
    return f"'{value}" if _NEUTRALISED.match(value) else value


def restore_cell(value: str) -> str:
    """The inverse of ``neutralise_cell``: the value as it was before export."""
    return value[1:] if _ESCAPED.match(value) else value


def parse_text(value: str) -> str:
    return value


def parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValidationError("Expected TRUE or FALSE (yes/no and 1/0 work too).", code="invalid_boolean")


def parse_int(value: str) -> int:
    # int() alone would also take "1_000" and non-ASCII digits; a spreadsheet cell is plain digits.
    validate_ascii_digits(value)
    digits = value[1:] if value[:1] in "+-" else value
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError("Expected a whole number.", code="invalid_number")
    return int(value)


def choice_parser(choices: type[models.TextChoices]) -> Callable[[str], str]:
    """A parser accepting a choice's code or its label, in any case, returning the code."""
    lookup = {}
    for code, label in choices.choices:
        lookup[code.lower()] = code
        lookup[str(label).lower()] = code
    if len(choices.choices) <= 5:
        accepted = "one of: " + ", ".join(str(label) for label in choices.labels) + "."
    else:
        # A long list would drown the error table: name the kind of value and point at the full list.
        code, label = choices.choices[0]
        accepted = f"an OCPI code such as {code} or its name such as “{label}” (the upload page lists them)."

    def parse(value: str) -> str:
        try:
            return lookup[value.lower()]
        except KeyError:
            raise ValidationError(
                "Unknown value; expected %(accepted)s",
                code="invalid_choice",
                params={"accepted": accepted},
            ) from None

    return parse


def format_text(value) -> str:
    return "" if value is None else str(value)


def format_bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def choice_formatter(choices: type[models.TextChoices]) -> Callable[[str], str]:
    labels = dict(choices.choices)
    return lambda code: str(labels[code])


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    # "station" columns describe the station and must agree on all its rows; "spec" ones the connector.
    part: str
    parse: Callable[[str], object]
    format: Callable[[object], str]


COLUMNS: tuple[Column, ...] = (
    Column("Station ID", "station_id", "station", parse_text, format_text),
    Column("Security code", "security_code", "station", parse_text, format_text),
    Column("Manufacturer", "manufacturer", "station", parse_text, format_text),
    Column("Article number", "article_number", "station", parse_text, format_text),
    Column("Wi-Fi supported", "wifi_supported", "station", parse_bool, format_bool),
    Column("GSM supported", "gsm_supported", "station", parse_bool, format_bool),
    Column(
        "Connector type",
        "standard",
        "spec",
        choice_parser(ConnectorStandard),
        format_text,
    ),
    Column(
        "Format",
        "format",
        "spec",
        choice_parser(ConnectorFormat),
        choice_formatter(ConnectorFormat),
    ),
    Column(
        "Power type",
        "power_type",
        "spec",
        choice_parser(PowerType),
        choice_formatter(PowerType),
    ),
    Column("Voltage", "voltage", "spec", parse_int, format_text),
    Column("Amperage", "amperage", "spec", parse_int, format_text),
    Column("Serial number", "serial_number", "station", parse_text, format_text),
)

HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
COLUMN_BY_HEADER = {column.header: column for column in COLUMNS}
STATION_COLUMNS = tuple(column for column in COLUMNS if column.part == "station")
SPEC_COLUMNS = tuple(column for column in COLUMNS if column.part == "spec")


def station_row(station, spec) -> list[str]:
    """One CSV row (in ``COLUMNS`` order) for a station and one of its connector specifications."""
    return [
        column.format(getattr(station if column.part == "station" else spec, column.field))
        for column in COLUMNS
    ]


def rows_to_csv(rows: Iterable[Iterable[str]], header: Iterable[str] = HEADERS) -> str:
    """Semicolon-separated text with the header first, CRLF line ends (as spreadsheets write them)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
