from pathlib import Path

import pytest
from playwright.sync_api import expect

from stations.csv_format import HEADERS
from stations.models import Station
from tests.csv_helpers import csv_bytes, row, station_rows
from tests.factories import make_station

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def choose(page, name: str, data: bytes):
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )


def test_operator_uploads_a_good_file_then_a_bad_one(page, live_server, tenant, operator, login, screenshot):
    login(operator)
    page.get_by_role("link", name="Upload stations").first.click()
    expect(page.get_by_role("heading", name="Upload stations")).to_be_visible()
    expect(page.get_by_role("heading", name="How to format the file")).to_be_visible()
    screenshot("upload-page")

    good = csv_bytes(
        *station_rows("ST-100", 2),
        row(Station_ID="ST-101", Voltage="400"),
        row(Station_ID="ST-102", Wi_Fi_supported="no", GSM_supported="yes"),
    )
    choose(page, "stations.csv", good)
    page.get_by_role("button", name="Upload").click()
    result = page.get_by_test_id("upload-result")
    expect(result.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_test_id("count-created")).to_have_text("3")
    expect(page.get_by_test_id("count-overridden")).to_have_text("0")
    expect(page.get_by_test_id("count-specs")).to_have_text("4")
    expect(page.get_by_test_id("warning-table")).to_contain_text("enter 230 V instead")
    screenshot("upload-imported")
    assert Station.objects.filter(tenant=tenant).count() == 3

    bad = csv_bytes(
        row(Station_ID="ST-200", Voltage="2300"),
        row(Station_ID="ST-201", Format="Plug", Security_code="ab"),
        row(Station_ID="ST-200"),
    )
    choose(page, "bad.csv", bad)
    page.get_by_role("button", name="Upload").click()
    expect(result.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page.get_by_test_id("error-count")).to_have_text("4")
    table = page.get_by_test_id("error-table")
    expect(table.get_by_role("row")).to_have_count(5)
    expect(table.get_by_role("row").nth(1)).to_contain_text("2")
    expect(table.get_by_role("row").nth(1)).to_contain_text("Voltage")
    expect(table.get_by_role("row").nth(1)).to_contain_text("Enter whole volts from 110 to 1000.")
    expect(table).to_contain_text("a station's rows must follow each other")
    screenshot("upload-errors")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all 4 errors (CSV)").click()
    lines = Path(download_info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Row;Column;Value;Message"
    assert len(lines) == 5
    assert Station.objects.filter(tenant=tenant).count() == 3


def test_operator_checks_a_file_without_importing(page, live_server, tenant, operator, login, screenshot):
    make_station(tenant, station_id="OLD-1")
    make_station(tenant, station_id="LIVE-1")
    Station.objects.filter(station_id="LIVE-1").update(status="active")
    login(operator)
    page.goto(f"{live_server.url}/stations/upload/")
    choose(
        page,
        "check.csv",
        csv_bytes(*station_rows("NEW-1", 3), row(Station_ID="OLD-1"), row(Station_ID="LIVE-1")),
    )
    page.get_by_label("Check only").check()
    page.get_by_role("button", name="Upload").click()
    plan = page.get_by_test_id("plan-table")
    # LIVE-1 is refused, so the file fails: the others are not "Created" yet (issue 12).
    expect(plan.get_by_role("row", name="NEW-1")).to_contain_text(
        "would be created once the errors are fixed"
    )
    expect(plan.get_by_role("row", name="OLD-1")).to_contain_text(
        "would be overridden once the errors are fixed"
    )
    expect(plan.get_by_role("row", name="LIVE-1")).to_contain_text("Refused")
    expect(plan.get_by_role("row", name="LIVE-1")).to_contain_text("only inactive stations can be overridden")
    screenshot("upload-check-only")
    assert not Station.objects.filter(station_id="NEW-1").exists()


def test_file_over_the_size_limit_is_refused(page, live_server, operator, login, settings, screenshot):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    login(operator)
    page.goto(f"{live_server.url}/stations/upload/")
    choose(page, "huge.csv", csv_bytes(*(row(Station_ID=f"S{n}") for n in range(20000))))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("upload-result")).to_contain_text("the limit is 1 MB")
    screenshot("upload-too-large")
    assert not Station.objects.exists()


def test_check_only_shows_spacing_errors_and_kept_station_ids(
    page, live_server, tenant, operator, login, screenshot
):
    make_station(tenant, station_id="WIZ-001")
    login(operator)
    page.goto(f"{live_server.url}/stations/upload/")
    header = ["Serial  number" if h == "Serial number" else h for h in HEADERS]
    choose(page, "spacing.csv", csv_bytes(row(), header=header))
    page.get_by_role("button", name="Upload").click()
    table = page.get_by_test_id("error-table")
    expect(table).to_contain_text("“Serial··number” (· marks a space)")
    screenshot("upload-header-spacing")

    choose(page, "override.csv", csv_bytes(row(Station_ID="wiz-001"), row(Station_ID="NEW-1")))
    page.get_by_label("Check only").check()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("stored-as")).to_have_text("keeps its Station ID WIZ-001")
    expect(page.get_by_test_id("upload-result")).to_contain_text("1 station and override 1")
    screenshot("upload-check-override-kept-id")
    assert Station.objects.get(station_id__iexact="wiz-001").station_id == "WIZ-001"
