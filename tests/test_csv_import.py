"""The CSV import engine (``csv_import.parse``) and its write service (``services.stations_import``)."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stations import csv_import, services
from stations.choices import ImportSource, StationStatus
from stations.csv_format import HEADERS
from stations.models import ConnectorSpec, ImportRecord, Station
from stations.results import ImportPlan, RowError
from tests.csv_helpers import GOOD, csv_bytes, row, station_rows
from tests.factories import make_station, spec_data

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Station.objects.order_by("pk").values()),
        list(ConnectorSpec.objects.order_by("pk").values()),
    )


def run(data: bytes, tenant, user=None, dry_run=False):
    plan = csv_import.parse(data, tenant=tenant)
    return services.stations_import(
        tenant=tenant, user=user, plan=plan, source=ImportSource.UPLOAD, file_name="t.csv", dry_run=dry_run
    )


def errors_of(plan):
    return [(e.row, e.column, e.code) for e in plan.errors]


# One wiring case per cell rule: the domain's code on the right row and column (the boundaries are
# tested once, in test_models and test_csv_format). (id, cells of row 2, expected (column, code) errors.)
CELL_CASES = [
    ("station-id-empty", {"Station_ID": ""}, [("Station ID", "blank")]),
    ("station-id-49", {"Station_ID": "S" * 49}, [("Station ID", "max_length")]),
    ("station-id-space", {"Station_ID": "ST 1"}, [("Station ID", "invalid_station_id")]),
    ("security-code-empty", {"Security_code": ""}, [("Security code", "blank")]),
    ("security-code-3", {"Security_code": "abc"}, [("Security code", "min_length")]),
    ("security-code-65", {"Security_code": "x" * 65}, [("Security code", "max_length")]),
    ("security-code-space", {"Security_code": "ab cd"}, [("Security code", "whitespace")]),
    ("manufacturer-empty", {"Manufacturer": ""}, [("Manufacturer", "blank")]),
    ("manufacturer-256", {"Manufacturer": "m" * 256}, [("Manufacturer", "max_length")]),
    ("article-empty-ok", {"Article_number": ""}, []),
    ("article-256", {"Article_number": "a" * 256}, [("Article number", "max_length")]),
    ("serial-empty-ok", {"Serial_number": ""}, []),
    ("serial-256", {"Serial_number": "s" * 256}, [("Serial number", "max_length")]),
    ("serial-space", {"Serial_number": "ACE 1"}, [("Serial number", "whitespace")]),
    ("wifi-empty", {"Wi_Fi_supported": ""}, [("Wi-Fi supported", "blank")]),
    ("wifi-maybe", {"Wi_Fi_supported": "maybe"}, [("Wi-Fi supported", "invalid_boolean")]),
    ("booleans-any-case", {"Wi_Fi_supported": "False", "GSM_supported": "tRuE"}, []),
    ("gsm-empty", {"GSM_supported": ""}, [("GSM supported", "blank")]),
    (
        "no-connectivity",
        {"Wi_Fi_supported": "FALSE", "GSM_supported": "no"},
        [("Wi-Fi supported", "no_connectivity")],
    ),
    ("connector-empty", {"Connector_type": ""}, [("Connector type", "blank")]),
    ("connector-unknown", {"Connector_type": "Type 9"}, [("Connector type", "invalid_choice")]),
    ("connector-label", {"Connector_type": "ccs combo 2 (iec 62196-3)"}, []),
    ("format-empty", {"Format": ""}, [("Format", "blank")]),
    ("format-unknown", {"Format": "Plug"}, [("Format", "invalid_choice")]),
    ("power-type-empty", {"Power_type": ""}, [("Power type", "blank")]),
    ("power-type-unknown", {"Power_type": "three-phase"}, [("Power type", "invalid_choice")]),
    ("voltage-empty", {"Voltage": ""}, [("Voltage", "blank")]),
    ("voltage-109", {"Voltage": "109"}, [("Voltage", "min_value")]),
    ("voltage-1001", {"Voltage": "1001"}, [("Voltage", "max_value")]),
    ("voltage-unit", {"Voltage": "230V"}, [("Voltage", "invalid_number")]),
    ("amperage-empty", {"Amperage": ""}, [("Amperage", "blank")]),
    ("amperage-0", {"Amperage": "0"}, [("Amperage", "min_value")]),
    ("amperage-501", {"Amperage": "501"}, [("Amperage", "max_value")]),
]


@pytest.mark.parametrize(("cells", "expected"), [c[1:] for c in CELL_CASES], ids=[c[0] for c in CELL_CASES])
def test_cell_rules(tenant, operator, cells, expected):
    before = snapshot()
    result = run(csv_bytes(row(**cells)), tenant, operator)
    assert [(e.column, e.code) for e in result.errors] == expected
    assert {e.row for e in result.errors} <= {2}
    if expected:
        assert snapshot() == before
        assert Station.objects.count() == 0
    else:
        assert Station.objects.count() == 1


def test_values_are_stripped_and_stored_as_codes(tenant):
    data = csv_bytes(
        row(
            Station_ID="  ST9 ",
            Manufacturer=" Alfen  ",
            Connector_type=" type 2 (iec 62196-2) ",
            Format="cable",
            Power_type=" single-phase ac",
            Wi_Fi_supported=" yes ",
            GSM_supported="0",
        )
    )
    result = run(data, tenant)
    assert result.ok, result.errors
    station = Station.objects.get()
    assert (station.station_id, station.manufacturer, station.wifi_supported, station.gsm_supported) == (
        "ST9",
        "Alfen",
        True,
        False,
    )
    spec = station.connector_specs.get()
    assert (spec.standard, spec.format, spec.power_type) == ("IEC_62196_T2", "CABLE", "AC_1_PHASE")
    assert (station.status, station.tenant, station.last_import) == ("inactive", tenant, result.record)
    assert abs(station.created_at - timezone.now()) < timedelta(minutes=1)
    assert station.updated_at == station.created_at


def test_collects_every_error_in_one_pass(tenant):
    plan = csv_import.parse(
        csv_bytes(
            row(Station_ID="A1", Voltage="9999", Amperage="x"),
            row(Station_ID="A2"),
            row(Station_ID="A3", Format="", Security_code="ab"),
        ),
        tenant=tenant,
    )
    assert errors_of(plan) == [
        (2, "Voltage", "max_value"),
        (2, "Amperage", "invalid_number"),
        (4, "Security code", "min_length"),
        (4, "Format", "blank"),
    ]
    assert [e.value for e in plan.errors] == ["9999", "x", "ab", ""]
    assert [s.action for s in plan.stations] == ["refused", "create", "refused"]


# File, encoding and header faults: (id, bytes, expected errors as (row, column, code)).
HEADER = ";".join(HEADERS)
GOOD_LINE = ";".join(GOOD[h] for h in HEADERS)
FILE_CASES = [
    ("empty", b"", [(None, "", "empty_file")]),
    ("blank-lines-only", b"\r\n\r\n  \r\n", [(None, "", "empty_file")]),
    ("header-only", (HEADER + "\r\n").encode(), [(None, "", "no_rows")]),
    ("comma-separated", (HEADER.replace(";", ",") + "\n").encode(), [(1, "", "comma_separated")]),
    # Workbooks are read now (tests/test_workbook_import.py): a damaged one is refused as such.
    ("damaged-xlsx", b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook", [(None, "", "unreadable_workbook")]),
    ("damaged-xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....", [(None, "", "unreadable_workbook")]),
    ("tab-separated", (HEADER.replace(";", "\t") + "\n").encode(), [(1, "", "tab_separated")]),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", [(None, "", "not_text")]),
    ("utf-16", (HEADER + "\r\n").encode("utf-16"), [(None, "", "not_text")]),
    ("nul-bytes", b"Station ID\x00;\x00\x01", [(None, "", "not_text")]),
    (
        "missing-header",
        csv_bytes(row()[:-1], header=HEADERS[:-1]),
        [(1, "Serial number", "missing_header")],
    ),
    (
        "unknown-header",
        csv_bytes([*row(), "x"], header=[*HEADERS, "Colour"]),
        [(1, "Colour", "unknown_header")],
    ),
    (
        "duplicate-header",
        csv_bytes([*row(), "y"], header=[*HEADERS, "Voltage"]),
        [(1, "Voltage", "duplicate_header")],
    ),
    (
        "near-miss-case",
        csv_bytes(row(), header=[h.replace("Security code", "Security Code") for h in HEADERS]),
        [(1, "Security Code", "misspelled_header")],
    ),
    (
        "near-miss-spacing",
        csv_bytes(row(), header=[h.replace("Station ID", " StationID") for h in HEADERS]),
        [(1, " StationID", "header_spacing")],
    ),
    (
        "wrong-field-count",
        (HEADER + "\r\n" + GOOD_LINE + ";extra\r\n").encode(),
        [(2, "", "wrong_field_count")],
    ),
    (
        "too-few-fields",
        (HEADER + "\r\n" + "ST1;code\r\n").encode(),
        [(2, "", "wrong_field_count")],
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_file_faults(tenant, operator, data, expected):
    make_station(tenant, station_id="KEEP1")
    before = snapshot()
    result = run(data, tenant, operator)
    assert [(e.row, e.column, e.code) for e in result.errors] == expected
    assert all(e.message for e in result.errors)
    assert snapshot() == before
    record = ImportRecord.objects.filter(source=ImportSource.UPLOAD).get()
    assert (record.succeeded, record.error_count) == (False, len(expected))


def test_near_miss_names_the_expected_spelling(tenant):
    plan = csv_import.parse(
        csv_bytes(row(), header=[h.replace("Security code", "Security Code") for h in HEADERS]), tenant=tenant
    )
    assert "“Security code”" in plan.errors[0].message


@pytest.mark.parametrize(
    ("written", "expected", "message"),
    [
        (
            "Serial  number",
            "Serial number",
            "This header has more than one space (or a special space) between words: it reads "
            "“Serial··number” (· marks a space). Spell it exactly “Serial number”, with single spaces.",
        ),
        ("Serialnumber", "Serial number", "a space missing or in the wrong place: it reads “Serialnumber”"),
        ("Voltage ", "Voltage", "a space before or after the name: it reads “Voltage·”"),
        ("Wi-Fi\xa0supported", "Wi-Fi supported", "special space) between words: it reads “Wi-Fi·supported”"),
    ],
)
def test_header_with_wrong_spacing_says_so_with_the_spaces_shown(tenant, written, expected, message):
    plan = csv_import.parse(
        csv_bytes(row(), header=[written if h == expected else h for h in HEADERS]), tenant=tenant
    )
    assert [(e.row, e.column, e.code) for e in plan.errors] == [(1, written, "header_spacing")]
    assert message in plan.errors[0].message
    assert "case-sensitive" not in plan.errors[0].message


def test_header_with_other_punctuation_is_not_blamed_on_capitals(tenant):
    plan = csv_import.parse(
        csv_bytes(row(), header=["Serial-number" if h == "Serial number" else h for h in HEADERS]),
        tenant=tenant,
    )
    assert [e.code for e in plan.errors] == ["misspelled_header"]
    assert plan.errors[0].message == "Spell this header exactly “Serial number”: it reads “Serial-number”."


def test_comma_separated_file_says_so(tenant):
    plan = csv_import.parse((HEADER.replace(";", ",") + "\n").encode(), tenant=tenant)
    assert "separated by commas" in plan.errors[0].message


def test_workbook_is_refused_as_such(tenant):
    plan = csv_import.parse(b"PK\x03\x04\x14\x00\x06\x00", tenant=tenant)
    assert "workbook" in plan.errors[0].message


def test_utf8_with_and_without_bom(tenant):
    for prefix in (b"", b"\xef\xbb\xbf"):
        plan = csv_import.parse(prefix + csv_bytes(row(Manufacturer="Müller Ladetechnik")), tenant=tenant)
        assert plan.ok, plan.errors
        assert (plan.encoding, plan.stations[0].station["manufacturer"]) == ("UTF-8", "Müller Ladetechnik")
        assert plan.encoding_note == ""


def test_windows_1252_is_read_and_said(tenant):
    plan = csv_import.parse(csv_bytes(row(Manufacturer="Müller €"), encoding="cp1252"), tenant=tenant)
    assert plan.ok, plan.errors
    assert plan.encoding == "Windows-1252"
    assert plan.stations[0].station["manufacturer"] == "Müller €"
    assert "Windows-1252" in plan.encoding_note


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
def test_line_ends(tenant, newline):
    text = newline.join([HEADER, GOOD_LINE, GOOD_LINE.replace("ST1010101", "ST2")]) + newline
    plan = csv_import.parse(text.encode(), tenant=tenant)
    assert plan.ok, plan.errors
    assert [s.station_id for s in plan.stations] == ["ST1010101", "ST2"]


def test_quoted_value_may_hold_a_semicolon(tenant):
    plan = csv_import.parse(csv_bytes(row(Manufacturer="Alfen; Netherlands")), tenant=tenant)
    assert plan.ok, plan.errors
    assert plan.stations[0].station["manufacturer"] == "Alfen; Netherlands"


def test_blank_lines_are_ignored_but_rows_keep_spreadsheet_numbers(tenant):
    bad = ";".join(row(Voltage="5")).encode()
    data = HEADER.encode() + b"\r\n\r\n" + GOOD_LINE.encode() + b"\r\n;;;;;;;;;;;\r\n" + bad + b"\r\n\r\n"
    plan = csv_import.parse(data, tenant=tenant)
    assert plan.row_count == 2
    assert errors_of(plan) == [(5, "Voltage", "min_value")]


def test_5000_rows_is_the_limit(tenant):
    rows = [row(Station_ID=f"S{n}") for n in range(5000)]
    plan = csv_import.parse(csv_bytes(*rows), tenant=tenant)
    assert plan.ok, plan.errors[:3]
    assert plan.row_count == 5000
    plan = csv_import.parse(csv_bytes(*rows, row(Station_ID="S5000")), tenant=tenant)
    assert errors_of(plan) == [(None, "", "too_many_rows")]
    assert "more than 5,000 rows" in plan.errors[0].message


def test_file_over_the_size_limit_is_refused(tenant, settings):
    settings.STATION_IMPORT_MAX_UPLOAD_BYTES = 100
    plan = csv_import.parse(csv_bytes(row()), tenant=tenant)
    assert errors_of(plan) == [(None, "", "file_too_large")]


# Stations: grouping, positions, agreement, order.


def test_consecutive_rows_make_one_station_with_positions_in_order(tenant):
    result = run(
        csv_bytes(
            row(Station_ID="ST1", Connector_type="IEC_62196_T2_COMBO", Power_type="DC", Voltage="500"),
            row(Station_ID="ST1", Connector_type="CHADEMO", Power_type="DC", Voltage="500"),
            row(Station_ID="ST1", Connector_type="IEC_62196_T2"),
            row(Station_ID="ST2"),
        ),
        tenant,
    )
    assert result.ok, result.errors
    assert (result.stations_created, result.connector_specs) == (2, 4)
    specs = ConnectorSpec.objects.filter(station__station_id="ST1").values_list("position", "standard")
    assert list(specs) == [(1, "IEC_62196_T2_COMBO"), (2, "CHADEMO"), (3, "IEC_62196_T2")]


def test_station_columns_must_agree_on_every_row(tenant):
    plan = csv_import.parse(
        csv_bytes(
            row(Station_ID="ST1"),
            row(Station_ID="ST1", Manufacturer="ABB", Wi_Fi_supported="yes"),
            row(Station_ID="st1"),
        ),
        tenant=tenant,
    )
    assert errors_of(plan) == [
        (3, "Manufacturer", "station_value_differs"),
        (4, "Station ID", "duplicate_station_id_in_file"),
    ]
    assert "Row 2 says “Alfen”" in plan.errors[0].message


def test_rows_of_a_station_must_be_consecutive(tenant):
    plan = csv_import.parse(
        csv_bytes(row(Station_ID="ST1"), row(Station_ID="ST2"), row(Station_ID="ST1")), tenant=tenant
    )
    assert errors_of(plan) == [(4, "Station ID", "rows_not_consecutive")]
    assert [(s.station_id, s.action) for s in plan.stations] == [("ST1", "refused"), ("ST2", "create")]


def test_line_voltage_warns_without_blocking(tenant):
    result = run(csv_bytes(row(Voltage="400"), row(Station_ID="ST2", Voltage="400", Power_type="DC")), tenant)
    assert result.ok
    [warning] = result.warnings
    assert (warning.row, warning.column, warning.code, warning.value) == (2, "Voltage", "line_voltage", "400")
    assert "enter 230 V" in warning.message
    assert Station.objects.count() == 2


# Existing stations: override own inactive, refuse own active and another tenant's.


def test_overrides_inactive_station_of_own_tenant_replacing_details_and_specs(tenant, operator):
    old = make_station(
        tenant, station_id="ST1", manufacturer="Old", specs=[spec_data(), spec_data(), spec_data()]
    )
    before_pk = old.pk
    result = run(
        csv_bytes(row(Station_ID="st1", Manufacturer="New", Article_number="", Connector_type="CHADEMO")),
        tenant,
        operator,
    )
    assert result.ok, result.errors
    assert (result.stations_created, result.stations_overridden, result.connector_specs) == (0, 1, 1)
    station = Station.objects.get()
    assert (station.pk, station.station_id, station.manufacturer, station.article_number) == (
        before_pk,
        "ST1",  # the stored spelling is kept
        "New",
        "",
    )
    assert station.last_import == result.record
    assert list(station.connector_specs.values_list("position", "standard")) == [(1, "CHADEMO")]
    assert (station.created_at, station.status) == (old.created_at, "inactive")
    assert station.updated_at > old.updated_at


def test_refuses_active_station_of_own_tenant_on_each_of_its_rows(tenant):
    make_station(tenant, station_id="ST1")
    Station.objects.update(status=StationStatus.ACTIVE)
    before = snapshot()
    result = run(csv_bytes(row(Station_ID="ST1"), row(Station_ID="ST1"), row(Station_ID="ST2")), tenant)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (2, "Station ID", "station_active"),
        (3, "Station ID", "station_active"),
    ]
    assert snapshot() == before


def test_another_tenants_station_is_already_registered_and_nothing_more(tenant, other_tenant):
    make_station(other_tenant, station_id="ST1", manufacturer="Secret Maker")
    before = snapshot()
    result = run(csv_bytes(row(Station_ID="st1")), tenant)
    [error] = result.errors
    assert (error.row, error.column, error.code) == (2, "Station ID", "already_registered")
    assert error.message == "This Station ID is already registered."
    assert snapshot() == before


def test_another_tenants_active_station_reads_the_same(tenant, other_tenant):
    make_station(other_tenant, station_id="ST1")
    Station.objects.update(status=StationStatus.ACTIVE)
    plan = csv_import.parse(csv_bytes(row(Station_ID="ST1")), tenant=tenant)
    assert [e.code for e in plan.errors] == ["already_registered"]


# Check only.


def test_check_only_reports_per_station_and_writes_nothing(tenant, other_tenant, operator):
    make_station(tenant, station_id="OWN1")
    make_station(other_tenant, station_id="THEIRS1")
    before = snapshot()
    result = run(
        csv_bytes(
            *station_rows("NEW1", 2),
            row(Station_ID="OWN1"),
            row(Station_ID="THEIRS1"),
        ),
        tenant,
        operator,
        dry_run=True,
    )
    assert snapshot() == before
    assert [(s.station_id, s.action) for s in result.plan.stations] == [
        ("NEW1", "create"),
        ("OWN1", "override"),
        ("THEIRS1", "refused"),
    ]
    assert [str(e) for e in result.plan.stations[2].errors] == [
        "Row 5, Station ID: This Station ID is already registered."
    ]
    record = result.record
    assert (record.dry_run, record.succeeded, record.error_count) == (True, False, 1)


def test_check_only_of_a_good_file_records_what_would_happen(tenant):
    result = run(csv_bytes(*station_rows("NEW1", 2), row(Station_ID="NEW2")), tenant, dry_run=True)
    assert result.ok
    assert not Station.objects.exists()
    record = result.record
    assert (record.dry_run, record.succeeded, record.stations_created, record.connector_specs) == (
        True,
        True,
        2,
        3,
    )


# Records, queries, races.


def test_every_attempt_leaves_a_record(tenant, operator):
    run(csv_bytes(row()), tenant, operator)
    run(csv_bytes(row(Voltage="1")), tenant, operator)
    records = ImportRecord.objects.order_by("pk")
    assert [(r.succeeded, r.stations_created, r.error_count, r.row_count, r.user) for r in records] == [
        (True, 1, 0, 1, operator),
        (False, 0, 1, 1, operator),
    ]
    assert {r.file_name for r in records} == {"t.csv"}


def _queries_for(tenant, data) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = run(data, tenant)
    assert result.ok, result.errors
    return len(queries)


def test_number_of_queries_does_not_grow_with_rows(tenant, other_tenant):
    small = csv_bytes(*station_rows("A1", 2), row(Station_ID="A2"))
    big = csv_bytes(*(r for n in range(400) for r in station_rows(f"B{n}", 1 + n % 3)))
    assert _queries_for(tenant, small) == _queries_for(other_tenant, big)
    # Overriding every station of the big file again: still the same fixed number.
    small_again = _queries_for(tenant, small)
    assert small_again == _queries_for(other_tenant, big)


def test_loses_race_for_a_station_id_with_a_clear_error_and_writes_nothing(tenant, other_tenant):
    plan = csv_import.parse(csv_bytes(row(Station_ID="A1"), row(Station_ID="RACE1")), tenant=tenant)
    assert plan.ok
    make_station(other_tenant, station_id="race1")  # another import, after this file was checked
    before = snapshot()
    result = services.stations_import(tenant=tenant, user=None, plan=plan, source=ImportSource.COMMAND)
    [error] = result.errors
    assert error.code == "duplicate_station_id"
    assert error.message.startswith("Nothing was imported")
    assert snapshot() == before
    assert (result.record.succeeded, result.record.error_count) == (False, 1)


def test_override_keeps_the_stored_capitals_of_the_station_id(tenant):
    make_station(tenant, station_id="WIZ-001", manufacturer="Old")
    plan = csv_import.parse(csv_bytes(row(Station_ID="wiz-001", Manufacturer="New")), tenant=tenant)
    assert [(s.action, s.station_id, s.existing_station_id) for s in plan.stations] == [
        ("override", "wiz-001", "WIZ-001")
    ]
    result = services.stations_import(tenant=tenant, user=None, plan=plan, source=ImportSource.UPLOAD)
    assert result.ok, result.errors
    assert list(Station.objects.values_list("station_id", "manufacturer")) == [("WIZ-001", "New")]


def test_station_activated_after_the_check_is_not_overridden(tenant):
    make_station(tenant, station_id="ST1")
    plan = csv_import.parse(csv_bytes(row(Station_ID="ST1"), row(Station_ID="NEW1")), tenant=tenant)
    assert plan.stations[0].action == "override"
    Station.objects.update(status=StationStatus.ACTIVE)
    before = snapshot()
    result = services.stations_import(tenant=tenant, user=None, plan=plan, source=ImportSource.COMMAND)
    assert [e.code for e in result.errors] == ["station_changed"]
    assert snapshot() == before


def test_errors_csv_lists_row_column_value_message(tenant):
    plan = csv_import.parse(csv_bytes(row(Voltage="=1+1"), row(Station_ID="ST2", Format="")), tenant=tenant)
    lines = csv_import.errors_csv(plan.errors).splitlines()
    assert lines[0] == "Row;Column;Value;Message"
    assert lines[1] == "2;Voltage;'=1+1;Expected a whole number."
    assert lines[2] == "3;Format;;This field cannot be blank."


def _import_at_once(tenant, plans):
    """Run ``stations_import`` for every plan in its own thread and connection, released together."""
    barrier = threading.Barrier(len(plans))
    results = [None] * len(plans)

    def work(index, plan):
        try:
            barrier.wait(timeout=10)
            results[index] = services.stations_import(
                tenant=tenant, user=None, plan=plan, source=ImportSource.COMMAND
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, plan)) for i, plan in enumerate(plans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _assert_whole_stations():
    lowered = [s.lower() for s in Station.objects.values_list("station_id", flat=True)]
    assert len(lowered) == len(set(lowered)), "duplicate Station IDs"
    for station in Station.objects.prefetch_related("connector_specs"):
        positions = [spec.position for spec in station.connector_specs.all()]
        assert sorted(positions) == list(range(1, len(positions) + 1)), station.station_id
        assert positions, f"{station.station_id} has no specifications"


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_imports_at_once(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises whole write transactions, so nothing overlaps")
    first = csv_bytes(*(r for n in range(0, 300) for r in station_rows(f"OV-{n}", 1 + n % 3)))
    second = csv_bytes(*(r for n in range(150, 450) for r in station_rows(f"ov-{n}", 1 + n % 2)))
    plans = [csv_import.parse(data, tenant=tenant) for data in (first, second)]
    assert all(plan.ok for plan in plans)

    results = _import_at_once(tenant, plans)

    assert sorted(r.ok for r in results) == [False, True]
    winner, loser = sorted(results, key=lambda r: not r.ok)
    [error] = loser.errors
    assert error.code == "duplicate_station_id"
    assert error.message.startswith("Nothing was imported: another import created stations")
    assert Station.objects.count() == len(winner.plan.stations) == 300
    assert ConnectorSpec.objects.count() == winner.connector_specs
    _assert_whole_stations()
    assert sorted(ImportRecord.objects.values_list("succeeded", flat=True)) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_two_overrides_of_the_same_stations_at_once_never_double_specifications(tenant):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises whole write transactions, so nothing overlaps")
    run(csv_bytes(*(row(Station_ID=f"SAME-{n}") for n in range(200))), tenant)
    data = [csv_bytes(*(r for n in range(200) for r in station_rows(f"SAME-{n}", count))) for count in (2, 3)]
    plans = [csv_import.parse(d, tenant=tenant) for d in data]
    assert all(plan.stations_overridden == 200 for plan in plans)

    results = _import_at_once(tenant, plans)

    assert all(r.ok for r in results), [r.errors for r in results]
    assert Station.objects.count() == 200
    counts = set(Station.objects.annotate(n=Count("connector_specs")).values_list("n", flat=True))
    # One import's whole list on every station, never both appended.
    assert len(counts) == 1
    assert counts <= {2, 3}
    _assert_whole_stations()


# Reading: quotes, encodings, the row limit, the header (review fixes).


def test_unclosed_quote_is_reported_instead_of_swallowing_the_rows_after_it(tenant):
    data = csv_bytes(row(Station_ID="ST1"), row(Station_ID="ST2"), row(Station_ID="ST3"))
    data = data.replace(b"ST2;K7P2-93QX;Alfen", b'ST2;K7P2-93QX;"Alfen')
    plan = csv_import.parse(data, tenant=tenant)
    assert errors_of(plan) == [(3, "", "unclosed_quote")]
    assert plan.errors[0].message.startswith('A quote (") opened in row 3 is never closed')


def test_unclosed_quote_in_a_long_file_is_reported_not_a_crash(tenant):
    # Past 128 KB the csv module raises csv.Error (field larger than field limit).
    rows = [row(Station_ID=f"S{n}") for n in range(3000)]
    data = csv_bytes(*rows).replace(b"S10;K7P2-93QX;Alfen", b'S10;K7P2-93QX;"Alfen')
    plan = csv_import.parse(data, tenant=tenant)
    assert errors_of(plan) == [(12, "", "unclosed_quote")]


def test_bom_with_a_windows_1252_byte_reads_the_header(tenant):
    data = b"\xef\xbb\xbf" + csv_bytes(row(Manufacturer="Müller"), encoding="cp1252")
    plan = csv_import.parse(data, tenant=tenant)
    assert plan.ok, plan.errors
    assert plan.encoding == csv_import.WINDOWS_1252
    assert plan.stations[0].station["manufacturer"] == "Müller"


def test_bytes_neither_utf8_nor_windows_1252_say_so(tenant):
    plan = csv_import.parse(csv_bytes(row()) + b"\x81", tenant=tenant)
    assert errors_of(plan) == [(None, "", "not_text")]
    assert "neither UTF-8 nor Windows-1252 text" in plan.errors[0].message


def test_reading_stops_at_the_row_limit(tenant, settings):
    settings.STATION_IMPORT_MAX_ROWS = 10
    # Row 30 could not be read; it is never reached, so only the row limit is reported.
    rows = [row(Station_ID=f"S{n}") for n in range(40)]
    rows[28] = row(Station_ID='"S28')
    data = csv_bytes(*rows).replace(b'"""S28"', b'"S28')
    plan = csv_import.parse(data, tenant=tenant)
    assert errors_of(plan) == [(None, "", "too_many_rows")]
    assert "more than 10 rows" in plan.errors[0].message


