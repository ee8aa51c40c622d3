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
    # A confirmation first, naming the station and the owner it loses.
    expect(page.get_by_role("heading", name="Deactivate stations?")).to_be_visible()
    expect(page.locator("#deactivate-stations tbody td")).to_have_text(["NC-LIVE-1", "Alfen", "olivia"])
    screenshot("admin-support-deactivate-confirm")
    page.get_by_role("button", name="Yes, deactivate").click()
    expect(page.get_by_text("1 station deactivated")).to_be_visible()
    expect(rows.filter(has_text="NC-LIVE-1")).to_contain_text("Inactive")
    screenshot("admin-support-deactivated")

    rows.filter(has_text="NC-LIVE-1").get_by_role("link", name="NC-LIVE-1").click()
    expect(page.get_by_text("Deactivated by:")).to_be_visible()
    expect(page.locator(".field-previous_owner .readonly")).to_have_text("olivia")
    page.locator(".field-import_link a").click()
    expect(page.get_by_role("heading", name="View import record")).to_be_visible()
    screenshot("admin-support-import-record")
    page.get_by_role("link", name="Import records").first.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    screenshot("admin-support-import-records")


# Colour schemes and width --------------------------------------------------------------------------------

# The WCAG contrast ratio of an element's text against the first opaque background behind it.
CONTRAST_JS = """element => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = element, bg = null;
  while (node && node.nodeType === 1) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') { bg = c; break; }
    node = node.parentElement;
  }
  const [l1, l2] = [lum(rgb(getComputedStyle(element).color)), lum(rgb(bg || 'rgb(255, 255, 255)'))];
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}"""

READABLE = {
    "station link": "#result_list tbody tr:not(.selected) th a",
    "selected row text": "#result_list tbody tr.selected td.field-manufacturer",
    "selected row link": "#result_list tbody tr.selected th a",
    "breadcrumbs": "div.breadcrumbs",
    "breadcrumb link": "div.breadcrumbs a",
    "chosen filter": "#changelist-filter li.selected a",
    "export button": "a.export-matching",
    "search hint": "#changelist-search .help, #changelist-search div.help",
}


def assert_readable(page, selectors):
    poor = {}
    for name, selector in selectors.items():
        element = page.locator(selector).first
        ratio = element.evaluate(CONTRAST_JS)
        if ratio < 4.5:
            poor[name] = round(ratio, 2)
    assert not poor, f"text below WCAG AA contrast 4.5: {poor}"


@pytest.mark.parametrize(
    ("scheme", "theme"), [("light", None), ("dark", None), ("light", "dark"), ("dark", "light")]
)
def test_list_and_change_page_are_readable_in_every_colour_scheme(
    page, live_server, tenant, operator, login, screenshot, scheme, theme
):
    """The OS preference (prefers-color-scheme) and the admin's own theme toggle (data-theme)."""
    factories.make_station(tenant, operator, station_id="NC-DARK-1", manufacturer="Alfen")
    factories.make_station(tenant, operator, station_id="NC-DARK-2", manufacturer="Alfen")
    page.emulate_media(color_scheme=scheme)
    login(operator)
    page.goto(f"{live_server.url}/admin/stations/station/")
    if theme:
        page.evaluate("theme => localStorage.setItem('theme', theme)", theme)
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
    page.locator("#result_list tbody tr").filter(has_text="NC-DARK-1").locator("input.action-select").check()
    assert_readable(page, READABLE)
    name = f"admin-{scheme}-scheme" + (f"-{theme}-theme" if theme else "")
    screenshot(f"{name}-list")

    page.get_by_role("link", name="NC-DARK-2").click()
    expect(page.get_by_role("heading", name="Station details")).to_be_visible()
    assert_readable(
        page,
        {
            "breadcrumb link": "div.breadcrumbs a",
            "field label": ".form-row label",
            "help text": ".form-row .help",
            "fieldset heading": "fieldset.module h2",
        },
    )
    screenshot(f"{name}-change")


