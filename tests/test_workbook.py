"""The workbook reader and writers, on files LibreOffice wrote (tests/data/libreoffice, see make.py)."""

import io
import os
import re
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
import python_calamine
from django.core.exceptions import ValidationError

from stations import workbook, xlsx
from stations.csv_format import ALL_HEADERS, station_row

DATA = Path(__file__).parent / "data" / "libreoffice"
WORKBOOKS = ("xlsx", "ods")


def read_all_data(data: bytes):
    sheet = workbook.read(data)
    assert sheet is not None
    return sheet, list(sheet.rows())


def read_all(name: str):
    return read_all_data((DATA / name).read_bytes())


def read_everything(data: bytes) -> None:
    sheet = workbook.read(data)
    if sheet is not None:
        list(sheet.rows())


def refusal(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_everything(data)
    return caught.value


def csv_rows(name: str, encoding: str):
    text = (DATA / name).read_bytes().decode(encoding)
    return [line.split(";") for line in text.splitlines() if line]


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_filled_template_reads_as_the_csv_libreoffice_saved(suffix):
    sheet, rows = read_all(f"template.{suffix}")
    assert sheet.kind == suffix
    assert rows[0] == (1, list(ALL_HEADERS))
    assert [cells for _row, cells in rows] == csv_rows("template-utf8.csv", "utf-8")
    assert [row for row, _cells in rows] == [1, 2, 3, 4, 5]
    assert rows[1][1][9] == "230"  # not 230.0
    # The row its user typed: Text columns keep their leading zeros.
    assert rows[4][1][:4] == ["00012345", "00471100", "Mennekes Müller", "0042"]
    assert rows[1][1][4:6] == ["TRUE", "FALSE"]  # boolean cells, ODS ones too
    assert sheet.errors == []
    assert sheet.warnings() == []


def test_windows_1252_csv_of_libreoffice_is_text_for_the_csv_engine():
    data = (DATA / "template-cp1252.csv").read_bytes()
    assert workbook.detect(data) is None
    assert "Müller".encode("cp1252") in data
    assert csv_rows("template-cp1252.csv", "cp1252") == csv_rows("template-utf8.csv", "utf-8")


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_a_csv_opened_and_saved_by_libreoffice_is_read_with_the_zeros_it_dropped_announced(suffix):
    # LibreOffice took 00012345 for a number when it opened the CSV: the reader cannot bring the zeros
    # back, but says so for each column it happened in.
    sheet, rows = read_all(f"typed-in.{suffix}")
    assert rows[4] == (
        5,
        ["12345", "471100", "Mennekes Müller", "42", "TRUE", "FALSE", "DOMESTIC_F", "Socket",
         "Single-phase AC", "230", "16", "987654"],
    )  # fmt: skip
    assert rows[1][1][4:6] == ["TRUE", "FALSE"]  # ODS boolean cells, not 1/0
    warnings = sheet.warnings()
    assert [warning.column for warning in warnings] == [
        "Station ID",
        "Security code",
        "Article number",
        "Serial number",
    ]
    assert [warning.message.split("(cells ")[1].split(")")[0] for warning in warnings] == [
        "A5",
        "B5",
        "D5",
        "L5",
    ]
    assert sheet.errors == []


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_number_cells_in_text_columns_read_as_digits_with_one_warning_per_column(suffix):
    sheet, rows = read_all(f"numbers-in-text.{suffix}")
    assert rows[1][1][:2] == ["12345", "471100"]
    assert rows[2][1][11] == "987654"
    warnings = {warning.column: warning for warning in sheet.warnings()}
    assert set(warnings) == {"Station ID", "Security code", "Serial number"}
    assert warnings["Station ID"].code == "stored_as_number"
    assert "cells A2" in warnings["Station ID"].message
    assert "leading zeros may be lost" in warnings["Serial number"].message
    assert sheet.errors == []


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_a_20_digit_number_in_serial_number_is_an_error_naming_the_cell(suffix):
    sheet, _rows = read_all(f"serial-20-digits.{suffix}")
    [problem] = sheet.errors
    assert (problem.row, problem.header, problem.cell) == (2, "Serial number", "L2")
    assert problem.error.code == "too_many_digits"
    error = problem.row_error()
    assert error.value == "1.23456789012346E+19"
    assert "Cell L2" in error.message
    assert (2, 11) in sheet.bad_cells


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_a_date_in_voltage_is_an_error_that_says_it_is_a_date(suffix):
    sheet, _rows = read_all(f"date-in-voltage.{suffix}")
    [problem] = sheet.errors
    assert (problem.cell, problem.header, problem.error.code) == ("J2", "Voltage", "cell_date")
    assert "holds a date (2023-04-01)" in problem.row_error().message


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_formula_errors_are_errors_that_say_what_the_cell_holds(suffix):
    sheet, _rows = read_all(f"formula-error.{suffix}")
    found = {(problem.cell, problem.error.code, problem.value) for problem in sheet.errors}
    assert found == {("J3", "formula_error", "#N/A"), ("K4", "formula_error", "#DIV/0!")}
    assert "formula error #N/A" in sheet.errors[0].row_error().message


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("header-row-3", "header_not_in_row_1", "is in row 3"),
        ("merged-header", "merged_header", "E1:F1 are merged"),
        ("empty-first-sheet", "empty_sheet", "(“Stations”) is empty"),
    ],
)
@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_sheet_refusals(name, code, words, suffix):
    error = refusal((DATA / f"{name}.{suffix}").read_bytes())
    assert error.code == code
    assert words in workbook.message(error)
    assert workbook.file_error(error).row is None


