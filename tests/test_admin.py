"""The station management overview: scoping, the list, the change page with its inline, actions."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stations.choices import StationStatus
from stations.models import ConnectorSpec, ImportRecord, Membership, Station
from tests import factories

pytestmark = pytest.mark.django_db

# Everything that would give away the other tenant: its name, slug, operator, station, manufacturer.
OTHER_SECRETS = ("South Volt", "south-volt", "oscar", "SV-SECRET-1", "Secretvolt GmbH", "SVSERIAL9")


@pytest.fixture
def own_station(tenant, operator):
    return factories.make_two_spec_station(tenant, operator, station_id="NC-1")


@pytest.fixture
def other_station(other_tenant, other_operator):
    return factories.make_station(
        other_tenant,
        other_operator,
        station_id="SV-SECRET-1",
        manufacturer="Secretvolt GmbH",
        serial_number="SVSERIAL9",
        article_number="SV-ART",
    )


def change_url(station):
    return reverse("admin:stations_station_change", args=[station.pk])


def assert_no_other_tenant(response):
    body = response.content.decode() if not hasattr(response, "streaming_content") else _streamed(response)
    for secret in OTHER_SECRETS:
        assert secret not in body, f"{secret!r} leaked"


def _streamed(response):
    return b"".join(response.streaming_content).decode()


# ------------------------------------------------------------------------------------------ scoping


def _every_view(model_name, pk):
    base = f"admin:stations_{model_name}"
    return {
        "changelist": reverse(f"{base}_changelist"),
        "add": reverse(f"{base}_add"),
        "change": reverse(f"{base}_change", args=[pk]),
        "delete": reverse(f"{base}_delete", args=[pk]),
        "history": reverse(f"{base}_history", args=[pk]),
    }


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_operator_guessing_another_tenants_station_gets_404(
    operator_client, own_station, other_station, view
):
    response = operator_client.get(_every_view("station", other_station.pk)[view])
    assert response.status_code == 404
    assert_no_other_tenant(response)


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_operator_opens_own_station_views(operator_client, own_station, other_station, view):
    response = operator_client.get(_every_view("station", own_station.pk)[view])
    assert response.status_code == 200
    assert_no_other_tenant(response)


def test_operator_cannot_delete_another_tenants_station_by_post(operator_client, other_station):
    response = operator_client.post(_every_view("station", other_station.pk)["delete"], {"post": "yes"})
    assert response.status_code == 404
    assert Station.objects.filter(pk=other_station.pk).exists()


def test_operator_cannot_change_another_tenants_station_by_post(operator_client, other_station):
    response = operator_client.post(change_url(other_station), {"manufacturer": "Hijacked"})
    assert response.status_code == 404
    other_station.refresh_from_db()
    assert other_station.manufacturer == "Secretvolt GmbH"


def test_station_add_url_leads_to_the_wizard(operator_client):
    response = operator_client.get(reverse("admin:stations_station_add"))
    assert response.status_code == 302
    assert response.url == reverse("stations:import")


@pytest.mark.parametrize("model_name", ["tenant", "membership", "importrecord"])
@pytest.mark.parametrize("view", ["changelist", "add", "change", "delete", "history"])
def test_operator_never_reaches_support_models(
    operator_client, own_station, other_station, other_tenant, other_operator, model_name, view
):
    objects = {
        "tenant": other_tenant,
        "membership": Membership.objects.get(user=other_operator),
        "importrecord": other_station.last_import,
    }
    response = operator_client.get(_every_view(model_name, objects[model_name].pk)[view])
    assert response.status_code == 404
    assert_no_other_tenant(response)


@pytest.mark.parametrize("model_name", ["tenant", "membership", "importrecord"])
def test_operator_does_not_reach_own_tenants_support_records(
    operator_client, tenant, operator, own_station, model_name
):
    objects = {"tenant": tenant, "membership": operator.membership, "importrecord": own_station.last_import}
    for url in _every_view(model_name, objects[model_name].pk).values():
        assert operator_client.get(url).status_code == 404, url


@pytest.mark.parametrize("url_name", ["changelist", "add", "change", "delete", "history"])
@pytest.mark.parametrize("model", ["user", "group"])
def test_operator_has_no_user_or_group_admin(operator_client, other_operator, other_station, model, url_name):
    pk = other_operator.pk if model == "user" else Group.objects.get(name="Operators").pk
    args = [] if url_name in ("changelist", "add") else [pk]
    response = operator_client.get(reverse(f"admin:auth_{model}_{url_name}", args=args))
    assert response.status_code in (403, 404)
    assert_no_other_tenant(response)


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("membership", "tenant"), ("membership", "user"), ("station", "tenant"), ("importrecord", "tenant")],
)
def test_autocomplete_shows_operator_no_tenants_or_users(
    operator_client, other_station, other_operator, model_name, field_name
):
    response = operator_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "stations", "model_name": model_name, "field_name": field_name, "term": "o"},
    )
    assert response.status_code in (403, 404)
    assert_no_other_tenant(response)


def test_station_autocomplete_is_scoped(operator_client, own_station, other_station):
    response = operator_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "stations", "model_name": "connectorspec", "field_name": "station", "term": ""},
    )
    if response.status_code == 200:
        assert [item["text"] for item in response.json()["results"]] == ["NC-1"]
    assert_no_other_tenant(response)


def test_no_other_tenant_on_any_operator_page(operator_client, own_station, other_station):
    list_url = reverse("admin:stations_station_changelist")
    pages = [
        reverse("admin:index"),
        reverse("admin:app_list", args=["stations"]),
        list_url,
        list_url + "?q=SV",
        list_url + "?status__exact=inactive&connectivity=wifi&power_type=DC",
        list_url + "?tenant__id__exact=" + str(other_station.tenant_id),
        list_url + "?_facets=True",
        change_url(own_station),
        reverse("admin:stations_station_history", args=[own_station.pk]),
        reverse("admin:stations_station_delete", args=[own_station.pk]),
        reverse("admin:stations_station_export") + "?q=SV",
        reverse("dashboard"),
    ]
    for url in pages:
        response = operator_client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        assert_no_other_tenant(response)


@pytest.mark.parametrize("query", ["q=SV-SECRET", "q=SVSERIAL9", "q=SV-ART", "manufacturer=Secretvolt+GmbH"])
def test_guessing_another_tenants_values_finds_nothing(operator_client, own_station, other_station, query):
    response = operator_client.get(reverse("admin:stations_station_changelist") + "?" + query)
    assert list(response.context["cl"].result_list) == []


def test_list_shows_only_own_tenants_stations(operator_client, own_station, other_station):
    response = operator_client.get(reverse("admin:stations_station_changelist"))
    assert [station.station_id for station in response.context["cl"].result_list] == ["NC-1"]
    assert "<h1>Stations of North Charge</h1>" in response.content.decode()


def _manufacturer_choices(response):
    cl = response.context["cl"]
    manufacturer = next(f for f in cl.filter_specs if f.title == "Manufacturer")
    return [choice["display"] for choice in manufacturer.choices(cl)][1:]  # after "All"


def test_manufacturer_filter_offers_own_manufacturers_only(client, tenant, operator, other_station):
    factories.make_station(tenant, station_id="NC-A", manufacturer="Zaptec")
    factories.make_station(tenant, station_id="NC-B", manufacturer="Alfen")
    client.force_login(operator)
    response = client.get(reverse("admin:stations_station_changelist"))
    assert _manufacturer_choices(response) == ["Alfen", "Zaptec"]


def test_manufacturer_filter_offers_every_manufacturer(operator_client, tenant):
    # The filter used to stop at 50 choices: the 51st manufacturer could not be picked.
    Station.objects.bulk_create(
        Station(
            tenant=tenant,
            station_id=f"NC-{n:02d}",
            security_code="CODE-1234",
            manufacturer=f"Maker {n:02d}",
            wifi_supported=True,
        )
        for n in range(60)
    )
    response = operator_client.get(reverse("admin:stations_station_changelist"))
    assert _manufacturer_choices(response) == [f"Maker {n:02d}" for n in range(60)]


def test_operator_cannot_reassign_a_station_to_another_tenant(operator_client, own_station, other_tenant):
    response = operator_client.get(change_url(own_station))
    assert 'name="tenant"' not in response.content.decode()
    data = _change_data(own_station)
    data["tenant"] = other_tenant.pk
    response = operator_client.post(change_url(own_station), data)
    assert response.status_code == 302
    own_station.refresh_from_db()
    assert own_station.tenant_id != other_tenant.pk


# --------------------------------------------------------------------------------------------- list


def test_list_columns_for_operator(operator_client, own_station):
    Station.objects.filter(pk=own_station.pk).update(gsm_supported=True)
    response = operator_client.get(reverse("admin:stations_station_changelist"))
    cl = response.context["cl"]
    assert list(cl.list_display) == [
        "action_checkbox",
        "station_id",
        "manufacturer",
        "connectivity",
        "connector_count",
        "maximum_power",
        "status_badge",
        "owner",
        "imported_at",
    ]
    body = response.content.decode()
    # 230 V × 16 A three-phase = 11.04 kW; 500 V × 125 A DC = 62.5 kW: the maximum shows.
    assert "62.5 kW" in body
    assert '<td class="field-connectivity">Wi-Fi, GSM</td>' in body
    assert own_station.security_code not in body
    row = cl.result_list[0]
    assert (row.spec_count, row.max_power) == (2, 62_500)


def test_support_sees_tenant_column_and_filter(client, support, own_station, other_station):
    client.force_login(support)
    response = client.get(reverse("admin:stations_station_changelist"))
    cl = response.context["cl"]
    assert "tenant" in cl.list_display
    assert {f.title for f in cl.filter_specs} >= {"Tenant", "Status", "Manufacturer"}
    assert {s.station_id for s in cl.result_list} == {"NC-1", "SV-SECRET-1"}
    body = response.content.decode()
    assert "<h1>Stations of every operator</h1>" in body
    assert '<td class="field-tenant nowrap">South Volt</td>' in body


def test_max_power_annotation_matches_rule(operator_client, tenant):
    station = factories.make_station(
        tenant,
        station_id="NC-P",
        specs=[
            factories.spec_data(power_type="AC_1_PHASE", voltage=230, amperage=32),
            factories.spec_data(power_type="AC_3_PHASE", voltage=230, amperage=16),
        ],
    )
    response = operator_client.get(reverse("admin:stations_station_changelist"))
    row = response.context["cl"].result_list[0]
    assert row.max_power == max(spec.power_watts for spec in station.connector_specs.all()) == 11_040


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=active", ["NC-ACTIVE"]),
        ("status__exact=inactive", ["NC-GSM", "NC-WIFI"]),
        ("connectivity=gsm", ["NC-GSM"]),
        ("connectivity=wifi", ["NC-ACTIVE", "NC-WIFI"]),
        ("connectivity=both", []),
        ("power_type=DC", ["NC-GSM"]),
        ("power_type=AC_3_PHASE", ["NC-ACTIVE", "NC-WIFI"]),
        ("manufacturer=Zaptec", ["NC-GSM"]),
        ("q=nc-gsm", ["NC-GSM"]),
        ("q=SER-77", ["NC-WIFI"]),
        ("q=ART-55", ["NC-ACTIVE"]),
        ("q=Zaptec", []),
    ],
)
def test_filters_and_search(operator_client, tenant, operator, query, expected):
    factories.make_station(tenant, station_id="NC-WIFI", serial_number="SER-77")
    factories.make_station(
        tenant,
        station_id="NC-GSM",
        manufacturer="Zaptec",
        wifi_supported=False,
        gsm_supported=True,
        specs=[factories.spec_data(power_type="DC", voltage=400, amperage=50)],
    )
    active = factories.make_station(tenant, station_id="NC-ACTIVE", article_number="ART-55")
    Station.objects.filter(pk=active.pk).update(status=StationStatus.ACTIVE, activated_by=operator)
    response = operator_client.get(reverse("admin:stations_station_changelist") + "?" + query)
    assert sorted(s.station_id for s in response.context["cl"].result_list) == expected


def test_search_does_not_look_at_security_code(operator_client, own_station):
    response = operator_client.get(
        reverse("admin:stations_station_changelist"), {"q": own_station.security_code}
    )
    assert list(response.context["cl"].result_list) == []


def test_add_stations_menu_offers_wizard_and_upload(operator_client):
    body = operator_client.get(reverse("admin:stations_station_changelist")).content.decode()
    assert "+ Add stations" in body
    assert reverse("stations:import") in body
    assert reverse("stations:upload") in body
    assert reverse("admin:stations_station_add") not in body


def _bulk_stations(tenant, count, prefix):
    stations = Station.objects.bulk_create(
        Station(
            tenant=tenant,
            station_id=f"{prefix}{n:05d}",
            security_code="CODE-1234",
            manufacturer=f"Maker {n % 7}",
            wifi_supported=True,
        )
        for n in range(count)
    )
    ConnectorSpec.objects.bulk_create(
        ConnectorSpec(station=station, position=position, **factories.spec_data())
        for station in stations
        for position in (1, 2)
    )


def _list_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["operator", "support"])
@pytest.mark.parametrize(
    "query", ["", "?status__exact=inactive", "?q=NC", "?power_type=AC_3_PHASE&manufacturer=Maker+3", "?p=2"]
)
def test_list_query_count_is_fixed(client, tenant, other_tenant, operator, support, persona, query):
    client.force_login(operator if persona == "operator" else support)
    url = reverse("admin:stations_station_changelist") + query
    _bulk_stations(tenant, 10, "NC")
    _bulk_stations(other_tenant, 10, "SV")
    few = _list_queries(client, url.replace("?p=2", "?p=1"))
    _bulk_stations(tenant, 190, "NCX")
    _bulk_stations(other_tenant, 190, "SVX")
    many = _list_queries(client, url)
    assert few == many
    assert many <= 10


@pytest.mark.parametrize("persona", ["operator", "support"])
def test_list_count_stops_at_the_cap(client, monkeypatch, tenant, other_tenant, operator, support, persona):
    from stations.admin import CappedPaginator, StationAdmin

    client.force_login(operator if persona == "operator" else support)
    url = reverse("admin:stations_station_changelist")
    monkeypatch.setattr(CappedPaginator, "CAP", 12)
    monkeypatch.setattr(CappedPaginator, "CAP_TEXT", "12")
    monkeypatch.setattr(StationAdmin, "list_per_page", 5)
    _bulk_stations(tenant, 12, "NC")
    at_cap = client.get(url)
    assert at_cap.context["cl"].result_count == 12
    assert not at_cap.context["cl"].paginator.capped
    assert "12 stations" in at_cap.content.decode()
    assert "more than 12" not in at_cap.content.decode()
    at_cap_queries = _list_queries(client, url)

    _bulk_stations(tenant, 30, "NCX")
    _bulk_stations(other_tenant, 30, "SVX")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url + "?p=3")
    body = response.content.decode()
    assert response.context["cl"].paginator.capped
    assert "more than 12 stations" in body
    assert "Select all matching stations (more than 12)" in body
    assert len(queries) == at_cap_queries
    # The count reads at most CAP + 1 rows, and the pages stop at the cap (5 a page: 3).
    count_sql = next(query["sql"] for query in queries.captured_queries if "COUNT(" in query["sql"])
    assert "LIMIT 13" in count_sql
    assert client.get(url + "?p=4").status_code == 302  # Django's answer to a page past the end


# -------------------------------------------------------------------------------------- change page


def _change_data(station, specs=None, **overrides):
    """The change form's POST data for ``station``; ``specs`` is a list of (id or None, values, delete)."""
    if specs is None:
        specs = [
            (
                spec.pk,
                {
                    f: getattr(spec, f)
                    for f in ("position", "standard", "format", "power_type", "voltage", "amperage")
                },
                False,
            )
            for spec in station.connector_specs.order_by("position")
        ]
    data = {
        "station_id": station.station_id,
        "security_code": station.security_code,
        "manufacturer": station.manufacturer,
        "article_number": station.article_number,
        "serial_number": station.serial_number,
        # The version the page was opened at (SPEC §4): the station as the test has it.
        "version": station.version,
        "connector_specs-TOTAL_FORMS": len(specs),
        "connector_specs-INITIAL_FORMS": sum(1 for pk, _, _ in specs if pk),
        "connector_specs-MIN_NUM_FORMS": 1,
        "connector_specs-MAX_NUM_FORMS": 1000,
    }
    if station.wifi_supported:
        data["wifi_supported"] = "on"
    if station.gsm_supported:
        data["gsm_supported"] = "on"
    for index, (pk, values, delete) in enumerate(specs):
        prefix = f"connector_specs-{index}-"
        data[prefix + "id"] = pk or ""
        data[prefix + "station"] = station.pk
        for field, value in values.items():
            data[prefix + field] = value
        if delete:
            data[prefix + "DELETE"] = "on"
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def _spec_rows(station):
    return list(station.connector_specs.order_by("position").values_list("position", "standard", "voltage"))


