"""Hardening (SPEC §5): sign-in throttling, the client address behind proxies, error pages, the CSP header,
uploads refused unread, and the retention of stored import data."""

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import include, path, reverse
from django.utils import timezone

from everon_import.urls import urlpatterns as project_urlpatterns
from stations.choices import ImportSource
from stations.client_address import client_address
from stations.models import ImportRecord, Station
from tests.factories import PASSWORD, make_station
from tests.test_project import run_manage

CODE = "K7P2-93QX"  # factories.station_data's security code
PROXY = "10.0.0.2"


@pytest.fixture
def fresh_cache(db):
    # The cache table (activation counters) is not part of a test's flush.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user(username="bob", password=PASSWORD)


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(username="sam", password=PASSWORD, is_staff=True)


def sign_in(client, username, password=PASSWORD, address="192.0.2.10", url="/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# Sign-in throttling ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_six_wrong_passwords_lock_the_account_even_for_the_right_one(client, alice):
    for _ in range(6):
        assert sign_in(client, "alice", "wrong").status_code in (200, 429)
    response = sign_in(client, "alice")
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert "Try again in 15 minutes" in page
    # The lockout page is the product's, not axes' plain sentence.
    assert 'class="navbar' in page


@pytest.mark.django_db
def test_five_failures_are_allowed_the_fifth_locks(client, alice):
    for attempt in range(1, 5):
        assert sign_in(client, "alice", "wrong").status_code == 200, attempt
    assert sign_in(client, "alice", "wrong").status_code == 429


@pytest.mark.django_db
def test_another_account_from_another_address_still_signs_in(client, alice, bob):
    for _ in range(6):
        sign_in(client, "alice", "wrong", address="192.0.2.10")
    other = Client()
    assert sign_in(other, "bob", address="198.51.100.7").status_code == 302
    assert signed_in(other)


@pytest.mark.django_db
def test_the_account_is_locked_from_every_address(client, alice):
    for n in range(5):
        sign_in(client, "alice", "wrong", address=f"198.51.100.{n + 1}")
    response = sign_in(Client(), "alice", address="203.0.113.50")
    assert response.status_code == 429


@pytest.mark.django_db
def test_the_address_is_locked_for_every_account(client, alice, bob):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address="192.0.2.10")
    other = Client()
    assert sign_in(other, "bob", address="192.0.2.10").status_code == 429
    assert not signed_in(other)


@pytest.mark.django_db
def test_admin_login_is_throttled_too(client, staff):
    for _ in range(6):
        sign_in(client, "sam", "wrong", url="/admin/login/")
    response = sign_in(client, "sam", url="/admin/login/")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)


@pytest.mark.django_db
def test_failures_on_the_admin_and_the_product_login_add_up(client, staff):
    for n in range(5):
        sign_in(client, "sam", "wrong", url="/admin/login/" if n % 2 else "/accounts/login/")
    assert sign_in(Client(), "sam", address="203.0.113.50").status_code == 429


@pytest.mark.django_db
def test_an_empty_login_form_is_not_a_failure(client, alice):
    for _ in range(10):
        assert client.post("/accounts/login/", {"username": "", "password": ""}).status_code == 200
        assert client.post("/accounts/login/", {"username": "alice", "password": ""}).status_code == 200
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "alice").status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(client, alice, settings):
    for _ in range(5):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "alice").status_code == 302


@pytest.mark.django_db
def test_limits_come_from_the_settings(client, alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=90)
    sign_in(client, "alice", "wrong")
    response = sign_in(client, "alice", "wrong")
    assert response.status_code == 429
    assert "Try again in 90 minutes" in response.content.decode()


# The client address --------------------------------------------------------------------------------------