def test_blank_rows_do_not_count_towards_the_limit(tenant, settings):
    settings.STATION_IMPORT_MAX_ROWS = 3
    data = csv_bytes(*[row(Station_ID=f"S{n}") for n in range(3)]) + b"\r\n;;;\r\n" * 50
    plan = csv_import.parse(data, tenant=tenant)
    assert plan.ok, plan.errors
    assert plan.row_count == 3


def test_same_header_twice_in_other_capitals_is_a_duplicate(tenant):
    header = [*HEADERS, "security code"]
    plan = csv_import.parse(csv_bytes([*row(), "K7P2-93QX"], header=header), tenant=tenant)
    assert errors_of(plan) == [(1, "security code", "duplicate_header")]
    assert "“Security code”" in plan.errors[0].message


def test_empty_header_cell_names_its_column(tenant):
    header = [*HEADERS[:3], "", *HEADERS[3:]]
    cells = row()
    plan = csv_import.parse(csv_bytes([*cells[:3], "x", *cells[3:]], header=header), tenant=tenant)
    assert errors_of(plan) == [(1, "Column 4", "unknown_header")]
    assert plan.errors[0].message.startswith("Column 4 has no header.")


def test_empty_trailing_column_without_header_is_ignored(tenant):
    # Excel writes a ";" at the end of every line once a column past the last was touched.
    data = csv_bytes([*row(), ""], [*row(Station_ID="ST2"), ""], header=[*HEADERS, ""])
    plan = csv_import.parse(data, tenant=tenant)
    assert plan.ok, plan.errors
    assert [s.station_id for s in plan.stations] == ["ST1010101", "ST2"]


