"""The maximum power of SPEC §1: its rule once (rules, the model), then one wiring case per way in."""

import io
import zipfile
from decimal import Decimal

import pytest
import python_calamine
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from stations import csv_import, rules, workbook, xlsx
from stations.choices import PowerType
from stations.csv_export import export_lines, stations_for_export
from stations.csv_format import ALL_HEADERS, HEADERS, rows_to_csv
from stations.models import ConnectorSpec, Station
from tests import factories
from tests.csv_helpers import csv_bytes, row

# OCPI 2.2.1's own example of a connector rated below V × A: 920 V × 400 A = 368 kW, limited to 150 kW.
DC_920_400 = {
    "standard": "IEC_62196_T2_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "voltage": 920,
    "amperage": 400,
}
MAX_HEADER = "Maximum power (kW)"


# -- the rule --------------------------------------------------------------------------------------------


def test_the_ocpi_example_shows_its_maximum_not_voltage_times_amperage():
    assert rules.power_watts(PowerType.DC, 920, 400) == 368_000
    assert rules.power_watts(PowerType.DC, 920, 400, Decimal("150")) == 150_000
    spec = ConnectorSpec(**DC_920_400, max_power=Decimal("150"))
    assert spec.power_watts == 150_000
    assert spec.power_display == "150 kW"


def test_two_decimals_of_kw_are_whole_watts():
    assert rules.power_watts(PowerType.AC_3_PHASE, 230, 16, Decimal("7.45")) == 7_450


@pytest.mark.parametrize(
    ("max_power", "codes"),
    [
        pytest.param(None, [], id="empty-is-the-computed-power"),
        pytest.param("0.01", [], id="least-positive"),
        pytest.param("150", [], id="below-computed"),
        pytest.param("368", [], id="equal-to-computed"),
        pytest.param("368.00", [], id="equal-with-decimals"),
        pytest.param("368.01", ["max_power_above_computed"], id="just-above-computed"),
        pytest.param("400", ["max_power_above_computed"], id="above-computed"),
        pytest.param("0", ["min_value"], id="zero"),
        pytest.param("-5", ["min_value"], id="negative"),
        pytest.param("7.456", ["max_decimal_places"], id="three-decimals"),
        # Both are true; the field's own rule comes first.
        pytest.param("100000", ["max_whole_digits", "max_power_above_computed"], id="too-many-digits"),
    ],
)
def test_max_power_boundaries(max_power, codes):
    spec = ConnectorSpec(
        **DC_920_400, position=1, max_power=None if max_power is None else Decimal(max_power)
    )
    assert _errors(spec) == ({"max_power": codes} if codes else {})


def _errors(spec: ConnectorSpec) -> dict:
    try:
        spec.full_clean(exclude=["station"])
    except ValidationError as error:
        return {name: [item.code for item in items] for name, items in error.error_dict.items()}
    return {}


def test_above_computed_names_both_powers():
    with pytest.raises(ValidationError) as refused:
        rules.check_max_power(PowerType.DC, 920, 400, Decimal("400"))
    assert refused.value.code == "max_power_above_computed"
    assert refused.value.messages == [
        "Maximum power 400 kW is above the 368 kW that 920 V × 400 A give; enter at most 368 kW or leave "
        "it empty."
    ]
    with pytest.raises(ValidationError) as three_phase:
        rules.check_max_power(PowerType.AC_3_PHASE, 230, 16, Decimal("22"))
    assert "above the 11.04 kW that 230 V × 16 A give on three phases" in three_phase.value.messages[0]


def test_database_refuses_a_maximum_power_of_zero(tenant):
    station = factories.make_station(tenant, station_id="DB-0")
    with pytest.raises(IntegrityError):
        ConnectorSpec.objects.create(station=station, position=2, **DC_920_400, max_power=Decimal("0"))


# -- the wizard --------------------------------------------------------------------------------------------


def _wizard(client, spec):
    from tests.test_wizard import URL, connectors_data, details_data

    client.post(URL, details_data())
    return client.post(URL, connectors_data(spec))


def test_wizard_takes_a_decimal_comma_and_shows_the_maximum_on_the_overview(operator_client, tenant):
    from tests.test_wizard import URL, overview_data, step_of

    spec = {key: str(value) for key, value in DC_920_400.items()}
    response = _wizard(operator_client, {**spec, "max_power": "149,5"})
    assert step_of(response) == "overview"
    table = response.content.decode().split('data-testid="overview-connectors"')[1].split("</table>")[0]
    assert "149.5 kW" in table
    assert "368 kW" not in table
    operator_client.post(URL, overview_data())
    saved = Station.objects.get(station_id="ST-100").connector_specs.get()
    assert saved.max_power == Decimal("149.5")


