"""The CSV export of the management overview: import format, formula cells neutralised, scoped."""

import codecs
import csv
import io

import pytest
from django.urls import reverse

from stations.csv_export import export_lines
from stations.csv_format import ALL_HEADERS, HEADERS, neutralise_cell, restore_cell, station_row
from stations.models import Station
from tests import factories

pytestmark = pytest.mark.django_db


def _rows(response):
    data = b"".join(response.streaming_content)
    # UTF-8 with a byte-order mark, or Excel shows "Müller" as "MÃ¼ller".
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def stations(tenant, other_tenant):
    first = factories.make_two_spec_station(tenant, station_id="NC-1")
    second = factories.make_station(
        tenant,
        station_id="NC-2",
        manufacturer="Zaptec",
        gsm_supported=True,
        article_number="",
        serial_number="",
    )
    factories.make_station(other_tenant, station_id="SV-1", manufacturer="Secretvolt GmbH")
    return first, second


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")', id="equals"),
        pytest.param("+ST1", "'+ST1", id="plus"),
        pytest.param("-ST1", "'-ST1", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\tx", "'\tx", id="tab"),
        pytest.param("\rx", "'\rx", id="carriage-return"),
        pytest.param("'=x", "''=x", id="already-escaped-looking"),
        pytest.param("'plain", "'plain", id="apostrophe-no-trigger"),
        pytest.param("ST-1=2", "ST-1=2", id="trigger-not-first"),
        pytest.param("", "", id="empty"),
        pytest.param("Alfen", "Alfen", id="plain"),
    ],
)
def test_neutralise_and_restore_are_inverse(value, written):
    assert neutralise_cell(value) == written
    assert restore_cell(written) == value


def test_export_action_writes_import_format(client, operator, stations):
    first, second = stations
    client.force_login(operator)
    response = client.post(
        reverse("admin:stations_station_changelist"),
        {"action": "export_csv", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="stations-')
    rows = _rows(response)
    assert rows[0] == list(ALL_HEADERS)
    specs = [(s, spec) for s in (first, second) for spec in s.connector_specs.all()]
    assert rows[1:] == [station_row(s, spec) for s, spec in specs]
    assert [row[HEADERS.index("Station ID")] for row in rows[1:]] == ["NC-1", "NC-1", "NC-2"]
    assert rows[2][HEADERS.index("Connector type")] == "CHADEMO"
    assert rows[3][HEADERS.index("GSM supported")] == "TRUE"


def test_export_action_ignores_another_tenants_selection(client, operator, stations):
    other = Station.objects.get(station_id="SV-1")
    client.force_login(operator)
    response = client.post(
        reverse("admin:stations_station_changelist"),
        {"action": "export_csv", "_selected_action": [stations[0].pk, other.pk]},
    )
    text = "\n".join(";".join(row) for row in _rows(response))
    assert "SV-1" not in text
    assert "Secretvolt" not in text
    assert "NC-1" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["NC-1", "NC-2"]),
        ("?manufacturer=Zaptec", ["NC-2"]),
        ("?q=nc-1", ["NC-1"]),
        ("?power_type=DC", ["NC-1"]),
        ("?q=SV", []),
    ],
)
def test_export_all_matching_follows_the_current_filter(client, operator, stations, query, expected):
    client.force_login(operator)
    response = client.get(reverse("admin:stations_station_export") + query)
    assert response.status_code == 200
    assert sorted({row[0] for row in _rows(response)[1:]}) == expected


def test_support_export_all_matching_spans_tenants(client, support, stations):
    client.force_login(support)
    response = client.get(reverse("admin:stations_station_export"))
    assert sorted({row[0] for row in _rows(response)[1:]}) == ["NC-1", "NC-2", "SV-1"]


def test_export_link_carries_the_filter(client, operator, stations):
    client.force_login(operator)
    body = client.get(reverse("admin:stations_station_changelist") + "?manufacturer=Zaptec").content.decode()
    assert reverse("admin:stations_station_export") + "?manufacturer=Zaptec" in body


def test_export_neutralises_formula_cells(tenant):
    factories.make_station(
        tenant,
        station_id="=ST1",
        manufacturer='=HYPERLINK("http://evil")',
        security_code="+CODE1",
        article_number="-5",
        serial_number="@SER",
    )
    rows = list(
        csv.reader(io.StringIO("".join(export_lines(Station.objects.all(), bom=False))), delimiter=";")
    )
    row = dict(zip(ALL_HEADERS, rows[1], strict=True))
    assert row["Station ID"] == "'=ST1"
    assert row["Manufacturer"] == '\'=HYPERLINK("http://evil")'
    assert row["Security code"] == "'+CODE1"
    assert row["Article number"] == "'-5"
    assert row["Serial number"] == "'@SER"
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cells in rows for cell in cells)


def test_export_is_utf8_with_semicolons_and_crlf(tenant):
    factories.make_station(tenant, station_id="NC-U", manufacturer="Ladestation Müller; Söhne")
    text = "".join(export_lines(Station.objects.all(), bom=False))
    assert text.startswith(";".join(ALL_HEADERS) + "\r\n")
    assert '"Ladestation Müller; Söhne"' in text


def test_export_download_starts_with_the_byte_order_mark(client, operator, tenant):
    factories.make_station(tenant, station_id="NC-U", manufacturer="Müller GmbH")
    client.force_login(operator)
    response = client.get(reverse("admin:stations_station_export"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data.startswith(codecs.BOM_UTF8 + b"Station ID;")
    assert data.count(codecs.BOM_UTF8) == 1
    assert "Müller GmbH".encode() in data
    assert data == "".join(export_lines(Station.objects.filter(tenant=tenant))).encode()


def test_operator_without_station_view_cannot_export(client, other_tenant, stations):
    user = factories.make_operator(other_tenant, "nobody")
    user.groups.clear()
    client.force_login(user)
    assert client.get(reverse("admin:stations_station_export")).status_code in (403, 404)


def test_export_all_matching_with_a_bad_filter_returns_to_the_list(client, operator, stations):
    client.force_login(operator)
    response = client.get(reverse("admin:stations_station_export") + "?created_at__gte=not-a-date")
    assert response.status_code == 302
    assert response.url == reverse("admin:stations_station_changelist") + "?e=1"


def test_export_all_matching_refuses_lookups_across_tenants(client, operator, stations):
    client.force_login(operator)
    response = client.get(reverse("admin:stations_station_export") + "?tenant__name__startswith=S")
    assert response.status_code == 400
