"""Server time of the upload and Imports pages (SPEC §3, §7, issue 12), rendering included.

Requests go through Django's test client (in process, no network) against a throw-away SQLite database
file (PostgreSQL when DATABASE_URL points at it: the script creates and drops ``test_<name>``). Printed
per request: the median CPU time of the process (client, view, template and database all run in it: on a
shared machine this is steadier than wall time), the median wall time, the query count and the size of
the HTML. Goals on the 2-core machine, SQLite: at most 300 ms each, except a 5,000-row check, import or
Import these stations (at most 1 s including rendering).

    python benchmarks/bench_pages.py [--repeat 5]
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

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from benchmarks.csv_files import realistic_csv  # noqa: E402

GOAL_MS = 300
LARGE_GOAL_MS = 1000
LARGE_ROWS = 5000
SMALL_ROWS = 10
RECORDS = 1000
UPLOAD = reverse("stations:upload")


def measure(label, goal, repeat, request, status):
    """``request(round)``, ``repeat`` times after a warm-up: label, goal, CPU and wall ms, queries, size."""
    cpu, wall, queries, size = [], [], set(), 0
    for round_number in range(repeat + 1):
        with CaptureQueriesContext(connection) as captured:
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            response = request(round_number)
            elapsed_cpu, elapsed_wall = time.process_time() - started_cpu, time.perf_counter() - started_wall
        assert response.status_code == status, (label, response.status_code)
        if round_number:
            cpu.append(elapsed_cpu * 1000)
            wall.append(elapsed_wall * 1000)
            queries.add(len(captured))
            size = len(response.content)
    return label, goal, statistics.median(cpu), statistics.median(wall), queries, size


def upload(client, data, **fields):
    return client.post(UPLOAD, {"file": SimpleUploadedFile("stations.csv", data, "text/csv"), **fields})


def run(repeat: int) -> list:
    from stations.choices import ImportSource
    from stations.models import ImportRecord
    from tests import factories

    tenant = factories.make_tenant("bench")
    operator = factories.make_operator(tenant, "bench-operator")
    client = Client()
    client.force_login(operator)
    # Every round imports new Station IDs, so that each import creates its stations as a first one does.
    files = {
        (rows, n): realistic_csv(rows, seed=n, prefix=f"B{rows}-{n}")
        for rows in (SMALL_ROWS, LARGE_ROWS)
        for n in range(2 * (repeat + 1))
    }

    bad_files = [realistic_csv(LARGE_ROWS, bad_fraction=0.2, seed=n) for n in range(repeat + 1)]

    def checked(rows, n):
        assert upload(client, files[rows, n], check_only="on").status_code == 200
        return (
            ImportRecord.objects.filter(tenant=tenant, dry_run=True)
            .order_by("-pk")
            .values_list("pk", flat=True)[0]
        )

    results = [
        measure("upload page GET", GOAL_MS, repeat, lambda n: client.get(UPLOAD), 200),
        measure(
            f"check only, {LARGE_ROWS:,} rows",
            LARGE_GOAL_MS,
            repeat,
            lambda n: upload(client, files[LARGE_ROWS, n], check_only="on"),
            200,
        ),
        measure(
            f"check only, {LARGE_ROWS:,} rows, 20 % bad",
            LARGE_GOAL_MS,
            repeat,
            lambda n: upload(client, bad_files[n], check_only="on"),
            422,
        ),
        measure(
            f"import, {LARGE_ROWS:,} rows",
            LARGE_GOAL_MS,
            repeat,
            lambda n: upload(client, files[LARGE_ROWS, n]),
            200,
        ),
    ]
    for rows, goal in ((SMALL_ROWS, GOAL_MS), (LARGE_ROWS, LARGE_GOAL_MS)):
        # The checks are made beforehand: only the click is timed.
        pks = [checked(rows, repeat + 1 + n) for n in range(repeat + 1)]
        urls = [reverse("stations:import_checked", kwargs={"pk": pk}) for pk in pks]
        results.append(
            measure(
                f"Import these stations, {rows:,} rows",
                goal,
                repeat,
                lambda n, urls=urls: client.post(urls[n]),
                200,
            )
        )
    last = ImportRecord.objects.filter(tenant=tenant, dry_run=False).first()
    results.append(
        measure(
            f"import page, {LARGE_ROWS:,}-row import",
            GOAL_MS,
            repeat,
            lambda n: client.get(reverse("stations:import_detail", kwargs={"pk": last.pk})),
            200,
        )
    )
    ImportRecord.objects.bulk_create(
        ImportRecord(tenant=tenant, user=operator, source=ImportSource.UPLOAD, file_name=f"file-{n}.csv")
        for n in range(RECORDS - ImportRecord.objects.count())
    )
    assert ImportRecord.objects.count() == RECORDS
    imports = reverse("stations:imports")
    results.append(
        measure(f"Imports list, {RECORDS:,} records", GOAL_MS, repeat, lambda n: client.get(imports), 200)
    )
    results.append(
        measure(
            f"Imports list, {RECORDS:,} records, last page",
            GOAL_MS,
            repeat,
            lambda n: client.get(imports, {"page": "last"}),
            200,
        )
    )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    # No setup_test_environment(): its template instrumentation would slow rendering below what a server does.
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(tempfile.mkdtemp()) / "bench_pages.sqlite3")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        results = run(args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"Upload and Imports pages on {connection.vendor}, median of {args.repeat}, rendering included")
    print(f"{'request':<40} {'CPU':>9} {'wall':>9} {'goal':>8} {'queries':>8} {'HTML':>9}")
    over = 0
    for label, goal, cpu, wall, queries, size in results:
        over += cpu > goal
        flag = "" if cpu <= goal else "  OVER"
        counts = "/".join(map(str, sorted(queries)))
        print(f"{label:<40} {cpu:>7.0f}ms {wall:>7.0f}ms {goal:>6}ms {counts:>8} {size / 1024:>7.1f}KB{flag}")
    print(f"over the goal: {over}")


if __name__ == "__main__":
    main()
