"""Check and import of the same 5,000 rows as CSV, .xlsx and .ods, through the whole pipeline
(``csv_import.parse`` and ``services.stations_import``), as the upload page runs them.

Prints, per format and case, the CPU seconds (median of ``BENCH_RUNS``, default 7), the ratio to the CSV
(the median of each round's ratio, the formats taking turns run by run, with the lowest and highest
round, and the ratio of the fastest runs) and the peak memory. Each case is run twice: every run in a new
forked process (peak RSS above its start, which counts calamine's Rust allocations, unlike
tracemalloc), and every run in this process after a first round that is not counted (as a server's
worker runs its second upload and every one after). Goal (issue 10): at most 2× the CSV's CPU time,
under 100 MB. The .xlsx is our writer's (as the template and the export are written), the .ods is that
file saved by LibreOffice (skipped without ``soffice``).

    .venv/bin/python benchmarks/bench_workbook_import.py    # SQLite file in a temporary folder

History (the shared 2-core machine; CPU s, × CSV). Stop 18, quiet: .ods check 2.08–2.17×, .xlsx check
1.58–1.64×. Stop 19 (the .ods scan reads LibreOffice's rows in a few searches and no longer places the
booleans calamine reads itself; numbers and booleans converted without a call per cell; then the scan
hardened against its review: every table, literal prefixes, "<" in attribute values refused…), the code
before and after in the same sittings, median of the rounds (new process / one process):
.ods check 2.18–2.47 / 2.33–2.51× before → 1.68–2.00 / 1.63–1.95× after; .xlsx check 1.58–1.71 /
1.62–1.96× → 1.30–1.73 / 1.28–1.92×; imports 1.1–1.9× before and after; peak 15.9 MB for .ods (it was
22.8 MB while content.xml was kept through the rows), 12.8 MB for .xlsx, 10 MB for CSV. The machine's
load moved single runs by up to ±40 % that day.
"""

import csv
import gc
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_workbook
from django.db import connection
from django.test.utils import setup_test_environment

from benchmarks.csv_files import realistic_csv
from stations import csv_import, services, xlsx
from stations.choices import ImportSource
from stations.csv_format import COLUMNS, format_bool, parse_bool
from stations.models import ConnectorSpec, ImportRecord, Station, Tenant

ROWS = 5000
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def workbook_rows(data: bytes) -> list[list[str]]:
    """The CSV's rows with the booleans as TRUE/FALSE, which the workbook writes as boolean cells."""
    rows = list(csv.reader(io.StringIO(data.decode()), delimiter=";"))[1:]
    booleans = [index for index, column in enumerate(COLUMNS) if column.parse is parse_bool]
    for row in rows:
        for index in booleans:
            row[index] = format_bool(parse_bool(row[index]))
    return rows


def _clear():
    ConnectorSpec.objects.all().delete()
    Station.objects.all().delete()
    ImportRecord.objects.all().delete()


def _run(argument):
    path, dry_run = argument
    # A forked child must not share the parent's database connection.
    connection.close()
    tenant = Tenant.objects.get(slug="bench")
    plan = csv_import.parse(Path(path).read_bytes(), tenant=tenant)
    result = services.stations_import(
        tenant=tenant, user=None, plan=plan, source=ImportSource.COMMAND, file_name=path, dry_run=dry_run
    )
    assert result.ok, result.errors[:3]
    return len(plan.stations)


def _warm(argument) -> tuple[float, float, int]:
    """One run in this process (as a server's worker runs its second upload and every one after)."""
    gc.collect()
    cpu = time.process_time()
    stations = _run(argument)
    return time.process_time() - cpu, 0.0, stations


def figures(files: dict[str, Path], dry_run: bool, cold: bool) -> dict[str, tuple]:
    """Per format: the median CPU seconds, the ratios to the CSV's run of the same round, the ratio of the
    fastest runs (the least disturbed by the shared machine), the largest peak and the stations. The
    formats take turns run by run (csv, xlsx, ods, csv, …), so that the machine's changes of speed hit
    each alike, and each ratio compares runs made one after the other. ``cold``: each run in a new forked
    process (peak memory measured); else in this one, after a first round that is not counted."""
    cpus, peaks, stations = {label: [] for label in files}, {label: [] for label in files}, {}
    for round_ in range(RUNS + (0 if cold else 1)):
        for label, path in files.items():
            _clear()
            connection.close()
            argument = (str(path), dry_run)
            cpu, peak, stations[label] = bench_workbook.measure(_run, argument) if cold else _warm(argument)
            if cold or round_:
                cpus[label].append(cpu)
                peaks[label].append(peak)
    return {
        label: (
            statistics.median(cpus[label]),
            [cpu / csv for cpu, csv in zip(cpus[label], cpus["csv"], strict=True)],
            min(cpus[label]) / min(cpus["csv"]),
            max(peaks[label]),
            stations[label],
        )
        for label in files
    }


def main() -> None:
    setup_test_environment()
    folder = Path(tempfile.mkdtemp(prefix="bench-workbook-import-"))
    connection.settings_dict["TEST"]["NAME"] = str(folder / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        Tenant.objects.create(name="Bench", slug="bench")
        data = realistic_csv(ROWS, seed=ROWS)
        files = {"csv": folder / "stations.csv"}
        files["csv"].write_bytes(data)
        files["xlsx"] = folder / "stations.xlsx"
        with open(files["xlsx"], "wb") as output:
            xlsx.write_rows(workbook_rows(data), output)
        if shutil.which("soffice"):
            sys.path.insert(0, str(bench_workbook.ROOT / "tests" / "data" / "libreoffice"))
            import make

            files["ods"] = folder / "stations.ods"
            make.convert(files["xlsx"], ".ods", files["ods"], profile=str(folder / "profile"))
        else:
            print("soffice missing: no .ods figures")
        print(f"{ROWS:,} rows on {connection.vendor}; CPU s: median of {RUNS} runs; × CSV: median of the")
        print("rounds' ratios (lowest–highest); best: fastest run over the CSV's fastest; peak: RSS above")
        print("the start of a run in a new process, MB")
        heading = ("format", "case", "runs in", "KB", "stations", "CPU s", "× CSV", "range", "best", "peak")
        line = "{:<7}{:<11}{:<12}{:>5}{:>9}{:>7}{:>7}  {:<11}{:>5}{:>6}"
        print(line.format(*heading))
        for case, dry_run in (("check only", True), ("import", False)):
            for cold in (True, False):
                for label, (cpu, ratios, best, peak, stations) in figures(files, dry_run, cold).items():
                    size = f"{files[label].stat().st_size / 1024:.0f}"
                    spread = f"{min(ratios):.2f}–{max(ratios):.2f}"
                    where = "new process" if cold else "one process"
                    ratio = f"{statistics.median(ratios):.2f}"
                    shown = f"{peak:.1f}" if cold else ""
                    print(
                        line.format(
                            label,
                            case,
                            where,
                            size,
                            f"{stations:,}",
                            f"{cpu:.3f}",
                            ratio,
                            spread,
                            f"{best:.2f}",
                            shown,
                        )
                    )
        _clear()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
