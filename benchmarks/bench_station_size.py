"""Cost of oversized stations (SPEC §1 "at most 64 connector specifications", issue 11).

Through Django's test client (in process) against a throw-away SQLite file (PostgreSQL when DATABASE_URL
points at it), prints the CPU time and status of: wizard connectors posts of 64 and 1,000 items and one
announcing 2,000 (``TOTAL_FORMS`` only, the attack's form), the
admin change page and save of a 64-specification station, and an admin save of a 150-specification
station (written directly, as data from before the limit). Goal: the 2,000-item post answered within
what 64 items cost, and the 150-specification save answered by the form (200), not a bare 400.

    python benchmarks/bench_station_size.py [--repeat 5]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

WIZARD = reverse("stations:import")
PREFIX = "station_import_wizard_view"
SPEC = {"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE", "voltage": "230"}


def wizard_connectors(count: int) -> dict:
    data = {
        f"{PREFIX}-current_step": "connectors",
        "connectors-TOTAL_FORMS": str(count),
        "connectors-INITIAL_FORMS": "0",
        "connectors-MIN_NUM_FORMS": "0",
        "connectors-MAX_NUM_FORMS": "1000",
    }
    for index in range(count):
        for name, value in {**SPEC, "amperage": "16"}.items():
            data[f"connectors-{index}-{name}"] = value
    return data


def admin_change_data(station) -> dict:
    specs = list(station.connector_specs.order_by("position"))
    data = {
        "station_id": station.station_id,
        "security_code": station.security_code,
        "manufacturer": station.manufacturer,
        "wifi_supported": "on",
        "connector_specs-TOTAL_FORMS": len(specs),
        "connector_specs-INITIAL_FORMS": len(specs),
        "connector_specs-MIN_NUM_FORMS": 1,
        "connector_specs-MAX_NUM_FORMS": 1000,
    }
    for index, spec in enumerate(specs):
        prefix = f"connector_specs-{index}-"
        data.update({prefix + "id": spec.pk, prefix + "station": station.pk})
        data[prefix + "position"] = spec.position
        data.update({prefix + name: getattr(spec, name) for name in (*SPEC, "amperage")})
    return data


def timed(repeat: int, call) -> tuple[float, int]:
    timings, status = [], None
    for _ in range(repeat):
        started = time.process_time()
        status = call().status_code
        timings.append((time.process_time() - started) * 1000)
    return statistics.median(timings), status


def station_with_specs(tenant, operator, count: int, station_id: str):
    from stations.models import ConnectorSpec
    from tests import factories

    station = factories.make_station(tenant, operator, station_id=station_id)
    ConnectorSpec.objects.bulk_create(
        ConnectorSpec(station=station, position=n, **factories.spec_data()) for n in range(2, count + 1)
    )
    return station


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(tempfile.mkdtemp()) / "bench_size.sqlite3")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from tests import factories

        tenant = factories.make_tenant("bench")
        operator = factories.make_operator(tenant, "bench-operator")
        client = Client()
        client.force_login(operator)
        client.post(WIZARD, {f"{PREFIX}-current_step": "details", **factories_details()})
        rows = []
        announced = {**wizard_connectors(1), "connectors-TOTAL_FORMS": "2000"}
        posts = [
            ("wizard post of 64 items", wizard_connectors(64)),
            ("wizard post of 1,000 items", wizard_connectors(1000)),
            ("wizard post announcing 2,000", announced),
        ]
        for label, data in posts:
            rows.append((label, *timed(args.repeat, lambda d=data: client.post(WIZARD, d))))
        for count in (64, 150):
            station = station_with_specs(tenant, operator, count, f"SIZE-{count}")
            url = reverse("admin:stations_station_change", args=[station.pk])
            data = admin_change_data(station)
            rows.append((f"admin page, {count} specs", *timed(args.repeat, lambda u=url: client.get(u))))
            rows.append((f"admin save, {count} specs", *timed(1, lambda u=url, d=data: client.post(u, d))))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"Station size on {connection.vendor}, CPU ms (median of {args.repeat}; a save once)")
    for label, ms, status in rows:
        print(f"{label:<28} {ms:>9.1f} ms  HTTP {status}")


def factories_details() -> dict:
    return {
        "details-station_id": "SIZE-W",
        "details-security_code": "K7P2-93QX",
        "details-manufacturer": "Alfen",
        "details-wifi_supported": "on",
    }


if __name__ == "__main__":
    main()
