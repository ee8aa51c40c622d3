"""The CSV bulk import engine: bytes in, an ``ImportPlan`` out (SPEC §3). It never writes.

One pass over the file, collecting every error with its spreadsheet row (the header is row 1), column,
code, message and value, in four parts:

- reading rows: ``csv_rows`` turns the decoded text into (row number, cell texts); a workbook
  (``.xlsx``, ``.ods``, recognised by content, not name) is read by ``workbook.Sheet.rows``, which
  yields the same, and feeds ``parse_rows`` alike;
- cleaning cells (``_Cells``): the model fields' own rules (``Field.clean``: choices, max length,
  validators) and ``Station``'s constraints, through the column table of ``csv_format``. Nothing is
  validated twice: a value seen before in the same column reuses its first verdict, which keeps 5,000
  rows fast;
- grouping rows into stations (``_Stations``);
- checking existing stations (``_check_existing``), in one query.

``services.stations_import`` writes a plan.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from django.conf import settings
from django.core.exceptions import ValidationError

from . import rules, workbook
from .collector import collector_paused
from .csv_format import (
    ALL_HEADERS,
    COLUMN_BY_HEADER,
    COLUMNS,
    DELIMITER,
    HEADERS,
    Column,
    neutralise_cell,
    restore_cell,
)
from .models import ConnectorSpec, Station
from .results import OVERRIDE, REFUSED, WINDOWS_1252, ImportPlan, RowError, StationPlan
from .selectors import stations_with_station_id

_MODEL_FIELDS = {
    column.field: (Station if column.part == "station" else ConnectorSpec)._meta.get_field(column.field)
    for column in COLUMNS
}
_HEADER_BY_FIELD = {column.field: column.header for column in COLUMNS}
_COLUMN_ORDER = {header: index for index, header in enumerate(ALL_HEADERS)}
_STATION_ID = COLUMN_BY_HEADER["Station ID"]
_MAX_POWER = COLUMN_BY_HEADER["Maximum power (kW)"]


def is_required(column: Column) -> bool:
    """Whether a column must have a value: its model field's ``blank``, the one definition."""
    return not _MODEL_FIELDS[column.field].blank


# Signatures of files people pick by mistake instead of the CSV they saved (zip archives and Office 97–2003
# files are ``workbook.detect``'s to read or refuse).
_BINARY_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text (“Unicode text”)"),
    (b"\xfe\xff", "UTF-16 text (“Unicode text”)"),
)
# A NUL never occurs in text, and is in nearly every binary file: the file is not read at all. Any other
# control character is the cells' to refuse (``validators.validate_visible_text``), naming row and column.
_BINARY_MARKER = "\x00"
_SAVE_AS_CSV = (
    "Save it from your spreadsheet program as “CSV (semicolon delimited)” or “CSV UTF-8” and upload that."
)


def max_upload_bytes() -> int:
    return settings.STATION_IMPORT_MAX_UPLOAD_BYTES


def max_rows() -> int:
    return settings.STATION_IMPORT_MAX_ROWS


def megabytes(size: int) -> str:
    """A size for people: 5,242,880 bytes → "5 MB", 5,000,000 → "4.8 MB"."""
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".") + " MB"


def size_refusal(size: int) -> ImportPlan | None:
    """The plan refusing a file of ``size`` bytes over the limit, or None when the size is allowed.

    The one size check: ``parse`` applies it, and so do callers that know the size before reading.
    """
    if size <= max_upload_bytes():
        return None
    message = (
        f"The file is {megabytes(size)}; the limit is {megabytes(max_upload_bytes())}. "
        f"Split it into smaller files (at most {max_rows():,} rows each)."
    )
    return ImportPlan(errors=[RowError(None, "", "file_too_large", message)])


@collector_paused()
def parse(data: bytes, *, tenant) -> ImportPlan:
    """Read and check a whole file (CSV text or a workbook) for ``tenant``; every error is collected,
    nothing is written."""
    refused = size_refusal(len(data))
    if refused is not None:
        return refused
    plan = ImportPlan()
    try:
        sheet = workbook.read(data)
        if sheet is not None:
            rows = sheet.rows()
            # The workbook's own refusals (no sheet, header not in row 1…) come before its first row.
            first = next(rows, None)
    except ValidationError as error:
        return ImportPlan(errors=[workbook.file_error(error)])
    if sheet is not None:
        return parse_rows(chain([first] if first else [], rows), plan, tenant=tenant, sheet=sheet)
    text = _decode(data, plan)
    if text is None:
        return plan
    return parse_rows(csv_rows(text, plan), plan, tenant=tenant)


