"""Makes the workbook fixtures of this folder: sources written with XlsxWriter, saved by LibreOffice.

Each file here is what LibreOffice itself wrote (its .xlsx, .ods, .xls and CSV filters), so the tests
read a real client's output, not our writer's. Run from the repository root:

    .venv/bin/python tests/data/libreoffice/make.py

``password-protected.xlsx`` is LibreOffice's template.xlsx encrypted by msoffcrypto-tool (ECMA-376
agile encryption, what Excel writes for "Encrypt with Password"), password ``station``.
"""

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TAG = "LOTEST"
PASSWORD = "station"

FILTERS = {
    ".xlsx": "xlsx:Calc MS Excel 2007 XML",
    ".ods": "ods",
    ".xls": "xls:MS Excel 97",
    "-utf8.csv": "csv:Text - txt - csv (StarCalc):59,34,76",
    "-cp1252.csv": "csv:Text - txt - csv (StarCalc):59,34,1",
}

# fixture name → (source, suffixes LibreOffice saves it as)
FIXTURES = {
    "template": ("template", (".xlsx", ".ods", "-utf8.csv", "-cp1252.csv")),
    "numbers-in-text": ("numbers-in-text", (".xlsx", ".ods")),
    "header-row-3": ("header-row-3", (".xlsx", ".ods")),
    "merged-header": ("merged-header", (".xlsx", ".ods")),
    "formula-error": ("formula-error", (".xlsx", ".ods")),
    "date-in-voltage": ("date-in-voltage", (".xlsx", ".ods")),
    "serial-20-digits": ("serial-20-digits", (".xlsx", ".ods")),
    "empty-first-sheet": ("empty-first-sheet", (".xlsx", ".ods")),
    "typed-in": ("typed-in", (".xlsx", ".ods")),
    "header-misspelled": ("header-misspelled", (".xlsx", ".ods")),
    "stations": ("template", (".xls",)),
}

# A station typed into the template by its user: the Text columns keep the leading zeros; a maximum power
# of 3.6 kW (below the 3.68 kW of 230 V × 16 A) is a decimal number cell.
FILLED_ROW = [
    "00012345", "00471100", "Mennekes Müller", "0042", True, False, "DOMESTIC_F", "Socket",
    "Single-phase AC", 230, 16, "0000987654", 3.6,
]  # fmt: skip

# The same rows as a semicolon CSV that a user opens in LibreOffice (which detects numbers and booleans,
# so 00012345 becomes 12345) and saves as a workbook.
TYPED_IN_EXTRA = (
    "00012345;00471100;Mennekes Müller;0042;TRUE;FALSE;DOMESTIC_F;Socket;Single-phase AC;230;16;0000987654"
)
CSV_IN = "Text - txt - csv (StarCalc):59,34,76"


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


def _rows(tag: str = TAG):
    """The template's example rows as typed into a file of one's own: without the optional columns."""
    from stations.csv_format import COLUMNS
    from stations.xlsx import _example_rows

    return [
        [cell for column, cell in zip(COLUMNS, cells, strict=True) if not column.optional]
        for cells in _example_rows(tag)
    ]


