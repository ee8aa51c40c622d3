"""Personal API tokens: shown once, stored hashed, revoked, last use, the command and the page."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from api.models import ApiToken
from api.tokens import LAST_USED_RESOLUTION, api_token_create, api_token_revoke, token_digest
from tests import factories
from tests.api.conftest import bearer_client

URL = "/api/v1/stations/"
PAGE = "/account/api-tokens/"


def _all_database_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, name, digest, prefix FROM api_apitoken")
        return repr(cursor.fetchall())


def test_the_database_holds_a_keyed_hash_not_the_token(operator):
    record, token = api_token_create(user=operator, name="ERP")
    assert token not in _all_database_text()
    assert token[len(record.prefix) :] not in _all_database_text()
    assert record.digest == token_digest(token)
    assert len(record.digest) == 64
    # Keyed: the same token under another key hashes differently (a plain SHA-256 would not depend on it).
    assert token_digest(token, secret="another-secret-key" * 3) != record.digest
    assert token.startswith(record.prefix)


def test_a_token_acts_as_its_user(api, tenant, other_tenant):
    factories.make_station(tenant, station_id="MINE-1")
    factories.make_station(other_tenant, station_id="THEIRS-1")
    assert [s["station_id"] for s in api.get(URL).json()["results"]] == ["MINE-1"]


@pytest.mark.parametrize(
    "header",
    ["Bearer si_not-a-real-token", "Bearer", "Bearer two words", "Bearer \u00e9t\u00e9"],
    ids=["unknown", "empty", "two-words", "non-ascii"],
)
def test_bad_tokens_are_401_with_a_challenge(db, header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("utf-8").decode("latin-1"))
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] in {"invalid_token", "malformed_authorization"}


def test_no_token_is_401(anonymous_api):
    response = anonymous_api.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_revoked_token_is_401(operator):
    record, token = api_token_create(user=operator, name="old")
    client = bearer_client(token)
    assert client.get(URL).status_code == 200
    api_token_revoke(token=record)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_disabled_account_is_401(operator):
    _record, token = api_token_create(user=operator, name="x")
    operator.is_active = False
    operator.save()
    assert bearer_client(token).get(URL).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(operator):
    record, token = api_token_create(user=operator, name="x")
    assert record.last_used_at is None
    client = bearer_client(token)
    client.get(URL)
    record.refresh_from_db()
    first = record.last_used_at
    assert first is not None
    client.get(URL)
    record.refresh_from_db()
    assert record.last_used_at == first
    ApiToken.objects.filter(pk=record.pk).update(
        last_used_at=first - LAST_USED_RESOLUTION - timedelta(seconds=1)
    )
    client.get(URL)
    record.refresh_from_db()
    assert record.last_used_at > first - timedelta(seconds=1)
    assert timezone.now() - record.last_used_at < timedelta(seconds=30)


def test_the_rate_limit_per_token(operator, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/minute"}}
    one = bearer_client(api_token_create(user=operator, name="one")[1])
    two = bearer_client(api_token_create(user=operator, name="two")[1])
    assert [one.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = one.get(URL)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) >= 1
    # Per token: another token of the same user has its own allowance.
    assert two.get(URL).status_code == 200


def test_command_prints_a_working_token(operator):
    out = StringIO()
    call_command("create_api_token", "olivia", "--name", "CI", stdout=out)
    token = out.getvalue().strip()
    assert ApiToken.objects.get(user=operator).name == "CI"
    assert bearer_client(token).get(URL).status_code == 200


def test_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("create_api_token", "nobody", "--name", "CI")


# The page --------------------------------------------------------------------------------------------------


def test_page_needs_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_page_creates_and_shows_the_token_once(operator_client, operator):
    response = operator_client.post(PAGE, {"name": "ERP sync"})
    assert response.status_code == 200
    token = response.context["created"]["token"]
    html = response.content.decode()
    assert token in html
    assert response["Cache-Control"] == "no-store"
    record = ApiToken.objects.get(user=operator)
    assert record.name == "ERP sync"
    assert bearer_client(token).get(URL).status_code == 200
    again = operator_client.get(PAGE).content.decode()
    assert token not in again
    assert "ERP sync" in again
    assert record.prefix in again


def test_page_refuses_an_empty_name(operator_client):
    response = operator_client.post(PAGE, {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_page_lists_only_own_tokens_with_last_use(operator_client, operator, other_operator):
    _mine, token = api_token_create(user=operator, name="mine")
    api_token_create(user=other_operator, name="someone-elses")
    bearer_client(token).get(URL)
    html = operator_client.get(PAGE).content.decode()
    assert "mine" in html
    assert "someone-elses" not in html
    assert "Never" not in html


def test_page_revokes_own_token(operator_client, operator):
    record, token = api_token_create(user=operator, name="old")
    response = operator_client.post(f"{PAGE}{record.pk}/revoke/")
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.is_revoked
    assert bearer_client(token).get(URL).status_code == 401


def test_another_users_token_is_not_revocable(operator_client, other_operator):
    theirs, token = api_token_create(user=other_operator, name="theirs")
    response = operator_client.post(f"{PAGE}{theirs.pk}/revoke/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_revoked
    assert bearer_client(token).get(URL).status_code == 200


def test_revoke_needs_post_and_csrf(operator, client):
    from django.test import Client

    record, _token = api_token_create(user=operator, name="x")
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(operator)
    assert checked.get(f"{PAGE}{record.pk}/revoke/").status_code == 405
    assert checked.post(f"{PAGE}{record.pk}/revoke/").status_code == 403
    record.refresh_from_db()
    assert not record.is_revoked


def test_nav_links_the_page(operator_client):
    assert f'href="{PAGE}"' in operator_client.get("/").content.decode()


def test_command_refuses_an_empty_name(operator):
    with pytest.raises(CommandError, match="blank"):
        call_command("create_api_token", "olivia", "--name", " ")
    assert not ApiToken.objects.exists()
