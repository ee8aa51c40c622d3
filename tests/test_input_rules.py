"""Issue 11's input rules through every way in: invisible characters, digits 0–9, at most 64 connector
specifications, a double Save in the wizard and the cap on stored errors. The rules' boundaries are in
test_models.py and test_rules.py; here, one wiring case per way in."""

import csv
import io
import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stations import rules
from stations.choices import ImportSource
from stations.models import ConnectorSpec, ImportRecord, Station
from stations.views.wizard import SAVED_KEY
from tests.csv_helpers import csv_bytes, row, station_rows
from tests.factories import make_station, spec_data
from tests.test_admin import _change_data, _formset_error_codes, change_url
from tests.test_upload import upload
from tests.test_wizard import (
    URL as WIZARD,
)
from tests.test_wizard import (
    codes,
    connectors_data,
    details_data,
    overview_data,
    revision_of,
    spec,
    step_of,
)

pytestmark = pytest.mark.django_db

ZWSP = "\u200b"
ARABIC_230 = "٢٣٠"


def _csv_errors(plan_or_result):
    return [(e.row, e.column, e.code) for e in plan_or_result.errors]


# -- the wizard ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("security_code", f"K7P2{ZWSP}93QX"), ("manufacturer", "Al\tfen"), ("manufacturer", "Al\ffen")],
)
def test_wizard_refuses_invisible_characters_on_the_details_step(operator_client, field, value):
    response = operator_client.post(WIZARD, details_data(**{field: value}))
    assert step_of(response) == "details"
    assert codes(response.context["form"].errors) == {field: ["invisible_character"]}


def test_wizard_refuses_other_digits(operator_client):
    operator_client.post(WIZARD, details_data())
    response = operator_client.post(WIZARD, connectors_data(spec(voltage=ARABIC_230)))
    assert step_of(response) == "connectors"
    assert codes(response.context["form"].forms[0].errors) == {"voltage": ["invalid_number"]}


def test_wizard_takes_64_items_and_refuses_65_before_building_them(operator_client):
    operator_client.post(WIZARD, details_data())
    response = operator_client.post(WIZARD, connectors_data(*[spec()] * 65))
    assert step_of(response) == "connectors"
    formset = response.context["form"]
    assert [e.code for e in formset.non_form_errors().as_data()] == ["too_many_connector_specs"]
    assert len(formset.forms) == rules.MAX_CONNECTOR_SPECS
    assert "at most 64 connector specifications" in response.content.decode()
    response = operator_client.post(WIZARD, connectors_data(*[spec()] * 64))
    assert step_of(response) == "overview"


def test_wizard_post_announcing_2000_items_builds_at_most_64(operator_client):
    operator_client.post(WIZARD, details_data())
    data = connectors_data(spec())
    data["connectors-TOTAL_FORMS"] = "2000"
    for action in ({}, {"wizard_action": "add"}):
        response = operator_client.post(WIZARD, {**data, **action})
        assert step_of(response) == "connectors"
        formset = response.context["form"]
        assert len(formset.forms) <= rules.MAX_CONNECTOR_SPECS
        assert "too_many_connector_specs" in [e.code for e in formset.non_form_errors().as_data()]


def test_wizard_add_stops_at_64_items(operator_client):
    operator_client.post(WIZARD, details_data())
    response = operator_client.post(WIZARD, connectors_data(*[spec()] * 64, wizard_action="add"))
    assert len(response.context["form"].forms) == 64
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "A station has at most 64 connector specifications, one per connector ID."
    ]


# -- a double Save in the wizard -----------------------------------------------------------------------


@pytest.fixture
def overview_page(operator_client):
    operator_client.post(WIZARD, details_data())
    response = operator_client.post(WIZARD, connectors_data(spec()))
    assert step_of(response) == "overview"
    return operator_client, revision_of(response)


def _assert_already_saved(response):
    station = Station.objects.get()
    assert response.status_code == 302
    assert response["Location"] == WIZARD
    # Whatever else is queued (the first Save's own success, in a race), the twin's answer is there.
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "already saved" in str(m)]
    assert message.startswith(f"Station {station.station_id} was already saved (Save was sent twice")
    assert f'href="{change_url(station)}"' in message


