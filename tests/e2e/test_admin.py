"""The management overview in a real browser: an operator filters, searches and opens a station."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_filters_searches_and_opens_a_station(
    page, live_server, tenant, operator, login, screenshot
):
    factories.make_station(
        tenant,
        operator,
        station_id="NC-DEPOT-7",
        manufacturer="Kempower",
        serial_number="KP-0007",
        gsm_supported=True,
        specs=[
            factories.spec_data(
                standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC", voltage=800, amperage=250
            ),
            factories.spec_data(
                standard="CHADEMO", format="CABLE", power_type="DC", voltage=500, amperage=125
            ),
            factories.spec_data(voltage=400, amperage=32),
        ],
    )
    for n in range(1, 6):
        factories.make_station(tenant, operator, station_id=f"NC-STREET-{n}", serial_number=f"AL-{n:04d}")
    factories.make_station(
        factories.make_tenant("south-volt", "South Volt"), station_id="SV-HIDDEN", manufacturer="Hidden"
    )

    login(operator)
    page.goto(f"{live_server.url}/admin/stations/station/")
    expect(page.get_by_role("heading", name="Stations of North Charge")).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_have_count(6)
    expect(page.get_by_text("SV-HIDDEN")).to_have_count(0)
    expect(page.get_by_text("South Volt")).to_have_count(0)
    page.get_by_text("+ Add stations").click()
    expect(page.get_by_role("link", name="Import station")).to_be_visible()
    expect(page.get_by_role("link", name="Upload stations")).to_be_visible()
    screenshot("admin-station-list")
    page.get_by_text("+ Add stations").click()

    filters = page.locator("#changelist-filter")
    filters.get_by_role("link", name="DC", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    filters.get_by_role("link", name="Kempower").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    screenshot("admin-station-list-filtered")

    page.goto(f"{live_server.url}/admin/stations/station/")
    page.locator("#searchbar").fill("KP-0007")
    page.locator("#searchbar").press("Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("NC-DEPOT-7")
    expect(rows.first).to_contain_text("200 kW")
    expect(rows.first).to_contain_text("Wi-Fi, GSM")
    screenshot("admin-station-search")

    rows.first.get_by_role("link", name="NC-DEPOT-7").click()
    expect(page.get_by_role("heading", name="Station details")).to_be_visible()
    standards = page.locator(".inline-group tr.has_original select[name$='-standard']")
    expect(standards).to_have_count(3)
    assert [standards.nth(i).input_value() for i in range(3)] == [
        "IEC_62196_T2_COMBO",
        "CHADEMO",
        "IEC_62196_T2",
    ]
    positions = page.locator(".inline-group tr.has_original input[name$='-position']")
    assert [positions.nth(i).input_value() for i in range(3)] == ["1", "2", "3"]
    expect(page.get_by_text("400 V looks like line-to-line voltage")).to_be_visible()
    mapping = page.get_by_test_id("connector-mapping")
    expect(mapping.locator("tbody tr")).to_have_count(3)
    screenshot("admin-station-change")


def test_support_sees_every_tenant_and_deactivates(
    page, live_server, tenant, operator, support, login, screenshot
):
    from django.utils import timezone

    from stations.models import Station

    active = factories.make_station(tenant, operator, station_id="NC-LIVE-1")
    Station.objects.filter(pk=active.pk).update(
        status="active", activated_by=operator, activated_at=timezone.now()
    )
    factories.make_station(factories.make_tenant("south-volt", "South Volt"), station_id="SV-1")

    login(support)
    page.goto(f"{live_server.url}/admin/stations/station/")
    expect(page.get_by_role("heading", name="Stations of every operator")).to_be_visible()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="NC-LIVE-1")).to_contain_text("olivia")
    expect(rows.filter(has_text="SV-1")).to_contain_text("South Volt")
    rows.filter(has_text="NC-LIVE-1").locator("input.action-select").check()
    page.locator("select[name=action]").select_option("deactivate")
    screenshot("admin-support-list")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 station deactivated")).to_be_visible()
    expect(rows.filter(has_text="NC-LIVE-1")).to_contain_text("Inactive")
    screenshot("admin-support-deactivated")

    rows.filter(has_text="NC-LIVE-1").get_by_role("link", name="NC-LIVE-1").click()
    expect(page.get_by_text("Deactivated by:")).to_be_visible()
    page.locator(".field-import_link a").click()
    expect(page.get_by_role("heading", name="View import record")).to_be_visible()
    screenshot("admin-support-import-record")
    page.get_by_role("link", name="Import records").first.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    screenshot("admin-support-import-records")