Rows = Iterator[tuple[int, list[str]]]


def parse_rows(rows: Rows, plan: ImportPlan, *, tenant, sheet: workbook.Sheet | None = None) -> ImportPlan:
    """Check the rows of a file, header first, for ``tenant`` (the part that does not know the format).

    ``rows`` yields the spreadsheet row number and the cell texts of every non-blank row; its reader
    records the rows it cannot read on ``plan`` itself. For a workbook, ``sheet`` is the sheet the rows
    come from: its cell errors and warnings join the plan's, and errors name their cell.
    """
    first = next(rows, None)
    if first is None:
        if not plan.errors:
            plan.errors.append(RowError(None, "", "empty_file", "The file is empty."))
        return plan
    header_row, header = first
    # Excel writes a trailing ";" on every line when a column past the last one was ever touched.
    width = len(header)
    while width > 1 and not header[width - 1].strip():
        width -= 1
    fields = _read_header(header_row, header[:width], plan, in_cells=sheet is not None)
    if fields is None:
        return plan
    # Read lazily: a file of millions of tiny rows is refused after MAX_ROWS + 1 of them.
    data_rows = list(islice(rows, max_rows() + 1))
    if len(data_rows) > max_rows():
        plan.errors.append(
            RowError(
                None,
                "",
                "too_many_rows",
                f"The file has more than {max_rows():,} rows; at most {max_rows():,} (plus the header) "
                "are imported at once. Split it into several files.",
            )
        )
        return plan
    plan.row_count = len(data_rows)
    if not data_rows and not plan.errors:
        plan.errors.append(RowError(None, "", "no_rows", "The file has a header but no station rows."))
        return plan
    stations = _Stations(plan, fields, sheet)
    for row, cells in _fitting_rows(data_rows, width, len(header), plan):
        stations.add(row, cells)
    if sheet is not None:
        stations.add_sheet_problems()
        plan.warnings.extend(sheet.warnings())
    _check_existing(plan, stations.by_key, tenant, stations.cell)
    plan.errors.sort(key=_position)
    plan.warnings.sort(key=_position)
    return plan


def errors_csv(errors) -> str:
    """The full error list as a semicolon CSV (row;column;value;message) to fix the file from.

    Every cell is neutralised: a column or a message can carry text from the file too. A workbook's cell
    is named with the column (``Voltage, cell J7``).
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(["Row", "Column", "Value", "Message"])
    for error in errors:
        cells = ["" if error.row is None else str(error.row), error.place, error.value, error.message]
        writer.writerow([neutralise_cell(cell) for cell in cells])
    return out.getvalue()


def _position(error: RowError):
    return (error.row or 0, _COLUMN_ORDER.get(error.column, -1))


def _decode(data: bytes, plan: ImportPlan) -> str | None:
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return _not_text(plan, f"This file is {kind}, not a CSV text file.")
    # A byte-order mark says UTF-8, but a file edited afterwards may still hold Windows-1252 bytes.
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return _not_text(plan, "This file is neither UTF-8 nor Windows-1252 text.")
        plan.encoding = WINDOWS_1252
    if _BINARY_MARKER in text:
        return _not_text(plan, "This file is not a text file (it contains NUL bytes).")
    return text


def _not_text(plan: ImportPlan, message: str) -> None:
    plan.errors.append(RowError(None, "", "not_text", f"{message} {_SAVE_AS_CSV}"))
    return None


def csv_rows(text: str, plan: ImportPlan) -> Rows:
    """The non-blank records of CSV text with their spreadsheet row, read one at a time.

    A quote that is never closed turns the rest of the file into one value: the record holding it is
    reported (``unclosed_quote``) instead of read, and so is one the csv module cannot read at all.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER, strict=False)
    row = 0
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # Past the field size limit (128 KB): in practice a quote opened here and never closed.
            if "field limit" in str(error):
                detail = f"or a value there is longer than {csv.field_size_limit():,} characters"
                plan.errors.append(_unreadable(row, "unclosed_quote", detail))
            else:
                plan.errors.append(_unreadable(row, "unreadable_row", str(error)))
            return
        if not any(cell.strip() for cell in cells):
            continue
        if any(DELIMITER in cell and ("\n" in cell or "\r" in cell) for cell in cells):
            plan.errors.append(_unreadable(row, "unclosed_quote"))
            continue
        yield row, [restore_cell(cell) for cell in cells]


