"""No lost updates (SPEC §4): a page opened at an older state of a station never writes over a newer one.

Two ways. The stale page, deterministic and on both databases: the change or delete page is opened, an
activation, a deactivation, a CSV override or another edit happens, then the page is posted. And the real
races, threads with their own connections on PostgreSQL: the admin against each writer, many times over.

The pages are posted as a browser would send them, built from what the page rendered (its hidden version
included), so that these tests say the same thing about any version of the admin.
"""

import re
import threading
import time

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stations import csv_import, services
from stations.choices import ImportSource, StationStatus
from stations.models import ConnectorSpec, Station
from tests import factories
from tests.csv_helpers import csv_bytes, row

CODE = "K7P2-93QX"  # factories.station_data's security code
CHANGED_MEANWHILE = "This station was changed by someone else since you opened it"


@pytest.fixture(autouse=True)
def clear_cache(request):
    # Activation counts failures in the cache table, which a test's flush leaves alone.
    if request.node.get_closest_marker("django_db") is not None or "db" in request.fixturenames:
        cache.clear()


@pytest.fixture
def sarah(db):
    """Whoever bought the station: an account of no tenant, activating it."""
    return get_user_model().objects.create_user(username="sarah", password=factories.PASSWORD)


@pytest.fixture
def support_client(support):
    client = Client()
    client.force_login(support)
    return client


def change_url(station):
    return reverse("admin:stations_station_change", args=[station.pk])


def delete_url(station):
    return reverse("admin:stations_station_delete", args=[station.pk])


def changelist_url():
    return reverse("admin:stations_station_changelist")


def _page_version(body: str) -> dict:
    """The hidden version the page carries, as its form would send it (nothing on a page without one)."""
    found = re.search(r'<input type="hidden" name="version" value="(\d+)">', body)
    return {"version": found.group(1)} if found else {}


def _submitted(form) -> dict:
    """What a browser sends for an unchanged ``form``: every input's value, checkboxes only when ticked."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif value is not None:
            data[bound.html_name] = value
    return data


def open_change_page(client, station) -> dict:
    """Open the station's change page; the POST data its form sends back unchanged."""
    response = client.get(change_url(station))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    data = {**_submitted(response.context["adminform"].form), **_submitted(formset.management_form)}
    for form in formset.forms:
        data.update(_submitted(form))
    return {**data, **_page_version(response.content.decode())}


def open_delete_page(client, station) -> dict:
    response = client.get(delete_url(station))
    assert response.status_code == 200
    return {"post": "yes", **_page_version(response.content.decode())}


def state(pk):
    """Everything stored about the station: its row and its specifications, in order."""
    row_values = Station.objects.filter(pk=pk).values().first()
    specs = list(
        ConnectorSpec.objects.filter(station_id=pk)
        .order_by("position")
        .values_list("pk", "position", "standard", "format", "power_type", "voltage", "amperage")
    )
    return row_values, specs


def activate(user, station_id="ST1010101", address="192.0.2.10"):
    return services.station_activate(
        user=user, station_id=station_id, security_code=CODE, client_address=address
    )


def override_plan(tenant, station_id="ST1010101", manufacturer="Overridden", specs=3):
    """A checked CSV file that overrides the station: new manufacturer and code, ``specs`` rows."""
    rows = [
        row(Station_ID=station_id, Manufacturer=manufacturer, Security_code="NEW-CODE-77", Voltage=str(v))
        for v in range(231, 231 + specs)
    ]
    plan = csv_import.parse(csv_bytes(*rows), tenant=tenant)
    assert plan.ok, plan.errors
    assert plan.stations_overridden == 1
    return plan


def override(tenant, plan):
    return services.stations_import(tenant=tenant, user=None, plan=plan, source=ImportSource.UPLOAD)


def shown(body: str, label: str) -> str:
    """The text of a read-only field on the change page (a link's text for a linked user)."""
    found = re.search(rf'<label>{label}:</label>\s*<div class="readonly">(?:<a [^>]+>)?([^<]*)<', body)
    assert found, label
    return found.group(1)


def assert_refused_showing_current_state(client, response, station, expected_in_page=()):
    """The post was answered with the station's change page as it is now, saying why nothing was written."""
    assert response.status_code == 302
    assert response.url == change_url(station)
    page = client.get(response.url)
    body = page.content.decode()
    [message] = [str(m) for m in page.context["messages"]]
    assert message.startswith(CHANGED_MEANWHILE)
    station.refresh_from_db()
    assert _page_version(body) == {"version": str(station.version)}
    for text in expected_in_page:
        assert text in body, text
    return body


