"""The admin pages in the product's clothes, checked by axe-core (WCAG 2.2 AA): light, dark, 1280 and 390 px.

With STATION_IMPORT_SCREENSHOTS=dir each checked state is also saved there (a11y-NAME-SCHEME-WIDTH.png).
"""

import pytest
from playwright.sync_api import expect

from stations import services
from stations.models import ImportRecord
from tests import factories
from tests.e2e.axe import assert_accessible, show
from tests.e2e.conftest import WIDTHS
from tests.e2e.test_wizard import fill_details, fill_spec, next_button

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clear_cache"),
]


def test_every_admin_page_has_no_axe_violations(page, live_server, login, tenant, operator, support):
    url = live_server.url

    # 400 V three-phase: the line-voltage warning on the list and the change page.
    warned = factories.make_station(
        tenant, operator, station_id="ST-WARN-1", specs=[factories.spec_data(voltage=400, amperage=32)]
    )
    factories.make_two_spec_station(tenant, operator, station_id="ST-PLAIN-2")
    active = factories.make_station(tenant, operator, station_id="ST-ACTIVE-3", security_code="JOHN-4821")
    services.station_activate(
        user=operator, station_id=active.station_id, security_code="JOHN-4821", client_address=None
    )

    page.goto(f"{url}/admin/login/")
    assert_accessible(page, "admin-login")

    login(operator)  # an operator's list has "+ Add stations"
    page.goto(f"{url}/admin/stations/station/")
    expect(page.locator("td.field-maximum_power .line-voltage-flag")).to_have_count(1)
    assert_accessible(page, "admin-station-list")
    page.locator(".add-stations > summary").click()
    upload = page.locator(".add-stations-menu").get_by_role("link", name="Upload stations")
    expect(upload).to_be_visible()

    def menu_on_the_screen(width):
        box = upload.bounding_box()
        assert box["x"] >= 0, width  # the whole menu on the screen
        assert box["x"] + box["width"] <= WIDTHS[width], width
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width], width

    assert_accessible(page, "admin-station-list-add-menu-open", at_width=menu_on_the_screen)
    show(page, "phone", "light")
    page.locator(".nav-menu > summary").click()
    expect(page.get_by_role("link", name="Upload stations").first).to_be_visible()
    assert_accessible(page, "admin-station-list-phone-menu-open", widths=["phone"])

    page.goto(f"{url}/admin/stations/station/{warned.pk}/change/")
    expect(page.locator(".line-voltage-warning").first).to_be_visible()
    expect(page.get_by_test_id("mapping-line-voltage")).to_be_visible()

    def tables_scroll_on_a_phone(width):
        if width == "phone":  # wide tables scroll inside the page, they are not cut off
            regions = page.locator(".table-scroll").all()
            assert regions
            for region in regions:
                assert region.evaluate("el => el.scrollWidth > el.clientWidth")
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"]

    assert_accessible(page, "admin-station-change", at_width=tables_scroll_on_a_phone)

    login(support)  # deactivating and import records are support staff's
    page.goto(f"{url}/admin/stations/station/")
    page.locator(f'input[name="_selected_action"][value="{active.pk}"]').check()
    page.locator('select[name="action"]').select_option("deactivate")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.get_by_role("heading", name="Deactivate stations?")).to_be_visible()
    assert_accessible(page, "admin-deactivate-confirmation")

    record = ImportRecord.objects.create(
        tenant=tenant,
        source="upload",
        file_name="bad.csv",
        error_count=1,
        errors=[
            {"row": 3, "column": "Voltage", "code": "max_value", "value": "2300", "message": "Too high."}
        ],
    )
    page.goto(f"{url}/admin/stations/importrecord/")
    assert_accessible(page, "admin-import-list")
    page.goto(f"{url}/admin/stations/importrecord/{record.pk}/change/")
    assert_accessible(page, "admin-import-detail")


def test_one_toggle_sets_one_mode_for_the_admin_and_the_product(page, live_server, login, operator):
    page.emulate_media(color_scheme="light")
    login(operator)
    page.goto(f"{live_server.url}/admin/stations/station/")
    toggle = page.locator(".theme-toggle")
    expect(toggle).to_have_count(1)
    toggle.click()  # from auto on a light system: dark, once (Django's own theme.js would cycle again)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    expect(page.locator(".theme-toggle")).to_have_count(1)


def test_wizard_save_lands_on_the_station_with_the_next_import(page, live_server, login, operator):
    login(operator)
    page.goto(f"{live_server.url}/stations/import/")
    fill_details(page, "ST-SAVED")
    next_button(page).click()
    fill_spec(page, 0, "Type 2 (IEC 62196-2)", "Socket", "Three-phase AC", 230, 16)
    next_button(page).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Station ST-SAVED imported. It is ready to be activated.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    assert_accessible(page, "admin-station-saved")
    page.get_by_test_id("next-import").get_by_role("link", name="Import another station").click()
    expect(page.get_by_label("Station ID")).to_have_value("")
