"""The project as a whole: migrations, the Operators group, settings, the pages every user sees."""

import importlib
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse

from everon_import.settings import env_bool, env_int, env_list
from stations.views import NO_TENANT_MESSAGE
from tests.factories import make_operator, make_station

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_no_pending_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_operators_group_holds_station_permissions():
    codenames = set(Group.objects.get(name="Operators").permissions.values_list("codename", flat=True))
    assert codenames == {
        f"{action}_{model}"
        for model in ("station", "connectorspec")
        for action in ("add", "change", "view", "delete")
    }


SETTINGS_FILE = ROOT / "everon_import" / "settings.py"
# A production start-up as a fresh shell gives it: a long random key, a host name, nothing else.
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k" * 20 + "Zq8-v!3xLr0$e7Tg2@pW5nYb9hJc4mFs6aDu1oKi",
    "DJANGO_ALLOWED_HOSTS": "stations.example.com",
}
_DEV = {"DJANGO_DEBUG": "true"}


def fresh_environment(**env) -> dict[str, str]:
    # The settings as a fresh shell sees them: no DJANGO_* and no DATABASE_URL of the test run.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    environment.update(env)
    return environment


def load_settings(monkeypatch, **env) -> dict:
    """Run everon_import/settings.py in this process under ``env``, as a start-up would; its names."""
    for name in [k for k in os.environ if k.startswith("DJANGO_") or k == "DATABASE_URL"]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def run_manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**fresh_environment(**env), "DJANGO_SETTINGS_MODULE": "everon_import.settings"},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_secret_key():
    # One real start-up: manage.py must stop with the reason, before doing anything.
    result = run_manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    # Django's deployment checks run on the configured project only, so this one needs its own process.
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_need_a_secret_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY is required"):
        load_settings(monkeypatch)


@pytest.mark.parametrize("key", ["short", "django-insecure-" + "x" * 60])
def test_production_refuses_weak_secret_key(monkeypatch, key):
    with pytest.raises(ImproperlyConfigured, match="at least 50 characters"):
        load_settings(monkeypatch, DJANGO_SECRET_KEY=key)


def test_production_settings_are_secure(monkeypatch):
    loaded = load_settings(monkeypatch, **PRODUCTION)
    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["stations.example.com"]
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_HSTS_SECONDS"] == 60 * 60 * 24 * 365


def test_refuses_unknown_boolean_spelling(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=re.escape("DJANGO_DEBUG='maybe'")):
        load_settings(monkeypatch, DJANGO_DEBUG="maybe")


@pytest.mark.parametrize(("raw", "expected"), [("TRUE", True), (" yes ", True), ("0", False), ("off", False)])
def test_env_bool_reads_known_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected


def test_env_bool_and_int_fall_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("SOME_FLAG", raising=False)
    assert env_bool("SOME_FLAG", True) is True
    assert env_int("SOME_FLAG", 7) == 7


def test_env_int_refuses_what_is_not_a_whole_number(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "12.5")
    with pytest.raises(ImproperlyConfigured, match=re.escape("SOME_NUMBER='12.5': expected a whole number")):
        env_int("SOME_NUMBER", 1)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("SOME_LIST", " a.example, ,b.example ")
    assert env_list("SOME_LIST", ["default"]) == ["a.example", "b.example"]


def test_refuses_unknown_log_level_naming_the_allowed_ones(monkeypatch):
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings(monkeypatch, DJANGO_LOG_LEVEL="verbose", **_DEV)
    assert "DJANGO_LOG_LEVEL='verbose'" in str(refused.value)
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in str(refused.value)


def test_accepts_a_log_level_in_any_case(monkeypatch):
    loaded = load_settings(monkeypatch, DJANGO_LOG_LEVEL="warning", **_DEV)
    assert loaded["LOGGING"]["root"]["level"] == "WARNING"


@pytest.mark.parametrize("url", ["mysql://user:pw@localhost/db", "oracle://user:pw@localhost/db"])
def test_refuses_a_database_other_than_sqlite_or_postgresql(monkeypatch, url):
    # Refused by the settings themselves, before Django would try to import a driver (MySQLdb).
    with pytest.raises(ImproperlyConfigured, match="SQLite and PostgreSQL only"):
        load_settings(monkeypatch, DATABASE_URL=url, **_DEV)


