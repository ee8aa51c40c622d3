"""A new user's path through the spreadsheet formats, in Chromium: download the Excel template from the
upload page, upload it as it is, then a LibreOffice workbook with a date where Voltage belongs."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from stations.models import Station

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).parents[1] / "data" / "libreoffice"


def test_operator_uploads_the_template_then_a_workbook_with_a_date(
    page, live_server, operator, login, screenshot
):
    login(operator)
    page.goto(f"{live_server.url}/stations/upload/")
    with page.expect_download() as download:
        page.get_by_test_id("template-xlsx").click()
    assert download.value.suggested_filename == "stations-template.xlsx"
    page.get_by_label("CSV file").set_input_files(download.value.path())
    page.get_by_role("button", name="Upload").click()
    result = page.get_by_test_id("upload-result")
    expect(result.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("2")
    assert Station.objects.count() == 2

    page.get_by_label("CSV file").set_input_files(DATA / "date-in-voltage.ods")
    page.get_by_role("button", name="Upload").click()
    expect(result.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    table = page.get_by_test_id("error-table")
    expect(table).to_contain_text("Voltage, cell J2")
    expect(table).to_contain_text("holds a date (2023-04-01)")
    screenshot("upload-workbook-cell-error")
    assert Station.objects.count() == 2