def _unreadable(row: int, code: str, detail: str = "") -> RowError:
    if code == "unclosed_quote":
        message = (
            f'A quote (") opened in row {row} is never closed{f" ({detail})" if detail else ""}, so the '
            "rows after it cannot be read. Close the quote, or remove it if it is not meant to enclose a "
            "value."
        )
    else:
        message = f"Row {row} cannot be read as CSV ({detail}). {_SAVE_AS_CSV}"
    return RowError(row, "", code, message)


def _normalised(header: str) -> str:
    return re.sub(r"[\W_]+", "", header).lower()


_NORMALISED_HEADERS = {_normalised(header): header for header in ALL_HEADERS}


def _read_header(
    row: int, header: list[str], plan: ImportPlan, in_cells: bool = False
) -> dict[str, int] | None:
    """Column index per field, or None with the header's errors (then no row can be read). IN_CELLS: the
    header is a workbook's, and each error names the cell of the header it is about (``cell C1``)."""

    def cell(index: int) -> str | None:
        return workbook.cell_name(row, index) if in_cells else None

    if len(header) == 1 and "\t" in header[0]:
        plan.errors.append(
            RowError(
                row,
                "",
                "tab_separated",
                "The items are separated by tabs (a tab-separated or “Unicode text” file); separate them by "
                "semicolons (;). Most spreadsheet programs offer “CSV (semicolon delimited)” when saving.",
                header[0][:200],
                cell(0),
            )
        )
        return None
    if len(header) == 1 and "," in header[0]:
        plan.errors.append(
            RowError(
                row,
                "",
                "comma_separated",
                "The items are separated by commas; separate them by semicolons (;). Most spreadsheet "
                "programs offer “CSV (semicolon delimited)” when saving.",
                header[0][:200],
                cell(0),
            )
        )
        return None
    found: dict[str, int] = {}
    accounted = set()
    errors = []
    for index, text in enumerate(header):
        if text in COLUMN_BY_HEADER:
            if text in found:
                errors.append(
                    RowError(
                        row,
                        text,
                        "duplicate_header",
                        f"The column “{text}” appears twice.",
                        text,
                        cell(index),
                    )
                )
            found[text] = index
            accounted.add(text)
            continue
        expected = _NORMALISED_HEADERS.get(_normalised(text))
        if expected and expected in header:
            errors.append(
                RowError(
                    row,
                    text,
                    "duplicate_header",
                    f"The column “{expected}” appears twice, once spelled “{_visible(text)}”. Keep the one "
                    f"spelled exactly “{expected}” and delete the other.",
                    text,
                    cell(index),
                )
            )
        elif expected:
            accounted.add(expected)
            errors.append(_near_miss(row, text, expected, cell(index)))
        elif not text.strip():
            errors.append(
                RowError(
                    row,
                    f"Column {index + 1}",
                    "unknown_header",
                    f"Column {index + 1} has no header. Give it one of the headers below, or delete the "
                    "column if it is not needed.",
                    text,
                    cell(index),
                )
            )
        else:
            errors.append(
                RowError(
                    row,
                    text,
                    "unknown_header",
                    f"Unknown column “{text}”. The columns are: {'; '.join(ALL_HEADERS)}.",
                    text,
                    cell(index),
                )
            )
    for expected in HEADERS:
        if expected not in accounted:
            errors.append(RowError(row, expected, "missing_header", f"The column “{expected}” is missing."))
    if errors:
        plan.errors.extend(errors)
        return None
    return {COLUMN_BY_HEADER[text].field: index for text, index in found.items()}


def _visible(text: str) -> str:
    """A header with its spaces shown (``Serial··number``), where spacing is what is wrong with it."""
    return re.sub(r"\s", "·", text) if re.search(r"\s", text) else text