def test_xls_is_refused_with_save_as_xlsx():
    error = refusal((DATA / "stations.xls").read_bytes())
    assert error.code == "xls_format"
    assert "save it as .xlsx" in workbook.message(error)


def test_password_protected_workbook_is_refused_as_such():
    error = refusal((DATA / "password-protected.xlsx").read_bytes())
    assert error.code == "password_protected"
    assert "password" in workbook.message(error)


def test_a_csv_renamed_xlsx_is_text_and_a_workbook_renamed_csv_is_a_workbook():
    assert workbook.detect((DATA / "template-utf8.csv").read_bytes()) is None
    assert workbook.detect((DATA / "template.ods").read_bytes()) == workbook.ODS


def test_other_zips_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert refusal(buffer.getvalue()).code == "not_a_workbook"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    assert "OpenDocument file of another kind" in workbook.message(refusal(buffer.getvalue()))


def test_zip_bomb_is_refused_from_its_declared_sizes(tmp_path):
    # 60 MB of zeros in one member: about 60 KB compressed, refused before a byte is unpacked.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(60):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 200_000
    error = refusal(data)
    assert error.code == "workbook_too_large"
    assert "50 MB" in workbook.message(error)


def test_the_row_limit_stops_reading(settings):
    settings.STATION_IMPORT_MAX_ROWS = 3
    station = SimpleNamespace(
        station_id="A",
        security_code="K7P2-93QX",
        manufacturer="Alfen",
        article_number="",
        wifi_supported=True,
        gsm_supported=False,
        serial_number="",
    )
    spec = SimpleNamespace(
        standard="IEC_62196_T2",
        format="SOCKET",
        power_type="AC_3_PHASE",
        voltage=230,
        amperage=16,
        max_power=None,
    )
    output = io.BytesIO()
    xlsx.write_rows((station_row(station, spec) for _ in range(50)), output)
    rows = list(workbook.read(output.getvalue()).rows())
    # Header plus one row over the limit, so the engine can say the file is too long.
    assert [row for row, _cells in rows] == [1, 2, 3, 4, 5]


def test_cell_name():
    assert workbook.cell_name(7, 9) == "J7"
    assert workbook.cell_name(1, 0) == "A1"
    assert workbook.cell_name(12, 26) == "AA12"


# -- The template ------------------------------------------------------------------------------------