def test_value_in_the_trailing_column_without_header_is_an_error(tenant):
    data = csv_bytes([*row(), ""], [*row(Station_ID="ST2"), "note"], header=[*HEADERS, ""])
    plan = csv_import.parse(data, tenant=tenant)
    assert errors_of(plan) == [(3, "Column 13", "value_without_header")]


# Grouping (review fixes).


def test_rows_without_station_id_are_not_grouped(tenant):
    plan = csv_import.parse(csv_bytes(row(Station_ID=""), row(Station_ID="")), tenant=tenant)
    assert errors_of(plan) == [(2, "Station ID", "blank"), (3, "Station ID", "blank")]
    assert len(plan.stations) == 2


def test_same_id_in_other_capitals_is_one_code_consecutive_or_not(tenant):
    consecutive = csv_import.parse(csv_bytes(row(Station_ID="ST1"), row(Station_ID="st1")), tenant=tenant)
    apart = csv_import.parse(
        csv_bytes(row(Station_ID="ST1"), row(Station_ID="ST2"), row(Station_ID="st1")), tenant=tenant
    )
    assert errors_of(consecutive) == [(3, "Station ID", "duplicate_station_id_in_file")]
    assert errors_of(apart) == [(4, "Station ID", "duplicate_station_id_in_file")]