# The stale page, on both databases ------------------------------------------------------------------


@pytest.mark.django_db
def test_edit_opened_before_an_activation_is_refused(operator_client, tenant, operator, sarah):
    station = factories.make_station(tenant, operator)
    data = open_change_page(operator_client, station)
    activate(sarah)
    before = state(station.pk)

    response = operator_client.post(change_url(station), {**data, "manufacturer": "Edited"})

    assert state(station.pk) == before
    body = assert_refused_showing_current_state(operator_client, response, station)
    assert (shown(body, "Status"), shown(body, "Owner")) == ("Active", "sarah")
    assert "Edited" not in body
    assert (station.status, station.activated_by) == (StationStatus.ACTIVE, sarah)


@pytest.mark.django_db
def test_edit_opened_before_a_deactivation_is_refused(support_client, tenant, operator, sarah):
    station = factories.make_station(tenant, operator)
    activate(sarah)
    data = open_change_page(support_client, station)
    another_support = factories.make_support("sam")
    services.stations_deactivate(user=another_support, queryset=Station.objects.filter(pk=station.pk))
    before = state(station.pk)

    response = support_client.post(change_url(station), {**data, "manufacturer": "Edited"})

    assert state(station.pk) == before
    body = assert_refused_showing_current_state(support_client, response, station)
    assert (shown(body, "Status"), shown(body, "Owner"), shown(body, "Deactivated by")) == (
        "Inactive",
        "–",
        "sam",
    )
    assert (station.status, station.activated_by, station.previous_owner) == (
        StationStatus.INACTIVE,
        None,
        sarah,
    )


@pytest.mark.django_db
def test_edit_opened_before_a_csv_override_is_refused_with_its_specifications(operator_client, tenant):
    station = factories.make_two_spec_station(tenant)
    data = open_change_page(operator_client, station)
    result = override(tenant, override_plan(tenant))
    assert result.ok, result.errors
    before = state(station.pk)

    # The stale inline: it names the specifications the override deleted, and changes one.
    data["connector_specs-1-voltage"] = 400
    response = operator_client.post(change_url(station), {**data, "manufacturer": "Edited"})

    assert state(station.pk) == before
    body = assert_refused_showing_current_state(operator_client, response, station, ["Overridden"])
    assert [spec.voltage for spec in station.connector_specs.order_by("position")] == [231, 232, 233]
    assert 'value="NEW-CODE-77"' in body


@pytest.mark.django_db
def test_edit_opened_before_another_edit_is_refused(operator_client, tenant, operator):
    station = factories.make_two_spec_station(tenant)
    first = open_change_page(operator_client, station)
    second = open_change_page(operator_client, station)
    saved = operator_client.post(change_url(station), {**first, "manufacturer": "First edit"})
    assert saved.status_code == 302
    assert saved.url == changelist_url()
    operator_client.get(saved.url)  # its "changed successfully"
    before = state(station.pk)

    # The other page also deletes connector 2, which the first edit kept.
    refused = operator_client.post(
        change_url(station), {**second, "manufacturer": "Second edit", "connector_specs-1-DELETE": "on"}
    )

    assert state(station.pk) == before
    body = assert_refused_showing_current_state(operator_client, refused, station, ["First edit"])
    assert "Second edit" not in body
    assert station.connector_specs.count() == 2


@pytest.mark.django_db
def test_edit_at_the_current_version_saves_and_moves_the_version_on(operator_client, tenant):
    station = factories.make_station(tenant)
    data = open_change_page(operator_client, station)
    assert data["version"] == "1"
    response = operator_client.post(change_url(station), {**data, "manufacturer": "Edited"})
    assert response.status_code == 302
    assert response.url == changelist_url()
    station.refresh_from_db()
    assert (station.manufacturer, station.version) == ("Edited", 2)
    # Saved again from the page as it is now: accepted.
    again = open_change_page(operator_client, station)
    assert (
        operator_client.post(change_url(station), {**again, "manufacturer": "Again"}).url == changelist_url()
    )
    station.refresh_from_db()
    assert (station.manufacturer, station.version) == ("Again", 3)


