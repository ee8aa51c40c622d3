"""Activation (SPEC §6): the service, its throttle, the pages, and its row lock on PostgreSQL."""

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import override_settings
from django.urls import reverse

from stations import services, throttling
from stations.choices import StationStatus
from stations.models import Station
from stations.views.activation import connector_mapping
from tests.factories import PASSWORD, make_station, spec_data, two_spec_data

CODE = "K7P2-93QX"  # factories.station_data's security code
WINDOW = 15 * 60
# The start of a throttle window, so that "one second before the window ends" is exact.
WINDOW_START = datetime.fromtimestamp(1_800_000_000 // WINDOW * WINDOW, tz=UTC)


@pytest.fixture(autouse=True)
def clear_cache(request):
    # The cache table is not part of a test's flush: counters would leak from one test into the next.
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sarah(db):
    """An account with no tenant: whoever bought the station activates it."""
    return get_user_model().objects.create_user(username="sarah", password=PASSWORD)


@pytest.fixture
def john(db):
    return get_user_model().objects.create_user(username="john", password=PASSWORD)


def activate(user, station_id="ST1010101", code=CODE, address="192.0.2.10", now=None):
    return services.station_activate(
        user=user, station_id=station_id, security_code=code, client_address=address, now=now
    )


def error_code(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.code


def snapshot():
    return list(Station.objects.values_list("station_id", "status", "activated_at", "activated_by"))


# The service -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_activates_station_for_any_signed_in_account(tenant, operator, sarah):
    station = make_station(tenant, operator)
    at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    activated = activate(sarah, now=at)

    assert activated.pk == station.pk
    station.refresh_from_db()
    assert (station.status, station.activated_at, station.activated_by) == (StationStatus.ACTIVE, at, sarah)
    assert station.tenant == tenant


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["st1010101", "St1010101", "  ST1010101  "], ids=["lower", "mixed", "spaces"]
)
def test_matches_station_id_case_insensitively(tenant, operator, sarah, typed):
    make_station(tenant, operator)
    assert activate(sarah, station_id=typed).status == StationStatus.ACTIVE


@pytest.mark.django_db
def test_unknown_station_id_and_wrong_code_get_the_same_error(tenant, operator, john):
    # The seed's story: Sarah's ST1001011 and John's ST1010101; John mistypes his ID.
    make_station(tenant, operator, station_id="ST1001011", security_code="SARAH-0042")
    before = snapshot()

    with pytest.raises(ValidationError) as wrong_code:
        activate(john, station_id="ST1001011", code=CODE)
    with pytest.raises(ValidationError) as unknown_id:
        activate(john, station_id="ST1010101", code=CODE)

    assert wrong_code.value.code == unknown_id.value.code == "activation_mismatch"
    assert wrong_code.value.messages == unknown_id.value.messages
    assert "Station ID and security code do not match" in wrong_code.value.messages[0]
    assert snapshot() == before


@pytest.mark.django_db
def test_security_code_is_compared_exactly(tenant, operator, sarah):
    make_station(tenant, operator, security_code="AbCd-1234")
    assert error_code(lambda: activate(sarah, code="abcd-1234")) == "activation_mismatch"
    assert activate(sarah, code=" AbCd-1234 ").is_active


@pytest.mark.django_db
def test_refuses_an_active_station_and_keeps_its_owner(tenant, operator, sarah, john):
    make_station(tenant, operator)
    first = activate(sarah)

    with pytest.raises(ValidationError) as caught:
        activate(john)

    assert caught.value.code == "already_activated"
    assert "already activated" in caught.value.messages[0]
    station = Station.objects.get()
    assert (station.activated_by, station.activated_at) == (sarah, first.activated_at)


@pytest.mark.django_db
def test_wrong_code_for_an_active_station_does_not_reveal_it_is_active(tenant, operator, sarah, john):
    make_station(tenant, operator)
    activate(sarah)
    assert error_code(lambda: activate(john, code="NOT-THE-CODE")) == "activation_mismatch"


# The throttle ------------------------------------------------------------------------------------------


def fail(times, *, station_id="ST1010101", address="192.0.2.10", now=WINDOW_START, user=None):
    for attempt in range(times):
        with pytest.raises(ValidationError) as caught:
            activate(user, station_id=station_id, code=f"WRONG-{attempt}", address=address, now=now)
        assert caught.value.code == "activation_mismatch"


@pytest.mark.django_db
def test_five_failures_per_station_id_block_it_from_every_address(tenant, operator, sarah):
    make_station(tenant, operator)
    for number, spelling in enumerate(["ST1010101", "st1010101", "St1010101", "sT1010101", "ST1010101"]):
        fail(1, station_id=spelling, address=f"198.51.100.{number}", user=sarah)

    # Even the right code is not checked now, from an address that has not failed before.
    with pytest.raises(ValidationError) as caught:
        activate(sarah, address="203.0.113.99", now=WINDOW_START)

    assert caught.value.code == "too_many_attempts"
    assert "Too many attempts, try again later" in caught.value.messages[0]
    assert Station.objects.get().status == StationStatus.INACTIVE


@pytest.mark.django_db
def test_four_failures_still_leave_the_right_code_working(tenant, operator, sarah):
    make_station(tenant, operator)
    fail(4, user=sarah)
    assert activate(sarah, now=WINDOW_START).is_active


@pytest.mark.django_db
def test_five_failures_per_address_block_it_for_every_station_id(tenant, operator, sarah):
    make_station(tenant, operator)
    for number in range(5):
        fail(1, station_id=f"GUESS{number}", address="192.0.2.66", user=sarah)

    assert error_code(lambda: activate(sarah, address="192.0.2.66", now=WINDOW_START)) == "too_many_attempts"
    # Another address is not held back by it.
    assert activate(sarah, address="192.0.2.67", now=WINDOW_START).is_active


@pytest.mark.django_db
def test_throttle_lifts_when_the_window_ends(tenant, operator, sarah):
    make_station(tenant, operator)
    fail(5, user=sarah)

    last_second = WINDOW_START + timedelta(seconds=WINDOW - 1)
    assert error_code(lambda: activate(sarah, now=last_second)) == "too_many_attempts"
    assert activate(sarah, now=WINDOW_START + timedelta(seconds=WINDOW)).is_active


@pytest.mark.django_db
@override_settings(ACTIVATION_MAX_FAILED_ATTEMPTS=2, ACTIVATION_ATTEMPT_WINDOW_SECONDS=60)
def test_limit_and_window_are_settings(tenant, operator, sarah):
    make_station(tenant, operator)
    fail(2, user=sarah)
    with pytest.raises(ValidationError) as caught:
        activate(sarah, now=WINDOW_START + timedelta(seconds=59))
    assert caught.value.params == {"minutes": 1}
    assert activate(sarah, now=WINDOW_START + timedelta(seconds=60)).is_active


@pytest.mark.django_db
def test_throttled_attempts_are_not_counted(tenant, operator, sarah):
    make_station(tenant, operator)
    fail(5, user=sarah)
    for _ in range(10):
        assert error_code(lambda: activate(sarah, code="WRONG", now=WINDOW_START)) == "too_many_attempts"
    assert activate(sarah, now=WINDOW_START + timedelta(seconds=WINDOW)).is_active


@pytest.mark.django_db
@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            # Stands in for the default 300 s: the cache expires entries by the real clock, not the
            # service's, so a write falling back on the default timeout must lapse within the test.
            "TIMEOUT": 0.2,
        }
    }
)
def test_throttle_holds_for_the_whole_window_whatever_the_cache_default_timeout(tenant, operator, sarah):
    make_station(tenant, operator)
    fail(5, user=sarah)
    time.sleep(0.3)  # past the cache's default timeout

    six_minutes_on = WINDOW_START + timedelta(minutes=6)
    assert error_code(lambda: activate(sarah, now=six_minutes_on)) == "too_many_attempts"
    fourteen_minutes_on = WINDOW_START + timedelta(minutes=14, seconds=59)
    assert error_code(lambda: activate(sarah, now=fourteen_minutes_on)) == "too_many_attempts"
    assert activate(sarah, now=WINDOW_START + timedelta(minutes=15)).is_active


