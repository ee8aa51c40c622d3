"""stations/bulk.py writes every value as given, on SQLite and PostgreSQL (where the rows travel as one
JSON parameter cast per column): quotes, backslashes, braces, non-ASCII, the text "NULL", None, decimals
and datetimes come back unchanged."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from stations.bulk import insert_rows, update_rows
from stations.choices import StationStatus
from stations.models import ConnectorSpec, Station
from tests import factories

pytestmark = pytest.mark.django_db

AWKWARD = ['Ä "quoted", \\back\\slash', "{brace,comma}", "NULL", "it's ☃ — 𝔘"]


def test_insert_and_update_keep_every_value_as_given():
    tenant = factories.make_tenant("bulk")
    when = timezone.now().replace(microsecond=123456)
    names = ["tenant", "station_id", "security_code", "manufacturer", "article_number", "serial_number"]
    names += ["wifi_supported", "gsm_supported", "status", "created_at", "updated_at", "version"]
    rows = [
        [
            tenant.pk,
            f"BULK-{n}",
            "K7P2-93QX",
            text,
            "" if n else text,
            text,
            True,
            n % 2 == 0,
            StationStatus.INACTIVE,
        ]
        for n, text in enumerate(AWKWARD)
    ]
    rows = [[*row, when, when, 1] for row in rows]
    inserted = dict(
        (station_id, pk) for pk, station_id in insert_rows(Station, names, rows, ["id", "station_id"])
    )
    assert sorted(inserted) == [f"BULK-{n}" for n in range(len(AWKWARD))]
    stored = {s.station_id: s for s in Station.objects.filter(tenant=tenant)}
    for n, text in enumerate(AWKWARD):
        station = stored[f"BULK-{n}"]
        assert (station.manufacturer, station.serial_number) == (text, text)
        assert station.article_number == ("" if n else text)
        assert (station.wifi_supported, station.gsm_supported) == (True, n % 2 == 0)
        assert station.created_at == when
        assert station.pk == inserted[station.station_id]

    specs = [
        [pk, 1, "IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 16, Decimal("7.40")] for pk in inserted.values()
    ]
    specs[0][-1] = None
    fields = ["station", "position", "standard", "format", "power_type", "voltage", "amperage", "max_power"]
    insert_rows(ConnectorSpec, fields, specs)
    powers = sorted(
        ConnectorSpec.objects.filter(station__tenant=tenant).values_list("max_power", flat=True), key=str
    )
    assert powers == sorted([None, *[Decimal("7.40")] * (len(AWKWARD) - 1)], key=str)

    later = when + datetime.timedelta(hours=1)
    first = inserted["BULK-0"]
    update_rows(Station, ["id", "manufacturer"], [[first, AWKWARD[-1]]], {"updated_at": later}, ["version"])
    station = Station.objects.get(pk=first)
    assert (station.manufacturer, station.updated_at, station.version) == (AWKWARD[-1], later, 2)
    assert Station.objects.get(pk=inserted["BULK-1"]).version == 1


def test_insert_sets_the_shared_values_on_every_row():
    tenant = factories.make_tenant("bulk-shared")
    when = timezone.now().replace(microsecond=654321)
    names = ["station_id", "security_code", "manufacturer", "article_number", "serial_number"]
    names += ["wifi_supported", "gsm_supported"]
    rows = [[f"SHARED-{n}", "K7P2-93QX", AWKWARD[n], "", "", True, False] for n in range(len(AWKWARD))]
    same = {"tenant": tenant.pk, "status": StationStatus.INACTIVE, "last_import": None}
    same |= {"created_at": when, "updated_at": when, "version": 3}
    inserted = insert_rows(Station, names, rows, ["id"], same=same)
    stored = Station.objects.filter(tenant=tenant).order_by("station_id")
    assert len(inserted) == len(AWKWARD)
    assert [s.manufacturer for s in stored] == AWKWARD
    for station in stored:
        assert (station.status, station.last_import_id, station.version) == (StationStatus.INACTIVE, None, 3)
        assert (station.created_at, station.updated_at) == (when, when)