@pytest.fixture
def template(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(xlsx.template_bytes("ABCDEF"))
    return path


def test_template_reads_back_as_its_examples(template):
    sheet = workbook.read(template.read_bytes())
    rows = list(sheet.rows())
    assert rows[0][1] == list(ALL_HEADERS)
    ids = [cells[0] for _row, cells in rows[1:]]
    assert ids == ["EXAMPLE-ABCDEF-0001", "EXAMPLE-ABCDEF-1001", "EXAMPLE-ABCDEF-1001"]
    assert sheet.errors == []
    assert sheet.warnings() == []


def test_template_has_text_columns_validations_and_a_frozen_header(template):
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["Stations", "Connector types"]
    stations = book["Stations"]
    assert stations.freeze_panes == "A2"
    assert all(cell.font.bold for cell in stations[1])
    for letter in "ABDL":  # Station ID, Security code, Article number, Serial number
        assert stations.column_dimensions[letter].number_format == "@"
        assert stations[f"{letter}2"].data_type == "s"
    assert stations.column_dimensions["C"].number_format == "General"
    validations = {str(v.sqref).split(":")[0]: v for v in stations.data_validations.dataValidation}
    assert validations["E2"].formula1 == '"TRUE,FALSE"'
    assert validations["F2"].formula1 == '"TRUE,FALSE"'
    assert validations["G2"].formula1 == "'Connector types'!$A$2:$A$41"
    assert validations["H2"].formula1 == '"Cable,Socket"'
    assert validations["I2"].type == "list"
    assert (validations["J2"].type, validations["J2"].formula1, validations["J2"].formula2) == (
        "whole",
        "110",
        "1000",
    )
    assert validations["J2"].prompt
    assert validations["K2"].prompt
    assert (validations["K2"].formula1, validations["K2"].formula2) == ("1", "500")
    assert str(validations["J2"].sqref) == "J2:J5001"
    codes = book["Connector types"]
    assert codes["A2"].value == "CHADEMO"
    assert codes["B2"].value == "CHAdeMO"
    assert codes.max_row == 41


# -- The export --------------------------------------------------------------------------------------


def test_export_cells_are_typed_as_specified(tmp_path):
    station = SimpleNamespace(
        station_id="00012345",
        security_code="00471100",
        manufacturer="=HYPERLINK(1)",
        article_number="",
        wifi_supported=True,
        gsm_supported=False,
        serial_number="12345678901234567890",
        connector_specs=SimpleNamespace(
            all=lambda: [
                SimpleNamespace(
                    standard="IEC_62196_T2",
                    format="SOCKET",
                    power_type="AC_3_PHASE",
                    voltage=400,
                    amperage=32,
                    max_power=None,
                )
            ]
        ),
    )
    with xlsx.export_file([station]) as output:
        data = output.read()
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    header, row = sheet.to_python()
    assert header == list(ALL_HEADERS)
    assert row[:3] == ["00012345", "00471100", "=HYPERLINK(1)"]
    assert row[4:6] == [True, False]
    assert row[9:11] == [400.0, 32.0]
    assert row[11] == "12345678901234567890"
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = book["Stations"][2]
    assert cells[2].data_type == "s"  # a text cell, never a formula
    assert cells[0].number_format == "@"
    back = list(workbook.read(data).rows())
    assert back[1][1][:2] == ["00012345", "00471100"]


# -- Re-making a fixture with LibreOffice ---------------------------------------------------------------


def test_libreoffice_remakes_the_ods_fixture(tmp_path):
    if shutil.which("soffice") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("soffice is missing in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    from tests.data.libreoffice import make

    make.write_sources(tmp_path)
    source = tmp_path / "template.xlsx"
    target = tmp_path / "remade.ods"
    make.convert(source, ".ods", target, profile=str(tmp_path / "profile"))
    _sheet, committed = read_all("template.ods")
    remade = workbook.read(target.read_bytes())
    assert remade.kind == workbook.ODS
    assert list(remade.rows()) == committed


def _rewritten(name: str, member: str, change) -> bytes:
    """The LibreOffice fixture ``name`` with one zip member changed by ``change`` (text → text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(DATA / name) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data.decode()).encode()
            out.writestr(info, data)
    return buffer.getvalue()


def _with_last_xlsx_row(cells: str) -> bytes:
    """The LibreOffice template.xlsx with row 1,048,576, the sheet's last, holding ``cells``."""
    return _rewritten(
        "template.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("</sheetData>", f'<row r="1048576">{cells}</row></sheetData>'),
    )


def test_an_ods_row_repeated_a_million_times_is_refused_before_calamine_expands_it():
    def repeat_second_row(xml: str) -> str:
        second = xml.index("<table:table-row", xml.index("</table:table-row>"))
        return (
            xml[:second]
            + '<table:table-row table:number-rows-repeated="1000000" '
            + xml[second + len("<table:table-row ") :]
        )

    data = _rewritten("template.ods", "content.xml", repeat_second_row)
    assert len(data) < 100_000
    error = refusal(data)
    assert error.code == "sheet_too_large"
    assert "L1000001" in workbook.message(error)


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="XFD1048576" t="n"><v>1</v></c>',  # as LibreOffice writes a cell
        "<c r='XFD1048576' t='n'><v>1</v></c>",  # single quotes
        '<c t="n" r="XFD1048576"><v>1</v></c>',  # the reference last
        '<c  r = "XFD1048576"><v>1</v></c>',  # spaces
        '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD1048576">'
        "<x:v>1</x:v></x:c>",
    ],
    ids=["plain", "single-quotes", "reference-last", "spaces", "prefixed"],
)
def test_a_far_cell_in_any_spelling_is_refused_before_calamine_fills_the_rectangle(cell):
    error = refusal(_with_last_xlsx_row(cell))
    assert error.code == "sheet_too_large"
    assert "XFD1048576" in workbook.message(error)


