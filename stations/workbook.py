"""Workbooks in: recognising an uploaded file by its content, and reading the first sheet as rows of text.

The CSV engine takes rows as (spreadsheet row, list of cell texts); ``Sheet.rows`` yields exactly that
from an ``.xlsx`` or ``.ods`` file, so every rule stays in the engine. What only a workbook can get wrong
(a number cell in a text column, a date, a formula error, a merged header) is decided here, per cell,
as ``ValidationError`` objects with a code, which the engine attaches to its rows.

Values are read with python-calamine (Rust's calamine): ``benchmarks/bench_workbook.py`` measures it
against openpyxl's read-only mode. calamine hides some cell types: it returns formula errors as ``""``
and ODS durations as text (``PT36H00M00S``), so a narrow scan of the sheet's XML finds those cells by
their type attribute; and the booleans LibreOffice writes as the formulas ``TRUE()`` and ``FALSE()`` (as
it saves an .xlsx's booleans in an .ods) as ``1.0``/``0.0``. In a boolean column those read as TRUE and
FALSE; a 1 or 0 anywhere else in such a file is looked up in the XML (``_ODS_BOOLEANS``), so that a TRUE
typed into Voltage is not taken for 1 V.
"""

import html
import io
import math
import re
import zipfile
import zlib
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain, islice
from xml.etree import ElementTree

import olefile
import python_calamine
from django.core.exceptions import ValidationError

from .csv_format import COLUMN_BY_HEADER, COLUMNS, HEADERS, parse_bool, parse_identifier
from .results import RowError

XLSX, ODS = "xlsx", "ods"
LABELS = {XLSX: "Excel workbook (.xlsx)", ODS: "OpenDocument spreadsheet (.ods)"}

# A workbook is a zip: a few kilobytes can unpack to gigabytes. The declared sizes are checked before
# anything is unpacked (a zip whose headers lie about the sizes is not covered by this check).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024

# calamine holds the rectangle from the first to the last filled cell in memory (about 32 bytes a cell):
# 5,000 rows of 200 columns. A sheet past it is refused before calamine reads it.
MAX_CELLS = 1_000_000

# Spreadsheets keep 15 significant digits of a number: a longer one has already lost its tail.
SIGNIFICANT_DIGITS = 15

# The columns whose values are identifiers (the column table parses them as such): a spreadsheet that took
# them for numbers drops leading zeros.
TEXT_FIELDS = tuple(column.field for column in COLUMNS if column.parse is parse_identifier)
TEXT_HEADERS = tuple(header for header, column in COLUMN_BY_HEADER.items() if column.field in TEXT_FIELDS)
# The boolean columns, where a 1 or 0 means what TRUE or FALSE does.
BOOLEAN_HEADERS = frozenset(header for header, item in COLUMN_BY_HEADER.items() if item.parse is parse_bool)

# A header found this far down is reported as "not in row 1" rather than as a wrong header.
_HEADER_SEARCH_ROWS = 20

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def max_rows() -> int:
    """The engine's row limit, read where it is defined (imported late: the engine imports this module)."""
    from .csv_import import max_rows as engine_max_rows

    return engine_max_rows()


_SAVE_AS = "Save it as .xlsx, .ods or CSV (semicolon-separated) and upload that file."


# -- Errors -------------------------------------------------------------------------------------------
# File-level refusals: raised as ValidationError (code, params) before any row is read.


def _refusal(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params)


def xls_format() -> ValidationError:
    return _refusal(
        "This is an Excel 97–2003 workbook (.xls), which is not read. Open it in Excel or LibreOffice "
        "and save it as .xlsx (Excel Workbook), then upload that file.",
        "xls_format",
    )


def password_protected() -> ValidationError:
    return _refusal(
        "This workbook is protected with a password (encrypted), so it cannot be read. Open it, remove "
        "the password (in Excel: File › Info › Protect Workbook › Encrypt with Password, empty the "
        "field; in LibreOffice: File › Save As without “Save with password”) and upload it again.",
        "password_protected",
    )


def not_a_workbook(kind: str) -> ValidationError:
    return _refusal("This file is %(kind)s, not a spreadsheet. " + _SAVE_AS, "not_a_workbook", kind=kind)


def too_large_unpacked(size: int) -> ValidationError:
    return _refusal(
        "This workbook unpacks to %(size)s; at most %(limit)s is read. Remove what is not station data "
        "(other sheets, images) or save the stations as CSV.",
        "workbook_too_large",
        size=_megabytes(size),
        limit=_megabytes(MAX_UNPACKED_BYTES),
    )


def unreadable(detail: str) -> ValidationError:
    return _refusal(
        "This workbook cannot be read (%(detail)s). " + _SAVE_AS, "unreadable_workbook", detail=detail
    )


def no_sheet() -> ValidationError:
    return _refusal("This workbook has no sheet.", "no_sheet")


def empty_sheet(name: str) -> ValidationError:
    return _refusal(
        "The first sheet (“%(sheet)s”) is empty. The stations must be on the first sheet, with the "
        "header in row 1.",
        "empty_sheet",
        sheet=name,
    )


def header_not_in_row_1(row: int, name: str) -> ValidationError:
    return _refusal(
        "The header of the first sheet (“%(sheet)s”) is in row %(row)s; it must be in row 1. Delete the "
        "rows above it.",
        "header_not_in_row_1",
        row=row,
        sheet=name,
    )


def sheet_too_large(cell: str) -> ValidationError:
    return _refusal(
        "The first sheet reaches cell %(cell)s: it is too large to read (at most %(limit)s cells from "
        "the first filled cell to the last). Delete the rows and columns after the stations.",
        "sheet_too_large",
        cell=cell,
        limit=f"{MAX_CELLS:,}",
    )