def test_duplicate_message_does_not_start_with_a_value_from_the_file(tenant):
    plan = csv_import.parse(csv_bytes(row(Station_ID="ST1"), row(Station_ID="st1")), tenant=tenant)
    assert plan.errors[0].message.startswith("Row 2 has the same Station ID")


def test_empty_required_cell_has_the_model_fields_code_and_message(tenant):
    plan = csv_import.parse(csv_bytes(row(Manufacturer="")), tenant=tenant)
    field = Station._meta.get_field("manufacturer")
    with pytest.raises(ValidationError) as expected:
        field.clean("", None)
    assert [(e.code, e.message) for e in plan.errors] == [
        (expected.value.error_list[0].code, str(expected.value.messages[0]))
    ]


def test_any_reader_of_numbered_rows_feeds_the_same_checks(tenant):
    # The seam a workbook reader uses: (spreadsheet row, cell texts), header first, blank rows left out.
    rows = [(1, list(HEADERS)), (2, row(Station_ID="ST1")), (4, row(Station_ID="ST1", Voltage="x"))]
    plan = csv_import.parse_rows(iter(rows), ImportPlan(), tenant=tenant)
    assert errors_of(plan) == [(4, "Voltage", "invalid_number")]
    assert [(s.station_id, s.row_numbers, s.rows) for s in plan.stations] == [("ST1", [2, 4], "2–4")]


