import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_logs_in_and_sees_dashboard(page, live_server, tenant, operator, login_by_form, screenshot):
    factories.make_station(tenant, operator)
    factories.make_station(factories.make_tenant("elsewhere"), station_id="OTHER1")

    page.goto(f"{live_server.url}/accounts/login/")
    screenshot("login")
    login_by_form(operator)

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("count-inactive")).to_have_text("1")
    expect(page.get_by_test_id("count-active")).to_have_text("0")
    page.get_by_role("button", name="+ Add stations").click()
    expect(page.get_by_role("link", name="Import station").first).to_be_visible()
    expect(page.get_by_text("Upload stations").first).to_be_visible()
    screenshot("dashboard")
