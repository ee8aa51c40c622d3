"""The Content-Security-Policy in a real browser: the product's pages and the admin run under it unharmed."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADMIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "admin"
# The project's admin templates still carry inline <style> blocks until they move to static files
# (another slice of issue 11); style-src 'self' refuses them. Once they are gone this runs as a plain test.
INLINE_ADMIN_STYLES = any(
    re.search(r"<style[\s>]", path.read_text()) for path in ADMIN_TEMPLATES.rglob("*.html")
)

# Recorded from the first script of every document, before the page's own scripts run.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


@pytest.fixture
def violations(page):
    """Every CSP violation the browser reports, from the DOM event and from the console."""
    found = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )

    def collect():
        return found + page.evaluate("window.__cspViolations || []")

    return collect


def test_product_pages_run_under_the_policy(page, live_server, tenant, operator, login, violations):
    factories.make_station(tenant, operator)
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    login(operator)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # Bootstrap's script works (the dropdown opens): it is a file of ours, not inline.
    page.get_by_role("button", name="+ Add stations").click()
    expect(page.get_by_role("link", name="Import station").first).to_be_visible()
    for url in ("/stations/upload/", "/stations/activate/", "/stations/import/"):
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("load")
    assert violations() == []


@pytest.mark.xfail(INLINE_ADMIN_STYLES, reason="templates/admin still has inline <style> blocks", strict=True)
def test_admin_pages_run_under_the_policy(page, live_server, tenant, operator, login, violations):
    station = factories.make_station(tenant, operator)
    login(operator)
    for url in (
        "/admin/",
        "/admin/stations/station/",
        f"/admin/stations/station/{station.pk}/change/",
    ):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
    assert violations() == []