@pytest.mark.django_db
def test_a_refused_invalid_edit_keeps_the_opened_version(operator_client, tenant):
    """A post with a mistake comes back with the version it was opened at, not a newer one."""
    station = factories.make_station(tenant)
    data = open_change_page(operator_client, station)
    response = operator_client.post(change_url(station), {**data, "connector_specs-0-voltage": 5})
    assert response.status_code == 200
    assert _page_version(response.content.decode()) == {"version": data["version"]}


@pytest.mark.django_db
def test_edit_without_a_version_is_refused(operator_client, tenant):
    station = factories.make_station(tenant)
    data = open_change_page(operator_client, station)
    del data["version"]
    before = state(station.pk)
    response = operator_client.post(change_url(station), {**data, "manufacturer": "Edited"})
    assert state(station.pk) == before
    assert_refused_showing_current_state(operator_client, response, station)


@pytest.mark.django_db
def test_admin_save_writes_only_what_the_form_edits(operator_client, tenant):
    station = factories.make_station(tenant)
    data = open_change_page(operator_client, station)
    with CaptureQueriesContext(connection) as queries:
        operator_client.post(change_url(station), {**data, "manufacturer": "Edited"})
    table = Station._meta.db_table
    [update] = [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    for shown_only in ("status", "activated_by_id", "activated_at", "deactivated_by_id", "tenant_id"):
        assert f'"{shown_only}"' not in assigned, shown_only
    assert '"manufacturer"' in assigned
    assert '"version" = ("' in assigned  # version = version + 1, computed by the database


@pytest.mark.django_db
def test_support_delete_opened_before_an_activation_is_refused(support_client, tenant, operator, sarah):
    station = factories.make_station(tenant, operator)
    data = open_delete_page(support_client, station)
    activate(sarah)
    before = state(station.pk)

    response = support_client.post(delete_url(station), data)

    assert state(station.pk) == before
    body = assert_refused_showing_current_state(support_client, response, station)
    assert (shown(body, "Status"), shown(body, "Owner")) == ("Active", "sarah")


@pytest.mark.django_db
def test_delete_opened_before_a_csv_override_is_refused(operator_client, tenant):
    station = factories.make_two_spec_station(tenant)
    data = open_delete_page(operator_client, station)
    assert override(tenant, override_plan(tenant)).ok
    before = state(station.pk)

    response = operator_client.post(delete_url(station), data)

    assert state(station.pk) == before
    assert_refused_showing_current_state(operator_client, response, station, ["Overridden"])


@pytest.mark.django_db
def test_delete_at_the_current_version_deletes(operator_client, tenant):
    station = factories.make_two_spec_station(tenant)
    data = open_delete_page(operator_client, station)
    assert operator_client.post(delete_url(station), data).status_code == 302
    assert not Station.objects.filter(pk=station.pk).exists()
    assert not ConnectorSpec.objects.exists()


@pytest.mark.django_db
def test_every_write_moves_the_version_on(tenant, operator, support, sarah, operator_client):
    station = factories.make_station(tenant, station_id="ST1010101")  # the wizard's service
    created = override(tenant, csv_import.parse(csv_bytes(row(Station_ID="CSV-NEW")), tenant=tenant))
    assert created.ok, created.errors

    def version():
        return Station.objects.get(pk=station.pk).version

    assert (version(), Station.objects.get(station_id="CSV-NEW").version) == (1, 1)
    assert override(tenant, override_plan(tenant)).ok
    assert version() == 2
    services.station_replace(
        tenant=tenant,
        user=operator,
        station=station,
        station_data=factories.station_data(security_code=CODE),
        specs=[factories.spec_data()],
        source=ImportSource.WIZARD,
    )
    assert version() == 3
    data = open_change_page(operator_client, station)
    operator_client.post(change_url(station), {**data, "manufacturer": "Edited"})
    assert version() == 4
    activated = activate(sarah)
    assert (version(), activated.version) == (5, 5)
    services.stations_deactivate(user=support, queryset=Station.objects.filter(pk=station.pk))
    assert version() == 6


@pytest.mark.django_db
def test_bulk_delete_confirmed_after_an_activation_skips_the_active_station(
    operator_client, tenant, operator, sarah
):
    station = factories.make_station(tenant, operator)
    idle = factories.make_station(tenant, operator, station_id="ST-IDLE")
    selected = {"action": "delete_selected", "_selected_action": [station.pk, idle.pk]}
    confirmation = operator_client.post(changelist_url(), selected)
    assert "Are you sure" in confirmation.content.decode()
    activate(sarah)

    response = operator_client.post(changelist_url(), {**selected, "post": "yes"}, follow=True)

    assert list(Station.objects.values_list("station_id", "status")) == [("ST1010101", "active")]
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "ST1010101 is active; only support staff can delete active stations.",
        "Successfully deleted 1 station.",
    ]