def test_errors_csv_neutralises_every_cell():
    formula = "=HYPERLINK(1)"
    text = csv_import.errors_csv([RowError(2, formula, "x", formula, formula)])
    assert text.splitlines()[1] == "2;'=HYPERLINK(1);'=HYPERLINK(1);'=HYPERLINK(1)"


def test_megabytes_for_people():
    assert csv_import.megabytes(5 * 1024 * 1024) == "5 MB"
    assert csv_import.megabytes(5_000_000) == "4.8 MB"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's variable limit")
def test_write_is_cut_into_statements_that_fit_sqlites_variable_limit(tenant):
    import sqlite3

    connection.ensure_connection()
    raw = connection.connection
    old = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 40)
    try:
        result = run(csv_bytes(*(r for n in range(30) for r in station_rows(f"B{n}", 2))), tenant)
        assert result.ok, result.errors
        result = run(csv_bytes(*(r for n in range(30) for r in station_rows(f"B{n}", 1))), tenant)
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, old)
    assert result.ok, result.errors
    assert (result.stations_overridden, ConnectorSpec.objects.count()) == (30, 30)


def test_sqlite_older_than_3_35_fails_the_system_check():
    from stations.checks import sqlite_version_check

    errors = sqlite_version_check(sqlite_version=(3, 34, 1))
    if connection.vendor == "sqlite":
        assert [e.id for e in errors] == ["stations.E001"]
        assert "SQLite 3.34.1 is too old" in errors[0].msg
    assert sqlite_version_check(sqlite_version=(3, 35, 0)) == []