def write_sources(folder: Path) -> None:
    """The source workbooks, as a user would have typed them (XlsxWriter, before LibreOffice)."""
    import openpyxl
    import xlsxwriter

    from stations.csv_format import HEADERS, rows_to_csv
    from stations.xlsx import write_template

    with open(folder / "template.xlsx", "wb") as output:
        write_template(output, TAG)
    filled = openpyxl.load_workbook(folder / "template.xlsx")
    filled["Stations"].append(FILLED_ROW)
    filled.save(folder / "template.xlsx")
    (folder / "typed-in.csv").write_text(
        rows_to_csv(_rows(), HEADERS) + TYPED_IN_EXTRA + "\r\n", encoding="utf-8"
    )

    def book(name, fill):
        workbook = xlsxwriter.Workbook(str(folder / f"{name}.xlsx"))
        sheet = workbook.add_worksheet("Stations")
        fill(workbook, sheet)
        workbook.close()

    def typed_rows(sheet, start=1, rows=None):
        for row, cells in enumerate(rows or _rows(), start=start):
            for column, value in enumerate(cells):
                if value in ("TRUE", "FALSE"):
                    sheet.write_boolean(row, column, value == "TRUE")
                elif HEADERS[column] in ("Voltage", "Amperage"):
                    sheet.write_number(row, column, int(value))
                else:
                    sheet.write_string(row, column, value)

    def numbers_in_text(workbook, sheet):
        # What a General column does with what was typed: 00012345 → 12345, 0471100 → 471100.
        sheet.write_row(0, 0, HEADERS)
        typed_rows(sheet)
        sheet.write_number(1, 0, 12345)
        sheet.write_number(1, 1, 471100)
        sheet.write_number(2, 11, 987654)

    def header_row_3(workbook, sheet):
        sheet.write_string(0, 0, "Our stations, December")
        sheet.write_row(2, 0, HEADERS)
        typed_rows(sheet, start=3)

    def merged_header(workbook, sheet):
        sheet.write_row(0, 0, HEADERS)
        sheet.merge_range(0, 4, 0, 5, "Connectivity")
        typed_rows(sheet)

    def formula_error(workbook, sheet):
        sheet.write_row(0, 0, HEADERS)
        typed_rows(sheet)
        sheet.write_formula(2, 9, "=NA()", None, "#N/A")
        sheet.write_formula(3, 10, "=1/0", None, "#DIV/0!")

    def date_in_voltage(workbook, sheet):
        sheet.write_row(0, 0, HEADERS)
        typed_rows(sheet)
        dated = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_datetime(1, 9, datetime.datetime(2023, 4, 1), dated)

    def serial_20_digits(workbook, sheet):
        sheet.write_row(0, 0, HEADERS)
        typed_rows(sheet)
        sheet.write_number(1, 11, 12345678901234567890)

    def header_misspelled(workbook, sheet):
        # A header typed by hand: capitals (A1), two spaces (L1), a column of its own (M1).
        headers = ["Station id", *HEADERS[1:11], "Serial  number", "Notes"]
        sheet.write_row(0, 0, headers)
        typed_rows(sheet)

    def empty_first_sheet(workbook, sheet):
        other = workbook.add_worksheet("Later")
        other.write_row(0, 0, HEADERS)

    book("numbers-in-text", numbers_in_text)
    book("header-row-3", header_row_3)
    book("merged-header", merged_header)
    book("formula-error", formula_error)
    book("date-in-voltage", date_in_voltage)
    book("serial-20-digits", serial_20_digits)
    book("empty-first-sheet", empty_first_sheet)
    book("header-misspelled", header_misspelled)


def convert(source: Path, suffix: str, target: Path, profile: str = "/tmp/lo-sheets") -> None:
    """Opens ``source`` in LibreOffice and saves it as ``target`` with the filter of ``suffix``.

    Each concurrent run needs its own ``profile`` folder, or they block each other.
    """
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                "soffice",
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{profile}",
                *([f"--infilter={CSV_IN}"] if source.suffix == ".csv" else []),
                "--convert-to",
                FILTERS[suffix],
                "--outdir",
                out,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        written = Path(out) / f"{source.stem}.{suffix.rsplit('.', 1)[1]}"
        shutil.move(written, target)


def encrypt(source: Path, target: Path) -> None:
    import msoffcrypto.format.ooxml

    with open(source, "rb") as plain, open(target, "wb") as encrypted:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt(PASSWORD, encrypted)


def main() -> None:
    _setup_django()
    with tempfile.TemporaryDirectory() as folder:
        sources = Path(folder)
        write_sources(sources)
        for name, (source, suffixes) in FIXTURES.items():
            for suffix in suffixes:
                origin = sources / f"{source}.xlsx"
                if not origin.exists():
                    origin = sources / f"{source}.csv"
                convert(origin, suffix, HERE / f"{name}{suffix}")
                print("wrote", f"{name}{suffix}")
    encrypt(HERE / "template.xlsx", HERE / "password-protected.xlsx")
    print("wrote password-protected.xlsx")


if __name__ == "__main__":
    main()