def test_a_second_save_of_the_same_page_says_it_was_already_saved(overview_page):
    client, revision = overview_page
    assert client.post(WIZARD, overview_data(wizard_revision=revision)).status_code == 302
    list(get_messages(client.get(change_url(Station.objects.get())).wsgi_request))  # shown once, gone
    _assert_already_saved(client.post(WIZARD, overview_data(wizard_revision=revision)))
    assert Station.objects.count() == 1


def test_the_twin_of_a_save_that_won_the_race_says_it_was_already_saved(overview_page):
    client, revision = overview_page
    # The twin request loaded the session before the first one saved: it still holds the wizard's data.
    before = dict(client.session.items())
    assert client.post(WIZARD, overview_data(wizard_revision=revision)).status_code == 302
    session = client.session
    session.clear()
    session.update({key: value for key, value in before.items() if key != SAVED_KEY})
    session.save()
    response = client.post(WIZARD, overview_data(wizard_revision=revision))
    _assert_already_saved(response)
    assert Station.objects.count() == 1
    # The wizard is closed: a new visit starts at the first step, empty.
    page = client.get(WIZARD)
    assert step_of(page) == "details"
    assert page.context["form"]["station_id"].value() in (None, "")


def test_a_station_id_taken_by_other_data_is_still_a_revalidation_failure(overview_page, tenant, operator):
    client, revision = overview_page
    make_station(tenant, operator, station_id="ST-100", manufacturer="Someone else's")
    response = client.post(WIZARD, overview_data(wizard_revision=revision))
    assert response.status_code == 200
    assert step_of(response) == "details"
    assert codes(response.context["form"].errors) == {"station_id": ["duplicate_station_id"]}


# -- the admin -----------------------------------------------------------------------------------------


@pytest.fixture
def station(tenant, operator):
    return make_station(tenant, operator, station_id="ADM-1")


def test_admin_refuses_invisible_characters(operator_client, station):
    response = operator_client.post(
        change_url(station), _change_data(station, security_code=f"K7P2{ZWSP}93QX")
    )
    assert response.status_code == 200
    assert codes(response.context["adminform"].form.errors) == {"security_code": ["invisible_character"]}
    station.refresh_from_db()
    assert station.security_code == "K7P2-93QX"


def test_admin_refuses_other_digits(operator_client, station):
    data = _change_data(station, **{"connector_specs-0-amperage": "١٦"})
    response = operator_client.post(change_url(station), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert codes(formset.forms[0].errors) == {"amperage": ["invalid_number"]}


def _station_with_specs(tenant, count, station_id):
    """A station holding ``count`` specifications, written past the services' limit (data from before it)."""
    station = make_station(tenant, station_id=station_id)
    ConnectorSpec.objects.bulk_create(
        ConnectorSpec(station=station, position=position, **spec_data()) for position in range(2, count + 1)
    )
    return station


def test_admin_saves_a_station_of_64_specifications(operator_client, tenant):
    station = _station_with_specs(tenant, 64, "ADM-64")
    page = operator_client.get(change_url(station))
    assert len(page.context["inline_admin_formsets"][0].formset.forms) == 64  # no blank 65th row
    response = operator_client.post(change_url(station), _change_data(station, manufacturer="Renamed"))
    assert response.status_code == 302
    station.refresh_from_db()
    assert (station.manufacturer, station.connector_specs.count()) == ("Renamed", 64)


def test_admin_says_at_most_64_for_a_station_of_150_instead_of_a_bare_400(operator_client, tenant):
    station = _station_with_specs(tenant, 150, "ADM-150")
    response = operator_client.post(change_url(station), _change_data(station, manufacturer="Renamed"))
    assert response.status_code == 200
    assert _formset_error_codes(response) == ["too_many_connector_specs"]
    assert "at most 64 connector specifications" in response.content.decode()
    station.refresh_from_db()
    assert station.manufacturer == "Alfen"


# -- the CSV engine ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"Manufacturer": "Al\tfen"}, "Manufacturer"),
        ({"Manufacturer": "Al\nfen"}, "Manufacturer"),
        ({"Article number": "NG\x0c910"}, "Article number"),
        ({"Security code": f"K7P2{ZWSP}93QX"}, "Security code"),
        ({"Serial number": "\ufeffACE1"}, "Serial number"),
    ],
)
def test_csv_refuses_invisible_characters_with_row_and_column(operator_client, cells, column):
    response = upload(operator_client, csv_bytes(row(**{k.replace(" ", "_"): v for k, v in cells.items()})))
    assert response.status_code == 422
    assert _csv_errors(response.context["result"]) == [(2, column, "invisible_character")]
    assert not Station.objects.exists()