def request_from(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        pytest.param(
            [], "203.0.113.9", "198.51.100.1", "203.0.113.9", id="no-trusted-proxies-header-ignored"
        ),
        pytest.param(
            ["10.0.0.0/8"], "203.0.113.9", "198.51.100.1", "203.0.113.9", id="untrusted-peer-forged"
        ),
        pytest.param(["10.0.0.0/8"], PROXY, "198.51.100.1", "198.51.100.1", id="through-trusted-proxy"),
        pytest.param(
            ["10.0.0.0/8"],
            PROXY,
            "6.6.6.6, 198.51.100.1",
            "198.51.100.1",
            id="client-prepended-forgery-skipped",
        ),
        pytest.param(["10.0.0.0/8"], PROXY, "198.51.100.1, 10.0.0.7", "198.51.100.1", id="two-trusted-hops"),
        pytest.param([PROXY], PROXY, "10.0.0.7", "10.0.0.7", id="single-address-entry-not-a-network"),
        pytest.param(["10.0.0.0/8"], PROXY, None, PROXY, id="no-header-the-proxy"),
        pytest.param(["10.0.0.0/8"], PROXY, "10.0.0.3", "10.0.0.3", id="all-hops-trusted-the-leftmost"),
        pytest.param(["10.0.0.0/8"], PROXY, "not-an-address", PROXY, id="garbage-not-believed"),
        pytest.param(["::1"], "::1", "2001:db8::5", "2001:db8::5", id="ipv6"),
        pytest.param(["10.0.0.0/8"], PROXY, "198.51.100.1:4711", "198.51.100.1", id="port-dropped"),
    ],
)
def test_client_address(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_address(request_from(remote, forwarded)) == expected


def test_trusted_proxies_must_be_addresses_or_networks():
    result = run_manage("check", DJANGO_DEBUG="true", DJANGO_TRUSTED_PROXIES="10.0.0.0/8, nginx")
    assert result.returncode != 0
    assert "DJANGO_TRUSTED_PROXIES: 'nginx' is not an IP address or network" in result.stderr


def activate(client, station_id, code, forwarded, remote=PROXY):
    return client.post(
        reverse("stations:activate"),
        {"station_id": station_id, "security_code": code},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_activation_failures_behind_a_trusted_proxy_count_per_client(
    client, tenant, alice, bob, settings, fresh_cache
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_station(tenant)
    client.force_login(alice)
    for n in range(5):
        assert activate(client, f"NOPE{n}", CODE, "198.51.100.1").status_code == 400
    assert activate(client, "ST1010101", CODE, "198.51.100.1").status_code == 429
    other = Client()
    other.force_login(bob)
    response = activate(other, "ST1010101", CODE, "198.51.100.2")
    assert response.status_code == 302
    assert Station.objects.get().activated_by == bob


@pytest.mark.django_db
def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(client, tenant, alice, settings, fresh_cache):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    make_station(tenant)
    client.force_login(alice)
    for n in range(5):
        activate(client, f"NOPE{n}", CODE, f"198.51.100.{n + 1}", remote="203.0.113.9")
    assert activate(client, "ST1010101", CODE, "198.51.100.99", remote="203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_sign_in_behind_a_trusted_proxy_counts_per_client(client, alice, bob, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert sign_in(Client(), "bob", address=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert sign_in(Client(), "bob", address=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}


# Error pages ----------------------------------------------------------------------------------------------


def broken_view(request):
    raise RuntimeError("secret internals: SELECT * FROM stations_station")


def forbidden_view(request, anything):
    raise PermissionDenied


urlpatterns = [
    path("test-broken/", broken_view),
    path("test-forbidden/<path:anything>/", forbidden_view),
    path("", include(project_urlpatterns)),
]

PROBE = "PROBE-<b>echo</b>"


@pytest.mark.django_db
def test_400_is_the_products_page_for_a_bad_host(client):
    response = client.get(f"/?q={PROBE}", HTTP_HOST="evil.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This request could not be handled" in page
    assert "Back to the dashboard" in page
    assert "evil.example" not in page
    assert "PROBE" not in page


@pytest.mark.django_db
def test_403_is_the_products_page(client):
    user = get_user_model().objects.create_user(username="plain", password=PASSWORD, is_staff=True)
    client.force_login(user)
    response = client.get(reverse("stations:upload"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You can't use this page" in page
    assert "Back to the dashboard" in page


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_403_does_not_echo_the_request(client, operator):
    client.force_login(operator)
    response = client.get(f"/test-forbidden/{PROBE}/?next={PROBE}")
    assert response.status_code == 403
    assert "PROBE" not in response.content.decode()


@pytest.mark.django_db
def test_404_is_the_products_page_and_does_not_echo_the_address(client, operator):
    client.force_login(operator)
    response = client.get(f"/no-such-page/{PROBE}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is no page here" in page
    assert "Back to the dashboard" in page
    assert "PROBE" not in page
    assert "no-such-page" not in page


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_500_is_the_products_page_without_internals(operator):
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    response = client.get(f"/test-broken/?q={PROBE}")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "Back to the dashboard" in page
    assert "secret internals" not in page
    assert "PROBE" not in page
    assert "stations/app.css" in page
    # brand.css gives the bar and the button their colour: without it both were white on white.
    assert "stations/brand.css" in page
    assert "stations/theme.js" in page


# Content-Security-Policy ---------------------------------------------------------------------------------


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/admin/login/", "/admin/stations/station/"])
def test_csp_header_on_product_and_admin_pages(client, operator, url):
    if url != "/accounts/login/" and url != "/admin/login/":
        client.force_login(operator)
    response = client.get(url)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["img-src"] == "'self' data:"


# Uploads refused unread --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_announcing_a_body_over_the_limit_is_refused_unread(operator_client, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 1000
    announced = 100 * 1024 * 1024
    response = operator_client.post(
        reverse("stations:upload"), {"check_only": "on"}, CONTENT_LENGTH=str(announced)
    )
    assert response.status_code == 413
    assert not response.wsgi_request._read_started
    assert [e.code for e in response.context["result"].errors] == ["file_too_large"]
    assert "The file is 100 MB; the limit is" in response.content.decode()
    record = ImportRecord.objects.get()
    assert (record.succeeded, record.error_count) == (False, 1)
    assert not Station.objects.exists()


@pytest.mark.django_db
def test_upload_within_the_margin_is_read_as_before(operator_client, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 1000
    file = SimpleUploadedFile("stations.csv", b"x" * 2000, "text/csv")
    response = operator_client.post(reverse("stations:upload"), {"file": file})
    # The upload handler's refusal as before: the page names the file, read from the body.
    assert response.status_code == 422
    assert response.wsgi_request._read_started
    assert [e.code for e in response.context["result"].errors] == ["file_too_large"]
    assert ImportRecord.objects.get().file_name == "stations.csv"


# Retention ------------------------------------------------------------------------------------------------


def record_with_errors(tenant, age: timedelta, errors=2):
    record = ImportRecord.objects.create(
        tenant=tenant,
        source=ImportSource.UPLOAD,
        file_name="stations.csv",
        error_count=errors,
        errors=[
            {"row": n + 2, "column": "Station ID", "code": "required", "message": "x"} for n in range(errors)
        ],
    )
    ImportRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def prune(*args) -> str:
    out = StringIO()
    call_command("prune_imports", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_prune_imports_deletes_old_error_lists_and_keeps_the_records(tenant, settings):
    settings.STATION_IMPORT_ERROR_RETENTION_DAYS = 10
    old = record_with_errors(tenant, timedelta(days=11))
    older = record_with_errors(tenant, timedelta(days=400))
    recent = record_with_errors(tenant, timedelta(days=9))
    assert prune().splitlines()[0] == "Deleted the error lists of 2 import records."
    for record in (old, older):
        record.refresh_from_db()
        assert (record.errors, record.error_count, record.file_name) == ([], 2, "stations.csv")
    recent.refresh_from_db()
    assert len(recent.errors) == 2
    assert ImportRecord.objects.count() == 3
    assert prune().splitlines()[0] == "Deleted the error lists of 0 import records."


@pytest.mark.django_db
def test_prune_imports_dry_run_changes_nothing(tenant):
    record = record_with_errors(tenant, timedelta(days=91))
    record_with_errors(tenant, timedelta(days=89))
    assert prune("--dry-run").splitlines()[0] == "Would delete the error lists of 1 import record."
    record.refresh_from_db()
    assert len(record.errors) == 2


def test_retention_and_cap_settings_have_their_defaults():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.STATION_IMPORT_ERROR_RETENTION_DAYS,"
        " s.STATION_IMPORT_KEPT_FILE_RETENTION_HOURS, s.STATION_IMPORT_MAX_STORED_ERRORS)",
        DJANGO_DEBUG="true",
    )
    assert result.stdout.splitlines()[-1].split() == ["90", "24", "10000"], result.stderr


def test_login_limits_below_one_are_refused():
    result = run_manage("check", DJANGO_DEBUG="true", DJANGO_LOGIN_MAX_FAILED_ATTEMPTS="0")
    assert result.returncode != 0
    assert "DJANGO_LOGIN_MAX_FAILED_ATTEMPTS='0': expected a whole number of at least 1" in result.stderr


@pytest.mark.django_db
def test_csrf_failure_is_the_products_page(operator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post(reverse("stations:activate"), {"station_id": "X", "security_code": "Y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form can't be sent any more" in page
    assert "Back to the dashboard" in page
    assert "CSRF" not in page
