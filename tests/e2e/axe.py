"""axe-core checks for the browser tests: one line per page, `assert_no_axe_violations(page, "name")`.

axe-playwright-python bundles axe-core, so nothing is downloaded at run time. With A11Y_SCREENSHOTS=1 each
checked page is also saved as tests/e2e/screenshots/a11y-NAME.png for people to look at.
"""

import os

from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import SCREENSHOTS

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()


def axe_violations(page, known: tuple[str, ...] = ()) -> list[dict]:
    """The WCAG 2.2 AA violations axe-core finds on the page as it is now, less the KNOWN rule ids."""
    options = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    violations = _axe.run(page, options=options).response["violations"]
    return [violation for violation in violations if violation["id"] not in known]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            target = " ".join(map(str, node["target"]))
            lines.append(f"    {target}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def assert_no_axe_violations(page, name: str = "", known: tuple[str, ...] = ()) -> None:
    """Fail with axe-core's findings, each with the elements concerned, if the page breaks WCAG 2.2 AA.

    KNOWN names rule ids already reported for a page whose templates are being reworked elsewhere; keep it
    empty everywhere else.
    """
    if os.environ.get("A11Y_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"a11y-{name or 'page'}.png"), full_page=True)
    violations = axe_violations(page, known)
    assert not violations, f"axe-core on {name or page.url}:\n{describe(violations)}"
