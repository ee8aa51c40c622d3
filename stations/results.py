"""What a bulk import finds and plans: row errors, one plan per station, the plan of the whole file.

The engine (``csv_import``) builds these, ``services.stations_import`` writes them, the upload page and
the command show them; none of them depends on the file's format.
"""

from dataclasses import dataclass, field

# What an import does with a station of the file.
CREATE, OVERRIDE, REFUSED = "create", "override", "refused"

UTF8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"


@dataclass(frozen=True)
class RowError:
    """One problem in a file: its spreadsheet row (header = 1; None for the whole file), column, and in a
    workbook its cell (``J7``; None in a CSV)."""

    row: int | None
    column: str
    code: str
    message: str
    value: str = ""
    cell: str | None = None

    @property
    def place(self) -> str:
        """The column and cell, as listed: ``Voltage, cell J7`` (``Voltage`` in a CSV)."""
        if self.cell:
            return f"{self.column}, cell {self.cell}" if self.column else f"Cell {self.cell}"
        return self.column

    def __str__(self) -> str:
        where = "File" if self.row is None else f"Row {self.row}"
        if self.place:
            where += f", {self.place}"
        return f"{where}: {self.message}"


@dataclass
class StationPlan:
    """What the import does with one station: create it, override an inactive one, or refuse it (why)."""

    station_id: str
    # The station's rows in the file, in order: a station's rows follow each other.
    row_numbers: list[int]
    station: dict = field(default_factory=dict)
    specs: list[dict] = field(default_factory=list)
    action: str = CREATE
    existing_pk: int | None = None
    # The Station ID as stored, for an override: the station keeps its spelling (capitals included).
    existing_station_id: str = ""
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.row_numbers[0]

    @property
    def rows(self) -> str:
        """``7`` or ``7–9``."""
        first, last = self.row_numbers[0], self.row_numbers[-1]
        return str(first) if first == last else f"{first}–{last}"

    @property
    def rows_text(self) -> str:
        return f"{'row' if len(self.row_numbers) == 1 else 'rows'} {self.rows}"


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
    def connector_specs(self) -> int:
        return sum(len(station.specs) for station in self.stations if station.action != REFUSED)

    def counts(self) -> dict[str, int]:
        """What writing the plan creates, by ``ImportRecord`` field; nothing while it has errors."""
        if not self.ok:
            return {}
        return {
            "stations_created": self.stations_created,
            "stations_overridden": self.stations_overridden,
            "connector_specs": self.connector_specs,
        }


# Rows of a group written out before "… N rows in all": a row list stays one line on the page.
ROW_RANGES_SHOWN = 12
# Distinct values of a group shown; the error list download has every one.
VALUES_SHOWN = 3


@dataclass
class ErrorGroup:
    """Errors with the same column and message, on one or many rows, shown once (SPEC §7)."""

    column: str
    message: str
    rows: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    value_count: int = 0
    cells: list[str] = field(default_factory=list)  # a workbook's cells (J7), none in a CSV

    @property
    def place(self) -> str:
        """The column and, in a workbook, its cells: ``Voltage, cell J7`` / ``Voltage, cells J7, J9, …``."""
        if not self.cells:
            return self.column
        shown = ", ".join(self.cells[:VALUES_SHOWN]) + (", …" if len(self.cells) > VALUES_SHOWN else "")
        return f"{self.column}, cell{'s' if len(self.cells) > 1 else ''} {shown}"

    @property
    def rows_text(self) -> str:
        """``7``, ``2–151``, ``2, 5, 9–12``; a long list ends ``… (480 rows in all)``."""
        ranges = []
        for number in sorted(set(self.rows)):
            if ranges and number == ranges[-1][1] + 1:
                ranges[-1][1] = number
            else:
                ranges.append([number, number])
        text = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges[:ROW_RANGES_SHOWN])
        if len(ranges) > ROW_RANGES_SHOWN:
            text += f", … ({len(self.rows):,} rows in all)"
        return text

    @property
    def more_values(self) -> int:
        return self.value_count - len(self.values)


def group_errors(errors) -> list[ErrorGroup]:
    """Errors grouped by column and message, in the order of their first row; an error of the whole file
    (no row) is a group of its own."""
    groups: dict[tuple, ErrorGroup] = {}
    seen_values: dict[tuple, set] = {}
    for error in errors:
        key = (error.column, error.message, error.row is None)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ErrorGroup(error.column, error.message)
            seen_values[key] = set()
        if error.row is not None:
            group.rows.append(error.row)
        if error.cell:
            group.cells.append(error.cell)
        if error.value not in seen_values[key]:
            seen_values[key].add(error.value)
            group.value_count += 1
            if len(group.values) < VALUES_SHOWN:
                group.values.append(error.value)
    return list(groups.values())
