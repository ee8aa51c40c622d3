"""The CSV bulk import engine: bytes in, an ``ImportPlan`` out (SPEC §3). It never writes.

Reading (encoding, delimiter, size, line count), the header, every cell, the grouping of rows into
stations and the check against existing stations all happen here, in one pass that collects every error
with its spreadsheet row (the header is row 1), column, code, message and value. The cell rules are the
model fields' own (``Field.clean``: choices, max length, validators) and ``Station.clean``; the column
table in ``csv_format`` says which field a header feeds and how its text is read. Nothing is validated
twice: a value seen before in the same column reuses its first verdict, which keeps 5,000 rows fast.
``services.stations_import`` writes a plan.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from . import rules
from .choices import StationStatus
from .csv_format import (
    COLUMN_BY_HEADER,
    COLUMNS,
    CREATE,
    DELIMITER,
    HEADERS,
    OVERRIDE,
    REFUSED,
    Column,
    RowError,
    neutralise_cell,
    restore_cell,
)
from .models import ConnectorSpec, Station
from .selectors import stations_with_station_id

UTF8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"

_MODEL_FIELDS = {
    column.field: (Station if column.part == "station" else ConnectorSpec)._meta.get_field(column.field)
    for column in COLUMNS
}
_HEADER_BY_FIELD = {column.field: column.header for column in COLUMNS}
_COLUMN_ORDER = {header: index for index, header in enumerate(HEADERS)}
_STATION_ID = COLUMN_BY_HEADER["Station ID"]

# Signatures of files people pick by mistake instead of the CSV they saved.
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a spreadsheet workbook (.xlsx or .ods) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97–2003 workbook (.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text (“Unicode text”)"),
    (b"\xfe\xff", "UTF-16 text (“Unicode text”)"),
)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SAVE_AS_CSV = (
    "Save it from your spreadsheet program as “CSV (semicolon delimited)” or “CSV UTF-8” and upload that."
)


# A warning has the same shape; it does not block the import.
RowWarning = RowError


@dataclass
class StationPlan:
    """What the import does with one station: create it, override an inactive one, or refuse it (why)."""

    station_id: str
    first_row: int
    last_row: int
    station: dict = field(default_factory=dict)
    specs: list[dict] = field(default_factory=list)
    action: str = CREATE
    existing_pk: int | None = None
    row_numbers: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [str(error) for error in self.errors]

    @property
    def rows_text(self) -> str:
        return f"row {self.rows}" if self.first_row == self.last_row else f"rows {self.rows}"

    @property
    def rows(self) -> str:
        return str(self.first_row) if self.first_row == self.last_row else f"{self.first_row}–{self.last_row}"


@dataclass
class ImportPlan:
    """The outcome of reading a file: stations to write, or every error; warnings either way."""

    encoding: str = UTF8
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    stations: list[StationPlan] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def encoding_note(self) -> str:
        if self.encoding == WINDOWS_1252:
            return (
                "The file is not UTF-8, so it was read as Windows-1252 (what spreadsheet programs save in "
                "Western Europe). Check that accented letters came through as you meant them."
            )
        return ""

    def count(self, action: str) -> int:
        return sum(1 for station in self.stations if station.action == action)

    @property
    def stations_created(self) -> int:
        return self.count(CREATE)

    @property
    def stations_overridden(self) -> int:
        return self.count(OVERRIDE)

    @property
    def stations_refused(self) -> int:
        return self.count(REFUSED)

    @property
    def connector_specs(self) -> int:
        return sum(len(station.specs) for station in self.stations if station.action != REFUSED)


def max_upload_bytes() -> int:
    return settings.STATION_IMPORT_MAX_UPLOAD_BYTES


def too_large_error(size: int) -> RowError:
    """The refusal of a file over the size limit, for callers that check the size before reading."""
    limit = max_upload_bytes()
    return RowError(
        None,
        "",
        "file_too_large",
        f"The file is {_megabytes(size)}; the limit is {_megabytes(limit)}. "
        f"Split it into smaller files (at most {settings.STATION_IMPORT_MAX_ROWS:,} rows each).",
    )


def refused_plan(error: RowError) -> ImportPlan:
    """A plan that only carries a refusal of the whole file (too large, unreadable)."""
    return ImportPlan(errors=[error])


def parse(data: bytes, *, tenant) -> ImportPlan:
    """Read and check a whole CSV file for ``tenant``; every error is collected, nothing is written."""
    if len(data) > max_upload_bytes():
        return refused_plan(too_large_error(len(data)))
    plan = ImportPlan()
    text = _decode(data, plan)
    if text is None:
        return plan
    records = _records(text, plan)
    if records is None:
        return plan
    header_row, header = records[0]
    fields = _read_header(header_row, header, plan)
    if fields is None:
        return plan
    rows = records[1:]
    plan.row_count = len(rows)
    if plan.row_count > settings.STATION_IMPORT_MAX_ROWS:
        plan.errors.append(
            RowError(
                None,
                "",
                "too_many_rows",
                f"The file has {plan.row_count:,} rows; at most {settings.STATION_IMPORT_MAX_ROWS:,} "
                f"(plus the header) are imported at once. Split it into several files.",
            )
        )
        return plan
    if not rows:
        plan.errors.append(RowError(None, "", "no_rows", "The file has a header but no station rows."))
        return plan
    _Reader(plan, fields, len(header), tenant).read(rows)
    plan.errors.sort(key=_position)
    plan.warnings.sort(key=_position)
    return plan


def errors_csv(errors) -> str:
    """The full error list as a semicolon CSV (row;column;value;message) to fix the file from."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(["Row", "Column", "Value", "Message"])
    for error in errors:
        row = "" if error.row is None else error.row
        writer.writerow([row, error.column, neutralise_cell(error.value), error.message])
    return out.getvalue()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _position(error: RowError):
    return (error.row or 0, _COLUMN_ORDER.get(error.column, -1))