def test_wizard_shows_the_field_and_its_help(operator_client):
    from tests.test_wizard import URL, details_data

    body = operator_client.post(URL, details_data()).content.decode()
    assert 'name="connectors-0-max_power"' in body
    assert "Maximum power (kW)" in body
    assert 'id="help-max_power"' in body


def test_wizard_refuses_a_maximum_above_the_computed_power(operator_client):
    from tests.test_wizard import step_of

    spec = {key: str(value) for key, value in DC_920_400.items()}
    response = _wizard(operator_client, {**spec, "max_power": "400"})
    assert step_of(response) == "connectors"
    form = response.context["form"].forms[0]
    assert [error.code for error in form.errors.as_data()["max_power"]] == ["max_power_above_computed"]


def test_live_preview_gives_the_maximum_power(operator_client):
    query = {**DC_920_400, "max_power": "150"}
    response = operator_client.get(reverse("stations:import_preview"), query)
    assert response.json()["power"] == "150 kW"
    # A maximum the rule refuses is not shown as the power: the computed one is.
    response = operator_client.get(reverse("stations:import_preview"), {**query, "max_power": "400"})
    assert response.json()["power"] == "368 kW"


# -- the admin ---------------------------------------------------------------------------------------------


def test_admin_inline_saves_the_maximum_power_and_the_list_uses_it(operator_client, tenant):
    from tests.test_admin import _change_data, _values, change_url

    station = factories.make_station(tenant, station_id="ADM-1", specs=[DC_920_400])
    spec = station.connector_specs.get()
    rows = [(spec.pk, {**_values(spec), "max_power": "150,5"}, False)]
    response = operator_client.post(change_url(station), _change_data(station, rows))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    spec.refresh_from_db()
    assert spec.max_power == Decimal("150.5")
    assert "150.5 kW" in operator_client.get(change_url(station)).content.decode()
    listed = operator_client.get(reverse("admin:stations_station_changelist"))
    assert listed.context["cl"].result_list[0].max_power == 150_500


def test_admin_inline_refuses_a_maximum_above_the_computed_power(operator_client, tenant):
    from tests.test_admin import _change_data, _values, change_url

    station = factories.make_station(tenant, station_id="ADM-2", specs=[DC_920_400])
    spec = station.connector_specs.get()
    rows = [(spec.pk, {**_values(spec), "max_power": "400"}, False)]
    response = operator_client.post(change_url(station), _change_data(station, rows))
    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert [error.code for error in form.errors.as_data()["max_power"]] == ["max_power_above_computed"]
    spec.refresh_from_db()
    assert spec.max_power is None


def test_overview_maximum_power_sql_agrees_with_the_rule(operator_client, tenant):
    # 7.45 is no exact float: SQLite's 7.45 × 1000 must still be 7,450 W.
    factories.make_station(
        tenant,
        station_id="ADM-3",
        specs=[
            factories.spec_data(power_type="AC_3_PHASE", voltage=230, amperage=32, max_power=Decimal("7.45")),
            factories.spec_data(power_type="AC_1_PHASE", voltage=230, amperage=16),
        ],
    )
    response = operator_client.get(reverse("admin:stations_station_changelist"))
    station = response.context["cl"].result_list[0]
    assert station.max_power == max(s.power_watts for s in station.connector_specs.all()) == 7_450
    assert "7.45 kW" in response.content.decode()


# -- CSV and workbooks -------------------------------------------------------------------------------------


def _with_max(max_power: str, **cells) -> list[str]:
    return [*row(**cells), max_power]


@pytest.mark.parametrize("written", ["7.4", "7,4"])
def test_csv_takes_a_decimal_point_or_comma(tenant, written):
    plan = csv_import.parse(csv_bytes(_with_max(written), header=ALL_HEADERS), tenant=tenant)
    assert plan.errors == []
    assert plan.stations[0].specs[0]["max_power"] == Decimal("7.4")


def test_csv_without_the_column_imports_as_before(tenant):
    plan = csv_import.parse(csv_bytes(row(), header=HEADERS), tenant=tenant)
    assert plan.errors == []
    assert plan.stations[0].specs == [
        {
            "standard": "IEC_62196_T2",
            "format": "SOCKET",
            "power_type": "AC_3_PHASE",
            "voltage": 230,
            "amperage": 16,
            "max_power": None,
            "position": 1,
        }
    ]


