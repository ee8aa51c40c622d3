"""The station CSV export and the example files: the import format (``csv_format``), formula cells
neutralised.

A spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula (CSV injection), and one that splits the file at a comma or a tab starts a cell after each of
those inside a value. ``csv_format.neutralise_cell`` writes an apostrophe (shown as text) at each such
place; ``restore_cell`` removes exactly those again (the CSV import applies it to every cell), so an
exported file imports back unchanged.
"""

import csv
import secrets
from collections.abc import Iterable, Iterator
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import QuerySet

from .csv_format import ALL_HEADERS, DELIMITER, neutralise_cell, rows_to_csv, station_row
from .models import Station

EXPORT_CHUNK_SIZE = 2000


def stations_for_export(queryset: QuerySet[Station]) -> QuerySet[Station]:
    """The stations of ``queryset`` (already scoped) with their specifications (in position order)."""
    return (
        Station.objects.filter(pk__in=queryset.order_by().values("pk"))
        .order_by("station_id", "pk")
        .prefetch_related("connector_specs")
    )


def export_rows(stations: Iterable[Station]) -> Iterator[list[str]]:
    """The header, then one neutralised row per connector specification, station by station."""
    yield list(ALL_HEADERS)
    for station in stations:
        for spec in station.connector_specs.all():
            yield [neutralise_cell(cell) for cell in station_row(station, spec)]


class _Echo:
    def write(self, value):
        return value


# Written first: without it Excel reads the UTF-8 file as Windows-1252 ("MÃ¼ller GmbH"). The import
# accepts it, so an export still imports back unchanged.
BOM = "\ufeff"


def export_lines(queryset: QuerySet[Station], *, bom: bool = True) -> Iterator[str]:
    """The export as text lines to encode as UTF-8, streamed in chunks (a tenant may hold 100,000
    stations): the byte-order mark first (unless ``bom`` is false), then the header and the rows."""
    if bom:
        yield BOM
    writer = csv.writer(_Echo(), delimiter=DELIMITER, lineterminator="\r\n")
    stations = stations_for_export(queryset).iterator(chunk_size=EXPORT_CHUNK_SIZE)
    for row in export_rows(stations):
        yield writer.writerow(row)


def _station(station_id, security_code, article_number, serial_number, wifi=True, gsm=False):
    return SimpleNamespace(
        station_id=station_id,
        security_code=security_code,
        manufacturer="Alfen",
        article_number=article_number,
        wifi_supported=wifi,
        gsm_supported=gsm,
        serial_number=serial_number,
    )


def _spec(standard, format, power_type, voltage, amperage, max_power=None):
    return SimpleNamespace(
        standard=standard,
        format=format,
        power_type=power_type,
        voltage=voltage,
        amperage=amperage,
        max_power=max_power,
    )


_TYPE2_SOCKET = _spec("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 16)
_TYPE2_CABLE = _spec("IEC_62196_T2", "CABLE", "AC_3_PHASE", 230, 32)
_SCHUKO = _spec("DOMESTIC_F", "SOCKET", "AC_1_PHASE", 230, 16)
_CCS2 = _spec("IEC_62196_T2_COMBO", "CABLE", "DC", 500, 125)
# Rated 50 kW, below the 60 kW that 500 V × 120 A give: the example of the Maximum power column.
_CHADEMO = _spec("CHADEMO", "CABLE", "DC", 500, 120, Decimal("50"))

# The example files of the upload page: built from objects through ``station_row``, like an export. The
# Station IDs here are the numbers; ``example_csv`` makes them unique per download.
EXAMPLES = {
    "single": (
        "Stations with one connector type (one row per station)",
        [
            (_station("0001", "K7P2-93QX", "NG910-60023", "ACE0012345"), [_TYPE2_SOCKET]),
            (_station("0002", "M4R8-12ZT", "NG910-60023", "ACE0012346", gsm=True), [_TYPE2_SOCKET]),
            (_station("0003", "Q9W3-55LB", "", "", wifi=False, gsm=True), [_TYPE2_CABLE]),
        ],
    ),
    "multiple": (
        "Stations with several connector types (one row per connector, in connector ID order)",
        [
            (
                _station("1001", "T2X6-48NV", "NG920-61001", "ACE0020001", gsm=True),
                [_TYPE2_SOCKET, _SCHUKO],
            ),
            (
                _station("1002", "H5J1-07CP", "HPC-150", "", gsm=True),
                [_CCS2, _CHADEMO, _TYPE2_CABLE],
            ),
        ],
    ),
}


# Station IDs are unique on the whole platform: every download gets its own tag, so that the examples of
# one tenant never make another's "already registered". No 0/O or 1/I, which read alike.
_TAG_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
EXAMPLE_TAG_LENGTH = 6


def example_tag() -> str:
    return "".join(secrets.choice(_TAG_ALPHABET) for _ in range(EXAMPLE_TAG_LENGTH))


def example_csv(kind: str, tag: str | None = None) -> str:
    """The example file ``kind`` ("single" or "multiple"); ``KeyError`` for any other kind.

    Its Station IDs are ``EXAMPLE-<tag>-<number>``, with a new random ``tag`` unless one is given.
    """
    _title, stations = EXAMPLES[kind]
    tag = tag or example_tag()
    return rows_to_csv(
        station_row(
            SimpleNamespace(**{**vars(station), "station_id": f"EXAMPLE-{tag}-{station.station_id}"}), spec
        )
        for station, specs in stations
        for spec in specs
    )
