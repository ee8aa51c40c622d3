"""The import wizard in a real Chromium, walked as an operator would."""

import re

import pytest
from playwright.sync_api import expect

from stations.models import Station
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import make_station

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fill_details(page, station_id="ST-E2E-1"):
    page.get_by_label("Station ID").fill(station_id)
    page.get_by_label("Security code").fill("K7P2-93QX")
    page.get_by_label("Manufacturer").fill("Alfen")
    page.get_by_label("Article number").fill("NG910-60023")
    page.get_by_label("Station serial number").fill("ACE0012345")
    page.get_by_label("Wi-Fi").check()


def fill_spec(page, index, standard, format_, power_type, voltage, amperage):
    item = page.locator("[data-connector-item]").nth(index)
    item.get_by_label("Standard").select_option(label=standard)
    item.get_by_label("Format").select_option(label=format_)
    item.get_by_label("Power type").select_option(label=power_type)
    item.get_by_label("Voltage").fill(str(voltage))
    item.get_by_label("Amperage").fill(str(amperage))
    return item


def next_button(page):
    return page.get_by_role("button", name="Next", exact=True)


def test_two_specs_back_and_forth_and_save(page, live_server, login, operator, screenshot):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    expect(page.get_by_test_id("wizard-step")).to_have_text("Step 1 of 3: Station details")
    screenshot("wizard-1-details")
    fill_details(page)
    next_button(page).click()

    expect(page.get_by_test_id("wizard-step")).to_have_text("Step 2 of 3: Connectors setup")
    expect(page.get_by_test_id("connectors-intro")).to_contain_text("every connector")
    fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 230, 32)
    page.get_by_role("button", name="Add connector settings").click()
    expect(page.locator("[data-connector-item]")).to_have_count(2)
    expect(page.get_by_test_id("connectors-intro")).to_contain_text("order must match the connector IDs")
    second = fill_spec(page, 1, "CCS Combo 2 (IEC 62196-3)", "Cable", "DC", 500, 125)
    expect(second.locator("[data-power]")).to_have_text("62.5 kW")
    screenshot("wizard-2-connectors")

    # Back keeps the connectors; Next keeps the details.
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Station ID")).to_have_value("ST-E2E-1")
    expect(page.get_by_label("Wi-Fi")).to_be_checked()
    next_button(page).click()
    items = page.locator("[data-connector-item]")
    expect(items).to_have_count(2)
    expect(items.nth(1).get_by_label("Voltage")).to_have_value("500")

    # Move the DC specification first, then back again: order is what the user sees. Moved to the top or
    # the bottom, the item's disabled button cannot hold focus: its enabled sibling does.
    page.get_by_role("button", name="Move connector ID 2 up").click()
    expect(items.nth(0).get_by_label("Power type")).to_have_value("DC")
    expect(page.get_by_role("button", name="Move connector ID 1 down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(items.nth(0).get_by_label("Power type")).to_have_value("AC_3_PHASE")
    expect(page.get_by_role("button", name="Move connector ID 2 up")).to_be_focused()
    next_button(page).click()

    expect(page.get_by_test_id("wizard-step")).to_have_text("Step 3 of 3: Overview")
    table = page.get_by_test_id("overview-connectors")
    expect(table).to_contain_text("Type 2 (IEC 62196-2)")
    expect(table).to_contain_text("22.08 kW")
    expect(table).to_contain_text("62.5 kW")
    screenshot("wizard-3-overview")

    # Edit the details from the overview, come back, nothing lost.
    page.get_by_role("button", name="Edit station details").click()
    expect(page.get_by_label("Manufacturer")).to_have_value("Alfen")
    page.get_by_label("Manufacturer").fill("Alfen BV")
    next_button(page).click()
    next_button(page).click()
    expect(page.get_by_text("Alfen BV")).to_be_visible()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Station ST-E2E-1 imported. It is ready to be activated.")).to_be_visible()
    screenshot("wizard-4-saved")
    station = Station.objects.get(station_id="ST-E2E-1")
    assert station.manufacturer == "Alfen BV"
    assert list(station.connector_specs.values_list("position", "power_type", "voltage")) == [
        (1, "AC_3_PHASE", 230),
        (2, "DC", 500),
    ]


def test_line_voltage_warning_live_and_on_overview(page, live_server, login, operator, screenshot):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    fill_details(page, "ST-400V")
    next_button(page).click()
    item = fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 400, 16)
    warning = item.locator("[data-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("enter 230 V instead")
    expect(item.locator("[data-power]")).to_have_text("19.2 kW")
    screenshot("wizard-2-connectors-400v-warning")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("wizard-2-connectors-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    next_button(page).click()
    expect(page.get_by_test_id("overview-warning")).to_contain_text("enter 230 V instead")
    screenshot("wizard-3-overview-400v-warning")


def test_errors_are_summarised_and_focused(page, live_server, login, operator, screenshot):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    page.get_by_label("Station ID").fill("ST 1/2")
    page.get_by_label("Security code").fill("abc")
    next_button(page).click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("There are")
    expect(page.get_by_label("Station ID")).to_be_focused()
    expect(page.locator("#id_details-station_id")).to_have_class(re.compile("is-invalid"))
    screenshot("wizard-1-details-errors")

    fill_details(page, "ST-ERRORS")
    next_button(page).click()
    next_button(page).click()  # nothing entered
    expect(summary).to_contain_text("A station needs at least one connector specification.")
    expect(summary).to_be_focused()
    fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 2300, 0)
    next_button(page).click()
    expect(summary).to_contain_text("Connector ID 1, Voltage")
    expect(page.locator("[data-connector-item]").first.get_by_label("Voltage")).to_be_focused()
    screenshot("wizard-2-connectors-errors")


def test_station_imported_meanwhile_sends_save_back_to_the_details_step(
    page, live_server, login, operator, tenant, screenshot
):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    fill_details(page, "ST-RACE")
    next_button(page).click()
    fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 230, 16)
    next_button(page).click()
    station = make_station(tenant, station_id="st-race")  # a colleague was quicker
    page.get_by_role("button", name="Save").click()
    # SPEC §2: a taken Station ID is the details step's error, with a link to the user's own station.
    expect(page.get_by_test_id("wizard-step")).to_have_text("Step 1 of 3: Station details")
    field = page.locator("#div_id_details-station_id")
    expect(field).to_contain_text("A station with this Station ID is already imported.")
    link = field.get_by_role("link", name="Open st-race in the management overview")
    expect(link).to_have_attribute("href", f"/admin/stations/station/{station.pk}/change/")
    expect(page.get_by_label("Station ID")).to_be_focused()
    screenshot("wizard-1-details-duplicate-at-save")
    page.get_by_label("Station ID").fill("ST-RACE-2")
    next_button(page).click()
    next_button(page).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Station ST-RACE-2 imported. It is ready to be activated.")).to_be_visible()
    assert Station.objects.filter(station_id__in=["st-race", "ST-RACE-2"]).count() == 2


def test_connectors_without_javascript(browser, live_server, operator, screenshot):
    """Add, move and remove are plain submit buttons: they work with JavaScript switched off."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(operator.get_username())
    page.get_by_label("Password").fill("a-test-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/stations/import/")
    fill_details(page, "ST-NOJS")
    next_button(page).click()
    fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 400, 16)
    page.get_by_role("button", name="Add connector settings").click()
    items = page.locator("[data-connector-item]")
    expect(items.nth(0).locator("[data-power]")).to_have_text("19.2 kW")  # computed by the server
    expect(items.nth(0).locator("[data-warning]")).to_contain_text("enter 230 V instead")
    fill_spec(page, 1, "CHAdeMO", "Cable", "DC", 500, 125)
    page.get_by_role("button", name="Add connector settings").click()
    page.get_by_role("button", name="Remove connector ID 3").click()
    page.get_by_role("button", name="Move connector ID 2 up").click()
    expect(items).to_have_count(2)
    expect(items.nth(0).get_by_label("Standard")).to_have_value("CHADEMO")
    next_button(page).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Station ST-NOJS imported. It is ready to be activated.")).to_be_visible()
    station = Station.objects.get(station_id="ST-NOJS")
    assert list(station.connector_specs.values_list("position", "standard")) == [
        (1, "CHADEMO"),
        (2, "IEC_62196_T2"),
    ]
    context.close()


def test_a_tab_whose_data_changed_meanwhile_cannot_save_it(page, live_server, login, operator, screenshot):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    fill_details(page, "TAB-A")
    next_button(page).click()
    fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 230, 16)
    next_button(page).click()
    expect(page.get_by_test_id("wizard-step")).to_have_text("Step 3 of 3: Overview")

    other = page.context.new_page()  # a second tab, same session
    other.goto(f"{live_server.url}/stations/import/")
    other.get_by_role("button", name="Edit station details").click()
    other.get_by_label("Station ID").fill("TAB-B")
    next_button(other).click()
    next_button(other).click()
    expect(other.get_by_test_id("wizard-step")).to_have_text("Step 3 of 3: Overview")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").filter(has_text="changed in another tab or window")).to_be_visible()
    expect(page.get_by_test_id("wizard-step")).to_have_text("Step 3 of 3: Overview")
    expect(page.locator("main")).to_contain_text("TAB-B")
    screenshot("wizard-3-overview-changed-in-another-tab")
    assert not Station.objects.exists()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Station TAB-B imported. It is ready to be activated.")).to_be_visible()

    # The other tab saves again the data it shows, which is saved: it says so, with a link to the station.
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_text("Station TAB-B was already saved")).to_be_visible()
    expect(other.get_by_role("link", name="open it")).to_be_visible()
    expect(other.get_by_test_id("wizard-step")).to_have_text("Step 1 of 3: Station details")
    screenshot_page(other, "wizard-1-details-already-saved")
    assert Station.objects.count() == 1


def test_start_over_asks_first(page, live_server, login, operator, screenshot):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    fill_details(page, "ST-AGAIN")
    next_button(page).click()
    screenshot("wizard-2-connectors-footer")
    page.get_by_role("button", name="Start over…").click()
    expect(page.get_by_role("heading", name="Start over and discard this import?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("ST-AGAIN")
    screenshot("wizard-start-over-confirm")
    page.get_by_role("link", name="No, continue the import").click()
    expect(page.get_by_test_id("wizard-step")).to_have_text("Step 2 of 3: Connectors setup")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Station ID")).to_have_value("ST-AGAIN")
    page.get_by_role("button", name="Start over…").click()
    page.get_by_role("button", name="Yes, discard and start over").click()
    expect(page.get_by_text("Started over")).to_be_visible()
    expect(page.get_by_label("Station ID")).to_have_value("")


def test_support_without_tenant_sees_no_import_and_a_clear_403(page, live_server, login, support, screenshot):
    login(support)
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Import station")).to_have_count(0)
    expect(nav.get_by_role("link", name="Upload stations")).to_have_count(0)
    page.goto(f"{live_server.url}/stations/import/")
    expect(page.get_by_test_id("error-message")).to_contain_text("not linked to an operator")
    screenshot("error-403-no-tenant")
    page.get_by_role("link", name="Back to the dashboard").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/no-such-page/")
    expect(page.get_by_role("heading", name="There is no page here")).to_be_visible()
    screenshot("error-404")


def test_links_use_the_brand_colour(page, live_server, login, operator):
    login(operator)
    link = page.locator("main a:not([class])").first
    expect(link).to_have_css("color", "rgb(11, 93, 75)")
    link.hover()
    expect(link).to_have_css("color", "rgb(8, 68, 56)")


def screenshot_page(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