# Every code the engine (and the write it hands its plan to) can give, for the test that each one comes
# with a message: Django's own messages are lazy, and a plural one (max_length) only becomes text once its
# params are filled in. Each case returns the errors and warnings of one file.
def _parsed(data, tenant):
    plan = csv_import.parse(data, tenant=tenant)
    return plan.errors + plan.warnings


def _lost(tenant, other_tenant, change):
    make_station(tenant, station_id="OWN1")
    plan = csv_import.parse(csv_bytes(row(Station_ID="OWN1"), row(Station_ID="NEW1")), tenant=tenant)
    change(other_tenant)
    return services.stations_import(tenant=tenant, user=None, plan=plan, source=ImportSource.COMMAND).errors


def _cells(**cells):
    return lambda tenant, other_tenant, settings: _parsed(csv_bytes(row(**cells)), tenant)


def _file(data):
    return lambda tenant, other_tenant, settings: _parsed(data, tenant)


def _limited(setting, data):
    def case(tenant, other_tenant, settings):
        setattr(settings, setting, 100 if setting.endswith("BYTES") else 1)
        return _parsed(data, tenant)

    return case


def _existing(status, of_other_tenant):
    def case(tenant, other_tenant, settings):
        make_station(other_tenant if of_other_tenant else tenant, station_id="ST1")
        Station.objects.update(status=status)
        return _parsed(csv_bytes(row(Station_ID="ST1")), tenant)

    return case


