"""Speed of the station management overview at 100,000 stations (SPEC §4, issue 5).

Seeds 100,000 stations with 200,000 connector specifications in bulk into a throw-away test database,
then prints the median time and the query count of the list page, a filtered list and a search, as an
operator (one tenant holds all 100,000) and as support staff. SQLite by default; PostgreSQL when
DATABASE_URL points at it (the script creates and drops ``test_<name>``). Goal: each under 300 ms.

    python benchmarks/bench_admin.py [--stations 100000] [--repeat 7]
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
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from benchmarks.samples import MANUFACTURERS, SPEC_KINDS  # noqa: E402

GOAL_MS = 300
BATCH = 5000


def seed(station_count: int):
    from stations.models import ConnectorSpec, Station
    from tests import factories

    tenant = factories.make_tenant("bench-north", "Bench North")
    other = factories.make_tenant("bench-south", "Bench South")
    operator = factories.make_operator(tenant, "bench-operator")
    support = factories.make_support("bench-support")
    started = time.perf_counter()
    for start in range(0, station_count, BATCH):
        stations = Station.objects.bulk_create(
            Station(
                tenant=tenant if n % 100 else other,
                station_id=f"ST{n:07d}",
                security_code=f"CODE-{n:07d}",
                manufacturer=MANUFACTURERS[n % len(MANUFACTURERS)],
                article_number=f"ART-{n % 500:04d}",
                serial_number=f"SN{n:09d}",
                wifi_supported=n % 3 != 0,
                gsm_supported=n % 3 != 1,
                status="active" if n % 10 == 0 else "inactive",
            )
            for n in range(start, min(start + BATCH, station_count))
        )
        ConnectorSpec.objects.bulk_create(
            ConnectorSpec(
                station=station, position=position, **SPEC_KINDS[(station.pk + position) % len(SPEC_KINDS)]
            )
            for station in stations
            for position in (1, 2)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    stations, specs = Station.objects.count(), ConnectorSpec.objects.count()
    print(f"seeded {stations:,} stations, {specs:,} specs in {seconds:.1f} s")
    return operator, support


def measure(client: Client, url: str, repeat: int):
    client.get(url)  # warm caches (templates, permissions)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries), queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--show-sql", action="store_true", help="print the queries of each page")
    args = parser.parse_args()

    setup_test_environment()
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        # A file, as in production, not the test runner's in-memory database.
        settings_dict.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    old_name = settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        operator, support = seed(args.stations)
        pages = {
            "list page": "/admin/stations/station/",
            "list page 50": "/admin/stations/station/?p=50",
            "filtered list": "/admin/stations/station/?status__exact=inactive&power_type=DC"
            "&manufacturer=Zaptec",
            "search": "/admin/stations/station/?q=SN000004242",
            "search partial": "/admin/stations/station/?q=ST00042",
        }
        print(f"database: {connection.vendor}, goal: median < {GOAL_MS} ms, fixed query count")
        print(f"{'who':<9} {'page':<15} {'median ms':>10} {'queries':>8}")
        worst = 0.0
        for who, user in (("operator", operator), ("support", support)):
            client = Client()
            client.force_login(user)
            for name, url in pages.items():
                median, count, queries = measure(client, url, args.repeat)
                worst = max(worst, median)
                flag = "" if median < GOAL_MS else "  (over goal)"
                print(f"{who:<9} {name:<15} {median:>10.1f} {count:>8}{flag}")
                if args.show_sql:
                    for query in queries.captured_queries:
                        print(f"    {query['time']}s {query['sql'][:300]}")
        print(f"worst median: {worst:.1f} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