def merged_header(cells: str) -> ValidationError:
    return _refusal(
        "Header cells %(cells)s are merged; every column needs its own header cell. Unmerge them.",
        "merged_header",
        cells=cells,
    )


# Cell-level errors: collected as ``CellProblem`` while the rows are read.


def cell_error(kind: str, cell: str, value: str) -> ValidationError:
    if kind == "formula_error":
        return ValidationError(
            "Cell %(cell)s holds the formula error %(value)s, not a value. Fix the formula or type the "
            "value.",
            code="formula_error",
            params={"cell": cell, "value": value},
        )
    if kind == "too_many_digits":
        return ValidationError(
            "Cell %(cell)s holds the number %(value)s, which has more than 15 digits: the spreadsheet "
            "kept only the first 15. Format the column as Text and type the value again.",
            code="too_many_digits",
            params={"cell": cell, "value": value},
        )
    what = {
        "date": "a date",
        "time": "a time of day",
        "duration": "a duration",
        "time_or_duration": "a time or a duration",
    }[kind]
    return ValidationError(
        "Cell %(cell)s holds %(what)s (%(value)s), not a value this column takes: the spreadsheet "
        "turned what was typed into %(what)s. Format the cell as Text and type the value again.",
        code=f"cell_{kind}",
        params={"cell": cell, "what": what, "value": value},
    )


def stored_as_number(header: str, cells: list[str]) -> ValidationError:
    shown = ", ".join(cells[:5]) + (f" and {len(cells) - 5:,} more" if len(cells) > 5 else "")
    return ValidationError(
        "%(column)s values were stored as numbers in the workbook (cells %(cells)s): leading zeros may "
        "be lost. Format the column as Text, or use the Excel template.",
        code="stored_as_number",
        params={"column": header, "cells": shown, "count": len(cells)},
    )


def message(error: ValidationError) -> str:
    return error.message % error.params if error.params else error.message


def file_error(error: ValidationError) -> RowError:
    """A refusal as the engine's whole-file error."""
    return RowError(None, "", error.code, message(error))


@dataclass(frozen=True)
class CellProblem:
    """A cell that a spreadsheet changed: its sheet row, column (0-based), header and A1 name."""

    row: int
    column: int
    header: str
    cell: str
    error: ValidationError
    value: str

    def row_error(self) -> RowError:
        return RowError(self.row, self.header, self.error.code, message(self.error), self.value, self.cell)


def cell_name(row: int, column: int) -> str:
    """The A1 name of a cell: sheet row (1-based) and column index (0-based): (7, 9) → "J7"."""
    letters = ""
    column += 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}{row}"


# -- Recognising the file -----------------------------------------------------------------------------


def detect(data: bytes) -> str | None:
    """``XLSX`` or ``ODS`` for a workbook to read, None for anything else (text for the CSV engine).

    Raises ``ValidationError`` for a file that is a workbook or archive which cannot be read: an
    ``.xls``, an encrypted workbook, another zip, or one that unpacks past ``MAX_UNPACKED_BYTES``.
    """
    if data.startswith(_OLE2):
        return _detect_ole2(data)
    if data.startswith(_ZIP):
        return _detect_zip(data)
    return None


def _detect_ole2(data: bytes) -> None:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except OSError as error:
        raise unreadable(str(error)) from None
    with ole:
        # Excel and LibreOffice keep an encrypted .xlsx/.ods as an OLE2 file holding the zip, encrypted.
        if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
            raise password_protected()
        if ole.exists("Workbook") or ole.exists("Book"):
            raise xls_format()
        if ole.exists("WordDocument"):
            raise not_a_workbook("a Word 97–2003 document")
    raise not_a_workbook("an Office 97–2003 file")


# A part missing (KeyError), not XML or past expat's entity limit (ParseError), a damaged, encrypted
# (RuntimeError) or oddly compressed (NotImplementedError) member: the file's fault, not a 500.
_DAMAGED = (
    KeyError,
    ElementTree.ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    RuntimeError,
    NotImplementedError,
)


def _detect_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise unreadable(f"a damaged zip archive: {error}") from None
    with archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        if unpacked > MAX_UNPACKED_BYTES:
            raise too_large_unpacked(unpacked)
        names = {member.filename for member in members}
        if "xl/workbook.xml" in names:
            return XLSX
        if "xl/workbook.bin" in names:
            raise _refusal(
                "This is an Excel binary workbook (.xlsb), which is not read. Save it as .xlsx (Excel "
                "Workbook) and upload that file.",
                "xlsb_format",
            )
        if "mimetype" in names:
            try:
                mimetype = archive.read("mimetype").strip()
            except _DAMAGED as error:
                raise unreadable(str(error.args[0] if error.args else type(error).__name__)) from None
            if mimetype == _ODS_MIMETYPE:
                return ODS
            if mimetype.startswith(b"application/vnd.oasis.opendocument."):
                raise not_a_workbook("an OpenDocument file of another kind (text, presentation…)")
        if "word/document.xml" in names:
            raise not_a_workbook("a Word document (.docx)")
        if any(name.endswith("vbaProject.bin") for name in names):
            raise not_a_workbook("a macro project without a workbook")
    raise not_a_workbook("a zip archive")


# -- Reading the first sheet --------------------------------------------------------------------------


