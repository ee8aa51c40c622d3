"""Personas shared by every test: two tenants, an operator of each, and a support user."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests import factories


@pytest.fixture(autouse=True)
def operators_group(request):
    """Put back the Operators group (a data migration) that the flush after a transactional test deletes.

    ``serialized_rollback`` cannot: under Playwright's event loop Django hands out another connection
    object, without the serialized contents. So run the migration's own function again.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "live_server" in request.fixturenames
    )
    if transactional and not Group.objects.filter(name="Operators").exists():
        migration = importlib.import_module("stations.migrations.0002_operators_group")
        state = MigrationLoader(connection).project_state(("stations", "0002_operators_group"))
        migration.create_operators_group(state.apps, None)


@pytest.fixture
def tenant(db):
    return factories.make_tenant("north-charge", "North Charge")


@pytest.fixture
def other_tenant(db):
    return factories.make_tenant("south-volt", "South Volt")


@pytest.fixture
def operator(tenant):
    return factories.make_operator(tenant, "olivia")


@pytest.fixture
def other_operator(other_tenant):
    return factories.make_operator(other_tenant, "oscar")


@pytest.fixture
def support(db):
    return factories.make_support()


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client
