"""The wizard's forms ask the model: none restates a rule.

Each rule's boundaries are tested once, in test_models.py; that the wizard shows each rule's error on its
field is test_wizard.py's. Here: what the forms add (the taken-ID link, the blank item, the layout).
"""

import pytest
from crispy_forms.utils import render_crispy_form
from django.core.exceptions import ValidationError

from stations import rules
from stations.forms import (
    ConnectorSpecForm,
    ConnectorSpecFormSet,
    StationDetailsForm,
    connector_formset_data,
    duplicate_station_id_message,
    filled_forms,
    spec_preview,
)
from stations.models import DUPLICATE_STATION_ID_MESSAGE
from tests.factories import make_station, spec_data, station_data, two_spec_data

pytestmark = pytest.mark.django_db


def details_form(user=None, **overrides):
    values = station_data(**overrides)
    data = {f"details-{name}": value for name, value in values.items() if value is not False}
    data["details-wifi_supported"] = "on" if values["wifi_supported"] else ""
    data["details-gsm_supported"] = "on" if values["gsm_supported"] else ""
    return StationDetailsForm(data=data, prefix="details", user=user)


def error_codes(form):
    return {field: [error.code for error in errors] for field, errors in form.errors.as_data().items()}


def test_details_form_accepts_valid_station_and_strips_whitespace(operator):
    form = details_form(operator, station_id="  ST42 ", manufacturer=" Alfen ")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["station_id"] == "ST42"
    assert form.cleaned_data["manufacturer"] == "Alfen"


def test_duplicate_of_own_station_links_to_it_case_insensitively(operator, tenant):
    station = make_station(tenant, station_id="ST-OWN")
    form = details_form(operator, station_id=" st-own ")
    assert not form.is_valid()
    assert error_codes(form) == {"station_id": ["duplicate_station_id"]}
    message = form.errors["station_id"][0]
    assert f'href="/admin/stations/station/{station.pk}/change/"' in message
    assert "Open ST-OWN in the management overview" in message


def test_duplicate_of_other_tenants_station_says_nothing_more(operator, other_tenant):
    make_station(other_tenant, station_id="ST-THEIRS")
    form = details_form(operator, station_id="ST-THEIRS")
    assert not form.is_valid()
    assert error_codes(form) == {"station_id": ["duplicate_station_id"]}
    assert form.errors["station_id"] == [DUPLICATE_STATION_ID_MESSAGE]


def test_duplicate_message_for_support_links_to_any_tenants_station(support, other_tenant):
    station = make_station(other_tenant, station_id="ST-ANY")
    assert f"/admin/stations/station/{station.pk}/change/" in duplicate_station_id_message(support, "st-any")


def formset(*items):
    return ConnectorSpecFormSet(data=connector_formset_data("connectors", list(items)), prefix="connectors")


def test_formset_keeps_order_and_ignores_blank_items():
    type_2, chademo = two_spec_data()
    specs = formset(type_2, {}, chademo, {"standard": "", "voltage": ""})
    assert specs.is_valid(), specs.errors
    assert [item["standard"] for item in specs.cleaned_data] == ["IEC_62196_T2", "CHADEMO"]
    assert filled_forms(specs) == [specs.forms[0], specs.forms[2]]


def test_formset_needs_at_least_one_specification():
    specs = formset({})
    assert not specs.is_valid()
    assert [error.code for error in specs.non_form_errors().as_data()] == ["no_connector_specs"]
    # The domain's error as it is: its message too, not a restatement.
    with pytest.raises(ValidationError) as domain:
        rules.check_positions([])
    assert list(specs.non_form_errors()) == domain.value.messages


@pytest.mark.parametrize("name", ["standard", "format", "power_type"])
def test_spec_form_selects_offer_a_choose_label_first(name):
    choices = list(ConnectorSpecForm().fields[name].choices)
    assert choices[0] == ("", "Choose…")
    assert all(value != "" for value, _ in choices[1:])


def test_spec_form_with_an_error_is_described_by_help_and_error():
    form = ConnectorSpecForm(data=spec_data(voltage=5))
    html = render_crispy_form(form)
    assert 'aria-describedby="help-voltage id_voltage_error"' in html
    assert 'aria-describedby="help-amperage"' in html  # no error: the help only


def test_formset_reports_errors_per_item():
    specs = formset(spec_data(), spec_data(voltage=5))
    assert not specs.is_valid()
    assert specs.errors[0] == {}
    assert [error.code for error in specs.forms[1].errors.as_data()["voltage"]] == ["min_value"]


def test_unbound_formset_shows_one_blank_item_or_the_given_items():
    assert len(ConnectorSpecFormSet(prefix="connectors").forms) == 1
    assert len(ConnectorSpecFormSet(prefix="connectors", initial=[spec_data(), spec_data()]).forms) == 2


@pytest.mark.parametrize(
    ("values", "power", "warning"),
    [
        ({"power_type": "AC_3_PHASE", "voltage": "230", "amperage": "16"}, "11.04 kW", None),
        ({"power_type": "AC_1_PHASE", "voltage": "230", "amperage": "16"}, "3.68 kW", None),
        ({"power_type": "AC_3_PHASE", "voltage": "400", "amperage": "16"}, "19.2 kW", 230),
        ({"power_type": "DC", "voltage": "abc", "amperage": "16"}, "", None),
        ({"power_type": "AC_3_PHASE", "voltage": "2300", "amperage": "16"}, "", None),
        ({"power_type": "AC_3_PHASE", "voltage": "400", "amperage": "0"}, "", 230),
    ],
    ids=["three-phase", "single-phase", "line-voltage", "unparsable", "voltage-out-of-range", "no-amperage"],
)
def test_spec_preview_uses_the_model_properties(values, power, warning):
    spec = spec_preview(**values)
    assert spec.power_display == power
    assert (spec.line_voltage_warning.suggested_voltage if spec.line_voltage_warning else None) == warning


def test_standards_are_offered_by_label_while_the_choices_keep_the_ocpi_order():
    from stations.choices import ConnectorStandard
    from stations.forms import ConnectorSpecForm

    labels = [label for value, label in ConnectorSpecForm().fields["standard"].choices if value]
    assert labels == sorted(labels, key=str.casefold)
    assert sorted(labels) == sorted(ConnectorStandard.labels)
    assert ConnectorStandard.values[0] == "CHADEMO"