@dataclass
class Sheet:
    """The first sheet of a workbook, read as the CSV engine reads a file: ``rows()`` then the problems.

    ``errors`` (``CellProblem``) and ``warnings()`` are complete once ``rows()`` is exhausted (or has
    yielded more than ``max_rows()`` data rows, where it stops). ``bad_cells`` holds the (row, column)
    of every cell with an error, so the engine does not report those cells a second time.
    """

    data: bytes = field(repr=False)
    kind: str
    name: str = field(default="", init=False)
    errors: list[CellProblem] = field(default_factory=list, init=False)
    bad_cells: set[tuple[int, int]] = field(default_factory=set, init=False, repr=False)
    _numbers_in_text: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False)
    _number_texts: dict[float, str] = field(default_factory=dict, init=False, repr=False)
    _headers: dict[int, str] = field(default_factory=dict, init=False, repr=False)
    _boolean_columns: set[int] = field(default_factory=set, init=False, repr=False)
    _formula_booleans: bool = field(default=False, init=False, repr=False)
    _booleans: dict[tuple[int, int], tuple[str, str]] | None = field(default=None, init=False, repr=False)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The header (row 1), then the non-blank data rows: (sheet row, cell texts), at most
        ``max_rows() + 1`` of them, so the engine's row limit sees the file is too long.

        Raises ``ValidationError`` (before the first row) for a workbook that cannot be read as stations.
        """
        # Scanned first: the scan refuses a sheet too large for calamine to hold.
        typed, self._formula_booleans = _typed_cells(self.data, self.kind)
        sheet = self._first_sheet()
        # python-calamine's rows begin at the sheet's row 1 (empty rows above the first filled one are
        # there) but at the first filled column: the columns before it are added back.
        start_column = (sheet.start or (0, 0))[1]
        values = sheet.iter_rows()
        # The first rows are read ahead to tell a title line above the header from a wrong header.
        ahead = [[""] * start_column + list(raw) for raw in islice(values, _HEADER_SEARCH_ROWS + 1)]
        filled = [(offset + 1, raw) for offset, raw in enumerate(ahead) if not _blank_row(raw)]
        if not filled:
            raise empty_sheet(self.name)
        header_row, header = filled[0]
        self._check_header(header_row, header, filled, sheet)
        self._headers = {index: str(value).strip() for index, value in enumerate(header)}
        self._boolean_columns = {index for index, text in self._headers.items() if text in BOOLEAN_HEADERS}
        yield header_row, [_header_text(value) for value in header]
        data_rows, limit = 0, max_rows()
        typed_by_row: dict[int, dict[int, tuple[str, str]]] = {}
        for (row, column), special in typed.items():
            typed_by_row.setdefault(row, {})[column] = special
        rest = ([""] * start_column + list(raw) for raw in values) if start_column else values
        # A number outside the text columns is its text, once written out (``_number``); a boolean cell
        # is its word, and so is a formula's 1 or 0 in a boolean column (``_number``). None costs a call.
        texts = self._number_texts
        text_columns = {index for index, text in self._headers.items() if text in TEXT_HEADERS}
        words = {1: "TRUE", 0: "FALSE"}
        word_columns = self._boolean_columns if self._formula_booleans else set()
        for offset, raw in enumerate(chain(ahead, rest)):
            row = offset + 1
            if row <= header_row:
                continue
            # Most cells are text, taken as they are without a call per cell.
            special = typed_by_row.get(row)
            if special is not None:
                raw = list(raw)
                for column, typed_cell in special.items():
                    if column < len(raw):
                        raw[column] = self._typed(row, column, typed_cell)
            cells = [
                value
                if type(value) is str
                else texts[value]
                if type(value) is float and value in texts and column not in text_columns
                else words[value]
                if column in word_columns and type(value) is float and value in words
                else "TRUE"
                if value is True
                else "FALSE"
                if value is False
                else self._value(row, column, value)
                for column, value in enumerate(raw)
            ]
            joined = "".join(cells)
            if not joined or joined.isspace():
                continue
            yield row, cells
            data_rows += 1
            if data_rows > limit:
                return

    def warnings(self) -> list[RowError]:
        """One warning per text column that held number cells (as the engine's whole-file warnings)."""
        return [
            RowError(None, self._headers[column], error.code, message(error))
            for column, cells in sorted(self._numbers_in_text.items())
            for error in [stored_as_number(self._headers[column], cells)]
        ]

    def _first_sheet(self):
        try:
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self.data))
        except python_calamine.PasswordError:
            raise password_protected() from None
        except (python_calamine.CalamineError, ValueError, OSError) as error:
            raise unreadable(str(error)) from None
        if not workbook.sheet_names:
            raise no_sheet()
        self.name = workbook.sheet_names[0]
        try:
            return workbook.get_sheet_by_index(0)
        except (python_calamine.CalamineError, ValueError) as error:
            raise unreadable(str(error)) from None

    def _check_header(self, row: int, header: list, filled: list[tuple[int, list]], sheet) -> None:
        known = set(HEADERS)
        if row != 1 or not any(str(value).strip() in known for value in header):
            # A title line above the header: name the row where the header is.
            for found_row, cells in filled:
                if sum(str(value).strip() in known for value in cells) >= 2:
                    raise header_not_in_row_1(found_row, self.name)
            if row != 1:
                raise header_not_in_row_1(row, self.name)
            # Row 1 holds something else: the engine explains the header it expected.
        merged = _merged_header_cells(self.data, self.kind, sheet, row)
        if merged:
            raise merged_header(merged)

    def _typed(self, row: int, column: int, special: tuple[str, str]) -> str:
        """The text of a cell the scan found typed (``_typed_cells``): a boolean, or a problem."""
        kind, shown = special
        return shown if kind == "boolean" else self._problem(row, column, kind, shown)

    def _value(self, row: int, column: int, value) -> str:
        """The text of a cell calamine read as something other than text."""
        if type(value) is float or type(value) is int:  # the common case, before the other types
            return self._number(row, column, value)
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, datetime):
            return self._problem(row, column, "date", value.isoformat(sep=" "))
        if isinstance(value, date):
            return self._problem(row, column, "date", value.isoformat())
        if isinstance(value, time):
            return self._problem(row, column, "time", value.isoformat())
        if isinstance(value, timedelta):
            return self._problem(row, column, "duration", str(value))
        if isinstance(value, int | float):
            return self._number(row, column, value)
        return "" if value is None else str(value)

    def _number(self, row: int, column: int, value: int | float) -> str:
        may_be_boolean = self._formula_booleans and (value == 1 or value == 0)
        if may_be_boolean:
            # The .ods has booleans written as TRUE() and FALSE() formulas, which calamine reads as 1 and 0.
            # In a boolean column a 1 means what TRUE does: read as the word without asking which it was
            # (placing every formula costs more than the rest of the read). Elsewhere the cell is placed.
            if column in self._boolean_columns:
                return "TRUE" if value else "FALSE"
            if self._booleans is None:
                with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
                    self._booleans = _ods_typed_cells(archive.read("content.xml"), _ODS_BOOLEANS)
            boolean = self._booleans.get((row, column))
            if boolean is not None:
                return self._typed(row, column, boolean)
        # A sheet repeats few numbers (voltages, amperages): each is written out once (not a 1 or 0 that
        # may be a formula's boolean, above).
        text = self._number_texts.get(value)
        if text is None:
            text = _number_text(value)
            if text is None:
                return self._problem(row, column, "too_many_digits", f"{value:.15G}")
            if not may_be_boolean:
                self._number_texts[value] = text
        if self._headers.get(column) in TEXT_HEADERS:
            self._numbers_in_text.setdefault(column, []).append(cell_name(row, column))
        return text

    def _problem(self, row: int, column: int, kind: str, shown: str) -> str:
        cell = cell_name(row, column)
        header = self._headers.get(column, "")
        self.errors.append(CellProblem(row, column, header, cell, cell_error(kind, cell, shown), shown))
        self.bad_cells.add((row, column))
        return shown


