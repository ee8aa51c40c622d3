"""How fast the CSV bulk import is: prints, for 1,000 and 5,000 rows, the median seconds of 5 runs.

    python benchmarks/bench_csv_import.py                      # SQLite (a file in a temporary folder)
    DATABASE_URL=postgres://... python benchmarks/bench_csv_import.py   # PostgreSQL (test_<name> database)

Measured from bytes to committed rows, as the upload page and the command do it: ``csv_import.parse``
plus ``services.stations_import``. "import" creates every station of a realistic file (1, 2 or 3
connectors per station, some optional cells empty); "override" imports the same file again over the
inactive stations it created; "check only" is the dry run; "rejected" is a file with 20 % bad rows.
Queries are counted and peak memory (tracemalloc) measured in separate runs, so they don't slow the timed
ones. The last line is a file at the size limit made of tiny rows, refused at the row limit.
Goal on a 2-core machine, SQLite: import < 0.5 s, check only < 0.25 s, rejected < 0.25 s at 5,000.
"""

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from benchmarks.csv_files import realistic_csv  # noqa: E402
from stations import csv_format, csv_import, services  # noqa: E402
from stations.choices import ImportSource  # noqa: E402
from stations.models import ConnectorSpec, ImportRecord, Station, Tenant  # noqa: E402

RUNS = 5
SIZES = (1000, 5000)


def run_import(data: bytes, tenant, dry_run: bool = False):
    plan = csv_import.parse(data, tenant=tenant)
    return services.stations_import(
        tenant=tenant,
        user=None,
        plan=plan,
        source=ImportSource.COMMAND,
        file_name="bench.csv",
        dry_run=dry_run,
    )


def clear():
    ConnectorSpec.objects.all().delete()
    Station.objects.all().delete()
    ImportRecord.objects.all().delete()


def timed(action, before=None) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``RUNS`` runs (CPU time is steadier on a shared machine;
    on PostgreSQL it leaves out the server's share)."""
    walls, cpus = [], []
    for _ in range(RUNS):
        if before:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus)


def queries(action, before=None) -> int:
    if before:
        before()
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def peak_mib(action, before=None) -> float:
    if before:
        before()
    tracemalloc.start()
    action()
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (1024 * 1024)


def main():
    setup_test_environment()
    folder = tempfile.TemporaryDirectory()
    if connection.vendor == "sqlite":
        # A file like a real run (WAL, IMMEDIATE transactions from settings), not the in-memory test database.
        connection.settings_dict["TEST"]["NAME"] = str(Path(folder.name) / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        tenant = Tenant.objects.create(name="Bench", slug="bench")
        print(f"CSV bulk import on {connection.vendor} ({connection.settings_dict['NAME']}), {RUNS} runs")
        print(
            f"{'rows':>6} {'stations':>8} {'case':<24} {'seconds':>8} {'cpu s':>8} {'parse s':>8} "
            f"{'parse cpu':>9} {'queries':>8} {'peak MiB':>9}  result"
        )
        for size in SIZES:
            good = realistic_csv(size, seed=size)
            bad = realistic_csv(size, bad_fraction=0.2, seed=size, prefix="BAD")
            plan = csv_import.parse(good, tenant=tenant)
            assert plan.ok, plan.errors[:5]
            parse_good = timed(lambda data=good: csv_import.parse(data, tenant=tenant))
            parse_bad = timed(lambda data=bad: csv_import.parse(data, tenant=tenant))

            def create(data=good):
                result = run_import(data, tenant)
                assert result.ok, result.errors[:5]
                assert result.stations_created

            def override(data=good):
                result = run_import(data, tenant)
                assert result.ok, result.errors[:5]
                assert result.stations_overridden

            def check_only(data=good):
                assert run_import(data, tenant, dry_run=True).ok

            def rejected(data=bad):
                assert not run_import(data, tenant).ok

            def fresh_and_imported(data=good):
                clear()
                run_import(data, tenant)

            cases = [
                ("import (create)", create, clear, parse_good, f"{plan.stations_created} created"),
                ("import (override all)", override, fresh_and_imported, parse_good, "all overridden"),
                ("check only", check_only, clear, parse_good, "nothing written"),
                ("rejected (20 % bad rows)", rejected, clear, parse_bad, ""),
            ]
            for name, action, before, (parse_seconds, parse_cpu), note in cases:
                seconds, cpu = timed(action, before)
                count = queries(action, before)
                memory = peak_mib(action, before)
                if name.startswith("rejected"):
                    note = f"{len(csv_import.parse(bad, tenant=tenant).errors)} errors"
                print(
                    f"{size:>6} {len(plan.stations):>8} {name:<24} {seconds:>8.3f} {cpu:>8.3f} "
                    f"{parse_seconds:>8.3f} {parse_cpu:>9.3f} {count:>8} {memory:>9.1f}  {note}"
                )
        # A file at the size limit made of tiny rows: refused at the row limit without reading it all.
        header = ";".join(csv_format.HEADERS).encode() + b"\r\n"
        tiny = header + b"a;b\r\n" * ((csv_import.max_upload_bytes() - len(header)) // 5)
        seconds, cpu = timed(lambda: csv_import.parse(tiny, tenant=tenant))
        memory = peak_mib(lambda: csv_import.parse(tiny, tenant=tenant))
        code = csv_import.parse(tiny, tenant=tenant).errors[0].code
        print(
            f"{'5 MB of tiny rows':>40} {seconds:>8.3f} {cpu:>8.3f} {'':>18} {'':>8} {memory:>9.1f}  {code}"
        )
        clear()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        folder.cleanup()


if __name__ == "__main__":
    main()
