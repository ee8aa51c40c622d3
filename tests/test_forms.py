"""The wizard's forms ask the model: every rule surfaces with the model's error code, none is restated."""

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
    spec_preview,
)
from stations.models import DUPLICATE_STATION_ID_MESSAGE
from tests.factories import make_station, spec_data, station_data

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
    assert form.station_data()["station_id"] == "ST42"
    assert form.station_data()["manufacturer"] == "Alfen"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"station_id": ""}, "station_id", "required"),
        ({"station_id": "ST 1"}, "station_id", "invalid_station_id"),
        ({"station_id": "ST/1"}, "station_id", "invalid_station_id"),
        ({"station_id": "S" * 49}, "station_id", "max_length"),
        ({"security_code": ""}, "security_code", "required"),
        ({"security_code": "abc"}, "security_code", "min_length"),
        ({"security_code": "ab cd"}, "security_code", "whitespace"),
        ({"security_code": "x" * 65}, "security_code", "max_length"),
        ({"manufacturer": ""}, "manufacturer", "required"),
        ({"manufacturer": "m" * 256}, "manufacturer", "max_length"),
        ({"article_number": "a" * 256}, "article_number", "max_length"),
        ({"serial_number": "AB 12"}, "serial_number", "whitespace"),
        ({"wifi_supported": False, "gsm_supported": False}, "wifi_supported", "no_connectivity"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_details_form_rejects_with_the_model_code(operator, overrides, field, code):
    form = details_form(operator, **overrides)
    assert not form.is_valid()
    assert code in error_codes(form)[field]


def test_details_form_accepts_gsm_only_and_both(operator):
    assert details_form(operator, wifi_supported=False, gsm_supported=True).is_valid()
    assert details_form(operator, wifi_supported=True, gsm_supported=True).is_valid()


def test_duplicate_of_own_station_links_to_it_case_insensitively(operator, tenant):
    station = make_station(tenant, station_id="ST-OWN")
    form = details_form(operator, station_id=" st-own ")
    assert not form.is_valid()
    assert error_codes(form) == {"station_id": ["duplicate_station_id"]}
    assert form.only_station_id_taken()
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


def test_only_station_id_taken_is_false_with_other_errors(operator, tenant):
    make_station(tenant, station_id="ST-OWN")
    form = details_form(operator, station_id="ST-OWN", manufacturer="")
    assert not form.is_valid()
    assert not form.only_station_id_taken()


def spec_form(**overrides):
    data = {f"spec-{name}": value for name, value in spec_data(**overrides).items()}
    return ConnectorSpecForm(data=data, prefix="spec")


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"standard": ""}, "standard", "required"),
        ({"standard": "TYPE_9"}, "standard", "invalid_choice"),
        ({"format": "PLUG"}, "format", "invalid_choice"),
        ({"power_type": "AC_2_PHASE"}, "power_type", "invalid_choice"),
        ({"voltage": 109}, "voltage", "min_value"),
        ({"voltage": 1001}, "voltage", "max_value"),
        ({"voltage": "230.5"}, "voltage", "invalid"),
        ({"voltage": ""}, "voltage", "required"),
        ({"amperage": 0}, "amperage", "min_value"),
        ({"amperage": 501}, "amperage", "max_value"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_spec_form_rejects_with_the_model_code(overrides, field, code):
    form = spec_form(**overrides)
    assert not form.is_valid()
    assert code in error_codes(form)[field]


@pytest.mark.parametrize(("voltage", "amperage"), [(110, 1), (1000, 500)], ids=["lowest", "highest"])
def test_spec_form_accepts_the_bounds(voltage, amperage):
    form = spec_form(voltage=voltage, amperage=amperage)
    assert form.is_valid(), form.errors


def formset(*items):
    return ConnectorSpecFormSet(data=connector_formset_data("connectors", list(items)), prefix="connectors")


def test_formset_keeps_order_and_ignores_blank_items():
    dc = spec_data(standard="CHADEMO", format="CABLE", power_type="DC", voltage=500, amperage=125)
    specs = formset(spec_data(), {}, dc)
    assert specs.is_valid(), specs.errors
    assert [item["standard"] for item in specs.specs()] == ["IEC_62196_T2", "CHADEMO"]


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