def _near_miss(row: int, text: str, expected: str, cell: str | None) -> RowError:
    """A header that is ``expected`` but for its spaces, capitals or punctuation: say which."""
    if "".join(text.split()) == "".join(expected.split()):
        if text != text.strip():
            fault = "a space before or after the name"
        elif text.split() == expected.split():
            fault = "more than one space (or a special space) between words"
        else:
            fault = "a space missing or in the wrong place"
        return RowError(
            row,
            text,
            "header_spacing",
            f"This header has {fault}: it reads “{_visible(text)}” (· marks a space). "
            f"Spell it exactly “{expected}”, with single spaces.",
            text,
            cell,
        )
    if text.lower() == expected.lower():
        message = f"Spell this header exactly “{expected}” (headers are case-sensitive)."
    else:
        shown = _visible(text)
        note = " (· marks a space)" if shown != text else ""
        message = f"Spell this header exactly “{expected}”: it reads “{shown}”{note}."
    return RowError(row, text, "misspelled_header", message, text, cell)


def _fitting_rows(
    rows: Iterable[tuple[int, list[str]]], width: int, padded_width: int, plan: ImportPlan
) -> Rows:
    """The rows with one cell per header (and empty ones in the trailing columns without a header, which
    Excel's trailing ";" gives ``padded_width``); an error for every other row."""
    for row, cells in rows:
        if len(cells) not in (width, padded_width):
            plan.errors.append(
                RowError(
                    row,
                    "",
                    "wrong_field_count",
                    f"This row has {len(cells)} items; the header has {width}. A value that contains "
                    "a semicolon must be in double quotes.",
                    DELIMITER.join(cells)[:200],
                )
            )
            continue
        extra = next((i for i in range(width, len(cells)) if cells[i].strip()), None)
        if extra is not None:
            plan.errors.append(
                RowError(
                    row,
                    f"Column {extra + 1}",
                    "value_without_header",
                    f"Column {extra + 1} has no header, so its values are not read: move this value to "
                    "its column, or delete it.",
                    cells[extra],
                )
            )
            continue
        yield row, cells


_INVALID = object()


class _Cells:
    """Cells cleaned by the model fields' own rules, with the one verdict cache.

    A value seen before in a column (or a Wi-Fi/GSM pair seen before) is judged once: building model
    instances and running validators per row would cost more than the rest of the import.
    """

    def __init__(self):
        self.verdicts: dict[tuple, tuple[object, list]] = {}

    def clean(self, column: Column, value: str) -> tuple[object, list[ValidationError]]:
        """The field value of a stripped cell (``_INVALID`` if it has errors) and its errors."""
        key = (column.field, value)
        verdict = self.verdicts.get(key)
        if verdict is None:
            verdict = self.verdicts[key] = self._clean(column, value)
        return verdict

    @staticmethod
    def _clean(column: Column, value: str) -> tuple[object, list[ValidationError]]:
        model_field = _MODEL_FIELDS[column.field]
        try:
            if not value:
                # The field's own rule for an empty value (``blank``), as in the wizard.
                model_field.validate("", None)
                return (None if model_field.null else ""), []
            return model_field.clean(column.parse(value), None), []
        except ValidationError as error:
            return _INVALID, error.error_list

    def connectivity(self, wifi: bool, gsm: bool) -> list[tuple[str, ValidationError]]:
        """The errors (field, error) of ``Station``'s Wi-Fi-or-GSM constraint for one pair of values."""
        key = ("connectivity", wifi, gsm)
        if key not in self.verdicts:
            try:
                Station(wifi_supported=wifi, gsm_supported=gsm).validate_constraints(
                    exclude=_NOT_CONNECTIVITY
                )
                self.verdicts[key] = (None, [])
            except ValidationError as error:
                self.verdicts[key] = (
                    None,
                    [(name, e) for name, items in error.error_dict.items() for e in items],
                )
        return self.verdicts[key][1]


_NOT_CONNECTIVITY = {f.name for f in Station._meta.concrete_fields} - {"wifi_supported", "gsm_supported"}