def test_a_cell_without_a_reference_is_placed_where_its_row_is():
    # calamine places a cell without r="…" after the one before it, in its row's row.
    error = refusal(_with_last_xlsx_row('<c t="n"><v>1</v></c>'))
    assert error.code == "sheet_too_large"
    assert "A1048576" in workbook.message(error)


def test_error_cells_in_single_quotes_are_errors_too():
    data = _rewritten(
        "formula-error.xlsx", "xl/worksheets/sheet1.xml", lambda xml: xml.replace('t="e"', "t='e'")
    )
    sheet = workbook.read(data)
    list(sheet.rows())
    found = {(problem.cell, problem.error.code, problem.value) for problem in sheet.errors}
    assert found == {("J3", "formula_error", "#N/A"), ("K4", "formula_error", "#DIV/0!")}


def test_an_ods_cell_past_a_million_empty_rows_is_refused_before_calamine_reaches_it():
    far = (
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>far</text:p>'
        "</table:table-cell></table:table-row></table:table>"
    )
    data = _rewritten("template.ods", "content.xml", lambda xml: xml.replace("</table:table>", far, 1))
    error = refusal(data)
    assert error.code == "sheet_too_large"


ODS_CONTENT = (
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0">'
    "<office:body><office:spreadsheet>"
    '<table:table table:name="S">{}</table:table>'
    "</office:spreadsheet></office:body></office:document-content>"
)
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
TRUE = (
    '<table:table-cell office:value-type="boolean" office:boolean-value="true">'
    "<text:p>TRUE</text:p></table:table-cell>"
)
TWO_EMPTY = '<table:table-cell table:number-columns-repeated="2"/>'
THREE_TRUE = TRUE.replace("<table:table-cell ", '<table:table-cell table:number-columns-repeated="3" ')


def ods_row(*cells, attributes=""):
    return f"<table:table-row{attributes}>{''.join(cells)}</table:table-row>"


@pytest.mark.parametrize(
    ("rows", "cells"),
    [
        ([ods_row(TEXT.format("a"), TEXT.format("b"), TRUE)], [(1, 2)]),
        ([ods_row(TEXT.format("a"), TWO_EMPTY, TRUE)], [(1, 3)]),
        # A cell's text that reads like an attribute is no repeat.
        ([ods_row(TEXT.format('table:number-columns-repeated="5"'), TRUE)], [(1, 1)]),
        ([ods_row(THREE_TRUE)], [(1, 0), (1, 1), (1, 2)]),
        (["<table:table-row/>", ods_row(TRUE)], [(2, 0)]),
        ([ods_row(TEXT.format("a")), ods_row(TEXT.format("b"), attributes=' table:number-rows-repeated="3"'),
          ods_row(TEXT.format("c"), TRUE)], [(5, 1)]),
        ([ods_row('<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>x'
                  "</text:p></table:table-cell><table:covered-table-cell/>", TRUE)], [(1, 2)]),
        (["<table:table-row-group>" + ods_row(TEXT.format("a")) + "</table:table-row-group>",
          ods_row(TEXT.format("b"), TRUE)], [(2, 1)]),
    ],
    ids=["plain", "after-repeated-cells", "text-like-attribute", "repeated-boolean", "after-an-empty-row",
         "after-repeated-rows", "after-a-covered-cell", "after-a-row-group"],
)  # fmt: skip
def test_the_ods_scan_places_typed_cells_in_their_row_and_column(rows, cells):
    xml = ODS_CONTENT.format("".join(rows)).encode()
    found = workbook._ods_typed_cells(xml, workbook._ODS_BOOLEANS)
    assert found == {cell: ("boolean", "TRUE") for cell in cells}
    assert workbook._ods_scan(xml, workbook._ODS_BOOLEANS, tag_by_tag=True).found == found


def _scans_agree(xml: bytes, markers) -> dict:
    """The scan's searches find what the walk of every tag finds: the same typed cells, and an extent
    at least as large (a usual row counts as filled from column A) ending in the same row and column."""
    scan = workbook._ods_scan(xml, markers)
    reference = workbook._ods_scan(xml, markers, tag_by_tag=True)
    assert scan.found == reference.found
    assert scan.row == reference.row
    fast, slow = scan.extent, reference.extent
    assert (fast.top, fast.bottom, fast.right) == (slow.top, slow.bottom, slow.right)
    assert fast.left <= slow.left
    return scan.found


