"""The project as a whole: migrations, the Operators group, settings, the pages every user sees."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_station

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
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
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
