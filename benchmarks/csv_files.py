"""Realistic station CSV files for the benchmarks: 1, 2 or 3 connectors per station, optional cells
sometimes empty, the spellings people use (codes, labels, yes/TRUE/1), and optionally a share of bad rows."""

import random

from stations.csv_format import rows_to_csv

MANUFACTURERS = ["Alfen", "ABB", "Zaptec", "Easee", "Wallbox", "Ekoenergetyka", "Kempower", "Mennekes"]
# (connector type, format, power type, voltage, amperage, maximum power), as operators write them; some
# rated below V × A, in either decimal notation.
SPECS = [
    ("IEC_62196_T2", "Socket", "Three-phase AC", "230", "16", ""),
    ("IEC_62196_T2", "Socket", "AC_3_PHASE", "230", "32", "11"),
    ("Type 2 (IEC 62196-2)", "cable", "Three-phase AC", "230", "32", ""),
    ("DOMESTIC_F", "SOCKET", "Single-phase AC", "230", "16", ""),
    ("IEC_62196_T2_COMBO", "Cable", "DC", "500", "200", "50"),
    ("CHADEMO", "Cable", "DC", "500", "125", "62,5"),
    ("IEC_62196_T1", "Cable", "AC_1_PHASE", "240", "32", "7.4"),
]
BOOLEANS = [("TRUE", "FALSE"), ("yes", "no"), ("1", "0"), ("TRUE", "TRUE")]
# Bad cells a hurried spreadsheet produces: (column index, value).
BAD_CELLS = [(9, "2300"), (10, "0"), (7, "Plug"), (4, "maybe"), (1, "ab"), (6, "TYPE_9"), (10, "16A")]


def realistic_csv(rows: int, *, bad_fraction: float = 0.0, seed: int = 1, prefix: str = "BENCH") -> bytes:
    """``rows`` connector rows (header not counted) as UTF-8; ``bad_fraction`` of them with one bad cell."""
    rng = random.Random(seed)
    out = []
    number = 0
    while len(out) < rows:
        number += 1
        wifi, gsm = rng.choice(BOOLEANS)
        station = [
            f"{prefix}-{number:06d}",
            f"K{rng.randrange(10**7):07d}X",
            rng.choice(MANUFACTURERS),
            rng.choice(["", f"NG9{rng.randrange(100):02d}-600{rng.randrange(10)}"]),
            wifi,
            gsm,
        ]
        serial = rng.choice(["", f"SN{rng.randrange(10**9):09d}"])
        for _ in range(min(rng.choice([1, 1, 2, 2, 3]), rows - len(out))):
            *spec, max_power = rng.choice(SPECS)
            out.append([*station, *spec, serial, max_power])
    bad = rng.sample(range(rows), int(rows * bad_fraction))
    for index in bad:
        column, value = rng.choice(BAD_CELLS)
        out[index][column] = value
    return rows_to_csv(out).encode()