@pytest.mark.parametrize("name", sorted(path.name for path in DATA.glob("*.ods")))
def test_the_ods_scans_searches_agree_with_a_walk_of_every_tag(name):
    with zipfile.ZipFile(DATA / name) as archive:
        xml = archive.read("content.xml")
    for markers in (None, workbook._ODS_BOOLEANS):
        _scans_agree(xml, markers)


def test_the_ods_scans_searches_agree_on_rows_of_every_shape():
    # Rows LibreOffice writes (filled, empty ones repeated after the last value) between rows of other
    # shapes: an empty cell in the middle, a value cell without text, a cell repeated, rows repeated, a
    # merged cell, a row that ends self-closed.
    error = (
        '<table:table-cell table:formula="of:=NA()" office:value-type="string" office:string-value="" '
        'calcext:value-type="error"><text:p>#N/A</text:p></table:table-cell>'
    )
    number = '<table:table-cell office:value-type="float" office:value="7"/>'
    shapes = [
        ods_row(TEXT.format("a"), FORMULA_TRUE, error, TWO_EMPTY),
        ods_row(TEXT.format("a"), TWO_EMPTY, FORMULA_TRUE, TEXT.format("b")),
        ods_row(TEXT.format("a"), FORMULA_TRUE, number),
        ods_row(THREE_TRUE, error),
        ods_row(TEXT.format("a"), attributes=' table:number-rows-repeated="4"'),
        ods_row('<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>x'
                "</text:p></table:table-cell><table:covered-table-cell/>", FORMULA_TRUE),
        "<table:table-row/>",
        ods_row(TWO_EMPTY, TWO_EMPTY),
    ]  # fmt: skip
    rows = [shapes[(index * 7) % len(shapes)] for index in range(60)] + [ods_row(TRUE, error)]
    xml = ODS_CONTENT.format("".join(rows)).encode()
    assert len(_scans_agree(xml, workbook._ODS_BOOLEANS)) > 40
    assert len(_scans_agree(xml, None)) > 10


def test_an_ods_table_inside_a_cell_is_refused():
    nested = ods_row('<table:table-cell><table:table table:name="in">' + ods_row(TRUE) + "</table:table>"
                     "</table:table-cell>")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        workbook._ods_typed_cells(ODS_CONTENT.format(nested).encode())
    assert caught.value.code == "unreadable_workbook"


def _after_last_row(xml: str, rows: str) -> str:
    """``rows`` after the first sheet's last filled row (before LibreOffice's trailing empty rows)."""
    last = xml.rindex("</text:p>", 0, xml.index("</table:table>"))
    at = xml.index("</table:table-row>", last) + len("</table:table-row>")
    return xml[:at] + rows + xml[at:]


def test_an_empty_far_xlsx_cell_is_not_refused():
    # <c …/> is a formatted cell without a value: calamine leaves it out, so does the walk.
    sheet, rows = read_all_data(_with_last_xlsx_row('<c r="XFD1048576" s="1"/>'))
    assert len(rows) == 5
    assert sheet.errors == []


def test_a_wide_ods_row_far_down_is_refused():
    def far_cell(xml: str) -> str:
        row = '<table:table-row table:number-rows-repeated="5000"><table:table-cell/></table:table-row>'
        far = (
            '<table:table-row><table:table-cell table:number-columns-repeated="300"/>'
            '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
            "</table:table-row>"
        )
        return _after_last_row(xml, row + far)

    error = refusal(_rewritten("template.ods", "content.xml", far_cell))
    assert error.code == "sheet_too_large"


def test_a_wide_ods_row_whose_filled_cells_fit_is_read():
    # 300 columns × 5,005 rows, but the filled rectangle is 13 columns wide: not refused.
    def wide_empty_row(xml: str) -> str:
        row = '<table:table-row table:number-rows-repeated="5000"><table:table-cell/></table:table-row>'
        wide = (
            '<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p>'
            '</table:table-cell><table:table-cell table:number-columns-repeated="300"/></table:table-row>'
        )
        return _after_last_row(xml, wide + row)

    _sheet, rows = read_all_data(_rewritten("template.ods", "content.xml", wide_empty_row))
    assert rows[1][1][4:6] == ["TRUE", "FALSE"]


