"""Check and import of the same 5,000 rows as CSV, .xlsx and .ods, through the whole pipeline
(``csv_import.parse`` and ``services.stations_import``), as the upload page runs them.

Prints, per format, the CPU seconds (median of 3 runs) and the peak memory above the process's
resident size before the run (RSS, which counts calamine's Rust allocations, unlike tracemalloc), each
run in its own forked process; and the ratio to CSV. Goal (issue 10): at most 2× the CSV's CPU time,
under 100 MB. The .xlsx is our writer's (as the template and the export are written), the .ods is that
file saved by LibreOffice (skipped without ``soffice``).

    .venv/bin/python benchmarks/bench_workbook_import.py    # SQLite file in a temporary folder

Measured 2026-12-02 on the shared 2-core machine (SQLite; CPU s, × CSV, peak MB), before the .ods scan
was rewritten: check only: CSV 0.215, xlsx 0.287 (1.33×), ods 0.452 (2.11×); import: CSV 0.310, xlsx
0.388 (1.25×), ods 0.576 (1.86×); peak 10–17 MB for every format. The .ods's extra half was the scan of
content.xml for the cell types calamine hides (ElementTree's iterparse, 0.29 s of the .ods's read;
lxml's iterparse took as long: building a Python object per cell, not the parsing, is the cost).

After (regular expressions over the row and cell tags, text cells taken without a call per cell), the
same sitting, old and new code interleaved, median of 7 runs each, two rounds (old → new):
check only: CSV 0.135/0.140 → 0.139/0.127, xlsx 0.374/0.364 → 0.356/0.309,
ods 0.541/0.521 → 0.549/0.608; import: CSV 0.452/0.289 → 0.400/0.445, xlsx 0.528/0.507 →
0.627/0.511, ods 0.827/0.627 → 0.596/0.524; peak 16 MB for .ods (content.xml is read whole, 8 MB).
The machine was loaded (load average 2.5–4.7 on 2 cores): whole-pipeline figures moved by ±30 % between
rounds. Reading the .ods alone (``workbook.read(...).rows()``, forked, median of 7, three rounds):
0.421/0.403/0.435 s → 0.282/0.338/0.241 s; in one process the scan is 0.29 → 0.15 s.
A third round (old → new): check only CSV 0.173 → 0.131, xlsx 0.516 → 0.374, ods 0.576 → 0.446;
import CSV 0.355 → 0.322, xlsx 0.567 → 0.534, ods 0.607 → 0.764.

Stop 18 (the .xlsx extent guard by one search when every cell has the usual shape, the .ods scan row by
row, numbers written out once, and issue 13's paused garbage collector), quiet machine, three rounds
alternating with the code before, CPU s (× CSV): check only CSV 0.099–0.188 → 0.101–0.115;
xlsx 0.246–0.340 (1.81–2.48×) → 0.165–0.182 (1.58–1.64×); ods 0.373–0.562 (2.99–3.81×) → 0.216–0.240
(2.08–2.17×); import xlsx 1.40–1.49× → 1.39–1.45×, ods 1.21–2.10× → 1.63–1.75×; peak 8–17 MB. The .ods
check is still over 2×: of its read (~0.15 s in one process) the scan for typed cells is ~0.07 s (10,000
boolean cells placed one by one), calamine ~0.04 s, the row loop ~0.03 s.
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
