"""Personas shared by every test: two tenants, an operator of each, and a support user."""

import pytest

from tests import factories


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