def _formset_error_codes(response):
    formset = response.context["inline_admin_formsets"][0].formset
    return [error.code for error in formset.non_form_errors().as_data()]


def test_change_page_groups_like_the_wizard_and_orders_connectors(operator_client, own_station):
    response = operator_client.get(change_url(own_station))
    names = [fieldset.name for fieldset in response.context["adminform"]]
    assert names[:2] == ["Station details", "Connectivity type"]
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.position for form in formset.initial_forms] == [1, 2]
    body = response.content.decode()
    assert body.index("Type 2 (IEC 62196-2)") < body.index("CHAdeMO")


def test_change_page_shows_power_and_line_voltage_warning(operator_client, tenant):
    station = factories.make_station(tenant, station_id="NC-400", specs=[factories.spec_data(voltage=400)])
    body = operator_client.get(change_url(station)).content.decode()
    assert "19.2 kW" in body
    assert "400 V looks like line-to-line voltage" in body
    assert "enter 230 V instead" in body


def test_reordering_connectors_saves(operator_client, own_station):
    specs = list(own_station.connector_specs.order_by("position"))
    rows = [
        (spec.pk, {**factories.spec_data(), **_values(spec), "position": 3 - spec.position}, False)
        for spec in specs
    ]
    response = operator_client.post(change_url(own_station), _change_data(own_station, rows))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert _spec_rows(own_station) == [(1, "CHADEMO", 500), (2, "IEC_62196_T2", 230)]


