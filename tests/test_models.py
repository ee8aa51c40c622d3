"""Every field rule at its boundaries, and every constraint enforced by the database itself."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint

from stations import rules
from stations.choices import ConnectorFormat, ConnectorStandard, ImportSource, PowerType, StationStatus
from stations.models import ConnectorSpec, ImportRecord, Station
from tests.factories import make_station, spec_data, station_data

pytestmark = pytest.mark.django_db


def station_errors(tenant, **overrides) -> dict:
    station = Station(tenant=tenant, **station_data(**overrides))
    try:
        station.full_clean()
    except ValidationError as error:
        return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}
    return {}


@pytest.mark.parametrize(
    "station_id",
    [
        pytest.param("A", id="length-1"),
        pytest.param("S" * 48, id="length-48"),
        pytest.param("aZ09*-_=:+|@.", id="every-allowed-character"),
    ],
)
def test_accepts_station_id(tenant, station_id):
    assert station_errors(tenant, station_id=station_id) == {}


@pytest.mark.parametrize(
    ("station_id", "code"),
    [
        pytest.param("", "blank", id="empty"),
        pytest.param("S" * 49, "max_length", id="length-49"),
        pytest.param("ST 1", "invalid_station_id", id="space"),
        pytest.param("ST/1", "invalid_station_id", id="slash"),
        pytest.param("ST#1", "invalid_station_id", id="hash"),
        pytest.param("STé1", "invalid_station_id", id="non-ascii"),
    ],
)
def test_rejects_station_id(tenant, station_id, code):
    assert code in station_errors(tenant, station_id=station_id)["station_id"]


@pytest.mark.parametrize(
    ("security_code", "codes"),
    [
        pytest.param("abc", ["min_length"], id="length-3"),
        pytest.param("abcd", [], id="length-4"),
        pytest.param("x" * 64, [], id="length-64"),
        pytest.param("x" * 65, ["max_length"], id="length-65"),
        pytest.param("ab cd", ["whitespace"], id="inner-space"),
    ],
)
def test_security_code_rules(tenant, security_code, codes):
    assert station_errors(tenant, security_code=security_code).get("security_code", []) == codes


@pytest.mark.parametrize(
    ("serial", "codes"),
    [
        pytest.param("", [], id="optional"),
        pytest.param("x" * 255, [], id="length-255"),
        pytest.param("x" * 256, ["max_length"], id="length-256"),
        pytest.param("AB 12", ["whitespace"], id="space"),
        pytest.param("AB\t12", ["whitespace"], id="tab"),
    ],
)
def test_serial_number_rules(tenant, serial, codes):
    assert station_errors(tenant, serial_number=serial).get("serial_number", []) == codes


@pytest.mark.parametrize(
    ("field", "value", "codes"),
    [
        pytest.param("manufacturer", "m" * 255, [], id="manufacturer-255"),
        pytest.param("manufacturer", "m" * 256, ["max_length"], id="manufacturer-256"),
        pytest.param("article_number", "", [], id="article-optional"),
        pytest.param("article_number", "a" * 255, [], id="article-255"),
        pytest.param("article_number", "a" * 256, ["max_length"], id="article-256"),
    ],
)
def test_text_length_rules(tenant, field, value, codes):
    assert station_errors(tenant, **{field: value}).get(field, []) == codes


def test_strips_whitespace_before_checking(tenant):
    station = Station(
        tenant=tenant,
        **station_data(
            station_id="  ST9  ", security_code=" abcd ", serial_number=" SN1 ", manufacturer=" Alfen "
        ),
    )
    station.full_clean()
    assert (station.station_id, station.security_code, station.serial_number, station.manufacturer) == (
        "ST9",
        "abcd",
        "SN1",
        "Alfen",
    )


def test_requires_manufacturer(tenant):
    assert station_errors(tenant, manufacturer="   ")["manufacturer"] == ["blank"]


def test_rejects_station_without_wifi_or_gsm(tenant):
    assert station_errors(tenant, wifi_supported=False, gsm_supported=False) == {
        "wifi_supported": ["no_connectivity"]
    }


@pytest.mark.parametrize(("wifi", "gsm"), [(True, False), (False, True), (True, True)])
def test_accepts_wifi_or_gsm(tenant, wifi, gsm):
    assert station_errors(tenant, wifi_supported=wifi, gsm_supported=gsm) == {}


def test_duplicate_station_id_is_a_field_error_in_any_case(tenant, other_tenant):
    make_station(tenant, station_id="ST1")
    assert station_errors(other_tenant, station_id="st1") == {"station_id": ["duplicate_station_id"]}


def spec_errors(**overrides) -> dict:
    spec = ConnectorSpec(position=1, **spec_data(**overrides))
    try:
        spec.full_clean(exclude=["station"])
    except ValidationError as error:
        return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}
    return {}


@pytest.mark.parametrize(
    ("field", "value", "codes"),
    [
        pytest.param("voltage", 109, ["min_value"], id="voltage-109"),
        pytest.param("voltage", 110, [], id="voltage-110"),
        pytest.param("voltage", 1000, [], id="voltage-1000"),
        pytest.param("voltage", 1001, ["max_value"], id="voltage-1001"),
        pytest.param("amperage", 0, ["min_value"], id="amperage-0"),
        pytest.param("amperage", 1, [], id="amperage-1"),
        pytest.param("amperage", 500, [], id="amperage-500"),
        pytest.param("amperage", 501, ["max_value"], id="amperage-501"),
        pytest.param("amperage", -5, ["min_value"], id="amperage-negative"),
        pytest.param("standard", "TYPE2", ["invalid_choice"], id="unknown-standard"),
        pytest.param("format", "PLUG", ["invalid_choice"], id="unknown-format"),
        pytest.param("power_type", "AC", ["invalid_choice"], id="unknown-power-type"),
    ],
)
def test_connector_spec_rules(field, value, codes):
    assert spec_errors(**{field: value}).get(field, []) == codes


def test_validating_a_specification_queries_only_for_its_position(tenant, django_assert_num_queries):
    # The CHECK constraints restate the field rules: full_clean checks them through the fields, without
    # the query per constraint Django would run (the admin's inline validates every row this way). Left:
    # the station exists (the foreign key) and the position is free (the unique constraint).
    station = make_station(tenant)
    taken = ConnectorSpec(station=station, position=1, **spec_data(voltage=109))
    with django_assert_num_queries(2), pytest.raises(ValidationError) as caught:
        taken.full_clean()
    codes = {field: [e.code for e in errors] for field, errors in caught.value.error_dict.items()}
    assert codes == {"voltage": ["min_value"], "__all__": ["unique_together"]}
    with django_assert_num_queries(0):
        ConnectorSpec(position=1, **spec_data()).full_clean(exclude=["station"])


def test_the_skipped_constraints_are_exactly_the_check_constraints():
    checks = {c.name for c in ConnectorSpec._meta.constraints if isinstance(c, CheckConstraint)}
    assert checks == ConnectorSpec.FIELD_RULE_CONSTRAINTS


# OCPI 2.2.1, ConnectorType (section 8.4.4), in the order of the standard.
OCPI_CONNECTOR_TYPES = [
    *("CHADEMO", "CHAOJI"),
    *(f"DOMESTIC_{letter}" for letter in "ABCDEFGHIJKLMNO"),
    *("GBT_AC", "GBT_DC"),
    *("IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64"),
    *("IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO"),
    *("IEC_62196_T3A", "IEC_62196_T3C"),
    *("NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50"),
    *("PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S"),
]


def test_connector_standard_is_the_whole_ocpi_list():
    assert len(OCPI_CONNECTOR_TYPES) == 40
    assert ConnectorStandard.values == OCPI_CONNECTOR_TYPES
    assert ConnectorStandard.IEC_62196_T2.label == "Type 2 (IEC 62196-2)"
    assert dict(ConnectorFormat.choices) == {"CABLE": "Cable", "SOCKET": "Socket"}
    assert dict(PowerType.choices) == {
        "AC_1_PHASE": "Single-phase AC",
        "AC_3_PHASE": "Three-phase AC",
        "DC": "DC",
    }


def test_connector_spec_power_and_warning():
    spec = ConnectorSpec(**spec_data(voltage=400, amperage=16))
    assert spec.power_watts == 19_200
    assert spec.power_display == "19.2 kW"
    assert spec.line_voltage_warning.suggested_voltage == 230


# The database itself enforces these, whatever code writes (no full_clean on this path).


def test_database_rejects_same_station_id_in_other_case(tenant, other_tenant):
    Station.objects.create(tenant=tenant, **station_data(station_id="ST1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.create(tenant=other_tenant, **station_data(station_id="st1"))


def test_database_rejects_station_without_connectivity(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Station.objects.create(tenant=tenant, **station_data(wifi_supported=False, gsm_supported=False))


def test_database_rejects_duplicate_position(tenant):
    station = make_station(tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectorSpec.objects.create(station=station, position=1, **spec_data())


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"voltage": 109}, id="voltage-109"),
        pytest.param({"voltage": 1001}, id="voltage-1001"),
        pytest.param({"amperage": 0}, id="amperage-0"),
        pytest.param({"amperage": 501}, id="amperage-501"),
        pytest.param({"position": 0}, id="position-0"),
        pytest.param({"standard": "TYPE2"}, id="standard"),
        pytest.param({"format": "PLUG"}, id="format"),
        pytest.param({"power_type": "AC"}, id="power-type"),
    ],
)
def test_database_rejects_out_of_range_spec(tenant, overrides):
    station = make_station(tenant)
    values = {"position": 2, **spec_data(), **overrides}
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectorSpec.objects.create(station=station, **values)


def test_help_texts_take_their_numbers_from_the_rules(settings):
    assert "up to 48 letters" in Station._meta.get_field("station_id").help_text
    assert Station._meta.get_field("security_code").help_text.startswith("4 to 64 characters")
    assert ConnectorSpec._meta.get_field("voltage").help_text.startswith("Whole volts, 110 to 1000.")
    assert ConnectorSpec._meta.get_field("amperage").help_text == "Whole amperes, 1 to 500."


def test_import_record_str_is_in_local_time(tenant, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    record = ImportRecord.objects.create(tenant=tenant, source=ImportSource.UPLOAD, file_name="a.csv")
    record.created_at = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert str(record) == "a.csv at 2026-01-06 00:30"


def test_only_inactive_stations_are_overridable(tenant):
    station = make_station(tenant)
    assert Station.status_is_overridable(station.status)
    station.status = StationStatus.ACTIVE
    assert not Station.status_is_overridable(station.status)


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("voltage", 109, "min_value", "Enter whole volts from 110 to 1000."),
        ("voltage", 1001, "max_value", "Enter whole volts from 110 to 1000."),
        ("amperage", 0, "min_value", "Enter whole amperes from 1 to 500."),
        ("amperage", 501, "max_value", "Enter whole amperes from 1 to 500."),
    ],
)
def test_range_errors_speak_the_products_words(field, value, code, message):
    spec = ConnectorSpec(position=1, **spec_data(**{field: value}))
    with pytest.raises(ValidationError) as caught:
        spec.full_clean(exclude=["station"])
    [error] = caught.value.error_dict[field]
    assert (error.code, error.messages) == (code, [message])


def test_security_code_help_says_capitals_matter():
    assert "capitals matter" in Station._meta.get_field("security_code").help_text


# Boundaries that only the wizard's form tests had (issue 9): each rule's boundaries are tested here, once.


@pytest.mark.parametrize(
    ("field", "value", "codes"),
    [
        pytest.param("manufacturer", "m" * 255, [], id="manufacturer-length-255"),
        pytest.param("manufacturer", "m" * 256, ["max_length"], id="manufacturer-length-256"),
        pytest.param("article_number", "a" * 255, [], id="article-number-length-255"),
        pytest.param("article_number", "a" * 256, ["max_length"], id="article-number-length-256"),
        pytest.param("security_code", "", ["blank"], id="security-code-empty"),
    ],
)
def test_manufacturer_and_article_number_lengths_and_security_code_required(tenant, field, value, codes):
    assert station_errors(tenant, **{field: value}).get(field, []) == codes


# Control and invisible characters (SPEC §1): one validator on every text field (issue 11).

UNSEEN = [
    pytest.param("\t", id="tab"),
    pytest.param("\n", id="line-feed"),
    pytest.param("\r", id="carriage-return"),
    pytest.param("\f", id="form-feed"),
    pytest.param("\v", id="vertical-tab"),
    pytest.param("\x01", id="start-of-heading"),
    pytest.param("\x7f", id="delete"),
    pytest.param("\x85", id="next-line"),
    pytest.param("\u200b", id="zero-width-space"),
    pytest.param("\u200c", id="zero-width-non-joiner"),
    pytest.param("\u200d", id="zero-width-joiner"),
    pytest.param("\u2060", id="word-joiner"),
    pytest.param("\ufeff", id="byte-order-mark"),
    pytest.param("\u00ad", id="soft-hyphen"),
    pytest.param("\u200e", id="left-to-right-mark"),
    pytest.param("\u2028", id="line-separator"),
    pytest.param("\u2029", id="paragraph-separator"),
]


@pytest.mark.parametrize("character", UNSEEN)
@pytest.mark.parametrize("field", ["manufacturer", "article_number"])
def test_text_refuses_control_and_invisible_characters(tenant, field, character):
    assert station_errors(tenant, **{field: f"Al{character}fen"}).get(field, []) == ["invisible_character"]


@pytest.mark.parametrize("character", [c for c in UNSEEN if not c.values[0].isspace()])
@pytest.mark.parametrize("field", ["station_id", "security_code", "serial_number"])
def test_codes_and_ids_refuse_invisible_characters(tenant, field, character):
    assert "invisible_character" in station_errors(tenant, **{field: f"K7P2{character}93QX"}).get(field, [])


@pytest.mark.parametrize("field", ["security_code", "serial_number"])
def test_a_tab_in_a_code_is_one_whitespace_error(tenant, field):
    assert station_errors(tenant, **{field: "K7P2\t93QX"}).get(field, []) == ["whitespace"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Müller & Söhne", id="accents"),
        pytest.param("Alfen\u00a0NG", id="no-break-space"),
        pytest.param("充电桩", id="chinese"),
        pytest.param("ABB ⚡", id="symbol"),
        pytest.param(" Alfen\t", id="stripped-around"),
    ],
)
def test_visible_text_is_accepted(tenant, value):
    assert station_errors(tenant, manufacturer=value).get("manufacturer", []) == []


def test_the_message_names_the_character_and_where_it_is(tenant):
    station = Station(tenant=tenant, **station_data(security_code="K7P2\u200b93QX"))
    with pytest.raises(ValidationError) as caught:
        station.full_clean()
    [message] = caught.value.message_dict["security_code"]
    assert message.startswith("Remove a zero-width space (U+200B, character 5)")


# Digits 0–9 only (SPEC §1), in every form and in full_clean: int() would read ٢٣٠ as 230.


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        pytest.param("230", [], id="ascii"),
        pytest.param("٢٣٠", ["invalid_number"], id="arabic-indic"),
        pytest.param("۲۳۰", ["invalid_number"], id="extended-arabic-indic"),
        pytest.param("２３０", ["invalid_number"], id="fullwidth"),
        pytest.param("२३०", ["invalid_number"], id="devanagari"),
        pytest.param("23٠", ["invalid_number"], id="mixed"),
    ],
)
@pytest.mark.parametrize("field", ["voltage", "amperage"])
def test_numbers_are_written_with_ascii_digits(field, value, codes):
    model_field = ConnectorSpec._meta.get_field(field)
    form_field = model_field.formfield()
    found = []
    for clean in (lambda: model_field.clean(value, None), lambda: form_field.clean(value)):
        try:
            clean()
        except ValidationError as error:
            found.append(error.code)
    assert found == codes * 2


def _index_definition(name: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
        return cursor.fetchone()[0]


def test_an_import_maintains_no_redundant_index():
    """No single-column index where a longer one starts with the column, and the user links (empty on
    an imported station) indexed only where set."""
    for model in (Station, ConnectorSpec):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        indexes = [c["columns"] for c in found.values() if c["index"] and c["columns"]]
        for columns in indexes:
            longer = [other for other in indexes if len(other) > len(columns) and other[0] == columns[0]]
            assert not (len(columns) == 1 and longer), (table, columns, longer)
    for name in ("activated_by", "deactivated_by", "previous_owner"):
        definition = _index_definition(f"station_{name}_idx").replace('"', "")
        assert f"WHERE ({name}_id IS NOT NULL)" in definition or f"WHERE {name}_id IS NOT NULL" in definition


def test_line_voltage_specifications_have_their_own_index():
    definition = _index_definition("spec_line_voltage_idx").replace('"', "")
    assert "AC_3_PHASE" in definition
    assert f"voltage > {rules.HIGHEST_PHASE_VOLTAGE}" in definition
