"""The import wizard in a real Chromium, walked as an operator would."""

import re

import pytest
from playwright.sync_api import expect

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


def test_live_power_and_warning_and_focus_after_a_move(page, live_server, login, operator, screenshot):
    """What needs a browser: the script's live power and line-voltage warning, and where focus lands.

    Back, Edit, the overview and Save, and the server's rendering of power and warning, are
    tests/test_wizard.py's, through the test client, which has no JavaScript either.
    """
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    screenshot("wizard-1-details")
    fill_details(page)
    next_button(page).click()

    first = fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 400, 16)
    warning = first.locator("[data-warning]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("enter 230 V instead")
    expect(first.locator("[data-power]")).to_have_text("19.2 kW")
    screenshot("wizard-2-connectors-400v-warning")
    page.get_by_role("button", name="Add connector settings").click()
    items = page.locator("[data-connector-item]")
    expect(items).to_have_count(2)
    second = fill_spec(page, 1, "CCS Combo 2 (IEC 62196-3)", "Cable", "DC", 500, 125)
    expect(second.locator("[data-power]")).to_have_text("62.5 kW")
    expect(second.locator("[data-warning]")).to_be_hidden()
    screenshot("wizard-2-connectors")

    # Moved to the top or the bottom, the item's disabled button cannot hold focus: its enabled sibling does.
    page.get_by_role("button", name="Move connector ID 2 up").click()
    expect(items.nth(0).get_by_label("Power type")).to_have_value("DC")
    expect(page.get_by_role("button", name="Move connector ID 1 down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(items.nth(0).get_by_label("Power type")).to_have_value("AC_3_PHASE")
    expect(page.get_by_role("button", name="Move connector ID 2 up")).to_be_focused()


def test_focus_lands_on_the_first_error_or_else_the_summary(page, live_server, login, operator, screenshot):
    # The messages and the autofocus attribute are tests/test_wizard.py's; that focus lands is the browser's.
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    page.get_by_label("Station ID").fill("ST 1/2")
    page.get_by_label("Security code").fill("abc")
    next_button(page).click()
    expect(page.get_by_label("Station ID")).to_be_focused()
    screenshot("wizard-1-details-errors")

    fill_details(page, "ST-ERRORS")
    next_button(page).click()
    next_button(page).click()  # nothing entered: the first item's required fields are marked, focus on one
    expect(page.locator("[data-connector-item]").first.get_by_label("Standard")).to_be_focused()
    fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 2300, 0)
    next_button(page).click()
    expect(page.locator("[data-connector-item]").first.get_by_label("Voltage")).to_be_focused()
    screenshot("wizard-2-connectors-errors")


def test_links_use_the_brand_colour(page, live_server, login, operator):
    login(operator)
    link = page.locator("main a:not([class])").first
    expect(link).to_have_css("color", "rgb(11, 93, 75)")
    link.hover()
    expect(link).to_have_css("color", "rgb(8, 68, 56)")


GENERATED_CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}$")


def test_generate_fills_the_code_in_place_and_focuses_it(page, live_server, login, operator, screenshot):
    # The no-JavaScript path (a submit) is tests/test_wizard.py's; the script fills in without a page load.
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    page.get_by_label("Station ID").fill("ST-GEN-1")
    page.get_by_label("Security code").fill("typed")
    page.evaluate("window.notReloaded = true")
    generate = page.get_by_role("button", name="Generate a security code")
    expect(generate).to_have_text("Generate a security code")
    expect(generate).to_have_attribute("type", "submit")

    generate.click()
    field = page.get_by_label("Security code")
    expect(field).to_have_value(GENERATED_CODE)
    expect(field).to_be_focused()
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_label("Station ID")).to_have_value("ST-GEN-1")
    expect(page.locator("#error-summary")).to_have_count(0)
    screenshot("wizard-1-details-generated")
    first = field.input_value()
    generate.click()
    expect(field).not_to_have_value(first)
    expect(field).to_have_value(GENERATED_CODE)
