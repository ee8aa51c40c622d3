"""API personas: a token for the operator of each tenant, and clients that send them."""

import pytest
from rest_framework.test import APIClient

from api.tokens import api_token_create


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def token(operator):
    _record, token = api_token_create(user=operator, name="ERP sync")
    return token


@pytest.fixture
def api(token):
    """The operator of tenant A (North Charge), by API token."""
    return bearer_client(token)


@pytest.fixture
def other_api(other_operator):
    """The operator of tenant B (South Volt), by API token."""
    return bearer_client(api_token_create(user=other_operator, name="other")[1])


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture(autouse=True)
def clear_cache(db):
    # Throttle counters (per token, activation) live in the cache table, which a test's rollback keeps.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
