"""How fast the API is: listing 100 stations, and a 5,000-row CSV import through the API compared with the
``import_stations`` command on the same file. Prints median seconds (and CPU seconds) and query counts.

    python benchmarks/bench_api.py                          # SQLite (a file in a temporary folder)
    DATABASE_URL=postgres://... python benchmarks/bench_api.py   # PostgreSQL (test_<name> database)

In process, through Django's test client (no network, no gunicorn), with a real Bearer token, so what is
measured is authentication, throttling, the view, the serializers and the database: what the API adds.
Goals: the list under 100 ms; the import within 1.2 × the command's time. The verdicts use CPU time
(this process's; both import paths do the same database work): on a shared machine the wall-clock time
mostly measures the other processes. Wall time is printed beside it.
"""

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from api.tokens import api_token_create  # noqa: E402
from benchmarks.csv_files import realistic_csv  # noqa: E402
from stations import csv_import, services  # noqa: E402
from stations.choices import ImportSource  # noqa: E402
from stations.models import ConnectorSpec, ImportRecord, Membership, Station, Tenant  # noqa: E402

LIST_RUNS = 30
IMPORT_RUNS = 5
IMPORT_ROWS = 5000


def clear():
    ConnectorSpec.objects.all().delete()
    Station.objects.all().delete()
    ImportRecord.objects.all().delete()


def timed(action, before=None, runs=IMPORT_RUNS) -> tuple[float, float]:
    """Median wall and CPU seconds of ``runs`` runs (``before`` runs untimed before each)."""
    wall, cpu = [], []
    for _ in range(runs):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def query_count(action, before=None) -> int:
    if before:
        before()
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def main():
    setup_test_environment()
    folder = tempfile.TemporaryDirectory()
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(folder.name) / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("createcachetable", verbosity=0)
        tenant = Tenant.objects.create(name="Bench", slug="bench")
        user = get_user_model().objects.create_user("bench", password="bench-password", is_staff=True)
        user.groups.add(Group.objects.get(name="Operators"))
        Membership.objects.create(user=user, tenant=tenant)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='bench')[1]}")
        print(f"API on {connection.vendor} ({connection.settings_dict['NAME']})")

        # Listing: 1,000 stations with 1-3 specifications each in the tenant, one page of 100.
        seed = realistic_csv(2000, seed=7, prefix="LIST")
        plan = csv_import.parse(seed, tenant=tenant)
        services.stations_import(tenant=tenant, user=user, plan=plan, source=ImportSource.COMMAND)

        def list_page():
            response = client.get("/api/v1/stations/", {"page_size": 100})
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["results"]) == 100

        list_page()  # warm up (imports, first connection)
        # Untimed before each run: the throttle's history would otherwise grow over the runs.
        wall, cpu = timed(list_page, cache.clear, runs=LIST_RUNS)
        queries = query_count(list_page, cache.clear)
        verdict = "ok" if cpu < 0.1 else "SLOWER THAN GOAL"
        print(
            f"GET /api/v1/stations/ (100 of {Station.objects.count():,} stations): "
            f"{wall * 1000:.1f} ms median (CPU {cpu * 1000:.1f} ms), {queries} queries; "
            f"goal < 100 ms (CPU): {verdict}"
        )

        # Import: the same 5,000-row file, by the command and by the API, into an empty tenant each time.
        clear()
        data = realistic_csv(IMPORT_ROWS, seed=IMPORT_ROWS)
        path = Path(folder.name) / "stations.csv"
        path.write_bytes(data)

        def by_command():
            call_command("import_stations", str(path), tenant="bench", stdout=io.StringIO())

        def by_api():
            response = client.post("/api/v1/imports/?file_name=stations.csv", data, content_type="text/csv")
            assert response.status_code == 201, response.content[:300]

        # Side by side, run after run, so that the load of a shared machine falls on both alike.
        samples = {"command": ([], []), "API": ([], [])}
        for _ in range(IMPORT_RUNS):
            for name, action in (("command", by_command), ("API", by_api)):
                clear()
                cache.clear()
                start, start_cpu = time.perf_counter(), time.process_time()
                action()
                samples[name][0].append(time.perf_counter() - start)
                samples[name][1].append(time.process_time() - start_cpu)
        stations = Station.objects.count()
        (command_wall, command_cpu), (api_wall, api_cpu) = (
            (statistics.median(wall), statistics.median(cpu)) for wall, cpu in samples.values()
        )
        ratio = api_cpu / command_cpu
        verdict = "ok" if ratio <= 1.2 else "SLOWER THAN GOAL"
        print(
            f"{IMPORT_ROWS:,}-row import ({stations:,} stations), median of {IMPORT_RUNS}: command "
            f"{command_wall:.3f} s (CPU {command_cpu:.3f}), API {api_wall:.3f} s (CPU {api_cpu:.3f}); "
            f"API / command: CPU {ratio:.2f} ×, wall {api_wall / command_wall:.2f} ×; "
            f"goal ≤ 1.2 × (CPU): {verdict}"
        )
        clear()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        folder.cleanup()


if __name__ == "__main__":
    main()