def _values(spec):
    return {
        f: getattr(spec, f) for f in ("position", "standard", "format", "power_type", "voltage", "amperage")
    }


def test_adding_and_deleting_connectors_keeps_positions(operator_client, own_station):
    first, second = own_station.connector_specs.order_by("position")
    rows = [
        (first.pk, _values(first), True),
        (second.pk, {**_values(second), "position": 1}, False),
        (None, {**factories.spec_data(voltage=240), "position": 2}, False),
    ]
    response = operator_client.post(change_url(own_station), _change_data(own_station, rows))
    assert response.status_code == 302
    assert _spec_rows(own_station) == [(1, "CHADEMO", 500), (2, "IEC_62196_T2", 240)]


# One wiring case per error code; the rule's boundaries are in tests/test_rules.py.
@pytest.mark.parametrize(
    ("positions", "deleted", "code"),
    [
        pytest.param((1, 3), (False, False), "positions_not_sequential", id="gap"),
        pytest.param((1, 2), (True, True), "no_connector_specs", id="none-left"),
    ],
)
def test_inline_rejects_bad_positions(operator_client, own_station, positions, deleted, code):
    before = _spec_rows(own_station)
    specs = own_station.connector_specs.order_by("position")
    rows = [
        (spec.pk, {**_values(spec), "position": position}, delete)
        for spec, position, delete in zip(specs, positions, deleted, strict=True)
    ]
    response = operator_client.post(change_url(own_station), _change_data(own_station, rows))
    assert response.status_code == 200
    assert code in _formset_error_codes(response)
    assert _spec_rows(own_station) == before


