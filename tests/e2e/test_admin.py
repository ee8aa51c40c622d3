"""The management overview in a real browser: what only a browser shows, colours and widths.

Filters, search, scoping, the inline's rules, actions and their messages are tests/test_admin.py's,
through the test client: the admin's forms are plain HTML forms, and its pages are Django's.
"""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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


# Each scheme as the admin's own toggle sets it (data-theme), "auto" following the OS (prefers-color-scheme).
SCHEMES = [("light", "auto"), ("dark", "auto"), ("light", "dark"), ("dark", "light")]

# Django's links fade their colour in 0.15 s: without this the contrast would be read half-way. A
# constructed style sheet, since the Content-Security-Policy refuses an inline <style>.
NO_TRANSITIONS = """() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync("*, *::before, *::after { transition: none !important; }");
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}"""


def show_in_every_scheme(page):
    """Yield (scheme, theme) with the page showing it, switching by the admin's theme toggle."""
    page.evaluate(NO_TRANSITIONS)
    for scheme, theme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for _ in range(3):  # the toggle cycles through auto, light and dark
            if page.locator("html").get_attribute("data-theme") == theme:
                break
            page.locator("button.theme-toggle").click()
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        yield scheme, theme


def test_list_and_change_page_are_readable_in_every_colour_scheme_and_fit_1280_pixels(
    page, live_server, tenant, operator, login, screenshot
):
    """The OS preference (prefers-color-scheme) and the admin's own theme toggle (data-theme)."""
    factories.make_station(tenant, operator, station_id="NC-DARK-1", manufacturer="Alfen")
    factories.make_station(
        tenant,
        operator,
        station_id="NC-DARK-2",
        manufacturer="Alfen",
        specs=[factories.spec_data(voltage=400, amperage=32), factories.spec_data(standard="CHADEMO")],
    )
    login(operator)
    page.goto(f"{live_server.url}/admin/stations/station/")
    page.locator("#result_list tbody tr").filter(has_text="NC-DARK-1").locator("input.action-select").check()
    for scheme, theme in show_in_every_scheme(page):
        assert_readable(page, READABLE)
        screenshot(f"admin-{scheme}-scheme-{theme}-theme-list")

    # The theme chosen last is stored: the next page opens in it.
    page.get_by_role("link", name="NC-DARK-2").click()
    expect(page.get_by_role("heading", name="Station details")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-theme", SCHEMES[-1][1])
    for scheme, theme in show_in_every_scheme(page):
        assert_readable(
            page,
            {
                "breadcrumb link": "div.breadcrumbs a",
                "field label": ".form-row label",
                "help text": ".form-row .help",
                "fieldset heading": "fieldset.module h2",
            },
        )
        screenshot(f"admin-{scheme}-scheme-{theme}-theme-change")

    # Two specifications, one with the line-voltage warning (its widest row): nothing to scroll sideways,
    # the inline's table fits its box, and the box the page.
    expect(page.get_by_text("400 V looks like line-to-line voltage")).to_be_visible()
    group = page.locator(".inline-group").first
    table = group.locator("table").first
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    delete_header = group.locator("th", has_text="Delete?")
    box, group_box = delete_header.bounding_box(), group.bounding_box()
    assert box["x"] + box["width"] <= group_box["x"] + group_box["width"]
    screenshot("admin-inline-1280")
