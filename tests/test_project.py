"""The project as a whole: migrations, the Operators group, settings, the pages every user sees."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

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


def run_manage(*args, **env):
    # The settings as a fresh shell sees them: no DJANGO_* and no DATABASE_URL of the test run.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    environment = inherited
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "everon_import.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_production_refuses_weak_secret_key():
    result = run_manage("check", DJANGO_SECRET_KEY="short")
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="k" * 20 + "Zq8-v!3xLr0$e7Tg2@pW5nYb9hJc4mFs6aDu1oKi",
        DJANGO_ALLOWED_HOSTS="stations.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_refuses_unknown_boolean_spelling():
    result = run_manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe'" in result.stderr


_DEV = {"DJANGO_DEBUG": "true"}


def test_refuses_unknown_log_level_naming_the_allowed_ones():
    result = run_manage("check", DJANGO_LOG_LEVEL="verbose", **_DEV)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_LOG_LEVEL='verbose'" in result.stderr
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in result.stderr
    assert "Unable to configure root logger" not in result.stderr


def test_accepts_a_log_level_in_any_case():
    result = run_manage("check", DJANGO_LOG_LEVEL="warning", **_DEV)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url", ["mysql://user:pw@localhost/db", "oracle://user:pw@localhost/db"])
def test_refuses_a_database_other_than_sqlite_or_postgresql(url):
    result = run_manage("check", DATABASE_URL=url, **_DEV)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SQLite and PostgreSQL only" in result.stderr
    assert "MySQLdb" not in result.stderr


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
    import importlib
    import re

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


def test_readme_gives_the_default_database_as_it_is():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `DATABASE_URL` | `db.sqlite3` in the project folder |" in readme
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['NAME'])",
        **_DEV,
    )
    assert result.stdout.strip().splitlines()[-1] == str(ROOT / "db.sqlite3"), result.stderr