def _decode(data: bytes, plan: ImportPlan) -> str | None:
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return _not_text(plan, f"This file is {kind}, not a CSV text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return _not_text(plan, "This file is not a text file.")
        plan.encoding = WINDOWS_1252
    if _CONTROL_CHARACTERS.search(text):
        return _not_text(plan, "This file is not a text file (it contains control characters).")
    return text


def _not_text(plan: ImportPlan, message: str) -> None:
    plan.errors.append(RowError(None, "", "not_text", f"{message} {_SAVE_AS_CSV}"))
    return None


def _records(text: str, plan: ImportPlan) -> list[tuple[int, list[str]]] | None:
    """Non-blank records with their spreadsheet row; None (with the error) when there is no header."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER, strict=False)
    records = [
        (row, [restore_cell(cell) if cell[:1] == "'" else cell for cell in cells])
        for row, cells in enumerate(reader, start=1)
        if any(cell.strip() for cell in cells)
    ]
    if not records:
        plan.errors.append(RowError(None, "", "empty_file", "The file is empty."))
        return None
    return records


def _normalised(header: str) -> str:
    return re.sub(r"[\W_]+", "", header).lower()


_NORMALISED_HEADERS = {_normalised(header): header for header in HEADERS}


def _read_header(row: int, header: list[str], plan: ImportPlan) -> dict[str, int] | None:
    """Column index per field, or None with the header's errors (then no row can be read)."""
    if len(header) == 1 and "," in header[0]:
        plan.errors.append(
            RowError(
                row,
                "",
                "comma_separated",
                "The items are separated by commas; separate them by semicolons (;). Most spreadsheet "
                "programs offer “CSV (semicolon delimited)” when saving.",
                header[0][:200],
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
                    RowError(row, text, "duplicate_header", f"The column “{text}” appears twice.", text)
                )
            found[text] = index
            accounted.add(text)
            continue
        expected = _NORMALISED_HEADERS.get(_normalised(text))
        if expected and expected not in header:
            accounted.add(expected)
            errors.append(
                RowError(
                    row,
                    text,
                    "misspelled_header",
                    f"Spell this header exactly “{expected}” (headers are case-sensitive).",
                    text,
                )
            )
        elif not text.strip():
            errors.append(RowError(row, "", "unknown_header", f"Column {index + 1} has no header.", text))
        else:
            errors.append(
                RowError(
                    row,
                    text,
                    "unknown_header",
                    f"Unknown column “{text}”. The columns are: {'; '.join(HEADERS)}.",
                    text,
                )
            )
    for expected in HEADERS:
        if expected not in accounted:
            errors.append(RowError(row, expected, "missing_header", f"The column “{expected}” is missing."))
    if errors:
        plan.errors.extend(errors)
        return None
    return {COLUMN_BY_HEADER[text].field: index for text, index in found.items()}


class _Reader:
    """One pass over the data rows: cells, station groups, existing stations."""

    def __init__(self, plan: ImportPlan, fields: dict[str, int], width: int, tenant):
        self.plan = plan
        self.width = width
        self.tenant = tenant
        self.indexed = [(column, fields[column.field]) for column in COLUMNS]
        self.station_columns = [(c, i) for c, i in self.indexed if c.part == "station"]
        self.spec_columns = [(c, i) for c, i in self.indexed if c.part == "spec"]
        self.id_index = fields[_STATION_ID.field]
        self.cache: dict[tuple[str, str], tuple[object, list[ValidationError]]] = {}
        self.spec_cache: dict[tuple[str, ...], tuple] = {}
        self.connectivity_cache: dict[tuple[bool, bool], list[ValidationError]] = {}

    def read(self, rows):
        groups: dict[str, StationPlan] = {}
        current: StationPlan | None = None
        current_cells: dict[str, str] = {}
        for row, cells in rows:
            if len(cells) != self.width:
                self.error(
                    None,
                    row,
                    "",
                    "wrong_field_count",
                    f"This row has {len(cells)} items; the header has {self.width}. A value that contains "
                    "a semicolon must be in double quotes.",
                    DELIMITER.join(cells)[:200],
                )
                continue
            station_id = cells[self.id_index].strip()
            key = station_id.lower()
            if current is not None and key == current.station_id.lower():
                self.continuation_row(current, current_cells, row, cells)
            elif key in groups:
                earlier = groups[key]
                if earlier.station_id == station_id:
                    message = (
                        f"Station {station_id} already has {earlier.rows_text}: a station's rows must "
                        "follow each other. Is there a typo in a Station ID?"
                    )
                    code = "rows_not_consecutive"
                else:
                    message = (
                        f"{station_id} and {earlier.station_id} (row {earlier.first_row}) are the same "
                        "Station ID: IDs are case-insensitive."
                    )
                    code = "duplicate_station_id_in_file"
                self.error(earlier, row, _STATION_ID.header, code, message, station_id)
                self.spec_row(earlier, row, cells, keep=False)
                current = None
            else:
                current, current_cells = self.lead_row(row, cells, station_id)
                if key:
                    groups[key] = current
        self.check_existing(groups)

    # rows

    def lead_row(self, row: int, cells: list[str], station_id: str) -> tuple[StationPlan, dict[str, str]]:
        station = StationPlan(station_id=station_id, first_row=row, last_row=row, row_numbers=[row])
        self.plan.stations.append(station)
        raw = {}
        for column, index in self.station_columns:
            value = cells[index].strip()
            raw[column.field] = value
            cleaned = self.clean(station, row, column, value)
            if cleaned is not _INVALID:
                station.station[column.field] = cleaned
        if "wifi_supported" in station.station and "gsm_supported" in station.station:
            self.check_connectivity(station, row, raw)
        self.spec_row(station, row, cells)
        return station, raw

    def continuation_row(self, station: StationPlan, lead: dict[str, str], row: int, cells: list[str]):
        station.last_row = row
        station.row_numbers.append(row)
        for column, index in self.station_columns:
            value = cells[index].strip()
            if value == lead[column.field]:
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
                f"Row {station.first_row} says “{lead[column.field]}”: every row of station "
                f"{station.station_id} must have the same {column.header}.",
                value,
            )
        self.spec_row(station, row, cells)

    def spec_row(self, station: StationPlan, row: int, cells: list[str], keep: bool = True):
        # Connector rows repeat a handful of combinations: judge each combination once.
        raw = tuple(cells[index] for _column, index in self.spec_columns)
        verdict = self.spec_cache.get(raw)
        if verdict is None:
            verdict = self.spec_cache[raw] = self.judge_spec(raw)
        spec, errors, warning = verdict
        for header, code, message, value in errors:
            self.error(station, row, header, code, message, value)
        if warning is not None:
            item = RowError(row, "Voltage", warning.code, warning.message, str(spec["voltage"]))
            station.warnings.append(item)
            self.plan.warnings.append(item)
        if keep:
            station.specs.append({**spec, "position": len(station.specs) + 1})

    def judge_spec(self, raw: tuple[str, ...]):
        spec, errors = {}, []
        for (column, _index), cell in zip(self.spec_columns, raw, strict=True):
            value = cell.strip()
            cleaned, cell_errors = self.verdict(column, value)
            errors += [(column.header, error.code, _text(error), value) for error in cell_errors]
            if not cell_errors:
                spec[column.field] = cleaned
        return spec, errors, rules.line_voltage_warning(spec.get("power_type"), spec.get("voltage"))

    # cells

    def clean(self, station: StationPlan, row: int, column: Column, value: str):
        """The field value of a stripped cell, or _INVALID after recording its errors."""
        cleaned, errors = self.verdict(column, value)
        for error in errors:
            self.error(station, row, column.header, error.code, _text(error), value)
        return _INVALID if errors else cleaned

    def verdict(self, column: Column, value: str) -> tuple[object, list[ValidationError]]:
        key = (column.field, value)
        verdict = self.cache.get(key)
        if verdict is None:
            verdict = self.cache[key] = self._clean(column, value)
        return verdict

    @staticmethod
    def _clean(column: Column, value: str) -> tuple[object, list[ValidationError]]:
        if not value:
            if column.required:
                return _INVALID, [ValidationError("A value is required in this column.", code="required")]
            return "", []
        try:
            return _MODEL_FIELDS[column.field].clean(column.parse(value), None), []
        except ValidationError as error:
            return _INVALID, error.error_list

    def check_connectivity(self, station: StationPlan, row: int, raw: dict[str, str]):
        pair = (station.station["wifi_supported"], station.station["gsm_supported"])
        if pair not in self.connectivity_cache:
            try:
                Station(wifi_supported=pair[0], gsm_supported=pair[1]).clean()
                self.connectivity_cache[pair] = []
            except ValidationError as error:
                self.connectivity_cache[pair] = [
                    (name, item) for name, items in error.error_dict.items() for item in items
                ]
        for name, item in self.connectivity_cache[pair]:
            header = _HEADER_BY_FIELD.get(name, "")
            self.error(station, row, header, item.code, _text(item), raw.get(name, ""))

    # stations

    def check_existing(self, groups: dict[str, StationPlan]):
        """One query: which Station IDs exist, and whose (another tenant's is only "already registered")."""
        if groups:
            existing = stations_with_station_id(groups).values_list("pk", "station_id", "tenant_id", "status")
            for pk, _station_id, tenant_id, status in existing:
                station = groups[_station_id.lower()]
                if tenant_id != self.tenant.pk:
                    message, code = "This Station ID is already registered.", "already_registered"
                elif status != StationStatus.INACTIVE:
                    message, code = (
                        f"Station {station.station_id} is active: only inactive stations can be "
                        "overridden by an import.",
                        "station_active",
                    )
                else:
                    station.action, station.existing_pk = OVERRIDE, pk
                    continue
                for row in station.row_numbers:
                    self.error(station, row, _STATION_ID.header, code, message, station.station_id)
        for station in self.plan.stations:
            if station.errors:
                station.action = REFUSED

    def error(self, station: StationPlan | None, row, column, code, message, value=""):
        error = RowError(row, column, code, message, value)
        self.plan.errors.append(error)
        if station is not None:
            station.errors.append(error)


_INVALID = object()


def _text(error: ValidationError) -> str:
    return error.message % error.params if error.params else error.message