class _Stations:
    """Groups the data rows into stations and cleans their cells: a station's rows follow each other and
    agree on its station columns; every row adds a connector specification."""

    def __init__(self, plan: ImportPlan, fields: dict[str, int], sheet: workbook.Sheet | None = None):
        self.plan = plan
        self.cells = _Cells()
        self.fields = fields
        # A workbook's cells that hold what a spreadsheet changed (a date, a formula error…): their own
        # error stands for them, instead of the column parser's second one.
        self.sheet = sheet
        self.problems = {(p.row, p.column): p for p in sheet.errors} if sheet is not None else {}
        self.problems_recorded: set[tuple[int, int]] = set()
        # An optional column the file leaves out is empty on every row, as if its cells were.
        indexed = [(column, fields[column.field]) for column in COLUMNS if column.field in fields]
        self.absent = {column.field: None for column in COLUMNS if column.field not in fields}
        self.max_power_index = fields.get(_MAX_POWER.field)
        self.station_columns = [(c, i) for c, i in indexed if c.part == "station"]
        self.spec_columns = [(c, i) for c, i in indexed if c.part == "spec"]
        self.id_index = fields[_STATION_ID.field]
        # Each station by its Station ID in lower case (they are case-insensitive).
        self.by_key: dict[str, StationPlan] = {}
        self.current: StationPlan | None = None
        # The current station's first row, as written: its other rows must say the same.
        self.lead: dict[str, str] = {}
        # The stations already refused for having too many rows (by id: a plan is no dictionary key).
        self.over_limit: set[int] = set()

    def add(self, row: int, cells: list[str]):
        station_id = cells[self.id_index].strip()
        key = station_id.lower()
        current = self.current
        if not key:
            # Not grouped: every row without a Station ID is its own error.
            self.lead_row(row, cells, station_id)
        elif current is not None and key == current.station_id.lower():
            if station_id == current.station_id:
                self.continuation_row(current, row, cells)
            else:
                self.duplicate(current, row, cells, station_id)
        elif key in self.by_key:
            self.duplicate(self.by_key[key], row, cells, station_id)
            self.current = None
        else:
            self.by_key[key] = self.lead_row(row, cells, station_id)

    def lead_row(self, row: int, cells: list[str], station_id: str) -> StationPlan:
        station = self.current = StationPlan(station_id=station_id, row_numbers=[row])
        self.plan.stations.append(station)
        self.lead = {}
        for column, index in self.station_columns:
            value = self.lead[column.field] = cells[index].strip()
            cleaned = self.clean(station, row, column, value)
            if cleaned is not _INVALID:
                station.station[column.field] = cleaned
        values = station.station
        if "wifi_supported" in values and "gsm_supported" in values:
            for name, error in self.cells.connectivity(values["wifi_supported"], values["gsm_supported"]):
                value = self.lead.get(name, "")
                self.error(station, row, _HEADER_BY_FIELD.get(name, ""), error.code, _text(error), value)
        self.spec_row(station, row, cells)
        return station

    def continuation_row(self, station: StationPlan, row: int, cells: list[str]):
        station.row_numbers.append(row)
        for column, index in self.station_columns:
            value = cells[index].strip()
            if value == self.lead[column.field]:
                continue
            if column.field != "station_id":
                cleaned = self.clean(station, row, column, value)
                if cleaned is _INVALID or station.station.get(column.field, _INVALID) == cleaned:
                    continue  # its own error is recorded, or it says the same ("yes" for "TRUE")
            self.error(
                station,
                row,
                column.header,
                "station_value_differs",
                f"Row {station.first_row} says “{self.lead[column.field]}”: every row of station "
                f"{station.station_id} must have the same {column.header}.",
                value,
            )
        self.spec_row(station, row, cells)

    def duplicate(self, earlier: StationPlan, row: int, cells: list[str], station_id: str):
        """A row repeating the Station ID of ``earlier``: apart from its rows, or in other capitals."""
        if earlier.station_id == station_id:
            code = "rows_not_consecutive"
            message = (
                f"Station {station_id} already has {earlier.rows_text}: a station's rows must follow each "
                "other. Is there a typo in a Station ID?"
            )
        else:
            code = "duplicate_station_id_in_file"
            message = (
                f"Row {earlier.first_row} has the same Station ID in other capitals (“{earlier.station_id}”):"
                " Station IDs are case-insensitive, so both name one station. Write it the same way "
                "in every row of the station."
            )
        self.error(earlier, row, _STATION_ID.header, code, message, station_id)
        self.spec_row(earlier, row, cells, keep=False)

    def spec_row(self, station: StationPlan, row: int, cells: list[str], keep: bool = True):
        spec = dict(self.absent)
        for column, index in self.spec_columns:
            cleaned = self.clean(station, row, column, cells[index].strip())
            if cleaned is not _INVALID:
                spec[column.field] = cleaned
        self.check_max_power(station, row, spec, cells)
        warning = rules.line_voltage_warning(spec.get("power_type"), spec.get("voltage"))
        if warning is not None:
            item = RowError(
                row, "Voltage", warning.code, warning.message, str(spec["voltage"]), self.cell(row, "Voltage")
            )
            station.warnings.append(item)
            self.plan.warnings.append(item)
        if keep:
            self.keep_spec(station, row, spec)

    def keep_spec(self, station: StationPlan, row: int, spec: dict):
        """Add the row's specification, or refuse the station once, at its first row past the limit."""
        position = len(station.specs) + 1
        try:
            rules.check_spec_count(position)
        except ValidationError as error:
            if id(station) not in self.over_limit:
                self.over_limit.add(id(station))
                message = f"Station {station.station_id} has more than {rules.MAX_CONNECTOR_SPECS} rows. "
                self.error(
                    station, row, _STATION_ID.header, error.code, message + _text(error), station.station_id
                )
            return
        spec["position"] = position
        station.specs.append(spec)

    def check_max_power(self, station: StationPlan, row: int, spec: dict, cells: list[str]):
        """``ConnectorSpec.clean``'s rule, once the row's power type, voltage and amperage are valid."""
        if spec.get("max_power") is None or not {"power_type", "voltage", "amperage"} <= spec.keys():
            return
        try:
            rules.check_max_power(spec["power_type"], spec["voltage"], spec["amperage"], spec["max_power"])
        except ValidationError as error:
            value = cells[self.max_power_index].strip()
            self.error(station, row, _MAX_POWER.header, error.code, _text(error), value)

    def clean(self, station: StationPlan, row: int, column: Column, value: str):
        """The field value of a stripped cell, or _INVALID after recording its errors."""
        if self.problems and (row, self.fields[column.field]) in self.problems:
            self.sheet_problem(station, (row, self.fields[column.field]))
            return _INVALID
        cleaned, errors = self.cells.clean(column, value)
        for error in errors:
            self.error(station, row, column.header, error.code, _text(error), value)
        return cleaned

    def sheet_problem(self, station: StationPlan | None, key: tuple[int, int]):
        if key not in self.problems_recorded:
            self.problems_recorded.add(key)
            error = self.problems[key].row_error()
            if station is None:
                self.plan.errors.append(error)
            else:
                _record(self.plan, station, error)

    def add_sheet_problems(self):
        """The sheet's cell errors not met while cleaning (a repeated station value, a cell outside the
        columns), each on the station of its row."""
        left = [key for key in self.problems if key not in self.problems_recorded]
        if left:
            by_row = {row: station for station in self.plan.stations for row in station.row_numbers}
            for key in left:
                self.sheet_problem(by_row.get(key[0]), key)

    def error(self, station: StationPlan, row, column, code, message, value=""):
        _record(self.plan, station, RowError(row, column, code, message, value, self.cell(row, column)))

    def cell(self, row: int, header: str) -> str | None:
        """The workbook cell of ``header`` in ``row`` (None for a CSV file)."""
        if self.sheet is None or header not in COLUMN_BY_HEADER:
            return None
        return workbook.cell_name(row, self.fields[COLUMN_BY_HEADER[header].field])