# One wiring case per field rule; the boundaries are in tests/test_models.py.
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("voltage", 1001, "max_value"),
        ("amperage", 0, "min_value"),
        ("standard", "TYPE_99", "invalid_choice"),
    ],
)
def test_inline_applies_field_rules(operator_client, own_station, field, value, code):
    before = _spec_rows(own_station)
    first, second = own_station.connector_specs.order_by("position")
    rows = [(first.pk, {**_values(first), field: value}, False), (second.pk, _values(second), False)]
    response = operator_client.post(change_url(own_station), _change_data(own_station, rows))
    assert response.status_code == 200
    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert code in [error.code for error in form.errors.as_data()[field]]
    assert _spec_rows(own_station) == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"station_id": "has space"}, "station_id", "invalid_station_id"),
        ({"station_id": "sv-secret-1"}, "station_id", "duplicate_station_id"),
        ({"security_code": "abc"}, "security_code", None),
        ({"serial_number": "A B"}, "serial_number", None),
        ({"wifi_supported": None}, "wifi_supported", "no_connectivity"),
    ],
)
def test_station_edits_go_through_model_rules(
    operator_client, own_station, other_station, overrides, field, code
):
    response = operator_client.post(change_url(own_station), _change_data(own_station, **overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert field in errors
    if code:
        assert code in [error.code for error in errors[field]]
    assert_no_other_tenant(response)
    fresh = Station.objects.get(pk=own_station.pk)
    assert (fresh.station_id, fresh.security_code, fresh.wifi_supported) == (
        "NC-1",
        own_station.security_code,
        True,
    )


def test_station_edit_strips_and_saves(operator_client, own_station):
    response = operator_client.post(
        change_url(own_station), _change_data(own_station, manufacturer="  Zaptec ")
    )
    assert response.status_code == 302
    own_station.refresh_from_db()
    assert own_station.manufacturer == "Zaptec"


def _activate(station, user):
    Station.objects.filter(pk=station.pk).update(
        status=StationStatus.ACTIVE, activated_by=user, activated_at=timezone.now()
    )
    station.refresh_from_db()


def test_station_id_and_code_read_only_once_active(operator_client, own_station, operator):
    _activate(own_station, operator)
    response = operator_client.get(change_url(own_station))
    body = response.content.decode()
    assert 'name="station_id"' not in body
    assert 'name="security_code"' not in body
    assert 'name="manufacturer"' in body
    data = _change_data(own_station, station_id="CHANGED", security_code="NEWCODE1", manufacturer="Zaptec")
    response = operator_client.post(change_url(own_station), data)
    assert response.status_code == 302
    own_station.refresh_from_db()
    assert (own_station.station_id, own_station.security_code, own_station.manufacturer) == (
        "NC-1",
        "K7P2-93QX",
        "Zaptec",
    )


def test_inactive_station_id_and_code_are_editable(operator_client, own_station):
    body = operator_client.get(change_url(own_station)).content.decode()
    assert 'name="station_id"' in body
    assert 'name="security_code"' in body
    assert 'name="status"' not in body


def test_change_page_shows_activation_state_and_owner(operator_client, own_station, operator):
    _activate(own_station, operator)
    body = operator_client.get(change_url(own_station)).content.decode()
    assert "olivia" in body
    assert "Active" in body
    list_body = operator_client.get(reverse("admin:stations_station_changelist")).content.decode()
    assert "olivia" in list_body


def test_connector_mapping_for_several_specs(operator_client, tenant):
    station = factories.make_station(
        tenant,
        station_id="NC-3",
        specs=[factories.spec_data(voltage=v) for v in (220, 230, 240)],
    )
    response = operator_client.get(change_url(station))
    mapping = response.context["connector_mapping"]
    assert mapping.count("<tr>") == 4  # header + connector IDs 1..3
    assert "a connector ID outside 1–3 gets specification 1" in mapping
    assert _mapping_cells(mapping) == [
        ("1", "1", "220 V"),
        ("2", "2", "230 V"),
        ("3", "3", "240 V"),
    ]


def _mapping_cells(mapping):
    return re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>.*?<td>(\d+ V)</td>", mapping)


def test_connector_mapping_for_one_spec(operator_client, tenant):
    station = factories.make_station(tenant, station_id="NC-ONE")
    mapping = operator_client.get(change_url(station)).context["connector_mapping"]
    assert "every connector of the station gets it" in mapping
    assert _mapping_cells(mapping) == [("every connector", "1", "230 V")]


# ------------------------------------------------------------------------------- import records


def test_support_sees_import_records_read_only(client, support, own_station):
    client.force_login(support)
    record = own_station.last_import
    response = client.get(reverse("admin:stations_importrecord_changelist"))
    assert response.status_code == 200
    assert "North Charge" in response.content.decode()
    response = client.get(reverse("admin:stations_importrecord_change", args=[record.pk]))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert client.get(reverse("admin:stations_importrecord_add")).status_code == 403
    response = client.post(reverse("admin:stations_importrecord_delete", args=[record.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert ImportRecord.objects.filter(pk=record.pk).exists()


def test_import_record_shows_its_errors_escaped_with_the_download(client, support, tenant):
    errors = [
        {"row": 3, "column": "Voltage", "code": "max_value", "value": "<b>2300</b>", "message": "Too high."},
        {"row": None, "column": "", "code": "empty_file", "value": "", "message": "The file is empty."},
    ]
    record = ImportRecord.objects.create(
        tenant=tenant, source="upload", file_name="bad.csv", error_count=2, errors=errors
    )
    client.force_login(support)
    body = client.get(reverse("admin:stations_importrecord_change", args=[record.pk])).content.decode()
    assert "&lt;b&gt;2300&lt;/b&gt;" in body
    assert "<b>2300</b>" not in body
    assert "Too high." in body
    assert reverse("stations:upload_errors", args=[record.pk]) in body
    assert "Download all 2 errors (CSV)" in body
    assert body.count(">Errors:<") == 1


def test_station_links_to_its_import_for_support(client, support, own_station):
    client.force_login(support)
    body = client.get(change_url(own_station)).content.decode()
    assert reverse("admin:stations_importrecord_change", args=[own_station.last_import_id]) in body


def test_operator_sees_import_without_link(operator_client, own_station):
    body = operator_client.get(change_url(own_station)).content.decode()
    record = own_station.last_import
    assert f"Import station (wizard) at {timezone.localtime(record.created_at):%Y-%m-%d %H:%M}" in body
    assert reverse("admin:stations_importrecord_change", args=[own_station.last_import_id]) not in body


# ---------------------------------------------------------------------------------------- deactivate


def _run_action(client, action, stations, **extra):
    return client.post(
        reverse("admin:stations_station_changelist"),
        {"action": action, "_selected_action": [s.pk for s in stations], **extra},
    )


def test_support_deactivates_active_stations(client, support, tenant, operator, own_station):
    inactive = factories.make_station(tenant, station_id="NC-IDLE")
    _activate(own_station, operator)
    client.force_login(support)
    # First a confirmation page naming the active stations and their owners; nothing changes yet.
    response = _run_action(client, "deactivate", [own_station, inactive])
    assert response.status_code == 200
    body = response.content.decode()
    assert "Deactivate stations?" in body
    assert re.search(r"<td>NC-1</td>.*<td>olivia</td>", body, re.S)
    assert "NC-IDLE" not in body
    assert "1 selected station not active" in body
    assert 'name="confirm" value="yes"' in body
    own_station.refresh_from_db()
    assert own_station.status == StationStatus.ACTIVE
    assert not LogEntry.objects.exists()

    response = _run_action(client, "deactivate", [own_station, inactive], confirm="yes")
    assert response.status_code == 302
    messages = [str(m) for m in client.get(response.url).context["messages"]]
    assert messages == [
        "1 station deactivated: they can be overridden by an import again. 1 not active, left unchanged."
    ]
    own_station.refresh_from_db()
    assert own_station.status == StationStatus.INACTIVE
    assert own_station.deactivated_by == support
    assert own_station.deactivated_at is not None
    assert own_station.activated_by is None
    assert own_station.previous_owner == operator
    inactive.refresh_from_db()
    assert inactive.deactivated_at is None
    entry = LogEntry.objects.get(object_id=str(own_station.pk))
    assert "owned by olivia" in entry.get_change_message()


def test_operator_cannot_deactivate(operator_client, own_station, operator):
    _activate(own_station, operator)
    body = operator_client.get(reverse("admin:stations_station_changelist")).content.decode()
    assert 'value="deactivate"' not in body
    _run_action(operator_client, "deactivate", [own_station])
    own_station.refresh_from_db()
    assert own_station.status == StationStatus.ACTIVE


def test_operator_delete_action_spares_other_tenant(operator_client, own_station, other_station):
    _run_action(operator_client, "delete_selected", [own_station, other_station], post="yes")
    assert not Station.objects.filter(pk=own_station.pk).exists()
    assert Station.objects.filter(pk=other_station.pk).exists()


def test_deactivate_service_touches_only_active_stations_of_the_queryset(
    tenant, operator, support, own_station
):
    from stations import services

    idle = factories.make_station(tenant, station_id="NC-IDLE")
    other = factories.make_station(tenant, station_id="NC-OTHER")
    _activate(own_station, operator)
    _activate(other, operator)
    queryset = Station.objects.filter(pk__in=[own_station.pk, idle.pk])
    deactivated = services.stations_deactivate(user=support, queryset=queryset)
    assert [station.pk for station in deactivated] == [own_station.pk]
    assert deactivated[0].activated_by == operator  # as it was, for the caller's log
    statuses = dict(Station.objects.values_list("station_id", "status"))
    assert statuses == {"NC-1": "inactive", "NC-IDLE": "inactive", "NC-OTHER": "active"}


def test_deactivated_station_can_be_overridden_by_csv(client, support, tenant, operator, own_station):
    csv_import = pytest.importorskip(
        "stations.csv_import", reason="the CSV engine (branch csv) is not merged yet"
    )
    from stations import services
    from stations.choices import ImportSource
    from stations.csv_export import export_lines

    _activate(own_station, operator)
    client.force_login(support)
    _run_action(client, "deactivate", [own_station], confirm="yes")
    data = (
        "".join(export_lines(Station.objects.filter(pk=own_station.pk), bom=False))
        .replace("Alfen", "Zaptec")
        .encode()
    )
    plan = csv_import.parse(data, tenant=tenant)
    assert plan.ok, [(e.row, e.column, e.code) for e in plan.errors]
    result = services.stations_import(tenant=tenant, user=operator, plan=plan, source=ImportSource.UPLOAD)
    assert result.stations_overridden == 1
    assert Station.objects.get(station_id="NC-1").manufacturer == "Zaptec"


# ----------------------------------------------------------------------- review fixes (dates, rows, delete)


def test_change_page_writes_moments_like_the_list_in_local_time(operator_client, own_station, operator):
    moment = datetime(2026, 11, 25, 18, 38, tzinfo=UTC)  # 19:38 Amsterdam
    Station.objects.filter(pk=own_station.pk).update(
        created_at=moment,
        updated_at=moment,
        status=StationStatus.ACTIVE,
        activated_by=operator,
        activated_at=moment,
    )
    ImportRecord.objects.filter(pk=own_station.last_import_id).update(created_at=moment)

    list_body = operator_client.get(reverse("admin:stations_station_changelist")).content.decode()
    assert "2026-11-25 19:38" in list_body
    body = operator_client.get(change_url(own_station)).content.decode()
    for label in ("Imported at", "Updated at", "Activated at"):
        assert re.search(
            rf"<label>{label}:</label>\s*<div class=\"readonly\">2026-11-25 19:38</div>", body
        ), label
    assert "Import station (wizard) at 2026-11-25 19:38" in body
    assert "18:38" not in body
    assert "p.m." not in body


def test_missing_values_are_a_dash_on_the_change_page(operator_client, own_station):
    body = operator_client.get(change_url(own_station)).content.decode()
    for label in ("Owner", "Activated at", "Deactivated by"):
        assert re.search(rf"<label>{label}:</label>\s*<div class=\"readonly\">–</div>", body), label
    # The blank specification row has no power yet.
    assert re.search(r'<td class="field-power">\s*<p>–</p>', body)
    assert ">None<" not in body


def test_ethernet_advice_is_shown_once(operator_client, own_station):
    body = operator_client.get(change_url(own_station)).content.decode()
    assert body.count("Ethernet") == 1
    assert "Stations connected by Ethernet cable choose Wi-Fi: both work on a local network." in body


def test_inactive_station_offers_one_blank_specification_row(operator_client, own_station, operator):
    formset = operator_client.get(change_url(own_station)).context["inline_admin_formsets"][0].formset
    assert (formset.initial_form_count(), formset.total_form_count()) == (2, 3)
    assert not formset.forms[2].initial.get("position")

    _activate(own_station, operator)
    formset = operator_client.get(change_url(own_station)).context["inline_admin_formsets"][0].formset
    assert (formset.initial_form_count(), formset.total_form_count()) == (2, 2)


def _with_blank_row(station, rows=None, blank=None):
    """The change form as a browser without JavaScript sends it: the specifications and one extra row."""
    specs = rows or [(spec.pk, _values(spec), False) for spec in station.connector_specs.order_by("position")]
    return _change_data(station, [*specs, (None, blank or {}, False)])


def test_blank_row_left_empty_is_ignored(operator_client, own_station):
    before = _spec_rows(own_station)
    response = operator_client.post(change_url(own_station), _with_blank_row(own_station))
    assert response.status_code == 302
    assert _spec_rows(own_station) == before


def test_blank_row_filled_in_adds_a_specification(operator_client, own_station):
    blank = {**factories.spec_data(voltage=240), "position": 3}
    response = operator_client.post(change_url(own_station), _with_blank_row(own_station, blank=blank))
    assert response.status_code == 302
    assert _spec_rows(own_station) == [
        (1, "IEC_62196_T2", 230),
        (2, "CHADEMO", 500),
        (3, "IEC_62196_T2", 240),
    ]


def test_blank_row_filled_in_still_obeys_the_positions_rule(operator_client, own_station):
    before = _spec_rows(own_station)
    blank = {**factories.spec_data(voltage=240), "position": 4}
    response = operator_client.post(change_url(own_station), _with_blank_row(own_station, blank=blank))
    assert response.status_code == 200
    assert "positions_not_sequential" in _formset_error_codes(response)
    assert _spec_rows(own_station) == before


def test_operator_cannot_delete_an_active_station(operator_client, own_station, operator):
    _activate(own_station, operator)
    delete_url = reverse("admin:stations_station_delete", args=[own_station.pk])
    assert 'class="deletelink"' not in operator_client.get(change_url(own_station)).content.decode()
    assert operator_client.get(delete_url).status_code == 403
    confirmed = {"post": "yes", "version": own_station.version}
    assert operator_client.post(delete_url, confirmed).status_code == 403
    response = _run_action(operator_client, "delete_selected", [own_station], post="yes")
    assert response.status_code == 302
    assert Station.objects.filter(pk=own_station.pk).exists()
    [message] = [str(m) for m in operator_client.get(response.url).context["messages"]]
    assert message == "NC-1 is active; only support staff can delete active stations."


def test_operator_bulk_delete_leaves_active_stations_out_and_says_why(
    operator_client, own_station, operator, tenant
):
    idle = factories.make_station(tenant, station_id="NC-IDLE")
    _activate(own_station, operator)
    response = _run_action(operator_client, "delete_selected", [own_station, idle])
    assert response.status_code == 200
    body = response.content.decode()
    assert "NC-1 is active; only support staff can delete active stations." in body
    assert "would result in deleting related objects" not in body
    assert f'name="_selected_action" value="{idle.pk}"' in body
    assert f'name="_selected_action" value="{own_station.pk}"' not in body
    response = _run_action(operator_client, "delete_selected", [idle], post="yes")
    assert response.status_code == 302
    assert list(Station.objects.values_list("station_id", flat=True)) == ["NC-1"]


def test_operator_still_deletes_an_inactive_station(operator_client, own_station):
    delete_url = reverse("admin:stations_station_delete", args=[own_station.pk])
    assert 'class="deletelink"' in operator_client.get(change_url(own_station)).content.decode()
    confirmed = {"post": "yes", "version": own_station.version}
    assert operator_client.post(delete_url, confirmed).status_code == 302
    assert not Station.objects.filter(pk=own_station.pk).exists()


def test_support_deletes_an_active_station(client, support, own_station, operator):
    _activate(own_station, operator)
    client.force_login(support)
    delete_url = reverse("admin:stations_station_delete", args=[own_station.pk])
    assert client.post(delete_url, {"post": "yes", "version": own_station.version}).status_code == 302
    assert not Station.objects.filter(pk=own_station.pk).exists()


# ---------------------------------------------------------------------------------------- review fixes 2


def test_deactivated_station_shows_its_previous_owner(client, support, operator, own_station):
    _activate(own_station, operator)
    client.force_login(support)
    _run_action(client, "deactivate", [own_station], confirm="yes")
    body = client.get(change_url(own_station)).content.decode()
    assert re.search(r"<label>Previous owner:</label>\s*<div class=\"readonly\">(<a [^>]+>)?olivia<", body)


def test_refused_values_show_no_power_nor_warning(operator_client, own_station):
    first, second = own_station.connector_specs.order_by("position")
    rows = [
        (first.pk, {**_values(first), "power_type": "AC_3_PHASE", "voltage": 1001}, False),
        (second.pk, {**_values(second), "voltage": 50, "amperage": 96}, False),
    ]
    before = _spec_rows(own_station)
    response = operator_client.post(change_url(own_station), _change_data(own_station, rows))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("Enter whole volts from 110 to 1000.") == 2
    assert "48.05 kW" not in body
    assert "578 V" not in body
    assert "4.8 kW" not in body
    assert "looks like line-to-line voltage" not in body
    # The saved specification's power (3 × 230 V × 16 A), not the refused one's (3 × 1001 V × 16 A).
    assert re.search(r'<td class="field-power">\s*<p>11.04 kW</p>', body)
    formset = response.context["inline_admin_formsets"][0].formset
    assert [(form.instance.voltage, form.instance.power_type) for form in formset.forms[:2]] == [
        (first.voltage, first.power_type),
        (second.voltage, second.power_type),
    ]
    assert _spec_rows(own_station) == before


def test_specification_inputs_carry_the_rules_limits_and_standards_by_label(operator_client, own_station):
    response = operator_client.get(change_url(own_station))
    form = response.context["inline_admin_formsets"][0].formset.forms[0]
    attrs = form["voltage"].field.widget.attrs
    assert (attrs["min"], attrs["max"]) == (110, 1000)
    body = response.content.decode()
    assert re.search(r'name="connector_specs-0-voltage"[^>]*min="110"', body)
    assert re.search(r'name="connector_specs-0-amperage"[^>]*max="500"', body)
    labels = [label for value, label in form.fields["standard"].choices if value]
    assert labels == sorted(labels, key=str.casefold)


def test_add_another_is_written_in_lower_case(operator_client, own_station):
    body = operator_client.get(change_url(own_station)).content.decode()
    assert "Add another connector specification" in body
    assert "Add another Connector specification" not in body


def test_import_records_use_the_one_date_format(client, support, own_station):
    moment = datetime(2026, 11, 25, 19, 15, tzinfo=UTC)  # 20:15 Amsterdam
    ImportRecord.objects.filter(pk=own_station.last_import_id).update(created_at=moment)
    client.force_login(support)
    for url in (
        reverse("admin:stations_importrecord_changelist"),
        reverse("admin:stations_importrecord_change", args=[own_station.last_import_id]),
    ):
        body = client.get(url).content.decode()
        assert "2026-11-25 20:15" in body, url
        assert "p.m." not in body, url


# The line-voltage warning on the list, the wizard's Save message (issue 12) -----------------------------


LIST_URL = reverse("admin:stations_station_changelist")


def test_line_voltage_filter_and_marker_follow_the_rule(operator_client, tenant, operator):
    from stations import rules

    highest = rules.HIGHEST_PHASE_VOLTAGE
    cases = {  # Station ID: (power type, voltage) of its one specification
        "LV-LINE": ("AC_3_PHASE", highest + 1),
        "LV-PHASE": ("AC_3_PHASE", highest),
        "LV-SINGLE": ("AC_1_PHASE", highest + 1),
    }
    for station_id, (power_type, voltage) in cases.items():
        factories.make_station(
            tenant,
            operator,
            station_id=station_id,
            specs=[factories.spec_data(power_type=power_type, voltage=voltage)],
        )
    warned = {sid for sid, (kind, volts) in cases.items() if rules.line_voltage_warning(kind, volts)}
    assert warned == {"LV-LINE"}

    def listed(query):
        response = operator_client.get(LIST_URL, query)
        return {
            station.station_id for station in response.context["cl"].result_list
        }, response.content.decode()

    with_warning, body = listed({"line_voltage_warning": "yes"})
    assert with_warning == warned
    assert body.count('class="line-voltage-flag"') == 1
    without, _ = listed({"line_voltage_warning": "no"})
    assert without == set(cases) - warned
    everything, body = listed({})
    assert everything == set(cases)
    assert body.count('class="line-voltage-flag"') == 1
    assert "Line-voltage warning" in body


def test_change_page_mapping_marks_the_line_voltage_warning(operator_client, tenant, operator):
    station = factories.make_station(
        tenant, operator, station_id="LV-1", specs=[factories.spec_data(voltage=400)]
    )
    body = operator_client.get(change_url(station)).content.decode()
    assert 'data-testid="mapping-line-voltage"' in body
    assert "enter 230 V instead" in body
    plain = factories.make_station(tenant, operator, station_id="LV-2")
    assert 'data-testid="mapping-line-voltage"' not in operator_client.get(change_url(plain)).content.decode()


def test_admin_selects_say_choose_not_dashes(operator_client, own_station):
    for url in (change_url(own_station), LIST_URL):
        body = operator_client.get(url).content.decode()
        assert "---------" not in body
        assert ">Choose…</option>" in body


def test_wizard_save_lands_on_the_station_with_the_next_import_links(operator_client):
    from tests.test_wizard import DC, URL, connectors_data, details_data, overview_data, spec

    operator_client.post(URL, details_data())
    operator_client.post(URL, connectors_data(spec(), DC))
    response = operator_client.post(URL, overview_data(), follow=True)
    station = Station.objects.get()
    assert response.redirect_chain[-1][0] == change_url(station)
    body = response.content.decode()
    assert "Station ST-100 imported. It is ready to be activated." in body
    links = re.search(r'<span class="next-import"[^>]*>(.*?)</span>', body, re.S).group(1)
    assert f'href="{reverse("stations:import")}">Import another station</a>' in links
    assert f'href="{reverse("stations:upload")}">Upload stations</a>' in links
    # Only after the wizard's Save: the next visit of the station shows no such links.
    assert 'class="next-import"' not in operator_client.get(change_url(station)).content.decode()


def test_admin_pages_carry_the_product_name_and_navigation(operator_client, own_station):
    body = operator_client.get(LIST_URL).content.decode()
    assert "Station management" not in body
    assert "· Station import</title>" in body
    assert 'aria-label="Main navigation"' in body
    for label in ("Dashboard", "Import station", "Upload stations", "Stations", "Activate"):
        assert f">{label}</a>" in body
    # One toggle and one colour-mode script: the product's, not Django's own as well.
    assert body.count("theme-toggle") == 1
    assert "admin/js/theme.js" not in body
    assert "stations/theme.js" in body