def read(data: bytes) -> Sheet | None:
    """The first sheet of ``data`` when it is a workbook, None when it is text for the CSV engine.

    Raises ``ValidationError`` for a file to refuse (see ``detect``).
    """
    kind = detect(data)
    return None if kind is None else Sheet(data, kind)


def _blank_row(values: list) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _header_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _number_text(value: float) -> str | None:
    """The number as a spreadsheet shows it in a General cell, or None when it has lost digits."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        digits = str(int(value))
        return None if len(digits.lstrip("-")) > SIGNIFICANT_DIGITS else digits
    return f"{value:.15g}"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".") + " MB"


# -- What calamine does not tell: error cells, ODS booleans and durations, ODS merged cells -------------

_OOXML_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_OOXML_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TABLE_NS = b"urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = b"urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_CALCEXT_NS = b"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"

_XLSX_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?)(/?)>")
_XLSX_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CELL_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')


def _typed_cells(data: bytes, kind: str) -> tuple[dict[tuple[int, int], tuple[str, str]], bool]:
    """(sheet row, column) → (kind, shown text) for the cells calamine reads as something else; and
    whether the .ods may hold booleans written as the formulas TRUE() and FALSE() (``_ODS_BOOLEANS``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if kind == XLSX:
                return _xlsx_error_cells(archive.read(_xlsx_first_sheet_path(archive))), False
            content = archive.read("content.xml")
            found = _ods_typed_cells(content)
            return found, b"TRUE()" in content or b"FALSE()" in content
    except _DAMAGED as error:
        raise unreadable(str(error.args[0] if error.args else type(error).__name__)) from None


def _xlsx_first_sheet_path(archive: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    first = workbook.find(f"{_OOXML_MAIN}sheets/{_OOXML_MAIN}sheet")
    if first is None:
        raise no_sheet()
    relation = first.get(f"{_OOXML_REL}id")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for item in relations.iter(f"{_PACKAGE_REL}Relationship"):
        if item.get("Id") == relation:
            target = item.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise unreadable("the first sheet is missing")


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - ord("A") + 1
    return index - 1


class _Extent:
    """The rectangle of filled cells, which calamine allocates densely: checked against ``MAX_CELLS``
    as the XML is scanned, before calamine reads it (a value in XFD1048576, or an ODS row repeated a
    million times, would otherwise cost gigabytes)."""

    def __init__(self):
        self.top = self.left = math.inf
        self.bottom = self.right = 0

    def add(self, top: int, left: int, bottom: int, right: int) -> None:
        self.top, self.left = min(self.top, top), min(self.left, left)
        self.bottom, self.right = max(self.bottom, bottom), max(self.right, right)
        if (self.bottom - self.top + 1) * (self.right - self.left + 1) > MAX_CELLS:
            raise sheet_too_large(cell_name(bottom, right - 1 if right else 0))


# A cell as our writer, LibreOffice and Excel write it: its reference first, in column A–Z and a row below
# 38,000, then only short plain attributes. When every cell of a sheet has that shape, calamine's rectangle
# is at most 26 × 37,999 cells (under MAX_CELLS), and the error cells can be found by their literal t="e".
_XLSX_PLAIN_CELL = (
    rb'r="[A-Z](?:[1-9][0-9]{0,3}|[12][0-9]{4}|3[0-7][0-9]{3})"'  # A1 … Z37999
    rb'(?:\s(?:s|t|cm|vm|ph)="[\w.]*+")*+\s*+/?>'
)
_XLSX_OTHER_CELL = re.compile(rb"<c(?=[\s/>])(?!\s" + _XLSX_PLAIN_CELL + rb")")
# A cell element with a namespace prefix (<x:c …>): then too the sheet is walked.
_XLSX_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_XLSX_REFERENCE = re.compile(r"([A-Z]+)([0-9]+)")


def _xlsx_error_cells(xml: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    """(sheet row, column) → ("formula_error", shown) for the error cells; refuses a sheet too large."""
    if _XLSX_PREFIXED_CELL.search(xml) or _XLSX_OTHER_CELL.search(xml):
        return _xlsx_walk(xml)
    found = {}
    if b't="e"' not in xml:
        return found
    for match in _XLSX_CELL.finditer(xml):
        attributes = match.group(1)
        reference = _CELL_REF.search(attributes)
        if match.group(2) or b't="e"' not in attributes or reference is None:
            continue
        # The closing tag is the first "c>" after the cell's start (its children are <f>, <v>, <is>).
        body = xml[match.end() : xml.find(b"c>", match.end())]
        value = _XLSX_ERROR_VALUE.search(body)
        shown = value.group(1).decode("utf-8", "replace") if value else "an error"
        found[(int(reference.group(2)), _column_index(reference.group(1)))] = ("formula_error", shown)
    return found


def _xlsx_walk(xml: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    """``_xlsx_error_cells`` for a sheet with a cell in another shape (far away, quoted or ordered
    otherwise, without a reference): every cell placed where calamine places it, by an XML parser."""
    if b"<!DOCTYPE" in xml:
        raise unreadable("its sheet declares a document type, which a spreadsheet does not")
    extent = _Extent()
    found = {}
    row = column = 0
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        name = element.tag.rpartition("}")[2]
        if event == "start":
            if name == "row":
                number = element.get("r", "")
                row = int(number) if number.isdecimal() else row + 1
                column = -1
            continue
        if name == "c":
            reference = _XLSX_REFERENCE.fullmatch(element.get("r", ""))
            if reference:
                cell_row, column = int(reference.group(2)), _column_index(reference.group(1).encode())
            else:
                cell_row, column = row, column + 1
            if len(element):  # a value, a formula or inline text: calamine holds the cell
                extent.add(cell_row, column, cell_row, column + 1)
                if element.get("t") == "e":
                    value = element.find(f"{_OOXML_MAIN}v")
                    shown = value.text if value is not None and value.text else "an error"
                    found[(cell_row, column)] = ("formula_error", shown)
            element.clear()
        elif name == "row":
            element.clear()
    return found


def _ods_typed_cells(xml: bytes, markers: re.Pattern | None = None) -> dict[tuple[int, int], tuple[str, str]]:
    """(sheet row, column) → (kind, shown text) for the typed cells that ``markers`` finds in the first
    sheet of content.xml (by default the cells calamine misreads: errors, times and durations)."""
    scan = _ods_scan(xml, markers)
    return {} if scan is None else scan.found


def _ods_scan(xml: bytes, markers: re.Pattern | None, tag_by_tag: bool = False) -> "_OdsScan | None":
    """Walks every table of content.xml (calamine reads them all when it opens the file), counting
    repeated rows and cells, and refuses one too large; returns the walk of the first sheet (the first
    table with a name, as calamine counts sheets), None when there is none. The typed cells looked for
    are those ``markers`` finds, or with None those calamine misreads (found in the pass over the
    attribute values).

    A scan of the bytes rather than an XML parser: a parser hands Python every cell and paragraph (0.3 s
    for 5,000 rows, several times calamine's whole read). A row as LibreOffice writes one costs a few
    searches of its bytes (``walk``); other rows are walked tag by tag (``_tags``). Python parses the
    attributes of the few cells that can be typed only. It counts tags by their text, as calamine finds
    them by their literal names (it does not resolve namespace prefixes): so what would hide a tag or fake
    one is refused (a document type and its entities, comments, CDATA sections, processing instructions,
    a "<" inside an attribute value, a table inside a cell).
    ``tag_by_tag`` walks every row tag by tag: the reference the searches must agree with (tests).
    """
    # A document type (and its entities) can only come before the root element.
    root = re.search(rb"<[^?!]", xml)
    body = root.start() if root else len(xml)
    if b"<!DOCTYPE" in xml[:body] or b"<!ENTITY" in xml[:body]:
        raise unreadable("its content.xml declares a document type, which a spreadsheet does not")
    if _markup_between(xml, body, len(xml)):
        raise unreadable("its content.xml holds XML comments, CDATA sections or processing instructions")
    # One pass over the attribute values finds the cells calamine misreads and any "<" inside a value.
    misread = []
    for value in _ODS_VALUE_CHECK.finditer(xml, body):
        if value.group(1) is None and value.group(2) is None:
            raise unreadable("its content.xml has a “<” inside an attribute value, which XML does not allow")
        misread.append(value.start())
    positions = misread if markers is None else [found.start() for found in markers.finditer(xml, body)]
    first_sheet = None
    position = body
    while (start := _ODS_TABLE.search(xml, position)) is not None:
        tag = _ODS_TABLE_TAG.match(xml, start.start())
        if tag is None:
            raise unreadable("a sheet's start tag cannot be read")
        if tag.group(1).endswith(b"/"):
            position = tag.end()
            continue
        end = xml.find(b"</table:table>", tag.end())
        end = len(xml) if end < 0 else end
        if _ODS_TABLE.search(xml, tag.end(), end):
            raise unreadable("its first sheet holds a table inside a cell")
        scan = _OdsScan(xml, positions)
        # The whole table, also past the engine's row limit: calamine reads all of it.
        if tag_by_tag:
            scan._tags(tag.end(), end)
        else:
            scan.walk(tag.end(), end)
        if first_sheet is None and b"table:name" in tag.group(1):
            first_sheet = scan
        position = end + 1
    return first_sheet


def _markup_between(xml: bytes, start: int, end: int) -> bool:
    """Whether xml[start:end] holds "<!" or "<?": looked for from the "!" and "?", which a sheet's text
    rarely holds (a search for one byte is several times faster than for two)."""
    for mark in (b"!", b"?"):
        at, seen = xml.find(mark, start, end), 0
        while at >= 0:
            if xml[at - 1] == 60:  # "<"
                return True
            seen += 1
            if seen > 100:  # text full of them: one search for the pair
                return xml.find(b"<" + mark, at, end) >= 0
            at = xml.find(mark, at + 1, end)
    return False


class _OdsScan:
    """The state of ``_ods_scan``'s walk of one table: the row reached, the extent, the typed cells found
    (where the ``markers`` are: positions in the XML, in order)."""

    # A row's or cell's start tag (attributes ending in "/" when it is empty), or a row's end tag. An
    # attribute value may hold ">" (a formula's comparison), so quoted values are skipped whole. The
    # quantifiers are possessive: else a tag cut off inside a quote takes exponential time to give up.
    tags = re.compile(
        rb"<(?:(/)table:table-row\s*|table:(table-row|table-cell|covered-table-cell)"
        rb"""([\s/](?:[^>"'<]++|"[^"<]*+"|'[^'<]*+')*+|))>"""
    )
    # Every row or cell tag, however written: each must be one ``tags`` reads.
    structure = re.compile(
        rb"<table:(?:table-row|table-cell|covered-table-cell)[\s/>]|</table:table-row[\s>]"
    )
    rows_repeated = re.compile(rb"""table:number-rows-repeated\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    columns_repeated = re.compile(rb"""table:number-columns-repeated\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    row_start, row_end = b"<table:table-row", b"</table:table-row>"
    cell_start, cell_end, cell_close = b"<table:table-cell", b"</table:table-cell>", b"</table:"
    covered = b"table:covered-table-cell"

    def __init__(self, xml: bytes, markers: list[int]):
        self.xml = xml
        self.markers = markers
        self.row = 0
        self.extent = _Extent()
        self.found: dict[tuple[int, int], tuple[str, str]] = {}
        self.seen = -1  # the last cell tag looked at for a typed cell
        # The kind of a cell decided by its attributes alone (booleans, and cells of no special kind).
        self.kinds: dict[bytes, tuple[str, str] | None] = {}
        self.tag_kinds: dict[bytes, tuple[str, str] | None] = {}

    def walk(self, start: int, end: int) -> None:
        xml = self.xml
        find, rfind, count, startswith = xml.find, xml.rfind, xml.count, xml.startswith
        row_start, row_end, cell_start, cell_end = (
            self.row_start,
            self.row_end,
            self.cell_start,
            self.cell_end,
        )
        row_name, found = row_start[1:], self.found
        covered = find(self.covered, start, end) >= 0
        markers = self.markers
        # Where "repeated" is (an attribute of a repeated row or cell, or text), found in one pass.
        repeats = [repeat.start() for repeat in _ODS_REPEATED.finditer(xml, start, end)]
        marker = bisect_left(markers, start)
        repeat = 0
        markers_count, repeats_count = len(markers), len(repeats)
        after_start, after_name, after_end = len(row_start), len(row_name), len(row_end)
        space_or_end, row = _SPACE_OR_END, self.row
        # The filled usual rows since the last other one, added to the extent at once.
        top = bottom = right = 0
        position = start
        at = find(row_start, position, end)
        while position < end:
            # A row as LibreOffice writes one is read in a few searches: its start tag, not repeated, no
            # covered cell, nothing but empty cells after its last cell with content. It is filled up to
            # that cell, and a cell's column is the cell tags before it plus what those before it repeat.
            close = -1
            if at >= 0 and (
                at == position or (find(b"cell", position, at) < 0 and find(b"-row", position, at) < 0)
            ):
                # The first "table-row" after the row's start tag: its end tag, or another row inside it.
                name = find(row_name, at + after_start, end)
                if (
                    name > 1
                    and xml[name - 1] == 47
                    and xml[name - 2] == 60
                    and startswith(b">", name + after_name)
                ):
                    close = name - 2  # "</" before
            if close >= 0:
                with_content = rfind(cell_end, at, close)
                while repeat < repeats_count and repeats[repeat] < at:
                    repeat += 1
                # Nothing with a value after the last cell with content.
                extra = (
                    self._repeated_cells(at, with_content, repeats, repeat, close)
                    if repeat < repeats_count and repeats[repeat] < close
                    else ()
                )
                if (
                    extra is not None
                    and with_content >= 0
                    and find(b"value", with_content, close) < 0
                    and find(b"formula", with_content, close) < 0
                    and xml[at + after_start] in space_or_end
                    and not (covered and find(self.covered, at, close) >= 0)
                ):
                    row += 1
                    column, counted, extras = 0, at, 0
                    while marker < markers_count and markers[marker] < close:
                        typed = markers[marker]
                        marker += 1
                        tag = rfind(b"<", at, typed)
                        if tag <= self.seen or not startswith(cell_start, tag):
                            continue
                        self.seen = tag
                        kind = self._kind_at(tag, typed)
                        if kind is not None:
                            column += count(cell_start, counted, tag)
                            counted = tag
                            while extras < len(extra) and extra[extras][0] < tag:
                                column += extra[extras][1]
                                extras += 1
                            copies = 1 + (
                                extra[extras][1] if extras < len(extra) and extra[extras][0] == tag else 0
                            )
                            for offset in range(min(copies, 1024)):
                                found[(row, column + offset)] = kind
                    if not top:
                        top = row
                    bottom = row
                    width = (
                        column
                        + count(cell_start, counted, with_content)
                        + (sum(n for _tag, n in extra[extras:]) if extra else 0)
                    )
                    if width > right:
                        right = width
                    position = close + after_end
                    at = position if startswith(row_start, position) else find(row_start, position, end)
                    continue
            close = find(row_end, position, end)
            stop = end if close < 0 else close + after_end
            if top:
                self.extent.add(top, 0, bottom, right)
                top = 0
            self.row = row
            self._tags(position, stop)
            row = self.row
            position = stop
            if 0 <= at < position:
                at = find(row_start, position, end)
            while marker < markers_count and markers[marker] < position:
                marker += 1
        self.row = row
        if top:
            self.extent.add(top, 0, bottom, right)

    def _repeated_cells(
        self, at: int, with_content: int, repeats: list[int], repeat: int, close: int
    ) -> list[tuple[int, int]] | None:
        """The (tag, extra columns) of the repeated cells of the row at ``at`` up to its last cell with
        content, or None when the row itself is repeated. An empty cell after that one may repeat: it
        fills nothing (``walk`` checks that no value follows)."""
        xml = self.xml
        extra = []
        while repeat < len(repeats) and repeats[repeat] < close:
            where = repeats[repeat]
            repeat += 1
            tag = xml.rfind(b"<", at, where)
            if not xml.startswith(self.cell_start, tag):
                if tag == at:  # the row's own start tag: a repeated row
                    return None
                continue  # the word in a cell's text, or an attribute of a paragraph
            if where > with_content:
                continue  # an empty cell after the last one with content (a value there fails the walk)
            match = self.tags.match(xml, tag)
            if match is None or match.end() <= where:
                return None
            count = _repeat(self.columns_repeated, match.group(3))
            if count > 1 and (not extra or extra[-1][0] != tag):
                extra.append((tag, count - 1))
        return extra

    def _markers(self, start: int, end: int) -> list[int]:
        """The markers of the typed cells looked for in xml[start:end]."""
        return self.markers[bisect_left(self.markers, start) : bisect_left(self.markers, end)]

    def _kind_at(self, tag: int, marker: int) -> tuple[str, str] | None:
        """``_kind`` of the cell start tag at ``tag`` with a typed-cell ``marker``; known by its bytes
        when a cell with the same start tag was seen (a sheet's booleans share a few)."""
        xml = self.xml
        key = xml[tag : xml.find(b">", marker) + 1]
        kind = self.tag_kinds.get(key, self)
        if kind is self:
            match = self.tags.match(xml, tag)
            if match is None or match.group(2) != b"table-cell":
                return None
            kind = self._kind(match)
            # The start tag is the bytes up to the first ">" after the marker (no quoted ">" in it) and
            # its kind is told by its attributes alone: the same bytes are the same kind.
            if match.end() == tag + len(key) and match.group(3) in self.kinds:
                self.tag_kinds[key] = kind
        return kind

    def _tags(self, start: int, end: int) -> None:
        """Walks xml[start:end] (whole rows) tag by tag. Refuses a tag it cannot read, a cell outside a
        row and a row inside one: what it would count otherwise than calamine."""
        xml = self.xml
        # Where the tags that may be typed cells start: found in one pass, so most cells cost a set lookup.
        candidates = {xml.rfind(b"<", 0, marker) for marker in self._markers(start, end)}
        column = 0
        repeated_rows = 1
        first_filled = end_filled = -1  # the filled columns of the current row, none when -1
        open_row, read = False, 0
        for match in self.tags.finditer(xml, start, end):
            read += 1
            row_end, name, attributes = match.groups()
            if name == b"table-row" or row_end:
                if not row_end:
                    if open_row:
                        raise unreadable("a row of its first sheet holds another row")
                    repeated_rows = (
                        _repeat(self.rows_repeated, attributes) if b"repeated" in attributes else 1
                    )
                    column = 0
                    first_filled = -1
                    if not attributes.endswith(b"/"):
                        open_row = True
                        continue
                elif not open_row:
                    raise unreadable("a row of its first sheet ends where none began")
                open_row = False
                if first_filled >= 0:
                    self.extent.add(self.row + 1, first_filled, self.row + repeated_rows, end_filled)
                self.row += repeated_rows
            else:
                if not open_row:
                    raise unreadable("its first sheet holds a cell outside a row")
                repeated = _repeat(self.columns_repeated, attributes) if b"repeated" in attributes else 1
                has_children = not attributes.endswith(b"/") and not xml.startswith(
                    self.cell_close, match.end()
                )
                if has_children or b"value" in attributes or b"formula" in attributes:
                    if first_filled < 0:
                        first_filled = column
                    end_filled = column + repeated
                if match.start() in candidates:
                    kind = self._kind(match)
                    if kind is not None:
                        for offset in range(min(repeated, 1024)):
                            self.found[(self.row + 1, column + offset)] = kind
                column += repeated
        if read != len(self.structure.findall(xml, start, end)):
            raise unreadable("a row or cell tag of its first sheet cannot be read")

    def _kind(self, match: re.Match) -> tuple[str, str] | None:
        """``_ods_cell_kind`` of the cell whose start tag is ``match``."""
        _row_end, name, attributes = match.groups()
        if attributes in self.kinds:
            return self.kinds[attributes]
        xml = self.xml
        has_children = not attributes.endswith(b"/") and not xml.startswith(self.cell_close, match.end())
        close = self.cell_close + name + b">" if has_children else b""
        kind = _ods_cell_kind(_ods_attributes(attributes), xml, match.end(), close)
        if kind is None or kind[0] == "boolean":  # not read from the cell's text: the same for every copy
            self.kinds[attributes] = kind
        return kind


# An attribute value: "time" or "error", the cells calamine misreads (a formula error is read as "", a
# duration as text such as PT36H00M00S); or one with a "<" in it (XML allows none; calamine reads past
# it, and the scan would take the text after it for tags).
_ODS_VALUE_CHECK = re.compile(rb"""=\s*+(?:"(?:(time|error)"|[^"<]*+<)|'(?:(time|error)'|[^'<]*+<))""")
_ODS_TABLE = re.compile(rb"<table:table[\s/>]")
_ODS_TABLE_TAG = re.compile(rb"""<table:table((?:\s(?:[^>"'<]++|"[^"<]*+"|'[^'<]*+')*+)?/?)>""")
# The prefixes calamine reads, by their literal names.
_ODS_NAMESPACES = {b"table": _TABLE_NS, b"office": _OFFICE_NS, b"calcext": _CALCEXT_NS}
# Booleans: calamine reads a boolean cell as one, but a boolean LibreOffice wrote as the formula TRUE() or
# FALSE() (as it saves an .xlsx's booleans) as its value, 1 or 0.
_ODS_BOOLEANS = re.compile(rb"""=\s*["'](?:boolean|of:=TRUE\(\)|of:=FALSE\(\))["']""")
# Possessive, and only from the start of a name: a long attribute cannot make the search quadratic.
_ODS_ATTRIBUTE = re.compile(rb"""(?<![\w.-])([\w.-]++):([\w.-]++)\s*+=\s*+(?:"([^"]*+)"|'([^']*+)')""")
_XML_TAG = re.compile(rb"<[^>]*>")
_SPACE_OR_END = frozenset(b" \t\r\n>")
_ODS_REPEATED = re.compile(rb"repeated")


def _repeat(pattern: re.Pattern, attributes: bytes) -> int:
    """The count of a repeat attribute as calamine reads it (an entity decoded, a "+" allowed); 1 when
    there is none or it is no number, and a billion for one of ten digits or more."""
    found = pattern.search(attributes)
    if found is None:
        return 1
    number = _xml_text(found.group(1) if found.group(1) is not None else found.group(2)).removeprefix("+")
    if not (number.isascii() and number.isdigit()):
        return 1
    digits = number.lstrip("0")
    return 1_000_000_000 if len(digits) >= 10 else max(int(digits or "0"), 1)


def _ods_attributes(attributes: bytes) -> dict[tuple[bytes, bytes], bytes]:
    """A cell's attributes as ``{(namespace, name): value}``, the value still escaped."""
    return {
        (_ODS_NAMESPACES[prefix], name): double or single
        for prefix, name, double, single in _ODS_ATTRIBUTE.findall(attributes)
        if prefix in _ODS_NAMESPACES
    }


def _xml_text(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return html.unescape(text) if "&" in text else text


def _ods_cell_text(xml: bytes, start: int, close: bytes) -> str:
    """The text of the cell whose start tag ends at ``start`` and whose end tag is ``close`` ("" when
    it has no content): its paragraphs, without their tags."""
    end = xml.find(close, start) if close else -1
    return _xml_text(_XML_TAG.sub(b"", xml[start : end if end >= 0 else start])).strip()


def _ods_cell_kind(
    attributes: dict[tuple[bytes, bytes], bytes], xml: bytes, start: int, close: bytes
) -> tuple[str, str] | None:
    """The kind and shown text of the cell with these attributes, whose content is ``xml[start:]`` up
    to ``close``, when it is one calamine reads as something else."""
    value_type = attributes.get((_OFFICE_NS, b"value-type"))
    if attributes.get((_CALCEXT_NS, b"value-type")) == b"error":
        return "formula_error", _ods_cell_text(xml, start, close) or "an error"
    if value_type == b"boolean":
        return "boolean", "TRUE" if attributes.get((_OFFICE_NS, b"boolean-value")) == b"true" else "FALSE"
    if value_type == b"time":
        return "time_or_duration", _ods_cell_text(xml, start, close) or _xml_text(
            attributes.get((_OFFICE_NS, b"time-value"), b"")
        )
    formula = attributes.get((_TABLE_NS, b"formula"), b"")
    if value_type == b"float" and formula in (b"of:=TRUE()", b"of:=FALSE()"):
        return "boolean", formula[4:-2].decode()
    return None


def _merged_header_cells(data: bytes, kind: str, sheet, row: int) -> str:
    """The A1 range of the first merged cell range touching header ``row``, or ""."""
    if kind == XLSX:
        for (top, left), (bottom, right) in sheet.merged_cell_ranges or ():
            if top + 1 <= row <= bottom + 1:
                return f"{cell_name(top + 1, left)}:{cell_name(bottom + 1, right)}"
        return ""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as content:
            current = 0
            column = 0
            for event, element in ElementTree.iterparse(content, events=("end",)):
                tag = element.tag
                if tag == f"{_TABLE}table-cell":
                    span = int(element.get(f"{_TABLE}number-columns-spanned", "1"))
                    down = int(element.get(f"{_TABLE}number-rows-spanned", "1"))
                    if current + 1 == row and (span > 1 or down > 1):
                        first = cell_name(row, column)
                        return f"{first}:{cell_name(row + down - 1, column + span - 1)}"
                    column += int(element.get(f"{_TABLE}number-columns-repeated", "1"))
                elif tag == f"{_TABLE}covered-table-cell":
                    column += int(element.get(f"{_TABLE}number-columns-repeated", "1"))
                elif tag == f"{_TABLE}table-row":
                    current += int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                    column = 0
                    element.clear()
                    if current >= row:
                        return ""
                elif tag == f"{_TABLE}table" and event == "end":
                    return ""
    except (ElementTree.ParseError, ValueError) as error:
        # calamine read past it (a duplicate attribute, a span that is no number…): refused all the same.
        raise unreadable(f"its content.xml cannot be parsed: {error}") from None
    return ""
