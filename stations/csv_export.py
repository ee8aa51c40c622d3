"""The station CSV export: the import format (``csv_format``), with formula cells neutralised.

A spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula (CSV injection). Such a cell is written with a leading apostrophe, which spreadsheets show as
text. So that an exported file imports back unchanged, the prefix is reversible: a cell that already
starts with apostrophes followed by a trigger character gets one more, and ``restore_cell`` removes
exactly one from a cell of that shape (the CSV import applies it to every cell).
"""

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet

from .csv_format import DELIMITER, HEADERS, neutralise_cell, station_row
from .models import ConnectorSpec, Station

EXPORT_CHUNK_SIZE = 2000


def stations_for_export(queryset: QuerySet[Station]) -> QuerySet[Station]:
    """The stations of ``queryset`` (already scoped) with their specifications in position order."""
    return (
        Station.objects.filter(pk__in=queryset.order_by().values("pk"))
        .order_by("station_id", "pk")
        .prefetch_related(Prefetch("connector_specs", queryset=ConnectorSpec.objects.order_by("position")))
    )


def export_rows(stations: Iterable[Station]) -> Iterator[list[str]]:
    """The header, then one neutralised row per connector specification, station by station."""
    yield list(HEADERS)
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


def export_bytes(queryset: QuerySet[Station]) -> bytes:
    """The whole export file as downloaded: UTF-8 with a byte-order mark."""
    return b"".join(line.encode("utf-8") for line in export_lines(queryset))


def export_text(queryset: QuerySet[Station]) -> str:
    """The whole export as one string, without the byte-order mark (tests, the command line)."""
    buffer = io.StringIO()
    for line in export_lines(queryset, bom=False):
        buffer.write(line)
    return buffer.getvalue()