def test_csv_control_character_is_a_cell_error_not_a_whole_file_refusal(operator_client):
    response = upload(
        operator_client, csv_bytes(row(Station_ID="OK-1"), row(Station_ID="BAD-1", Manufacturer="A\x01B"))
    )
    assert _csv_errors(response.context["result"]) == [(3, "Manufacturer", "invisible_character")]


def test_csv_refuses_other_digits_with_the_shared_message(operator_client):
    response = upload(operator_client, csv_bytes(row(Voltage=ARABIC_230)))
    [error] = response.context["result"].errors
    assert (error.row, error.column, error.code) == (2, "Voltage", "invalid_number")
    assert error.message == "Numbers are written with the digits 0–9 only."


def test_csv_refuses_a_station_of_65_rows_once_at_its_65th(operator_client):
    data = csv_bytes(*station_rows("BIG-1", 64), *station_rows("BIG-2", 70))
    response = upload(operator_client, data)
    assert _csv_errors(response.context["result"]) == [
        (2 + 64 + 64, "Station ID", "too_many_connector_specs")
    ]
    assert "BIG-2 has more than 64 rows" in response.context["result"].errors[0].message
    assert not Station.objects.exists()
    response = upload(operator_client, csv_bytes(*station_rows("BIG-1", 64)))
    assert response.status_code == 200
    assert Station.objects.get().connector_specs.count() == 64


# -- the stored error list -----------------------------------------------------------------------------


def test_stored_errors_are_capped_and_the_download_says_so(operator_client, settings):
    settings.STATION_IMPORT_MAX_STORED_ERRORS = 3
    data = csv_bytes(*[row(Station_ID=f"S{n}", Voltage="x") for n in range(5)])
    response = upload(operator_client, data)
    record = ImportRecord.objects.get()
    assert (record.error_count, len(record.errors)) == (5, 3)
    assert "Download the first 3 of 5 errors (CSV)" in response.content.decode()
    download = operator_client.get(reverse("stations:upload_errors", args=[record.pk]))
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[1][3].startswith("These are the first 3 of 5 errors")
    assert [line[0] for line in lines[2:]] == ["2", "3", "4"]


def test_an_error_list_deleted_after_the_retention_period_says_so(
    operator_client, support, tenant, operator, settings
):
    settings.STATION_IMPORT_ERROR_RETENTION_DAYS = 10
    record = ImportRecord.objects.create(
        tenant=tenant, user=operator, source=ImportSource.UPLOAD, file_name="s.csv", error_count=7, errors=[]
    )
    ImportRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=11))
    response = operator_client.get(reverse("stations:upload_errors", args=[record.pk]))
    assert response.status_code == 410
    assert "deleted after the retention period (10 days)" in response.content.decode()
    support_client = Client()
    support_client.force_login(support)
    page = support_client.get(reverse("admin:stations_importrecord_change", args=[record.pk]))
    assert "Deleted after the retention period" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_real_double_save_creates_one_station_and_both_answers_lead_to_it(operator, settings):
    if connection.vendor != "postgresql":
        pytest.skip("Two requests in parallel need PostgreSQL (SQLite serialises every writer).")
    first = Client()
    first.force_login(operator)
    first.post(WIZARD, details_data())
    revision = revision_of(first.post(WIZARD, connectors_data(spec())))
    # A second client on the same session: the browser's two requests of one double click.
    second = Client()
    second.cookies = first.cookies
    start = threading.Barrier(2)
    answers = {}

    def save(name, client):
        try:
            start.wait(10)
            answers[name] = client.post(WIZARD, overview_data(wizard_revision=revision))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(n, c)) for n, c in (("one", first), ("two", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    station = Station.objects.get()
    by_location = {answer["Location"]: answer for answer in answers.values()}
    assert sorted(by_location) == sorted([change_url(station), WIZARD])
    _assert_already_saved(by_location[WIZARD])
