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
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from .choices import ConnectorFormat, ConnectorStandard, PowerType
from .validators import validate_ascii_digits

DELIMITER = ";"

# The words a boolean cell may hold (SPEC §3), any case: ours, then what spreadsheets write for TRUE and
# FALSE in their users' languages (Dutch, German, French, Spanish, Italian, Portuguese, Danish and
# Norwegian, Swedish, Polish) when they save a boolean cell as CSV.
BOOLEAN_WORDS: tuple[tuple[str, str], ...] = (
    ("TRUE", "FALSE"),
    ("yes", "no"),
    ("1", "0"),
    ("WAAR", "ONWAAR"),
    ("WAHR", "FALSCH"),
    ("VRAI", "FAUX"),
    ("VERDADERO", "FALSO"),
    ("VERO", "FALSO"),
    ("VERDADEIRO", "FALSO"),
    ("SAND", "FALSK"),
    ("SANT", "FALSKT"),
    ("PRAWDA", "FAŁSZ"),
)
SPREADSHEET_BOOLEAN_WORDS = BOOLEAN_WORDS[3:]
_TRUE = {true.lower() for true, _false in BOOLEAN_WORDS}
_FALSE = {false.lower() for _true, false in BOOLEAN_WORDS}


# Formula cells (CSV injection): a spreadsheet runs a cell starting with one of these as a formula, and a
# spreadsheet that splits the file at the wrong separator (a comma, a semicolon or a tab) starts a cell
# wherever one of those stands inside a value, and a quote there may only wrap the formula. So at the
# start of a value and after each of those characters, an apostrophe is written before the (quotes and)
# formula character; the import takes exactly one off again, so an exported file imports back unchanged.
# A run of apostrophes already there gets one more, which keeps the two functions exact inverses.
_NEUTRALISED = re.compile(r"(?<![^,;\t])(?='*\"*[=+\-@\t\r])")
_ESCAPED = re.compile(r"(?<![^,;\t])'(?='*\"*[=+\-@\t\r])")


def neutralise_cell(value: str) -> str:
    """The cell as written: an apostrophe added wherever a spreadsheet would start a formula."""
    return _NEUTRALISED.sub("'", value)


def restore_cell(value: str) -> str:
    """The inverse of ``neutralise_cell``: the value as it was before export."""
    return _ESCAPED.sub("", value) if "'" in value else value


# What a spreadsheet writes for a number it took a long identifier for: 1.23457E+19, 7.00E+10, 1,23E+19
# (a decimal comma), 1.2e19. An exponent needs a fraction or a sign here, so that a Station ID such as
# 7E10, which no spreadsheet writes, stays valid.
_SCIENTIFIC = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+[eE][+-]?|[eE][+-])[0-9]+")


def parse_identifier(value: str) -> str:
    """A text column that holds an identifier (Station ID, codes, numbers): refused in the notation a
    spreadsheet writes once it has turned the identifier into a number and lost its digits."""
    if _SCIENTIFIC.fullmatch(value):
        raise ValidationError(
            "“%(value)s” is a number in scientific notation: a spreadsheet program took the value for a "
            "number, and kept only its first digits. Format the column as Text before typing or pasting "
            "the values (or start from the Excel template, where it is Text already), then enter them "
            "again.",
            code="spreadsheet_number",
            params={"value": value},
        )
    return value


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


# Digits with "." or "," before the decimals, as spreadsheets write them in either locale; no thousands
# separators (is "1,500" 1.5 or 1500?) and no exponent.
_DECIMAL = re.compile(r"\A[+-]?[0-9]+(?:[.,][0-9]+)?\Z")


def parse_decimal(value: str) -> Decimal:
    if not _DECIMAL.match(value):
        raise ValidationError(
            "Expected a number of kW such as 7.4 or 7,4 (no thousands separators).", code="invalid_number"
        )
    return Decimal(value.replace(",", "."))


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


def format_decimal(value: Decimal | None) -> str:
    """A decimal without trailing zeros, "." before the decimals: 150.00 → "150", 7.40 → "7.4"."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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
    # A file may leave an optional column out (its header too); the product's own files always have it.
    optional: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("Station ID", "station_id", "station", parse_identifier, format_text),
    Column("Security code", "security_code", "station", parse_identifier, format_text),
    Column("Manufacturer", "manufacturer", "station", parse_text, format_text),
    Column("Article number", "article_number", "station", parse_identifier, format_text),
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
    Column("Serial number", "serial_number", "station", parse_identifier, format_text),
    Column("Maximum power (kW)", "max_power", "spec", parse_decimal, format_decimal, optional=True),
)

# The header every file must have (SPEC §3); ALL_HEADERS adds the optional columns, and is what the
# product writes (export, examples, template).
HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS if not column.optional)
ALL_HEADERS: tuple[str, ...] = tuple(column.header for column in COLUMNS)
COLUMN_BY_HEADER = {column.header: column for column in COLUMNS}
STATION_COLUMNS = tuple(column for column in COLUMNS if column.part == "station")
SPEC_COLUMNS = tuple(column for column in COLUMNS if column.part == "spec")


def station_row(station, spec) -> list[str]:
    """One CSV row (in ``COLUMNS`` order) for a station and one of its connector specifications."""
    return [
        column.format(getattr(station if column.part == "station" else spec, column.field))
        for column in COLUMNS
    ]


def rows_to_csv(rows: Iterable[Iterable[str]], header: Iterable[str] = ALL_HEADERS) -> str:
    """Semicolon-separated text with the header first, CRLF line ends (as spreadsheets write them), every
    cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
