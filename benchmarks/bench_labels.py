"""Speed and memory of the packaging labels PDF (SPEC §8, issue 14).

Draws 1,000 labels in each layout (A4 sheets of 3 × 8, and one 62 × 29 mm label a page) for stations
with realistic, varied text and prints the CPU and wall time and the process's peak memory (resident
set size, so Django and the libraries are included: an upper bound). Goal on the 2-core machine: under
3 s and under 150 MB each. No database: the drawing is the work; the service adds one SELECT and one INSERT.

    python benchmarks/bench_labels.py [--count 1000] [--evaluate-masks]

``--evaluate-masks`` lets segno choose the best of the eight QR masks per label (labels.QR_MASK = None),
to show what fixing the mask saves.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from benchmarks.samples import MANUFACTURERS  # noqa: E402
from stations import labels, rules  # noqa: E402
from stations.models import Station  # noqa: E402

GOAL_SECONDS = 3
GOAL_MB = 150
BASE_URL = "https://stations.example.com"


def sample_stations(count: int) -> list[Station]:
    return [
        Station(
            station_id=f"BENCH-{number:06d}",
            security_code=rules.generate_security_code(),
            manufacturer=f"{MANUFACTURERS[number % len(MANUFACTURERS)]} Łódź Straße",
            article_number=f"NG9{number % 100:02d}-60023",
        )
        for number in range(count)
    ]


def peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--evaluate-masks", action="store_true")
    args = parser.parse_args()
    if args.evaluate_masks:
        labels.QR_MASK = None
    stations = sample_stations(args.count)
    labels.labels_pdf(stations[:1], labels.SHEET, BASE_URL)  # fonts registered, modules warm
    mask = "evaluated per label" if labels.QR_MASK is None else labels.QR_MASK
    print(f"{args.count:,} labels, QR mask {mask}")
    print(f"{'layout':<40} {'CPU s':>7} {'wall s':>7} {'PDF KB':>8} {'peak MB':>8}")
    failed = False
    for layout in (labels.SHEET, labels.ROLL):
        cpu, wall = time.process_time(), time.perf_counter()
        pdf = labels.labels_pdf(stations, layout, BASE_URL)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        peak = peak_mb()
        failed |= cpu > GOAL_SECONDS or peak > GOAL_MB
        print(f"{layout.name:<40} {cpu:7.2f} {wall:7.2f} {len(pdf) / 1024:8.0f} {peak:8.0f}")
    print(f"goal: under {GOAL_SECONDS} s CPU and {GOAL_MB} MB peak: {'MISSED' if failed else 'met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
