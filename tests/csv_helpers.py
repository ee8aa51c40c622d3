"""Building CSV files for the import tests: a good row by default, any cell overridden by its header."""

from stations.csv_format import HEADERS, rows_to_csv

GOOD = {
    "Station ID": "ST1010101",
    "Security code": "K7P2-93QX",
    "Manufacturer": "Alfen",
    "Article number": "NG910-60023",
    "Wi-Fi supported": "TRUE",
    "GSM supported": "FALSE",
    "Connector type": "IEC_62196_T2",
    "Format": "Socket",
    "Power type": "Three-phase AC",
    "Voltage": "230",
    "Amperage": "16",
    "Serial number": "ACE0012345",
}


def row(**cells) -> list[str]:
    """A data row; keyword names are headers with spaces and dashes as underscores (Wi_Fi_supported)."""
    values = dict(GOOD)
    for name, value in cells.items():
        header = next(h for h in HEADERS if h.replace(" ", "_").replace("-", "_") == name)
        values[header] = value
    return [values[header] for header in HEADERS]


def csv_bytes(*rows, header=HEADERS, encoding="utf-8") -> bytes:
    return rows_to_csv(rows or [row()], header=header).encode(encoding)


def station_rows(station_id: str, count: int = 1, **cells) -> list[list[str]]:
    return [row(Station_ID=station_id, **cells) for _ in range(count)]
