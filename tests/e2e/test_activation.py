"""Activation in a real browser: a mistyped Station ID, the right one, the mapping, the dashboards."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def clear_cache():
    # The cache table is not flushed between transactional tests: throttle counters would leak.
    cache.clear()
    yield
    cache.clear()


def test_owner_activates_station_and_sees_mapping(page, live_server, tenant, operator, login, screenshot):
    specs = [
        *factories.two_spec_data(),
        factories.spec_data(
            standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC", voltage=800, amperage=250
        ),
    ]
    factories.make_station(tenant, operator, specs=specs, station_id="ST1010101", security_code="JOHN-4821")
    factories.make_station(tenant, operator, station_id="ST1001011", security_code="SARAH-7730")
    john = get_user_model().objects.create_user(username="john", password=factories.PASSWORD)

    login(john)
    screenshot("activation-owner-dashboard-empty")
    page.get_by_role("link", name="Activate", exact=True).click()
    expect(page.get_by_role("heading", name="Activate station")).to_be_visible()
    screenshot("activation-form")

    # John types Sarah's Station ID with his own code: nothing is activated, and nothing is revealed.
    page.get_by_label("Station ID").fill("ST1001011")
    page.get_by_label("Security code").fill("JOHN-4821")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Station ID and security code do not match")).to_be_visible()
    screenshot("activation-mismatch")

    page.get_by_label("Station ID").fill("st1010101")
    page.get_by_label("Security code").fill("JOHN-4821")
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", name="Station ST1010101 is active")).to_be_visible()
    mapping = page.get_by_test_id("connector-mapping")
    expect(mapping.get_by_role("row")).to_have_count(5)  # header, connectors 1-3, any other ID
    expect(mapping.get_by_role("row", name="Connector 2")).to_contain_text("CHAdeMO")
    expect(page.get_by_test_id("mapping-fallback")).to_contain_text("Type 2 (IEC 62196-2)")
    expect(page.get_by_test_id("mapping-fallback-note")).to_be_visible()
    screenshot("activation-success-three-specs")

    page.get_by_role("link", name="Dashboard", exact=True).first.click()
    expect(page.get_by_test_id("own-stations")).to_contain_text("ST1010101")
    screenshot("activation-owner-dashboard")


def test_single_specification_and_operator_dashboard(page, live_server, tenant, operator, login, screenshot):
    factories.make_station(tenant, operator, specs=[factories.spec_data(voltage=400)])
    sarah = get_user_model().objects.create_user(username="sarah", password=factories.PASSWORD)

    login(sarah)
    page.goto(f"{live_server.url}/stations/activate/")
    page.get_by_label("Station ID").fill("ST1010101")
    page.get_by_label("Security code").fill("K7P2-93QX")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_test_id("mapping-summary")).to_contain_text("every connector")
    expect(page.get_by_test_id("connector-mapping").get_by_role("row")).to_have_count(
        3
    )  # + the voltage warning
    screenshot("activation-success-one-spec")

    page.get_by_role("button", name="Log out").click()
    login(operator)
    recent = page.get_by_test_id("recently-activated")
    expect(recent).to_contain_text("ST1010101")
    expect(recent.get_by_test_id("owner")).to_have_text("sarah")
    expect(page.get_by_test_id("count-active")).to_have_text("1")
    screenshot("activation-operator-dashboard")
