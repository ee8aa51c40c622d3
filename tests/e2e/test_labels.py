"""The label's QR code in a real browser: decoded from the printed PDF, opened after signing in, it fills
in both fields (the code from the fragment, which then leaves the address bar) and activates."""

import re
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import expect

from stations import rules, services
from stations.models import Station
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def clear_cache():
    # The cache table is not flushed between transactional tests: throttle counters would leak.
    cache.clear()
    yield
    cache.clear()


def qr_links(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=300 / 72).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_scanned_label_link_fills_in_both_fields_and_activates(page, live_server, tenant, operator, login):
    code = rules.generate_security_code()
    factories.make_station(tenant, operator, station_id="QR+7|A", security_code=code)
    pdf = services.labels_print(
        user=operator, stations=tenant.stations.all(), layout="roll", base_url=live_server.url
    )
    (link,) = qr_links(pdf)
    owner = get_user_model().objects.create_user(username="owner", password=factories.PASSWORD)

    login(owner)
    page.goto(link)

    expect(page.get_by_label("Station ID")).to_have_value("QR+7|A")
    expect(page.get_by_label("Security code")).to_have_value(code)
    # The code leaves the address bar (and the history entry): the fragment is gone, the query stays.
    assert "#" not in page.url
    assert "code" not in page.url
    assert page.url.endswith("/stations/activate/?station_id=QR%2B7%7CA")
    expect(page.get_by_role("button", name="Activate")).to_be_focused()

    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Station QR+7|A is active")).to_be_visible()


def test_link_without_a_code_leaves_the_code_to_type(page, live_server, operator, login):
    login(operator)
    page.goto(f"{live_server.url}/stations/activate/?station_id=ST1010101")
    expect(page.get_by_label("Station ID")).to_have_value("ST1010101")
    expect(page.get_by_label("Security code")).to_have_value("")


def test_scanned_link_survives_signing_in(page, live_server, tenant, operator):
    # The redirect to the log-in page keeps the fragment, and the log-in form (no action: it posts to the
    # page's own address, fragment included) carries it on to the redirect after signing in.
    code = rules.generate_security_code()
    factories.make_station(tenant, operator, station_id="QR-LOGIN-1", security_code=code)
    pdf = services.labels_print(
        user=operator, stations=tenant.stations.all(), layout="sheet", base_url=live_server.url
    )
    (link,) = qr_links(pdf)
    owner = get_user_model().objects.create_user(username="owner", password=factories.PASSWORD)

    page.goto(link)  # not signed in: the log-in page first
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill(owner.get_username())
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Activate station")).to_be_visible()
    expect(page.get_by_label("Station ID")).to_have_value("QR-LOGIN-1")
    expect(page.get_by_label("Security code")).to_have_value(code)
    assert "#" not in page.url


def test_from_a_generated_code_in_the_wizard_to_an_activated_station(
    page, browser, browser_context_args, live_server, operator, login
):
    """Issue 14's "Done when": generate, import, print from the import's page, scan, sign in, activate."""
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    page.get_by_label("Station ID").fill("ST-E2E-LABEL")
    page.get_by_role("button", name="Generate a security code").click()
    code_field = page.get_by_label("Security code")
    expect(code_field).to_have_value(re.compile(r"^\w{4}-\w{4}-\w{2}$"))
    code = code_field.input_value()
    page.get_by_label("Manufacturer").fill("Łódź Ladetechnik")
    page.get_by_label("Article number").fill("NG910-60023")
    page.get_by_label("Wi-Fi").check()
    page.get_by_role("button", name="Next", exact=True).click()
    item = page.locator("[data-connector-item]").first
    item.get_by_label("Standard").select_option(label="Type 2 (IEC 62196-2)")
    item.get_by_label("Format").select_option(label="Socket")
    item.get_by_label("Power type").select_option(label="Three-phase AC")
    item.get_by_label("Voltage").fill("230")
    item.get_by_label("Amperage").fill("16")
    page.get_by_role("button", name="Next", exact=True).click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Station ST-E2E-LABEL imported.")).to_be_visible()

    # Save leads to the station in the management overview; the import's page is the product's.
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Imports", exact=True).click()
    page.get_by_test_id("imports-table").get_by_role("link").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Labels: A4 sheet")).click()
    (link,) = qr_links(Path(download.value.path()).read_bytes())
    assert link.startswith(f"{live_server.url}/stations/activate/?station_id=ST-E2E-LABEL#code=")

    # A second account, on a second device (the phone that scanned the label), not signed in yet.
    owner = get_user_model().objects.create_user(username="owner", password=factories.PASSWORD)
    phone = browser.new_context(**browser_context_args).new_page()
    phone.goto(link)
    phone.get_by_label("Username").fill(owner.get_username())
    phone.get_by_label("Password").fill(factories.PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    expect(phone.get_by_label("Station ID")).to_have_value("ST-E2E-LABEL")
    expect(phone.get_by_label("Security code")).to_have_value(code)
    phone.get_by_role("button", name="Activate").click()
    expect(phone.get_by_role("heading", name="Station ST-E2E-LABEL is active")).to_be_visible()
    assert Station.objects.get(station_id="ST-E2E-LABEL").activated_by == owner
    phone.context.close()
