"""The import wizard through the test client: each step's POST (``<step>-<field>`` data), every error path."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from stations.choices import ImportSource, StationStatus
from stations.forms import SPEC_FIELDS
from stations.models import ImportRecord, Station
from tests.factories import make_operator, make_station

pytestmark = pytest.mark.django_db

URL = reverse("stations:import")
PREFIX = "station_import_wizard_view"


def _management(step, data):
    return {f"{PREFIX}-current_step": step, **data}


def details_data(**overrides):
    data = {
        "details-station_id": "ST-100",
        "details-security_code": "K7P2-93QX",
        "details-manufacturer": "Alfen",
        "details-article_number": "NG910",
        "details-serial_number": "ACE1",
        "details-wifi_supported": "on",
    }
    data.update({f"details-{name}": value for name, value in overrides.items()})
    return _management("details", {k: v for k, v in data.items() if v is not None})


def spec(**overrides):
    values = {
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "voltage": "230",
        "amperage": "16",
    }
    values.update(overrides)
    return values


DC = {
    "standard": "IEC_62196_T2_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "voltage": "500",
    "amperage": "125",
}


def connectors_data(*specs, **extra):
    data = {
        "connectors-TOTAL_FORMS": str(len(specs)),
        "connectors-INITIAL_FORMS": "0",
        "connectors-MIN_NUM_FORMS": "0",
        "connectors-MAX_NUM_FORMS": "1000",
    }
    for index, values in enumerate(specs):
        for name, value in values.items():
            data[f"connectors-{index}-{name}"] = value
    data.update(extra)
    return _management("connectors", data)


def overview_data(**extra):
    return _management("overview", extra)


def step_of(response):
    return response.context["wizard"]["steps"].current


def codes(errors):
    return {field: [error.code for error in items] for field, items in errors.as_data().items()}


@pytest.fixture
def at_connectors(operator_client):
    response = operator_client.post(URL, details_data())
    assert step_of(response) == "connectors"
    return operator_client


@pytest.fixture
def at_overview(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(), DC))
    assert step_of(response) == "overview"
    return at_connectors


# -- access --------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_add_permission_is_refused(client, tenant):
    user = make_operator(tenant, "viewer")
    user.groups.clear()
    user.user_permissions.add(Permission.objects.get(codename="view_station"))
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, details_data()).status_code == 403


# -- step 1: details -----------------------------------------------------------------------------------


def test_first_step_is_shown_with_its_number(operator_client):
    response = operator_client.get(URL)
    assert response.status_code == 200
    assert step_of(response) == "details"
    content = response.content.decode()
    assert "Step 1 of 3: Station details" in content
    form = response.context["form"]
    labels = {name: form[name].label for name in form.fields}
    assert labels == {
        "station_id": "Station ID",
        "security_code": "Security code",
        "manufacturer": "Manufacturer",
        "article_number": "Article number",
        "serial_number": "Station serial number",
        "wifi_supported": "Wi-Fi",
        "gsm_supported": "GSM",
    }
    for name in form.fields:
        assert re.search(rf'<label\s+for="id_details-{name}"', content)
    assert "Connectivity type" in content
    assert "Ethernet" in content


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"station_id": ""}, "station_id", "required"),
        ({"station_id": "ST 1"}, "station_id", "invalid_station_id"),
        ({"station_id": "S" * 49}, "station_id", "max_length"),
        ({"security_code": "abc"}, "security_code", "min_length"),
        ({"security_code": "ab cd"}, "security_code", "whitespace"),
        ({"manufacturer": "  "}, "manufacturer", "required"),
        ({"article_number": "a" * 256}, "article_number", "max_length"),
        ({"serial_number": "A B"}, "serial_number", "whitespace"),
        ({"wifi_supported": None}, "wifi_supported", "no_connectivity"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_details_errors_stay_on_the_step(operator_client, overrides, field, code):
    # One case per rule of SPEC §1, the domain's code on its field; the boundaries are test_models.py's.
    response = operator_client.post(URL, details_data(**overrides))
    assert response.status_code == 200
    assert step_of(response) == "details"
    form = response.context["form"]
    assert code in codes(form.errors)[field]
    content = response.content.decode()
    assert 'id="error-summary"' in content
    assert "There is a problem to fix before you continue" in content
    assert f'href="#id_details-{field}"' in content
    # Focus goes to the first field in error, even without JavaScript.
    assert form.fields[field].widget.attrs.get("autofocus") is True
    assert Station.objects.count() == 0


def test_duplicate_station_id_of_own_tenant_links_to_the_station(operator_client, tenant):
    station = make_station(tenant, station_id="ST-OWN")
    response = operator_client.post(URL, details_data(station_id="st-own"))
    assert step_of(response) == "details"
    assert codes(response.context["form"].errors) == {"station_id": ["duplicate_station_id"]}
    assert reverse("admin:stations_station_change", args=[station.pk]) in response.content.decode()


def test_duplicate_station_id_of_other_tenant_reveals_nothing(operator_client, other_tenant):
    station = make_station(other_tenant, station_id="ST-THEIRS", manufacturer="Secret Maker")
    response = operator_client.post(URL, details_data(station_id="ST-THEIRS"))
    assert codes(response.context["form"].errors) == {"station_id": ["duplicate_station_id"]}
    content = response.content.decode()
    assert "already imported" in content
    assert reverse("admin:stations_station_change", args=[station.pk]) not in content
    assert "Secret Maker" not in content
    assert "South Volt" not in content


GENERATED_CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}")


def test_generate_fills_in_a_code_and_keeps_what_was_entered(operator_client):
    # Without JavaScript: the button submits the step, which comes back with a code and no errors.
    data = {**details_data(security_code="typed", manufacturer=""), "generate_code": "1"}
    response = operator_client.post(URL, data)
    assert step_of(response) == "details"
    form = response.context["form"]
    code = form["security_code"].value()
    assert GENERATED_CODE.fullmatch(code)
    entered = {name: form[name].value() for name in ("station_id", "manufacturer", "wifi_supported")}
    assert entered == {"station_id": "ST-100", "manufacturer": "", "wifi_supported": True}
    content = response.content.decode()
    assert 'id="error-summary"' not in content
    assert "is-invalid" not in content
    assert 'Generate<span class="visually-hidden"> a security code</span></button>' in content
    assert form.fields["security_code"].widget.attrs.get("autofocus") is True
    # The code passes the security-code rule: Next takes it (and a second Generate gives another).
    assert operator_client.post(URL, data).context["form"]["security_code"].value() != code
    response = operator_client.post(URL, details_data(security_code=code))
    assert step_of(response) == "connectors"
    response = operator_client.post(URL, connectors_data(spec()))
    assert operator_client.post(URL, overview_data()).status_code == 302
    assert Station.objects.get().security_code == code


def test_generate_from_a_reload_keeps_the_generated_code(operator_client):
    operator_client.post(URL, {**details_data(), "generate_code": "1"})
    code = operator_client.get(URL).context["form"]["security_code"].value()
    assert GENERATED_CODE.fullmatch(code)


def test_generate_code_endpoint_gives_a_fresh_uncached_code(operator_client, tenant):
    endpoint = reverse("stations:generate_code")
    response = operator_client.get(endpoint)
    assert GENERATED_CODE.fullmatch(response.json()["code"])
    assert "no-store" in response["Cache-Control"]
    assert operator_client.get(endpoint).json()["code"] != response.json()["code"]
    assert operator_client.post(endpoint).status_code == 405
    client = Client()
    assert client.get(endpoint).status_code == 302
    viewer = make_operator(tenant, "viewer")
    viewer.groups.clear()
    client.force_login(viewer)
    assert client.get(endpoint).status_code == 403


def test_tampered_management_form_is_a_bad_request(operator_client):
    assert operator_client.post(URL, {"details-station_id": "X"}).status_code == 400
    assert operator_client.post(URL, _management("nowhere", {})).status_code == 400


# -- step 2: connectors --------------------------------------------------------------------------------


def test_connectors_step_says_one_spec_applies_to_every_connector(at_connectors):
    response = at_connectors.get(URL)
    content = response.content.decode()
    assert step_of(response) == "connectors"
    assert "Step 2 of 3: Connectors setup" in content
    assert "applies to <strong>every connector</strong>" in content
    assert "line-to-neutral" in content
    assert "Add connector settings" in content


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"standard": ""}, "standard", "required"),
        ({"standard": "TYPE_9"}, "standard", "invalid_choice"),
        ({"format": ""}, "format", "required"),
        ({"power_type": "AC"}, "power_type", "invalid_choice"),
        ({"voltage": "100"}, "voltage", "min_value"),
        ({"voltage": "230.5"}, "voltage", "invalid"),
        ({"amperage": "501"}, "amperage", "max_value"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_connector_errors_stay_on_the_step_next_to_their_item(at_connectors, overrides, field, code):
    response = at_connectors.post(URL, connectors_data(spec(), spec(**overrides)))
    assert step_of(response) == "connectors"
    formset = response.context["form"]
    assert formset.forms[0].errors == {}
    assert code in codes(formset.forms[1].errors)[field]
    content = response.content.decode()
    assert f'href="#id_connectors-1-{field}"' in content
    # One name for an item, in the error summary as on its card.
    assert f"Connector ID 2, {formset.forms[1][field].label}</a>" in content
    assert "Connector settings 2" not in content


def test_at_least_one_connector_specification_is_required(at_connectors):
    response = at_connectors.post(URL, connectors_data({"standard": "", "voltage": ""}))
    assert step_of(response) == "connectors"
    assert [e.code for e in response.context["form"].non_form_errors().as_data()] == ["no_connector_specs"]
    # The domain's message, as rules.check_positions words it.
    assert "A station needs at least one connector specification." in response.content.decode()


def test_an_untouched_connector_form_marks_the_fields_a_specification_needs(at_connectors):
    response = at_connectors.post(URL, connectors_data({"standard": ""}))
    formset = response.context["form"]
    assert [e.code for e in formset.non_form_errors().as_data()] == ["no_connector_specs"]
    assert codes(formset.forms[0].errors) == {
        name: ["required"] for name in ("standard", "format", "power_type", "voltage", "amperage")
    }
    content = response.content.decode()
    assert 'href="#id_connectors-0-standard"' in content
    assert 'aria-invalid="true"' in content
    assert formset.forms[0].fields["standard"].widget.attrs.get("autofocus") is True


def test_power_and_line_voltage_warning_shown_beside_each_item(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(voltage="400"), spec(), wizard_action="add"))
    content = response.content.decode()
    assert "19.2 kW" in content
    assert "11.04 kW" in content
    assert "enter 230 V instead" in content
    assert "order must match the connector IDs" in content


def stored_items(client):
    response = client.get(URL)
    return [form.raw_values() for form in response.context["form"].forms]


def test_add_appends_a_blank_item_without_errors(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(voltage="5"), wizard_action="add"))
    assert step_of(response) == "connectors"
    formset = response.context["form"]
    assert len(formset.forms) == 2
    assert not formset.is_bound  # rearranging is not a submission: no errors yet
    assert formset.forms[1].fields["standard"].widget.attrs.get("autofocus") is True
    assert [item["voltage"] for item in stored_items(at_connectors)] == ["5", ""]
    # Plain submit buttons: adding, moving and removing work without JavaScript.
    buttons = re.findall(
        r'<button type="submit" name="wizard_action" value="([a-z]+-?\d*)"', response.content.decode()
    )
    assert {"add", "up-1", "down-0", "remove-0", "remove-1"} <= set(buttons)


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("up-1", ["DC", "AC_3_PHASE", "AC_1_PHASE"]),
        ("down-0", ["DC", "AC_3_PHASE", "AC_1_PHASE"]),
        ("down-1", ["AC_3_PHASE", "AC_1_PHASE", "DC"]),
        ("remove-1", ["AC_3_PHASE", "AC_1_PHASE"]),
        ("up-0", ["AC_3_PHASE", "DC", "AC_1_PHASE"]),  # already first: nothing moves
        ("down-2", ["AC_3_PHASE", "DC", "AC_1_PHASE"]),  # already last
        ("remove-9", ["AC_3_PHASE", "DC", "AC_1_PHASE"]),  # no such item
        ("up-x", ["AC_3_PHASE", "DC", "AC_1_PHASE"]),
    ],
)
def test_move_and_remove_rearrange_the_stored_items(at_connectors, action, expected):
    response = at_connectors.post(
        URL, connectors_data(spec(), DC, spec(power_type="AC_1_PHASE"), wizard_action=action)
    )
    assert step_of(response) == "connectors"
    assert [form.raw_values()["power_type"] for form in response.context["form"].forms] == expected
    assert [item["power_type"] for item in stored_items(at_connectors)] == expected


def test_removing_the_only_item_leaves_one_blank_item(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(), wizard_action="remove-0"))
    assert len(response.context["form"].forms) == 1
    assert response.context["form"].forms[0].raw_values() == dict.fromkeys(SPEC_FIELDS, "")


def test_blank_items_are_dropped_when_the_step_is_done(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(), {}, DC))
    assert step_of(response) == "overview"
    assert [spec.position for spec in response.context["specs"]] == [1, 2]
    assert [item["power_type"] for item in stored_items_at(at_connectors, "connectors")] == [
        "AC_3_PHASE",
        "DC",
    ]


def stored_items_at(client, step):
    response = client.post(URL, overview_data(wizard_goto_step=step))
    return [form.raw_values() for form in response.context["form"].forms]


# -- Back, Edit, reload, second tab --------------------------------------------------------------------


def test_back_from_connectors_keeps_both_steps_even_when_invalid(at_connectors):
    response = at_connectors.post(
        URL, connectors_data(spec(), spec(voltage="99"), wizard_goto_step="details")
    )
    assert step_of(response) == "details"
    assert response.context["form"]["station_id"].value() == "ST-100"
    assert response.context["form"]["wifi_supported"].value() is True
    response = at_connectors.post(URL, details_data(manufacturer="Alfen BV"))
    assert step_of(response) == "connectors"
    formset = response.context["form"]
    assert [form["voltage"].value() for form in formset.forms] == ["230", "99"]
    assert "min_value" in codes(formset.forms[1].errors)["voltage"]


def test_back_from_details_with_edits_then_next_keeps_them(at_overview):
    response = at_overview.post(URL, overview_data(wizard_goto_step="details"))
    assert step_of(response) == "details"
    # Change a value and go "back" from the first step's Edit: stored, not lost.
    response = at_overview.post(URL, details_data(manufacturer="Changed", station_id="ST-200"))
    assert step_of(response) == "overview"
    response = at_overview.post(URL, overview_data(wizard_goto_step="connectors"))
    assert len(response.context["form"].forms) == 2
    response = at_overview.post(URL, connectors_data(spec(), DC, wizard_goto_step="details"))
    assert response.context["form"]["manufacturer"].value() == "Changed"
    at_overview.post(URL, details_data(manufacturer="Changed", station_id="ST-200"))
    at_overview.post(URL, connectors_data(spec(), DC))
    assert at_overview.post(URL, overview_data()).status_code == 302
    assert Station.objects.get().manufacturer == "Changed"


def test_edit_links_on_the_overview_go_back_to_each_step(at_overview):
    content = at_overview.get(URL).content.decode()
    assert 'name="wizard_goto_step" value="details"' in content
    assert 'name="wizard_goto_step" value="connectors"' in content
    response = at_overview.post(URL, overview_data(wizard_goto_step="connectors"))
    assert step_of(response) == "connectors"
    assert [form["power_type"].value() for form in response.context["form"].forms] == ["AC_3_PHASE", "DC"]


@pytest.mark.parametrize("step", ["details", "connectors"])
def test_next_after_an_edit_from_the_overview_returns_to_the_overview(at_overview, step):
    at_overview.post(URL, overview_data(wizard_goto_step=step))
    data = details_data(manufacturer="Edited") if step == "details" else connectors_data(spec(voltage="240"))
    response = at_overview.post(URL, data)
    assert step_of(response) == "overview"
    rows = dict(response.context["station_rows"])
    specs = response.context["specs"]
    assert (rows["Manufacturer"], [s.voltage for s in specs]) == (
        ("Edited", [230, 500]) if step == "details" else ("Alfen", [240])
    )
    # The marker is spent: the next pass through the steps goes step by step again.
    at_overview.post(URL, overview_data(wizard_goto_step="connectors"))
    at_overview.post(URL, connectors_data(spec(), wizard_goto_step="details"))
    assert step_of(at_overview.post(URL, details_data())) == "connectors"


def test_an_edit_that_fails_stays_on_its_step_until_fixed(at_overview):
    at_overview.post(URL, overview_data(wizard_goto_step="details"))
    response = at_overview.post(URL, details_data(station_id=""))
    assert step_of(response) == "details"
    assert step_of(at_overview.post(URL, details_data())) == "overview"


def test_back_from_a_step_reached_by_edit_then_next_goes_step_by_step(at_overview):
    at_overview.post(URL, overview_data(wizard_goto_step="connectors"))
    response = at_overview.post(URL, connectors_data(spec(), DC, wizard_goto_step="details"))
    assert step_of(response) == "details"
    assert step_of(at_overview.post(URL, details_data())) == "connectors"


def test_a_forged_jump_forward_is_ignored(operator_client):
    response = operator_client.post(URL, {**details_data(), "wizard_goto_step": "overview"})
    assert step_of(response) == "details"


def test_reload_shows_the_current_step_with_its_data(at_overview):
    response = at_overview.get(URL)
    assert step_of(response) == "overview"
    assert "ST-100" in response.content.decode()


def revision_of(response) -> str:
    found = re.search(r'name="wizard_revision" value="([0-9a-f]+)"', response.content.decode())
    assert found, "every wizard page carries its revision"
    return found.group(1)


def test_every_step_carries_the_revision_of_its_data(operator_client):
    first = revision_of(operator_client.get(URL))
    response = operator_client.post(URL, {**details_data(), "wizard_revision": first})
    second = revision_of(response)
    assert step_of(response) == "connectors"
    assert second != first
    response = operator_client.post(URL, {**connectors_data(spec(), DC), "wizard_revision": second})
    assert step_of(response) == "overview"
    third = revision_of(response)
    assert third != second
    # Looking is not changing: a reload, Back and Edit without edits keep the revision.
    assert revision_of(operator_client.get(URL)) == third
    response = operator_client.post(URL, overview_data(wizard_goto_step="connectors", wizard_revision=third))
    assert revision_of(response) == third
    response = operator_client.post(URL, {**connectors_data(spec(), DC), "wizard_revision": third})
    response = operator_client.post(URL, overview_data(wizard_revision=revision_of(response)))
    assert response.status_code == 302
    assert Station.objects.get().station_id == "ST-100"


def test_save_from_a_tab_whose_data_another_tab_changed_is_refused(at_overview):
    # Tab A shows the overview for TAB-A.
    at_overview.post(URL, overview_data(wizard_goto_step="details"))
    tab_a = at_overview.post(URL, details_data(station_id="TAB-A"))
    tab_a = at_overview.post(URL, {**connectors_data(spec(), DC), "wizard_revision": revision_of(tab_a)})
    assert "TAB-A" in tab_a.content.decode()
    revision_a = revision_of(tab_a)
    # Tab B, on the same session, edits the details to TAB-B and reaches the overview.
    tab_b = at_overview.post(URL, overview_data(wizard_goto_step="details", wizard_revision=revision_a))
    tab_b = at_overview.post(URL, {**details_data(station_id="TAB-B"), "wizard_revision": revision_of(tab_b)})
    tab_b = at_overview.post(URL, {**connectors_data(spec(), DC), "wizard_revision": revision_of(tab_b)})
    assert "TAB-B" in tab_b.content.decode()
    # Tab A clicks Save: nothing is saved, the current overview is shown with the reason.
    response = at_overview.post(URL, overview_data(wizard_revision=revision_a))
    assert response.status_code == 200
    assert step_of(response) == "overview"
    assert Station.objects.count() == 0
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This import was changed in another tab or window: check the overview again."
    ]
    content = response.content.decode()
    assert "This import was changed in another tab or window" in content
    assert "TAB-B" in content
    assert "TAB-A" not in content
    # Saving from the page just shown saves what it shows.
    response = at_overview.post(URL, overview_data(wizard_revision=revision_of(response)))
    assert response.status_code == 302
    assert Station.objects.get().station_id == "TAB-B"


def test_a_step_posted_from_a_stale_tab_is_refused_and_stores_nothing(at_overview):
    stale = revision_of(at_overview.get(URL))
    # Another tab changes the connectors.
    page = at_overview.post(URL, overview_data(wizard_goto_step="connectors", wizard_revision=stale))
    at_overview.post(URL, {**connectors_data(DC), "wizard_revision": revision_of(page)})
    # The stale tab's details post would overwrite the details: refused, the current overview shown.
    response = at_overview.post(URL, {**details_data(station_id="ST-OTHER-TAB"), "wizard_revision": stale})
    assert step_of(response) == "overview"
    content = response.content.decode()
    assert "changed in another tab or window" in content
    assert "ST-OTHER-TAB" not in content
    assert [spec.power_type for spec in response.context["specs"]] == ["DC"]
    assert revision_of(at_overview.get(URL)) == revision_of(response)


def test_a_stale_post_while_the_other_tab_is_mid_way_shows_where_it_stands(at_overview):
    stale = revision_of(at_overview.get(URL))
    page = at_overview.post(URL, overview_data(wizard_goto_step="connectors", wizard_revision=stale))
    # The other tab left the connectors invalid (Back stores them as entered).
    invalid = connectors_data(spec(voltage="5"), wizard_goto_step="details")
    at_overview.post(URL, {**invalid, "wizard_revision": revision_of(page)})
    response = at_overview.post(URL, overview_data(wizard_revision=stale))
    assert step_of(response) == "connectors"
    assert "changed in another tab or window" in response.content.decode()
    assert Station.objects.count() == 0


def test_first_step_input_from_an_older_page_is_taken_when_nothing_is_stored(at_overview):
    older = revision_of(at_overview.get(URL))
    at_overview.post(URL, overview_data(wizard_action="restart-confirm"))  # another tab started over
    response = at_overview.post(URL, {**details_data(station_id="ST-TYPED"), "wizard_revision": older})
    assert step_of(response) == "connectors"
    assert "changed in another tab" not in response.content.decode()


def test_start_over_asks_for_confirmation_before_clearing(at_overview):
    revision = revision_of(at_overview.get(URL))
    response = at_overview.post(URL, overview_data(wizard_action="restart", wizard_revision=revision))
    assert response.status_code == 200
    assert response.templates[0].name == "stations/wizard/start_over.html"
    content = response.content.decode()
    assert "Start over and discard this import?" in content
    assert "ST-100" in content
    assert 'value="restart-confirm"' in content
    assert re.search(rf'<a href="{URL}"[^>]*>No, continue the import</a>', content)
    # "No": nothing was lost.
    response = at_overview.get(URL)
    assert step_of(response) == "overview"
    assert "ST-100" in response.content.decode()
    # "Yes": cleared, and said so.
    response = at_overview.post(URL, overview_data(wizard_action="restart-confirm"))
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Started over: everything entered for the previous station was discarded."
    ]
    response = at_overview.get(URL)
    assert step_of(response) == "details"
    assert not response.context["form"].is_bound


def test_start_over_keeps_the_current_step_input_in_case_the_answer_is_no(at_connectors):
    at_connectors.post(URL, connectors_data(spec(), DC, wizard_action="restart"))
    response = at_connectors.get(URL)
    assert step_of(response) == "connectors"
    assert len(response.context["form"].forms) == 2


def test_start_over_sits_apart_from_next_and_save(at_overview):
    content = at_overview.get(URL).content.decode()
    footer = content[content.index('class="card-footer') :]
    start_over, back, save = (footer.index(text) for text in ("Start over", "wizard_goto_step", ">Save<"))
    assert start_over < back < save


@pytest.mark.parametrize("first", ["restart-confirm", "save"])
def test_save_after_start_over_or_a_second_save_says_why_nothing_happens(at_overview, first):
    action = {"wizard_action": first} if first != "save" else {}
    assert at_overview.post(URL, overview_data(**action)).status_code == 302
    response = at_overview.post(URL, overview_data())
    assert response.status_code == 302
    assert response["Location"] == URL
    assert "This import was already saved or started over." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    assert Station.objects.count() == (1 if first == "save" else 0)
    assert step_of(at_overview.get(URL)) == "details"


# -- step 3: overview and Save -------------------------------------------------------------------------


def test_overview_shows_everything_entered(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(voltage="400"), DC))
    assert step_of(response) == "overview"
    content = response.content.decode()
    assert "Step 3 of 3: Overview" in content
    for text in ("ST-100", "K7P2-93QX", "Alfen", "NG910", "ACE1", "Wi-Fi"):
        assert text in content
    for text in (
        "Type 2 (IEC 62196-2)",
        "CCS Combo 2 (IEC 62196-3)",
        "Socket",
        "Cable",
        "Three-phase AC",
        "DC",
    ):
        assert text in content
    assert "400 V" in content
    assert "19.2 kW" in content
    assert "62.5 kW" in content
    assert "enter 230 V instead" in content
    assert ">Save</button>" in content


def test_save_imports_the_station_in_order_and_clears_the_wizard(at_overview, operator, tenant):
    response = at_overview.post(URL, overview_data())
    station = Station.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:stations_station_change", args=[station.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Station ST-100 imported. It is ready to be activated."
    ]
    assert (station.tenant, station.status, station.manufacturer) == (tenant, StationStatus.INACTIVE, "Alfen")
    assert list(station.connector_specs.values_list("position", "power_type")) == [
        (1, "AC_3_PHASE"),
        (2, "DC"),
    ]
    record = ImportRecord.objects.get()
    assert (record.source, record.user, record.succeeded, record.connector_specs) == (
        ImportSource.WIZARD,
        operator,
        True,
        2,
    )
    response = at_overview.get(URL)
    assert step_of(response) == "details"
    assert not response.context["form"].is_bound


def test_station_imported_meanwhile_by_own_tenant_sends_save_back_to_the_details_step(at_overview, tenant):
    other = make_station(tenant, station_id="st-100")
    records_before = ImportRecord.objects.count()
    response = at_overview.post(URL, overview_data())
    # Save revalidates every step (formtools' render_done): the taken ID is the details step's error.
    assert response.status_code == 200
    assert step_of(response) == "details"
    assert codes(response.context["form"].errors) == {"station_id": ["duplicate_station_id"]}
    content = response.content.decode()
    assert "A station with this Station ID is already imported." in content
    assert reverse("admin:stations_station_change", args=[other.pk]) in content
    assert "Open st-100 in the management overview" in content
    assert response.context["form"].fields["station_id"].widget.attrs.get("autofocus") is True
    assert Station.objects.count() == 1
    assert ImportRecord.objects.count() == records_before  # refused before the import, like any step error
    # The wizard keeps everything: correct the ID and save.
    assert response.context["form"]["manufacturer"].value() == "Alfen"
    at_overview.post(URL, details_data(station_id="ST-101"))
    at_overview.post(URL, connectors_data(spec(), DC))
    response = at_overview.post(URL, overview_data())
    assert response.status_code == 302
    assert Station.objects.filter(station_id="ST-101").exists()


def test_station_imported_meanwhile_by_other_tenant_reveals_nothing(at_overview, other_tenant):
    other = make_station(other_tenant, station_id="ST-100", manufacturer="Secret Maker")
    response = at_overview.post(URL, overview_data())
    assert response.status_code == 200
    assert step_of(response) == "details"
    content = response.content.decode()
    assert "A station with this Station ID is already imported." in content
    assert reverse("admin:stations_station_change", args=[other.pk]) not in content
    assert "Secret Maker" not in content
    assert Station.objects.count() == 1


def test_save_revalidates_every_step(operator_client):
    # A tab that never completed the earlier steps cannot save: it is sent to the first invalid step.
    operator_client.post(URL, details_data())
    operator_client.post(URL, connectors_data(spec(voltage="5"), wizard_goto_step="details"))
    response = operator_client.post(URL, overview_data())
    assert step_of(response) == "connectors"
    assert "min_value" in codes(response.context["form"].forms[0].errors)["voltage"]
    assert Station.objects.count() == 0


# -- the script's helper -------------------------------------------------------------------------------


def test_preview_gives_power_and_warning_from_the_domain(operator_client):
    preview = reverse("stations:import_preview")
    data = operator_client.get(
        preview, {"power_type": "AC_3_PHASE", "voltage": "400", "amperage": "16"}
    ).json()
    assert data["power"] == "19.2 kW"
    assert "enter 230 V instead" in data["warning"]
    data = operator_client.get(preview, {"power_type": "DC", "voltage": "x", "amperage": "16"}).json()
    assert data == {"power": "", "warning": ""}


def test_preview_needs_login(client):
    assert client.get(reverse("stations:import_preview")).status_code == 302


def test_resubmitting_save_after_success_imports_nothing_twice(at_overview):
    assert at_overview.post(URL, overview_data()).status_code == 302
    response = at_overview.post(URL, overview_data(), follow=True)  # the browser's "resend the form"
    assert step_of(response) == "details"
    assert "This import was already saved or started over." in response.content.decode()
    assert Station.objects.count() == 1


@pytest.mark.parametrize("extra", [{"wizard_action": "add"}, {}, {"wizard_goto_step": "details"}])
def test_connectors_post_without_formset_data_is_handled(at_connectors, extra):
    response = at_connectors.post(URL, _management("connectors", extra))
    assert response.status_code == 200
    assert step_of(response) in {"connectors", "details"}


# -- focus, labels, descriptions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "focused"),
    [
        ("up-2", 'value="up-1"'),  # still movable up: stays on Move up
        ("up-1", 'value="down-0"'),  # now first, Move up disabled: its enabled sibling
        ("down-0", 'value="down-1"'),
        ("down-1", 'value="up-2"'),  # now last, Move down disabled
    ],
)
def test_focus_after_a_move_is_on_an_enabled_button_of_the_moved_item(at_connectors, action, focused):
    response = at_connectors.post(
        URL, connectors_data(spec(), DC, spec(power_type="AC_1_PHASE"), wizard_action=action)
    )
    content = response.content.decode()
    buttons = re.findall(r"<button[^>]*>", content)
    autofocused = [button for button in buttons if " autofocus" in button]
    assert len(autofocused) == 1
    assert focused in autofocused[0]
    assert " disabled" not in autofocused[0]


def test_selects_open_on_a_choose_label(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(), wizard_action="add"))
    content = response.content.decode()
    assert "---------" not in content
    blanks = re.findall(r'<option value=""( selected)?>([^<]*)</option>', content)
    assert [label for _, label in blanks] == ["Choose…"] * 6  # standard, format, power type, for each item
    assert [bool(selected) for selected, _ in blanks] == [False] * 3 + [True] * 3  # the added item


def test_an_invalid_number_is_described_by_its_help_and_its_error(at_connectors):
    response = at_connectors.post(URL, connectors_data(spec(voltage="5", amperage="0")))
    content = response.content.decode()
    assert "There are 2 problems to fix before you continue" in content
    for name in ("voltage", "amperage"):
        assert f'aria-describedby="help-{name} id_connectors-0-{name}_error"' in content
        assert f'id="id_connectors-0-{name}_error"' in content
        assert f'id="help-{name}"' in content
