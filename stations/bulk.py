"""Set-based INSERT/UPDATE for the CSV write, where ``bulk_create``/``bulk_update`` are too slow.

The values written here already went through each model field's ``clean()`` in the import plan, so no
model instance is built per row. ``insert_rows`` and ``update_rows`` each send one statement per batch:
on PostgreSQL one JSON array of the rows, elsewhere a ``VALUES`` list.

The SQL uses ``INSERT … RETURNING`` (SQLite 3.35+) and ``UPDATE … FROM`` (SQLite 3.33+); the system check
in ``checks.py`` refuses to start on an older SQLite, which Django 5.2 itself would still accept.

Batches: PostgreSQL takes all rows at once (one parameter). SQLite counts every value as a
variable; its limit is read from the connection (32,766 by default since 3.32, 250,000 in Debian's
build), and every statement here is cut to fit it, parameters shared by all rows included. The other
import queries (``pk__in`` lists) carry at most one value per station, fewer than
``STATION_IMPORT_MAX_ROWS``, well under that limit.
"""

import json
import sqlite3
from collections.abc import Mapping, Sequence

from django.db import connection


def insert_rows(
    model,
    names: Sequence[str],
    rows: list[list],
    returning: Sequence[str] = (),
    same: Mapping | None = None,
) -> list:
    """INSERT ``rows`` (values for the fields ``names``) with the fields of ``same`` alike on all of them;
    the ``returning`` fields of each row inserted.

    A value shared by every row (the tenant, the import, the time) is sent once, not once a row: it
    would be most of what the rows' JSON carries, and a datetime in it takes ``json.dumps`` out of its
    fast path (33 ms for 5,000 stations against 6 ms).
    """
    same = same or {}
    quote = connection.ops.quote_name
    into = f"INSERT INTO {quote(model._meta.db_table)} ({_columns(model, [*names, *same])}) "
    selected = ", ".join(["v.*", *(_shared_value(model, name) for name in same)])
    tail = f" RETURNING {_columns(model, returning)}" if returning else ""
    result = []
    with connection.cursor() as cursor:
        for batch in _batches(rows, len(names), shared=len(same)):
            source, params = _rows_source(model, names, batch)
            cursor.execute(f"{into}SELECT {selected} FROM {source}{tail}", [*same.values(), *params])
            if returning:
                result += cursor.fetchall()
    return result


def update_rows(
    model, names: Sequence[str], rows: list[list], same: Mapping, increments: Sequence[str] = ()
) -> None:
    """UPDATE the rows keyed by ``names[0]`` with the other ``names``, ``same`` on all of them, and the
    ``increments`` fields of each row one more than they were (a station's ``version``).

    Django's ``bulk_update`` writes a CASE with one branch per row, which SQLite evaluates for every
    row: minutes for a few thousand stations.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = [
        f"{quote(model._meta.get_field(name).column)} = v.column{index}"
        for index, name in enumerate(names[1:], start=2)
    ]
    assignments += [f"{quote(model._meta.get_field(name).column)} = %s" for name in same]
    increased = [quote(model._meta.get_field(name).column) for name in increments]
    assignments += [f"{column} = {column} + 1" for column in increased]
    key = quote(model._meta.get_field(names[0]).column)
    with connection.cursor() as cursor:
        for batch in _batches(rows, len(names), shared=len(same)):
            source, params = _rows_source(model, names, batch)
            cursor.execute(
                f"UPDATE {table} SET {', '.join(assignments)} FROM {source} WHERE {table}.{key} = v.column1",
                [*same.values(), *params],
            )


def _columns(model, names: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(name).column) for name in names)


def _shared_value(model, name: str) -> str:
    """The placeholder of a value shared by all rows, typed as its column on PostgreSQL (where a bare
    parameter in a SELECT list would be text, and NULL text fits no other column); SQLite takes it as is."""
    if connection.vendor == "postgresql":
        return f"%s::{model._meta.get_field(name).db_type(connection)}"
    return "%s"


def _rows_source(model, names: Sequence[str], rows: list[list]) -> tuple[str, list]:
    """The rows as a FROM item ``v`` with columns column1…columnN, and its parameters.

    PostgreSQL gets the rows as one JSON array of arrays, each value cast to its column's type: Django's
    (client-side binding) cursor quotes a Python list element by element in Python, which cost more
    than the INSERT's own work for a few thousand rows, where ``json.dumps`` writes them in C. Decimals
    and datetimes travel as their text and are read back exactly by the cast. Elsewhere a VALUES list,
    whose columns SQLite names so.
    """
    if connection.vendor == "postgresql":
        columns = ", ".join(
            f"(r ->> {index})::{model._meta.get_field(name).db_type(connection)} AS column{index + 1}"
            for index, name in enumerate(names)
        )
        data = json.dumps(rows, default=str, ensure_ascii=False)
        return f"(SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS r) AS v", [data]
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    return f"(VALUES {', '.join([placeholders] * len(rows))}) AS v", [value for row in rows for value in row]


def _batches(rows: list[list], width: int, shared: int = 0):
    """``rows`` cut into batches whose parameters (``width`` per row plus ``shared``) fit one statement."""
    size = len(rows)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        size = (limit - shared) // width
    size = max(1, size)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