def test_ods_prefixes_are_read_as_calamine_reads_them():
    # calamine finds a sheet's parts by their literal names (table:…), not by namespace: a file that binds
    # the table namespace to another prefix has no sheet for it, and another prefix bound to the table
    # namespace does not lead the scan away from the table: calamine reads.
    def renamed(xml: str) -> str:
        return (
            xml.replace("xmlns:table=", "xmlns:t=")
            .replace("<table:", "<t:")
            .replace("</table:", "</t:")
            .replace(" table:", " t:")
        )

    assert refusal(_rewritten("typed-in.ods", "content.xml", renamed)).code == "no_sheet"

    def decoy_prefix_and_far_rows(xml: str) -> str:
        xml = xml.replace(
            "<office:document-content ", '<office:document-content xmlns:zz="' + TABLE_NS + '" ', 1
        )
        far = '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
        return _after_last_row(xml, far + ods_row(TEXT.format("far")))

    assert (
        refusal(_rewritten("template.ods", "content.xml", decoy_prefix_and_far_rows)).code
        == "sheet_too_large"
    )


@pytest.mark.parametrize("prolog", ["", "\n<!-- a comment -->\n"])
def test_an_ods_content_xml_with_a_document_type_is_refused(prolog):
    def with_doctype(xml: str) -> str:
        declaration_end = xml.index("?>") + 2
        return xml[:declaration_end] + prolog + '<!DOCTYPE x [<!ENTITY e "e">]>' + xml[declaration_end:]

    error = refusal(_rewritten("template.ods", "content.xml", with_doctype))
    assert error.code == "unreadable_workbook"
    assert "document type" in workbook.message(error)


def test_ods_durations_and_times_are_errors():
    def duration_in_voltage(xml: str) -> str:
        start = xml.index("<table:table-cell", xml.index("<table:table-row", xml.index("</table:table-row>")))
        for _ in range(9):
            start = xml.index("<table:table-cell", start + 1)
        end = xml.index("</table:table-cell>", start) + len("</table:table-cell>")
        cell = (
            '<table:table-cell office:value-type="time" office:time-value="PT36H00M00S">'
            "<text:p>36:00:00</text:p></table:table-cell>"
        )
        return xml[:start] + cell + xml[end:]

    sheet, _rows = read_all_data(_rewritten("template.ods", "content.xml", duration_in_voltage))
    [problem] = sheet.errors
    assert (problem.cell, problem.error.code, problem.value) == ("J2", "cell_time_or_duration", "36:00:00")


def test_an_ods_tag_cut_off_inside_a_quote_is_refused_without_backtracking():
    # The tag pattern's quantifiers are possessive: without them this took 2^200 steps to give up.
    def cut_off(xml: str) -> str:
        return xml.replace("</table:table>", "<table:table-row><table:table-cell " + "a" * 200 + '"', 1)

    assert refusal(_rewritten("template.ods", "content.xml", cut_off)).code == "unreadable_workbook"


def test_a_macro_project_without_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0" * 10)
    error = refusal(buffer.getvalue())
    assert error.code == "not_a_workbook"
    assert "macro project" in workbook.message(error)


# -- Through the CSV engine ----------------------------------------------------------------------------
# The rows go into the engine as the reader yields them, the seam ``csv_import.parse`` feeds a workbook
# through (tests/test_workbook_import.py sends the files themselves through the page).


def plan_of_rows(rows, tenant):
    from stations import csv_import
    from stations.results import ImportPlan

    return csv_import.parse_rows(iter(rows), ImportPlan(), tenant=tenant)


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_the_filled_template_checks_as_its_libreoffice_csv_does(suffix, tenant):
    from stations import csv_import

    _sheet, rows = read_all(f"template.{suffix}")
    plan = plan_of_rows(rows, tenant)
    expected = csv_import.parse((DATA / "template-cp1252.csv").read_bytes(), tenant=tenant)
    assert plan.errors == []
    assert [(s.station_id, s.station, s.specs) for s in plan.stations] == [
        (s.station_id, s.station, s.specs) for s in expected.stations
    ]
    assert [s.station_id for s in plan.stations] == [
        "EXAMPLE-LOTEST-0001",
        "EXAMPLE-LOTEST-1001",
        "00012345",
    ]


def test_an_export_reads_back_with_the_values_stored(tenant):
    from stations.csv_export import stations_for_export
    from stations.models import Station
    from tests.factories import make_two_spec_station

    make_two_spec_station(
        tenant, station_id="00012345", security_code="00471100", serial_number="12345678901234567890"
    )
    with xlsx.export_file(stations_for_export(Station.objects.filter(tenant=tenant))) as output:
        sheet = workbook.read(output.read())
    rows = list(sheet.rows())
    assert sheet.errors == []
    assert sheet.warnings() == []
    plan = plan_of_rows(rows, tenant)
    [station] = plan.stations
    assert station.action == "override"
    assert station.station["security_code"] == "00471100"
    assert station.station["serial_number"] == "12345678901234567890"
    assert [spec["standard"] for spec in station.specs] == ["IEC_62196_T2", "CHADEMO"]