# Real races on PostgreSQL -----------------------------------------------------------------------------

# Iterations per race: enough for the orders to mix (each race test reports how often each side won).
RACES = 12


@pytest.fixture
def row_locks():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Races need PostgreSQL: SQLite runs one write transaction at a time (IMMEDIATE), so nothing "
            "overlaps; the stale-page tests above cover SQLite. Run with DATABASE_URL=postgres://..."
        )


def race(*functions):
    """Run ``functions`` at once, each in a thread with its own connection; their results or exceptions."""
    start = threading.Barrier(len(functions))
    outcomes = [None] * len(functions)

    def run(index, function):
        try:
            start.wait(10)
            outcomes[index] = ("value", function())
        except Exception as error:  # handed to the test, which counts it as a failure (a 500)
            outcomes[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def later(seconds, function):
    """``function`` after a pause: varied by iteration, so that it meets the other side at every stage."""

    def delayed():
        time.sleep(seconds)
        return function()

    return delayed


def saved(outcome) -> bool:
    """Whether the admin's post saved: Django's redirect to the list (a refusal goes to the station)."""
    kind, response = outcome
    return kind == "value" and response.status_code == 302 and response.url == changelist_url()


def _pause(iteration):
    # 0 to 55 ms: from "both at once" to "the admin's request well under way" (it takes tens of ms).
    return (iteration % 12) * 0.005


@pytest.mark.django_db(transaction=True)
def test_race_admin_edit_against_activation(row_locks, tenant, operator, sarah):
    client = Client()
    client.force_login(operator)
    lost, failures, edits_saved = [], [], 0
    for n in range(RACES):
        station = factories.make_station(tenant, operator, station_id=f"RACE-A{n}")
        data = open_change_page(client, station)
        edit, activation = race(
            lambda station=station, data=data: client.post(
                change_url(station), {**data, "manufacturer": "Edited"}
            ),
            later(_pause(n), lambda n=n: activate(sarah, station_id=f"RACE-A{n}", address=f"192.0.2.{n}")),
        )
        failures += [outcome for outcome in (edit, activation) if outcome[0] == "error"]
        station.refresh_from_db()
        if (station.status, station.activated_by) != (StationStatus.ACTIVE, sarah):
            lost.append(station.station_id)
        edits_saved += saved(edit)
        assert station.manufacturer == ("Edited" if saved(edit) else "Alfen")
    print(
        f"\nadmin edit vs activation: {len(lost)}/{RACES} activations undone, {edits_saved} edits saved,"
        f" {len(failures)} errors"
    )
    assert failures == []
    assert lost == [], f"{len(lost)} of {RACES} activations undone by the edit"


@pytest.mark.django_db(transaction=True)
def test_race_admin_edit_against_deactivation(row_locks, tenant, operator, support, sarah):
    client = Client()
    client.force_login(support)
    another_support = factories.make_support("sam")
    lost, failures, edits_saved = [], [], 0
    for n in range(RACES):
        station = factories.make_station(tenant, operator, station_id=f"RACE-D{n}")
        activate(sarah, station_id=station.station_id, address=f"192.0.2.{n}")
        data = open_change_page(client, station)
        edit, _ = outcomes = race(
            lambda station=station, data=data: client.post(
                change_url(station), {**data, "manufacturer": "Edited"}
            ),
            later(
                _pause(n),
                lambda station=station: services.stations_deactivate(
                    user=another_support, queryset=Station.objects.filter(pk=station.pk)
                ),
            ),
        )
        failures += [outcome for outcome in outcomes if outcome[0] == "error"]
        station.refresh_from_db()
        if (station.status, station.activated_by, station.deactivated_by) != (
            StationStatus.INACTIVE,
            None,
            another_support,
        ):
            lost.append(station.station_id)
        edits_saved += saved(edit)
    print(
        f"\nadmin edit vs deactivation: {len(lost)}/{RACES} deactivations undone, {edits_saved} edits saved,"
        f" {len(failures)} errors"
    )
    assert failures == []
    assert lost == [], f"{len(lost)} of {RACES} deactivations undone by the edit"


@pytest.mark.django_db(transaction=True)
def test_race_admin_edit_against_csv_override(row_locks, tenant, operator):
    client = Client()
    client.force_login(operator)
    mixed, failures, edits_saved = [], [], 0
    for n in range(RACES):
        station = factories.make_two_spec_station(tenant, station_id=f"RACE-C{n}")
        plan = override_plan(tenant, station_id=station.station_id)
        data = open_change_page(client, station)
        data["connector_specs-1-voltage"] = 400
        edit, imported = outcomes = race(
            lambda station=station, data=data: client.post(
                change_url(station), {**data, "manufacturer": "Edited"}
            ),
            later(_pause(n), lambda plan=plan: override(tenant, plan)),
        )
        failures += [outcome for outcome in outcomes if outcome[0] == "error"]
        if imported[0] == "value" and not imported[1].ok:
            failures.append(imported[1].errors)
        # Whichever came first, the file was written last or the edit was refused: the file's station.
        station.refresh_from_db()
        specs = list(station.connector_specs.order_by("position").values_list("position", "voltage"))
        if (station.manufacturer, station.security_code, specs) != (
            "Overridden",
            "NEW-CODE-77",
            [(1, 231), (2, 232), (3, 233)],
        ):
            mixed.append((station.station_id, station.manufacturer, specs))
        edits_saved += saved(edit)
    print(
        f"\nadmin edit vs CSV override: {len(mixed)}/{RACES} stations mixed, {edits_saved} edits saved first,"
        f" {len(failures)} errors"
    )
    assert failures == []
    assert mixed == [], f"{len(mixed)} of {RACES} stations half the file's, half the edit's"


def _bulk_delete(client, station):
    selected = {"action": "delete_selected", "_selected_action": [station.pk], "post": "yes"}
    return client.post(changelist_url(), selected)


@pytest.mark.django_db(transaction=True)
def test_race_bulk_delete_against_activation(row_locks, tenant, operator, sarah):
    client = Client()
    client.force_login(operator)
    lost, failures, deleted_first = [], [], 0
    for n in range(RACES):
        station = factories.make_station(tenant, operator, station_id=f"RACE-B{n}")
        removal, activation = race(
            lambda station=station: _bulk_delete(client, station),
            later(_pause(n), lambda n=n: activate(sarah, station_id=f"RACE-B{n}", address=f"192.0.2.{n}")),
        )
        if removal[0] == "error" or removal[1].status_code != 302:
            failures.append(removal)
        exists = Station.objects.filter(pk=station.pk).exists()
        if activation[0] == "value" and not exists:
            lost.append(station.station_id)  # the owner was told it is theirs, and it is gone
        elif activation[0] == "error" and getattr(activation[1], "code", None) != "activation_mismatch":
            failures.append(activation)
        deleted_first += activation[0] == "error"
    print(
        f"\nbulk delete vs activation: {len(lost)}/{RACES} activated stations deleted,"
        f" {deleted_first} deleted first, {len(failures)} errors"
    )
    assert failures == []
    assert lost == [], f"{len(lost)} of {RACES} just-activated stations deleted"


@pytest.mark.django_db(transaction=True)
def test_race_bulk_delete_against_csv_override(row_locks, tenant, operator):
    client = Client()
    client.force_login(operator)
    failures, deleted_first = [], 0
    for n in range(RACES):
        station = factories.make_two_spec_station(tenant, station_id=f"RACE-O{n}")
        plan = override_plan(tenant, station_id=station.station_id)
        removal, imported = race(
            lambda station=station: _bulk_delete(client, station),
            later(_pause(n), lambda plan=plan: override(tenant, plan)),
        )
        if removal[0] == "error" or removal[1].status_code != 302:
            failures.append(removal)
        if imported[0] == "error":
            failures.append(imported)
        elif not imported[1].ok:
            # The delete came first: the file says that its station changed meanwhile, and writes nothing.
            if [e.code for e in imported[1].errors] != ["station_changed"]:
                failures.append(imported[1].errors)
            deleted_first += 1
    print(f"\nbulk delete vs CSV override: {deleted_first}/{RACES} deleted first, {len(failures)} errors")
    assert failures == []
    # Every station is gone in the end, the file's specifications with it, whichever came first.
    assert not Station.objects.filter(station_id__startswith="RACE-O").exists()
    assert not ConnectorSpec.objects.exists()