def test_csv_column_may_stand_anywhere_and_be_empty(tenant):
    header = [MAX_HEADER, *HEADERS]
    plan = csv_import.parse(csv_bytes(["", *row()], header=header), tenant=tenant)
    assert plan.errors == []
    assert plan.stations[0].specs[0]["max_power"] is None


@pytest.mark.parametrize(
    ("written", "code"),
    [
        pytest.param("1e3", "invalid_number", id="exponent"),
        pytest.param("1,500.5", "invalid_number", id="thousands-separator"),
        pytest.param("kW", "invalid_number", id="text"),
        pytest.param("0", "min_value", id="zero"),
        pytest.param("7,456", "max_decimal_places", id="three-decimals"),
        pytest.param("11,05", "max_power_above_computed", id="above-computed"),
    ],
)
def test_csv_errors_name_row_column_and_code(tenant, written, code):
    plan = csv_import.parse(csv_bytes(_with_max(written), header=ALL_HEADERS), tenant=tenant)
    assert [(e.row, e.column, e.code, e.value) for e in plan.errors] == [(2, MAX_HEADER, code, written)]


def test_csv_checks_the_maximum_only_against_a_valid_voltage(tenant):
    plan = csv_import.parse(csv_bytes(_with_max("400", Voltage="x"), header=ALL_HEADERS), tenant=tenant)
    assert [(e.column, e.code) for e in plan.errors] == [("Voltage", "invalid_number")]


def test_a_misspelled_optional_header_is_named(tenant):
    header = [*HEADERS, "maximum power (kw)"]
    plan = csv_import.parse(csv_bytes(_with_max("7.4"), header=header), tenant=tenant)
    assert [(e.column, e.code) for e in plan.errors] == [("maximum power (kw)", "misspelled_header")]


def test_csv_export_then_import_keeps_the_maximum_power(tenant, other_tenant, operator):
    from stations import services

    factories.make_station(tenant, station_id="RT-1", specs=[{**DC_920_400, "max_power": Decimal("150")}])
    text = "".join(export_lines(Station.objects.all(), bom=False))
    assert text.splitlines()[0].endswith(f";{MAX_HEADER}")
    assert text.splitlines()[1].endswith(";150")
    Station.objects.all().delete()
    plan = csv_import.parse(text.encode(), tenant=tenant)
    assert plan.errors == []
    services.stations_import(tenant=tenant, user=operator, plan=plan, source="upload")
    assert Station.objects.get(station_id="RT-1").connector_specs.get().max_power == Decimal("150")


def test_workbook_export_writes_a_number_that_reads_back(tenant):
    factories.make_station(
        tenant,
        station_id="WB-1",
        specs=[
            factories.spec_data(voltage=230, amperage=32, max_power=Decimal("7.45")),
            factories.spec_data(),
        ],
    )
    with xlsx.export_file(stations_for_export(Station.objects.all())) as output:
        data = output.read()
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    header, first, second = book.get_sheet_by_index(0).to_python()
    column = header.index(MAX_HEADER)
    assert (first[column], second[column]) == (7.45, "")
    sheet = workbook.read(data)
    rows = [cells for _row, cells in sheet.rows()]
    plan = csv_import.parse(rows_to_csv(rows[1:], rows[0]).encode(), tenant=tenant)
    # The same Station ID again (an override of an inactive station): the point is the values read back.
    assert plan.errors == []
    assert [spec["max_power"] for spec in plan.stations[0].specs] == [Decimal("7.45"), None]


def test_template_has_the_column_with_decimal_validation():
    data = xlsx.template_bytes("ABCDEF")
    assert next(workbook.read(data).rows())[1] == list(ALL_HEADERS)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    letter = xlsx._column_letter(ALL_HEADERS.index(MAX_HEADER))
    assert 'type="decimal" operator="greaterThanOrEqual" allowBlank="1"' in sheet_xml
    assert f'sqref="{letter}2:{letter}' in sheet_xml


@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_a_maximum_typed_in_libreoffice_reads_as_its_decimal(tenant, suffix):
    from tests.test_workbook import DATA

    sheet = workbook.read((DATA / f"template.{suffix}").read_bytes())
    rows = [cells for _row, cells in sheet.rows()]
    plan = csv_import.parse(rows_to_csv(rows[1:], rows[0]).encode(), tenant=tenant)
    assert plan.errors == []
    assert plan.stations[-1].specs[0]["max_power"] == Decimal("3.6")