def _check_existing(plan: ImportPlan, by_key: dict[str, StationPlan], tenant, cell):
    """One query: which Station IDs exist, and whose (another tenant's is only "already registered").

    A station with any error is refused. ``cell`` names a workbook's cell (``_Stations.cell``).
    """
    if by_key:
        existing = stations_with_station_id(by_key).values_list("pk", "station_id", "tenant_id", "status")
        for pk, stored_id, tenant_id, status in existing:
            station = by_key[stored_id.lower()]
            if tenant_id != tenant.pk:
                message, code = "This Station ID is already registered.", "already_registered"
            elif not Station.status_is_overridable(status):
                message, code = (
                    f"Station {station.station_id} is active: only inactive stations can be "
                    "overridden by an import.",
                    "station_active",
                )
            else:
                station.action, station.existing_pk, station.existing_station_id = OVERRIDE, pk, stored_id
                continue
            for row in station.row_numbers:
                where = cell(row, _STATION_ID.header)
                _record(
                    plan, station, RowError(row, _STATION_ID.header, code, message, station.station_id, where)
                )
    for station in plan.stations:
        if station.errors:
            station.action = REFUSED


def _record(plan: ImportPlan, station: StationPlan, error: RowError):
    plan.errors.append(error)
    station.errors.append(error)


def _text(error: ValidationError) -> str:
    # Through ValidationError itself: it fills in the params first, which a lazy plural message (Django's
    # max_length) needs before it can become text.
    return error.messages[0]