def test_connector_inline_fits_1280_pixels_with_a_warning(
    page, live_server, tenant, operator, login, screenshot
):
    factories.make_station(
        tenant,
        operator,
        station_id="NC-WIDE-1",
        specs=[factories.spec_data(voltage=400, amperage=32), factories.spec_data(standard="CHADEMO")],
    )
    login(operator)
    page.goto(f"{live_server.url}/admin/stations/station/")
    page.get_by_role("link", name="NC-WIDE-1").click()
    expect(page.get_by_text("400 V looks like line-to-line voltage")).to_be_visible()

    group = page.locator(".inline-group").first
    table = group.locator("table").first
    # Nothing to scroll sideways: the table fits its box, and the box the page.
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    delete_header = group.locator("th", has_text="Delete?")
    box, group_box = delete_header.bounding_box(), group.bounding_box()
    assert box["x"] + box["width"] <= group_box["x"] + group_box["width"]
    screenshot("admin-inline-1280")


def test_specification_can_be_added_without_javascript(browser, live_server, tenant, operator):
    from stations.models import Station

    station = factories.make_station(tenant, operator, station_id="NC-NOJS-1")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(operator.get_username())
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/admin/stations/station/{station.pk}/change/")

        blank = page.locator(".inline-group tbody tr.form-row:not(.has_original):not(.empty-form)")
        expect(blank).to_have_count(1)
        blank.locator("input[name$='-position']").fill("2")
        blank.locator("select[name$='-standard']").select_option("CHADEMO")
        blank.locator("select[name$='-format']").select_option("CABLE")
        blank.locator("select[name$='-power_type']").select_option("DC")
        blank.locator("input[name$='-voltage']").fill("500")
        blank.locator("input[name$='-amperage']").fill("125")
        page.screenshot(path=str(_screenshots() / "admin-inline-no-javascript.png"), full_page=True)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("was changed successfully")).to_be_visible()
    finally:
        context.close()

    specs = Station.objects.get(pk=station.pk).connector_specs.order_by("position")
    assert [(spec.position, spec.standard, spec.voltage) for spec in specs] == [
        (1, "IEC_62196_T2", 230),
        (2, "CHADEMO", 500),
    ]


def _screenshots():
    from tests.e2e.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def test_refused_values_show_errors_but_no_power_or_warning(
    page, live_server, tenant, operator, login, screenshot
):
    station = factories.make_station(tenant, operator, station_id="NC-BAD-1")
    login(operator)
    page.goto(f"{live_server.url}/admin/stations/station/{station.pk}/change/")
    expect(page.locator("input[name='connector_specs-0-voltage']")).to_have_attribute("max", "1000")
    expect(page.get_by_text("Add another connector specification")).to_be_visible()
    first = page.locator(".inline-group tbody tr.has_original").first
    first.locator("select[name$='-power_type']").select_option("AC_3_PHASE")
    first.locator("input[name$='-voltage']").fill("1001")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Enter whole volts from 110 to 1000.")).to_be_visible()
    expect(page.get_by_text("looks like line-to-line voltage")).to_have_count(0)
    # The saved specification's power (3 × 230 V × 16 A), not the refused one's (3 × 1001 V × 16 A).
    expect(page.locator(".inline-group td.field-power").first).to_have_text("11.04 kW")
    screenshot("admin-inline-refused-values")


def test_operator_bulk_delete_of_an_active_station_says_why(
    page, live_server, tenant, operator, login, screenshot
):
    from django.utils import timezone

    from stations.models import Station

    active = factories.make_station(tenant, operator, station_id="WIZ-002")
    Station.objects.filter(pk=active.pk).update(
        status="active", activated_by=operator, activated_at=timezone.now()
    )
    login(operator)
    page.goto(f"{live_server.url}/admin/stations/station/")
    page.locator("#result_list input.action-select").check()
    page.locator("select[name=action]").select_option("delete_selected")
    page.get_by_role("button", name="Go").click()
    message = "WIZ-002 is active; only support staff can delete active stations."
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_text("related objects")).to_have_count(0)
    screenshot("admin-bulk-delete-active")
    assert Station.objects.filter(pk=active.pk).exists()
