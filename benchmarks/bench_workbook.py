"""Workbook reading and writing: python-calamine vs openpyxl (read-only) on 5,000 rows, and the export.

Prints CPU time and peak memory. "calamine (library)" and "openpyxl read-only" only iterate the cells
(the library choice); "stations.workbook" is the whole reader: calamine, the XML scan for the cell types
calamine hides and the extent check, and the conversion to cell text.

Each measurement runs in its own forked process, so that peak RSS (which counts calamine's Rust
allocations, unlike tracemalloc) belongs to that measurement alone; the figure given is the peak minus
the process's RSS before it started.

    .venv/bin/python benchmarks/bench_workbook.py
"""

import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import python_calamine  # noqa: E402

from stations import workbook, xlsx  # noqa: E402
from stations.csv_format import station_row  # noqa: E402

READ_ROWS = 5000
EXPORT_STATIONS = 100_000


def _rows(count: int):
    spec = SimpleNamespace(
        standard="IEC_62196_T2", format="SOCKET", power_type="AC_3_PHASE", voltage=230, amperage=16
    )
    for number in range(count):
        station = SimpleNamespace(
            station_id=f"BENCH-{number:07d}",
            security_code=f"{number:08d}",
            manufacturer="Alfen",
            article_number="NG910-60023",
            wifi_supported=True,
            gsm_supported=number % 2 == 0,
            serial_number=f"0000{number:010d}",
        )
        yield station_row(station, spec)


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _measured(queue, work, argument):
    before = _rss_kb()
    cpu = time.process_time()
    result = work(argument)
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((cpu, max(peak - before, 0) / 1024, result))


def measure(work, argument):
    queue = multiprocessing.get_context("fork").SimpleQueue()
    process = multiprocessing.get_context("fork").Process(target=_measured, args=(queue, work, argument))
    process.start()
    outcome = queue.get()
    process.join()
    return outcome


def read_calamine_library(path: str) -> int:
    sheet = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0)
    return sum(1 for _ in sheet.iter_rows()) - 1


def read_calamine(path: str) -> int:
    sheet = workbook.read(Path(path).read_bytes())
    return sum(1 for _ in sheet.rows()) - 1


def read_openpyxl(path: str) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    book.close()
    return count


def export(count: int) -> int:
    with tempfile.TemporaryFile() as output:
        xlsx.write_rows(_rows(count), output)
        return output.tell()


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-workbook-"))
    try:
        source = folder / "stations.xlsx"
        with open(source, "wb") as output:
            xlsx.write_rows(_rows(READ_ROWS), output)
        files = {"xlsx": source}
        if shutil.which("soffice"):
            sys.path.insert(0, str(ROOT / "tests" / "data" / "libreoffice"))
            import make

            files["ods"] = folder / "stations.ods"
            make.convert(source, ".ods", files["ods"], profile=str(folder / "profile"))
            files["xlsx (LibreOffice)"] = folder / "stations-lo.xlsx"
            make.convert(source, ".xlsx", files["xlsx (LibreOffice)"], profile=str(folder / "profile"))
        else:
            print("soffice missing: no .ods figures")
        print(f"Reading {READ_ROWS:,} rows (whole first sheet, every cell)")
        print(f"{'file':<22}{'reader':<22}{'CPU s':>8}{'peak MB':>10}{'rows':>8}")
        for label, path in files.items():
            readers = [("calamine (library)", read_calamine_library), ("stations.workbook", read_calamine)]
            if path.suffix == ".xlsx":
                readers.append(("openpyxl read-only", read_openpyxl))
            for name, reader in readers:
                cpu, peak, rows = measure(reader, str(path))
                print(f"{label:<22}{name:<22}{cpu:>8.3f}{peak:>10.1f}{rows:>8,}")
        print(f"\nExport of {EXPORT_STATIONS:,} stations (one row each) to .xlsx, constant_memory")
        for count in (EXPORT_STATIONS // 10, EXPORT_STATIONS):
            cpu, peak, size = measure(export, count)
            print(
                f"{count:>8,} rows: {cpu:6.2f} s CPU, {count / cpu:,.0f} rows/s, peak +{peak:.1f} MB, "
                f"{size / 1e6:.1f} MB file"
            )

    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
