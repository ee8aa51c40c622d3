"""axe-core checks for the browser tests: one line per page state, `assert_accessible(page, "name")`.

A state is checked at each width (1280 and 390 px) in light and dark, on the page as it is: the viewport
and the colour scheme change in place (theme.js follows the system's scheme as it changes), so a walk
through the product is made once rather than once per width and scheme. axe-playwright-python bundles
axe-core, so nothing is downloaded at run time; the script is put into each document once.
With STATION_IMPORT_SCREENSHOTS=dir each checked state is also saved there, for people to look at.
"""

from collections.abc import Callable, Iterable

from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import SCREENSHOTS, SCREENSHOTS_WANTED, WIDTHS

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCHEMES = ("light", "dark")
_axe = Axe()
_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}


def axe_violations(page, known: tuple[str, ...] = ()) -> list[dict]:
    """The WCAG 2.2 AA violations axe-core finds on the page as it is now, less the KNOWN rule ids."""
    if not page.evaluate("typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(_axe.axe_script)
    arguments = _axe._format_script_args(context=None, options=_OPTIONS)
    violations = page.evaluate(f"axe.run({arguments})")["violations"]
    return [violation for violation in violations if violation["id"] not in known]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            target = " ".join(map(str, node["target"]))
            lines.append(f"    {target}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def show(page, width: str, scheme: str) -> None:
    """Lay the page out at WIDTH in SCHEME, where it is, and wait until the page has followed."""
    viewport = {"width": WIDTHS[width], "height": 900}
    if page.viewport_size != viewport:
        page.set_viewport_size(viewport)
    page.emulate_media(color_scheme=scheme)
    dark, theme = page.evaluate(SETTLED_JS)
    assert dark == (scheme == "dark"), f"the page does not see the {scheme} scheme"
    assert theme in (None, scheme), f"data-bs-theme is {theme!r} in the {scheme} scheme"


# After the next frame, when the media query's change event has reached theme.js (which resolves "auto" to
# the system's scheme); the colour fades of the admin's links and buttons (0.15 s) are taken to their end:
# axe must see the page in the scheme asked for, and the colours where they end, not in between.
SETTLED_JS = """async () => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  for (const animation of document.getAnimations()) {
    if (animation.effect && animation.effect.getComputedTiming().endTime !== Infinity) animation.finish();
  }
  return [matchMedia("(prefers-color-scheme: dark)").matches,
          document.documentElement.getAttribute("data-bs-theme")];
}"""


def assert_accessible(
    page,
    name: str,
    known: tuple[str, ...] = (),
    widths: Iterable[str] = tuple(WIDTHS),
    at_width: Callable[[str], None] | None = None,
) -> None:
    """Fail with axe-core's findings, each with the elements concerned, if the page breaks WCAG 2.2 AA
    at any of WIDTHS in light or dark. AT_WIDTH(width) runs the test's own checks of the layout at each.

    KNOWN names rule ids already reported for a page whose markup is not ours; keep it empty everywhere
    else. The page is left at 1280 px in light.
    """
    failures = []
    for width in widths:
        for scheme in SCHEMES:
            show(page, width, scheme)
            if at_width and scheme == SCHEMES[0]:
                at_width(width)
            if SCREENSHOTS_WANTED:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}-{scheme}-{width}.png"), full_page=True)
            violations = axe_violations(page, known)
            if violations:
                failures.append(f"axe-core on {name}, {scheme}, {width}:\n{describe(violations)}")
    show(page, "desktop", "light")
    assert not failures, "\n".join(failures)