UNCLOSED = csv_bytes(row(Station_ID="ST1"), row(Station_ID="ST2")).replace(
    b"ST1;K7P2-93QX;", b'ST1;K7P2-93QX;"'
)
EVERY_CODE = {
    "blank": _cells(Manufacturer=""),
    "max_length": _cells(Manufacturer="m" * 256),
    "min_length": _cells(Security_code="abc"),
    "whitespace": _cells(Serial_number="A 1"),
    "invalid_station_id": _cells(Station_ID="ST/1"),
    "invalid_boolean": _cells(GSM_supported="maybe"),
    "no_connectivity": _cells(Wi_Fi_supported="no", GSM_supported="no"),
    "invalid_choice": _cells(Format="Plug"),
    "invalid_number": _cells(Voltage="230V"),
    "min_value": _cells(Amperage="0"),
    "max_value": _cells(Voltage="1001"),
    "line_voltage": _cells(Voltage="400"),
    "empty_file": _file(b""),
    "no_rows": _file((HEADER + "\r\n").encode()),
    "not_text": _file(b"%PDF-1.7"),
    "comma_separated": _file((HEADER.replace(";", ",") + "\n").encode()),
    "missing_header": _file(csv_bytes(row()[:-1], header=HEADERS[:-1])),
    "unknown_header": _file(csv_bytes([*row(), "x"], header=[*HEADERS, "Colour"])),
    "duplicate_header": _file(csv_bytes([*row(), "y"], header=[*HEADERS, "Voltage"])),
    "misspelled_header": _file(csv_bytes(row(), header=[h.replace("Format", "format") for h in HEADERS])),
    "header_spacing": _file(csv_bytes(row(), header=[h.replace("Format", "Format ") for h in HEADERS])),
    "wrong_field_count": _file((HEADER + "\r\nST1;code\r\n").encode()),
    "value_without_header": _file(csv_bytes([*row(), "note"], header=[*HEADERS, ""])),
    "unclosed_quote": _file(UNCLOSED),
    "too_many_rows": _limited("STATION_IMPORT_MAX_ROWS", csv_bytes(row(), row(Station_ID="ST2"))),
    "file_too_large": _limited("STATION_IMPORT_MAX_UPLOAD_BYTES", csv_bytes(row())),
    "station_value_differs": _file(csv_bytes(row(), row(Manufacturer="ABB"))),
    "rows_not_consecutive": _file(csv_bytes(row(), row(Station_ID="ST2"), row())),
    "duplicate_station_id_in_file": _file(csv_bytes(row(Station_ID="ST1"), row(Station_ID="st1"))),
    "already_registered": _existing(StationStatus.INACTIVE, of_other_tenant=True),
    "station_active": _existing(StationStatus.ACTIVE, of_other_tenant=False),
    "station_changed": lambda tenant, other_tenant, settings: _lost(
        tenant, other_tenant, lambda _other: Station.objects.update(status=StationStatus.ACTIVE)
    ),
    "duplicate_station_id": lambda tenant, other_tenant, settings: _lost(
        tenant, other_tenant, lambda other: make_station(other, station_id="new1")
    ),
}


@pytest.mark.parametrize("code", sorted(EVERY_CODE))
def test_every_error_code_comes_with_a_message(tenant, other_tenant, settings, code):
    found = EVERY_CODE[code](tenant, other_tenant, settings)
    assert code in {error.code for error in found}
    assert all(error.message.strip() for error in found), [(e.code, e.message) for e in found]
