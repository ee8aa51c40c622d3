"""Browser tests drive Debian's Chromium through Playwright against Django's live server.

Every test under tests/e2e/ gets the ``e2e`` marker, so ``-m "not e2e"`` leaves them all out. Without
Chromium they skip with the reason, except in CI (CI=true), where they must run. Screenshots are saved
only when STATION_IMPORT_SCREENSHOTS names a folder: a full-page screenshot costs time and tests nothing.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
_SCREENSHOTS_ENV = os.environ.get("STATION_IMPORT_SCREENSHOTS", "").strip()
SCREENSHOTS_WANTED = bool(_SCREENSHOTS_ENV)
# The old default folder stays for code that still writes there itself.
E2E_DIR = Path(__file__).parent
SCREENSHOTS = Path(_SCREENSHOTS_ENV).resolve() if SCREENSHOTS_WANTED else E2E_DIR / "screenshots"

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(config, items):
    browser_tests = [item for item in items if E2E_DIR in Path(str(item.path)).parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    if not browser_tests or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError(f"CI=true but no Chromium at {CHROMIUM}: browser tests must run in CI.")
    skip = pytest.mark.skip(reason=f"Chromium not installed ({CHROMIUM}); apt-get install chromium")
    for item in browser_tests:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "reduced_motion": "reduce", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot as NAME.png in $STATION_IMPORT_SCREENSHOTS, for people to look at.

    Without that variable it does nothing. ``page`` defaults to the test's page; pass another (a context
    without JavaScript, say) to take that one.
    """

    def take(name: str, page=None):
        if not SCREENSHOTS_WANTED:
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page = page or request.getfixturevalue("page")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def login(page, live_server):
    """Start the browser on the dashboard, logged in as the given user, through a session cookie.

    Filling in the login form costs a page load and a POST per test; tests/e2e/test_login.py is the one
    test of the login page itself. The session is a real one, made by Django's own ``force_login``.
    """

    def as_user(user):
        client = Client()
        client.force_login(user)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )
        page.goto(f"{live_server.url}/")

    return as_user


@pytest.fixture
def login_by_form(page, live_server):
    """Log in through the real login page as the given user."""

    def as_user(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

    return as_user


# The accessibility checks vary the colour scheme and the width: one run per pair.
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture
def clear_cache():
    """Activation throttle counters live in the cache table, which transactional tests do not flush."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=["light", "dark"])
def scheme(request, page):
    page.emulate_media(color_scheme=request.param)
    return request.param


@pytest.fixture(params=list(WIDTHS))
def width(request, page):
    page.set_viewport_size({"width": WIDTHS[request.param], "height": 900})
    return request.param
