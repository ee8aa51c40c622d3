"""The maximum power in the wizard, in a real Chromium: typed with a decimal comma, shown live and saved."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from stations.models import Station
from tests.e2e.test_wizard import fill_details, fill_spec, next_button

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_maximum_power_replaces_the_computed_power_live_and_on_the_overview(
    page, live_server, login, operator, screenshot
):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    fill_details(page, "ST-MAX")
    next_button(page).click()
    item = fill_spec(page, 0, "CCS Combo 2 (IEC 62196-3)", "Cable", "DC", 920, 400)
    expect(item.locator("[data-power]")).to_have_text("368 kW")
    item.get_by_label("Maximum power (kW)").fill("150,5")
    expect(item.locator("[data-power]")).to_have_text("150.5 kW")
    screenshot("wizard-2-connectors-max-power")
    next_button(page).click()
    expect(page.get_by_test_id("overview-connectors")).to_contain_text("150.5 kW")
    expect(page.get_by_test_id("overview-connectors")).not_to_contain_text("368 kW")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Station ST-MAX imported. It is ready to be activated.")).to_be_visible()
    spec = Station.objects.get(station_id="ST-MAX").connector_specs.get()
    assert spec.max_power == Decimal("150.5")