def test_a_workbook_without_a_sheet_is_refused_as_such():
    import re

    xlsx_data = _rewritten(
        "template.xlsx", "xl/workbook.xml", lambda xml: re.sub(r"<sheets>.*</sheets>", "<sheets/>", xml)
    )
    assert refusal(xlsx_data).code == "no_sheet"
    ods_data = _rewritten(
        "template.ods",
        "content.xml",
        lambda xml: re.sub(r"<table:table .*</table:table>", "", xml, flags=re.DOTALL),
    )
    assert refusal(ods_data).code == "no_sheet"


def _replace_cell(xml: str, attribute: str, cell: str) -> str:
    """``xml`` with the first cell that has ``attribute`` replaced by ``cell``."""
    at = xml.index(attribute)
    start = xml.rindex("<table:table-cell", 0, at)
    end = xml.index("</table:table-cell>", at) + len("</table:table-cell>")
    return xml[:start] + cell + xml[end:]


FORMULA_TRUE = (
    '<table:table-cell table:formula="of:=TRUE()" office:value-type="float" office:value="1" '
    'calcext:value-type="float"><text:p>TRUE</text:p></table:table-cell>'
)
NUMBER_ONE = (
    '<table:table-cell office:value-type="float" office:value="1" calcext:value-type="float">'
    "<text:p>1</text:p></table:table-cell>"
)


def test_a_true_formula_outside_the_boolean_columns_reads_as_the_boolean_it_shows():
    # LibreOffice writes the template's booleans as TRUE() and FALSE() formulas, which calamine reads as
    # 1 and 0: in Voltage that TRUE must not become 1 V, while a number 1 in Amperage stays 1.
    def true_voltage_one_amp(xml: str) -> str:
        return _replace_cell(
            _replace_cell(xml, 'office:value="230"', FORMULA_TRUE), 'office:value="16"', NUMBER_ONE
        )

    _sheet, rows = read_all_data(_rewritten("template.ods", "content.xml", true_voltage_one_amp))
    assert rows[1][1][4:6] == ["TRUE", "FALSE"]
    assert rows[1][1][9:11] == ["TRUE", "1"]


def test_a_number_in_a_boolean_column_reads_as_its_digits_where_the_booleans_are_boolean_cells():
    # typed-in.ods has boolean cells (calamine reads them as booleans), no TRUE() formulas.
    def number_for_wifi(xml: str) -> str:
        return _replace_cell(xml, 'office:boolean-value="true"', NUMBER_ONE)

    _sheet, rows = read_all_data(_rewritten("typed-in.ods", "content.xml", number_for_wifi))
    assert rows[1][1][4:6] == ["1", "FALSE"]
    assert rows[2][1][4:6] == ["TRUE", "TRUE"]


def _two_empty_rows_first(suffix: str) -> bytes:
    """The LibreOffice template with two empty rows above its header (rows 1 and 2 as never typed in)."""
    if suffix == "ods":

        def shifted(xml: str) -> str:
            first = xml.index("<table:table-row", xml.index("<table:table "))
            empty = '<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
            return xml[:first] + empty + xml[first:]

        return _rewritten("template.ods", "content.xml", shifted)

    def moved_down(xml: str) -> str:
        xml = re.sub(r'<row r="(\d+)"', lambda found: f'<row r="{int(found[1]) + 2}"', xml)
        return re.sub(r' r="([A-Z]+)(\d+)"', lambda found: f' r="{found[1]}{int(found[2]) + 2}"', xml)

    return _rewritten("template.xlsx", "xl/worksheets/sheet1.xml", moved_down)


@pytest.mark.parametrize("suffix", WORKBOOKS)
def test_a_header_below_empty_rows_is_named_by_its_own_row(suffix):
    error = refusal(_two_empty_rows_first(suffix))
    assert error.code == "header_not_in_row_1"
    assert "is in row 3;" in workbook.message(error)


