"""The label's QR code in a real browser: decoded from the printed PDF, opened after signing in, it fills
in both fields (the code from the fragment, which then leaves the address bar) and activates."""

import pypdfium2
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import expect

from stations import rules, services
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