@pytest.mark.django_db
def test_dashboard_requires_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_dashboard_counts_only_own_tenant(operator_client, tenant, other_tenant):
    make_station(tenant, station_id="OWN1")
    make_station(tenant, station_id="OWN2")
    make_station(other_tenant, station_id="FOREIGN1")
    response = operator_client.get(reverse("dashboard"))
    assert response.context["counts"] == {"inactive": 2, "active": 0}
    assert b"South Volt" not in response.content
    assert reverse("stations:import").encode() in response.content
    assert reverse("stations:upload").encode() in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["stations:import", "stations:upload", "stations:activate"])
def test_product_pages_never_fail(operator_client, name):
    assert operator_client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_demo_setup_is_idempotent(capsys):
    call_command("demo_setup")
    call_command("demo_setup")
    out = capsys.readouterr().out
    assert "Operator login: operator / operator-demo" in out
    assert Group.objects.get(name="Operators").user_set.filter(username="operator").count() == 1


# -- the menu and the error pages ---------------------------------------------------------------------------


def nav_of(response) -> str:
    content = response.content.decode()
    return content[content.index('id="nav-main"') : content.index("</nav>")]


@pytest.mark.django_db
def test_menu_offers_import_to_an_operator_with_a_tenant(operator_client):
    nav = nav_of(operator_client.get(reverse("dashboard")))
    assert reverse("stations:import") in nav
    assert reverse("stations:upload") in nav


@pytest.mark.django_db
def test_menu_hides_import_from_support_without_a_tenant(client, support):
    # Support holds every permission but has no tenant to import into: as on the dashboard, no link.
    client.force_login(support)
    nav = nav_of(client.get(reverse("dashboard")))
    assert reverse("stations:import") not in nav
    assert reverse("stations:upload") not in nav
    assert reverse("stations:activate") in nav


@pytest.mark.django_db
def test_forbidden_page_says_why_in_the_product_layout(client, support):
    client.force_login(support)
    response = client.get(reverse("stations:import"))
    assert response.status_code == 403
    assert [template.name for template in response.templates][:2] == ["403.html", "base.html"]
    content = response.content.decode()
    assert NO_TENANT_MESSAGE in content
    assert f'href="{reverse("dashboard")}"' in content
    assert "Back to the dashboard" in content


@pytest.mark.django_db
def test_forbidden_page_without_a_reason_gives_a_general_one(client, tenant):
    user = make_operator(tenant, "viewer")
    user.groups.clear()
    user.user_permissions.add(Permission.objects.get(codename="view_station"))
    client.force_login(user)
    response = client.get(reverse("stations:import"))
    assert response.status_code == 403
    assert "does not have the permission this page needs" in response.content.decode()


@pytest.mark.django_db
def test_not_found_page_uses_the_product_layout(operator_client):
    response = operator_client.get("/no-such-page/")
    assert response.status_code == 404
    assert [template.name for template in response.templates][:2] == ["404.html", "base.html"]
    content = response.content.decode()
    # Nothing from the request is echoed (issue 11), not even the address.
    assert "/no-such-page/" not in content
    assert "Back to the dashboard" in content


# -- README and CI -------------------------------------------------------------------------------------------


def test_readme_names_functions_where_they_live():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = re.findall(r"`(csv_format|csv_export|csv_import|services|selectors|rules|bulk)\.(\w+)", readme)
    assert ("csv_format", "restore_cell") in names
    for module, name in names:
        assert hasattr(importlib.import_module(f"stations.{module}"), name), f"{module}.{name}"


def test_ci_checks_the_formatting_and_the_readme_says_so():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "ruff check ." in ci
    assert "ruff format --check ." in ci
    assert "`ruff format --check .`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_the_default_database_as_it_is(monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `DATABASE_URL` | `db.sqlite3` in the project folder |" in readme
    loaded = load_settings(monkeypatch, **_DEV)
    assert loaded["DATABASES"]["default"]["NAME"] == str(ROOT / "db.sqlite3")


def test_ci_runs_the_browser_tests_once_on_postgresql():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if "make --no-print-directory test" in line]
    assert len(commands) == 2
    sqlite, postgresql = commands
    assert "DATABASE_URL" not in sqlite
    assert "PYTEST_ARGS='-m \"not e2e\"'" in sqlite
    assert 'DATABASE_URL="postgres://' in postgresql
    assert "PYTEST_ARGS" not in postgresql


def test_every_browser_test_is_marked_e2e():
    # Collection only: with -m "not e2e" nothing under tests/e2e/ may be left to run on SQLite in CI.
    options = ["--collect-only", "-q", "-p", "no:cacheprovider", "-m", "not e2e"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "tests/e2e"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout + result.stderr
    assert re.search(r"\b\d+ deselected\b", result.stdout), result.stdout