@pytest.mark.parametrize(
    "inside",
    [
        "<!-- </table:table-row> -->",
        "<![CDATA[<table:table-row>]]>",
        "<?x <table:table-row> ?>",
        "!?" * 150 + "<!-- </table:table-row> -->",
    ],
    ids=["comment", "cdata", "processing-instruction", "after-many-marks-in-text"],
)
def test_markup_the_ods_scan_would_count_as_tags_is_refused(inside):
    # Text that looks like a row tag to the scan but not to calamine: a row of many filled cells split by
    # such "row starts" would look narrow to the scan and be allocated whole by calamine.
    def with_markup(xml: str) -> str:
        at = xml.index("<text:p>", xml.index("<table:table-row"))
        return xml[:at] + inside + xml[at:]

    error = refusal(_rewritten("template.ods", "content.xml", with_markup))
    assert error.code == "unreadable_workbook"
    assert "comments, CDATA sections or processing instructions" in workbook.message(error)


def test_exclamation_and_question_marks_in_ods_text_are_text():
    def marks(xml: str) -> str:
        return xml.replace("<text:p>Alfen</text:p>", "<text:p>Alfen!? " + "?!" * 150 + "</text:p>", 1)

    sheet, rows = read_all_data(_rewritten("template.ods", "content.xml", marks))
    assert rows[1][1][2] == "Alfen!? " + "?!" * 150
    assert sheet.errors == []


def _big_block(cell: str = 'office:value-type="float" office:value="1"', rows: str = "1000000") -> str:
    """A row of 90 filled cells repeated a million times: a few bytes that calamine would hold densely."""
    return (
        f'<table:table-row table:number-rows-repeated="{rows}">'
        f'<table:table-cell table:number-columns-repeated="90" {cell}/></table:table-row>'
    )


@pytest.mark.parametrize(
    "change",
    [
        # calamine reads every sheet when it opens the file.
        lambda xml: xml.replace("</table:table>", _big_block() + "</table:table>", 2).replace(
            _big_block() + "</table:table>", "</table:table>", 1
        ),
        # A table without a name before the sheet (calamine skips it, the scan must not stop there).
        lambda xml: xml.replace("</table:table>", _big_block() + "</table:table>", 1).replace(
            "<table:table ", "<table:table></table:table><table:table ", 1
        ),
        # Cells filled by a value or a formula alone, without a value type.
        lambda xml: _after_last_row(xml, _big_block('office:string-value="x"')),
        lambda xml: _after_last_row(xml, _big_block('table:formula="of:=1"')),
        # Repeat counts as calamine reads them.
        lambda xml: _after_last_row(xml, _big_block(rows="+1000000")),
        lambda xml: _after_last_row(xml, _big_block(rows="&#49;000000")),
    ],
    ids=["second-sheet", "unnamed-table-first", "string-value-only", "formula-only", "plus-sign", "entity"],
)
def test_a_big_block_the_scan_might_miss_is_refused(change):
    assert refusal(_rewritten("template.ods", "content.xml", change)).code == "sheet_too_large"


def test_a_repeat_of_many_leading_zeros_is_read_as_its_number():
    def long_repeat(xml: str) -> str:
        return xml.replace(
            'table:number-columns-repeated="', 'table:number-columns-repeated="' + "0" * 5000, 1
        )

    _sheet, rows = read_all_data(_rewritten("typed-in.ods", "content.xml", long_repeat))
    assert len(rows) == 5


@pytest.mark.parametrize(
    "change",
    [
        # A "<" inside an attribute value (XML allows none; calamine reads past it).
        lambda xml: xml.replace(
            "<table:table-row ",
            '<table:table-row table:x="</table:table-row>" table:number-rows-repeated="9" ',
            1,
        ),
        # A header cell the XML parser cannot read (calamine can).
        lambda xml: xml.replace(
            '<table:table-cell table:style-name="ce1"',
            '<table:table-cell table:style-name="ce1" table:style-name="x"',
            1,
        ),
    ],
    ids=["less-than-in-a-value", "duplicate-attribute-in-the-header"],
)
def test_xml_that_is_not_xml_is_refused(change):
    error = refusal(_rewritten("template.ods", "content.xml", change))
    assert error.code == "unreadable_workbook"


@pytest.mark.parametrize(
    "change",
    [
        # A comment before the first sheet (calamine skips it; the scan must not read a table in it).
        lambda xml: xml.replace(
            "<table:table ", "<!-- <table:table table:name='x'></table:table> --><table:table ", 1
        ),
        # A row inside a cell (calamine skips what a cell with a value holds; the scan would count it).
        lambda xml: xml.replace("<text:p>Alfen</text:p>", "<table:table-row/><text:p>Alfen</text:p>", 1),
    ],
    ids=["comment-before-the-sheet", "row-inside-a-cell"],
)
def test_what_the_scan_would_count_otherwise_than_calamine_is_refused(change):
    assert refusal(_rewritten("template.ods", "content.xml", change)).code == "unreadable_workbook"