def test_entries_live_to_the_end_of_their_window():
    assert throttling.seconds_left_in_window(WINDOW_START) == WINDOW
    assert throttling.seconds_left_in_window(WINDOW_START + timedelta(minutes=6)) == WINDOW - 360
    assert throttling.seconds_left_in_window(WINDOW_START + timedelta(seconds=WINDOW - 0.5)) == 1


# The pages ---------------------------------------------------------------------------------------------


def post(client, station_id="ST1010101", code=CODE, address="192.0.2.10", **extra):
    return client.post(
        reverse("stations:activate"),
        {"station_id": station_id, "security_code": code},
        REMOTE_ADDR=address,
        **extra,
    )


@pytest.mark.django_db
def test_activation_page_needs_a_signed_in_account(client):
    response = client.get(reverse("stations:activate"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_activation_page_asks_for_station_id_and_security_code(client, sarah):
    client.force_login(sarah)
    response = client.get(reverse("stations:activate"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_station_id"' in html
    labels = re.findall(r"<label[^>]*>\s*([^<]+?)\s*<", html)
    assert labels[:2] == ["Station ID", "Security code"]
    assert "capitals matter" in html


@pytest.mark.django_db
def test_activation_moments_are_written_as_everywhere_else(client, tenant, operator, sarah):
    make_station(tenant, operator)
    activate(sarah)
    Station.objects.update(activated_at=datetime(2026, 11, 25, 19, 14, tzinfo=UTC))  # 20:14 in Amsterdam
    client.force_login(sarah)
    station = Station.objects.get()
    for url in (reverse("dashboard"), reverse("stations:activated", args=[station.pk])):
        html = client.get(url).content.decode()
        assert "2026-11-25 20:14" in html, url
        assert "25 Nov 2026" not in html


@pytest.mark.django_db
def test_successful_activation_lands_on_the_mapping(client, tenant, operator, sarah):
    station = make_station(tenant, operator)
    client.force_login(sarah)

    response = post(client, station_id="st1010101")

    assert response.status_code == 302
    assert response["Location"] == reverse("stations:activated", args=[station.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Station ST1010101 is active" in page.content.decode()
    station.refresh_from_db()
    assert (station.status, station.activated_by) == (StationStatus.ACTIVE, sarah)


def normalised(response, station_id) -> str:
    """The page with what legitimately differs removed: the CSRF token and the Station ID echoed back."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(station_id, "<ID>")


@pytest.mark.django_db
def test_unknown_id_and_wrong_code_get_identical_pages(client, tenant, operator, john):
    make_station(tenant, operator, station_id="NL-EVB-7001", security_code="SARAH-0042")
    client.force_login(john)

    wrong_code = post(client, station_id="NL-EVB-7001", code=CODE)
    unknown_id = post(client, station_id="NL-EVB-7010", code=CODE)

    assert wrong_code.status_code == unknown_id.status_code == 400
    assert normalised(wrong_code, "NL-EVB-7001") == normalised(unknown_id, "NL-EVB-7010")
    assert "Station ID and security code do not match" in wrong_code.content.decode()


@pytest.mark.django_db
def test_already_active_station_is_said_so(client, tenant, operator, sarah, john):
    make_station(tenant, operator)
    activate(sarah)
    client.force_login(john)
    response = post(client)
    assert response.status_code == 400
    assert "Station ST1010101 is already activated." in response.content.decode()


@pytest.mark.django_db
def test_page_throttles_by_remote_addr_and_ignores_x_forwarded_for(client, tenant, operator, sarah):
    make_station(tenant, operator)
    client.force_login(sarah)
    for number in range(5):
        # A client choosing its own X-Forwarded-For must not get a fresh counter with each request.
        response = post(client, station_id=f"GUESS{number}", HTTP_X_FORWARDED_FOR=f"10.9.9.{number}")
        assert response.status_code == 400

    response = post(client, HTTP_X_FORWARDED_FOR="10.9.9.200")

    assert response.status_code == 429
    assert "Too many attempts, try again later" in response.content.decode()
    assert Station.objects.get().status == StationStatus.INACTIVE
    assert post(client, address="192.0.2.11").status_code == 302


@pytest.mark.django_db
def test_page_throttles_by_station_id(client, tenant, operator, sarah):
    make_station(tenant, operator)
    client.force_login(sarah)
    for number in range(5):
        assert post(client, code=f"WRONG-{number}", address=f"198.51.100.{number}").status_code == 400
    response = post(client, address="203.0.113.5")
    assert response.status_code == 429


@pytest.mark.django_db
def test_activated_page_is_only_for_the_owner(client, tenant, operator, sarah, john):
    station = make_station(tenant, operator)
    activate(sarah)
    client.force_login(john)
    assert client.get(reverse("stations:activated", args=[station.pk])).status_code == 404


@pytest.mark.django_db
def test_mapping_with_one_specification_covers_every_connector(client, tenant, operator, sarah):
    station = make_station(tenant, operator)
    activate(sarah)
    client.force_login(sarah)

    response = client.get(reverse("stations:activated", args=[station.pk]))

    mapping = response.context["mapping"]
    assert [(row.connectors, row.spec.position) for row in mapping] == [("Every connector", 1)]
    assert "applies to <strong>every connector</strong>" in response.content.decode()


@pytest.mark.django_db
def test_mapping_with_three_specifications_maps_connector_n_to_n(client, tenant, operator, sarah):
    specs = [
        *two_spec_data(),
        spec_data(standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC", voltage=800, amperage=250),
    ]
    station = make_station(tenant, operator, specs=specs)
    activate(sarah)
    client.force_login(sarah)

    response = client.get(reverse("stations:activated", args=[station.pk]))

    rows = [(row.connectors, row.spec.position, row.spec.standard) for row in response.context["mapping"]]
    assert rows == [
        ("Connector 1", 1, "IEC_62196_T2"),
        ("Connector 2", 2, "CHADEMO"),
        ("Connector 3", 3, "IEC_62196_T2_COMBO"),
        ("Any other ID (not 1–3)", 1, "IEC_62196_T2"),
    ]
    html = response.content.decode()
    assert "connector ID <em>N</em> gets specification <em>N</em>" in html
    assert "any connector with another ID gets specification 1" in html


@pytest.mark.django_db
def test_connector_mapping_marks_only_the_fallback_row(tenant, operator):
    station = make_station(tenant, operator, specs=[spec_data(), spec_data(voltage=240)])
    rows = connector_mapping(list(station.connector_specs.order_by("position")))
    assert [row.fallback for row in rows] == [False, False, True]


# The dashboard -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_lists_recent_activations_with_owner_of_own_tenant_only(
    operator_client, tenant, other_tenant, operator, sarah, john
):
    make_station(tenant, operator, station_id="OWN1")
    make_station(other_tenant, None, station_id="THEIRS1")
    activate(sarah, station_id="OWN1")
    activate(john, station_id="THEIRS1")

    response = operator_client.get(reverse("dashboard"))

    recent = list(response.context["recently_activated"])
    assert [(s.station_id, s.activated_by) for s in recent] == [("OWN1", sarah)]
    html = response.content.decode()
    assert "Recently activated" in html
    assert "sarah" in html
    assert "THEIRS1" not in html
    assert "john" not in html


@pytest.mark.django_db
def test_dashboard_shows_an_owner_the_stations_they_activated(client, tenant, operator, sarah):
    make_station(tenant, operator)
    activate(sarah)
    client.force_login(sarah)

    response = client.get(reverse("dashboard"))

    assert [s.station_id for s in response.context["own_stations"]] == ["ST1010101"]
    assert "Stations you activated" in response.content.decode()
    # An owner outside the operator sees no operator figures.
    assert "count-inactive" not in response.content.decode()


# Races on PostgreSQL -----------------------------------------------------------------------------------

HOLD_SECONDS = 0.5


@pytest.fixture
def row_locks():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Row locks need PostgreSQL: SQLite has no SELECT ... FOR UPDATE (its IMMEDIATE transactions "
            "serialise every writer instead). Run with DATABASE_URL=postgres://..."
        )


def in_thread(function):
    """Run ``function`` in a thread with its own database connection; returns the thread and its outcome."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except Exception as error:  # handed to the test, which asserts on it
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def override_under_lock(pk, *, locked=None, hold=0.0):
    """What an import overriding a station must do: lock the row, then replace it only if still inactive.

    Returns the status seen under the lock and the moment the transaction committed.
    """
    with transaction.atomic():
        row = Station.objects.select_for_update().get(pk=pk)
        if locked is not None:
            locked.set()
        time.sleep(hold)
        seen = row.status
        if seen == StationStatus.INACTIVE:
            row.security_code = "NEW-CODE-77"
            row.manufacturer = "Overridden"
            row.save(update_fields=["security_code", "manufacturer", "updated_at"])
    return seen, time.monotonic()


@pytest.mark.django_db(transaction=True)
def test_activation_waits_for_an_override_holding_the_row(row_locks, tenant, operator, sarah):
    station = make_station(tenant, operator)
    locked = threading.Event()
    writer, written = in_thread(lambda: override_under_lock(station.pk, locked=locked, hold=HOLD_SECONDS))
    assert locked.wait(10)

    with pytest.raises(ValidationError) as caught:
        activate(sarah)  # with the code the override is replacing
    finished = time.monotonic()
    writer.join(10)

    seen, committed = written["value"]
    assert seen == StationStatus.INACTIVE
    # It read the row only after the override committed, so the replaced code no longer matched.
    assert finished >= committed
    assert caught.value.code == "activation_mismatch"
    station.refresh_from_db()
    assert (station.status, station.security_code, station.manufacturer) == (
        StationStatus.INACTIVE,
        "NEW-CODE-77",
        "Overridden",
    )


@pytest.mark.django_db(transaction=True)
def test_override_waits_for_an_activation_holding_the_row(row_locks, tenant, operator, sarah):
    station = make_station(tenant, operator)
    locked = threading.Event()

    def activate_and_hold():
        with transaction.atomic():
            activate(sarah)
            locked.set()
            time.sleep(HOLD_SECONDS)
        return time.monotonic()

    activator, activated = in_thread(activate_and_hold)
    assert locked.wait(10)
    seen, _ = override_under_lock(station.pk)
    activator.join(10)

    assert "error" not in activated, activated
    # The override saw the committed activation and left the active station alone.
    assert seen == StationStatus.ACTIVE
    station.refresh_from_db()
    assert (station.status, station.activated_by, station.security_code) == (
        StationStatus.ACTIVE,
        sarah,
        CODE,
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_activations_give_exactly_one_owner(row_locks, tenant, operator, sarah, john):
    station = make_station(tenant, operator)

    # Hold the row so that both activations are waiting at once, then let them race for it.
    with transaction.atomic():
        Station.objects.select_for_update().get(pk=station.pk)
        runs = [
            in_thread(lambda user=user, n=n: activate(user, address=f"192.0.2.{n}"))
            for n, user in enumerate([sarah, john])
        ]
        time.sleep(HOLD_SECONDS)
    for thread, _ in runs:
        thread.join(10)

    outcomes = [outcome for _, outcome in runs]
    winners = [outcome["value"].activated_by for outcome in outcomes if "value" in outcome]
    losers = [outcome["error"].code for outcome in outcomes if "error" in outcome]
    assert len(winners) == 1
    assert losers == ["already_activated"]
    station.refresh_from_db()
    assert (station.status, station.activated_by) == (StationStatus.ACTIVE, winners[0])


@pytest.mark.django_db(transaction=True)
def test_parallel_failures_are_all_counted(row_locks, sarah):
    """Failures for unknown Station IDs from one address take no row lock: the counter itself must not
    lose a count when they arrive together."""
    parallel = 5
    start = threading.Barrier(parallel)

    def record(number):
        start.wait(10)
        throttling.failure_record(f"GUESS{number}", "192.0.2.80", now=WINDOW_START)

    runs = [in_thread(lambda number=number: record(number)) for number in range(parallel)]
    for thread, _ in runs:
        thread.join(10)

    assert all("error" not in outcome for _, outcome in runs), runs
    assert throttling.failure_counts("GUESS0", "192.0.2.80", now=WINDOW_START) == (1, parallel)
    refused = error_code(lambda: activate(sarah, station_id="GUESS9", address="192.0.2.80", now=WINDOW_START))
    assert refused == "too_many_attempts"
