"""Check then import in one click, and finding the import again (issue 12), in Chromium."""

import pytest
from playwright.sync_api import expect

from stations.models import ImportRecord, Station
from tests.csv_helpers import csv_bytes, row, station_rows
from tests.factories import make_station

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_check_leads_to_an_import_in_one_click_and_the_import_is_found_again(
    page, live_server, tenant, operator, login, screenshot
):
    make_station(tenant, station_id="OLD-1")
    login(operator)
    page.goto(f"{live_server.url}/stations/upload/")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "depot.csv",
                "mimeType": "text/csv",
                "buffer": csv_bytes(*station_rows("NEW-1", 2), row(Station_ID="OLD-1")),
            }
        ]
    )
    page.get_by_label("Check only").check()
    page.get_by_role("button", name="Upload").click()
    result = page.get_by_test_id("upload-result")
    expect(result.get_by_role("heading", name="Check passed")).to_be_visible()
    screenshot("imports-check-passed")
    assert not Station.objects.filter(station_id="NEW-1").exists()

    result.get_by_role("button", name="Import these stations").click()
    expect(result.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("1")
    expect(page.get_by_test_id("count-overridden")).to_have_text("1")
    imported = ImportRecord.objects.get(dry_run=False, file_name="depot.csv")
    assert set(Station.objects.filter(last_import=imported).values_list("station_id", flat=True)) == {
        "NEW-1",
        "OLD-1",
    }
    screenshot("imports-imported-in-one-click")

    page.get_by_test_id("import-page").click()
    expect(page.get_by_role("heading", name="Import of depot.csv")).to_be_visible()
    expect(page.get_by_test_id("plan-table")).to_contain_text("NEW-1")
    screenshot("imports-detail")

    page.goto(f"{live_server.url}/stations/imports/")
    table = page.get_by_test_id("imports-table")
    expect(table.get_by_role("row")).to_have_count(4)  # header, the import, the check, the wizard's
    table.get_by_role("link").first.click()
    page.get_by_test_id("overview-link").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    screenshot("imports-overview-filtered")
