"""The product at 1,000,000 stations on PostgreSQL (SPEC §4, issue 13): overview, import, activation, export.

Seeds N stations (default 1,000,000: one tenant holds 90 %, 99 others share the rest; two connector
specifications each, about 10 % active, 1 % of the three-phase specifications at line voltage) with
set-based ``INSERT ... SELECT generate_series`` into its own database, runs ``ANALYZE``, then prints each
figure of the issue's goal with the goal and PASS/FAIL:

- the overview's list, every filter, searches (whole and part of a Station ID, serial or article number)
  and the change page, as operator (the big tenant) and as support: median of ``--repeat`` through
  Django's test client with the project's settings, and the query count;
- a 5,000-station CSV import (``csv_import.parse`` + ``services.stations_import``, as ``import_stations``
  does) into an empty tenant and into the big one, each undone after it is timed, after a ``VACUUM
  ANALYZE`` of the import's tables (what autovacuum does between imports: a kept database would
  otherwise carry every earlier run's undone rows and a full pending list in the trigram indexes);
- activation by Station ID: the database time (each query timed with ``perf_counter``, summed);
- the CSV export of 100,000 stations (``csv_export.export_lines`` streamed): throughput and peak memory.

The database is ``<NAME>_scale_<N>``, ``NAME`` the one ``DATABASE_URL`` names (so that people sharing a
server each seed their own); ``--keep`` leaves it for the next run, which then skips seeding.
``--import-only`` prints the import's figures alone (wall and CPU time); ``--explain`` prints
``EXPLAIN (ANALYZE, BUFFERS)`` of every page's SELECTs.

    DATABASE_URL=postgres://… python benchmarks/bench_scale.py [--stations N] [--keep] [--import-only]
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from benchmarks.samples import MANUFACTURERS, SPEC_KINDS  # noqa: E402

PAGE_GOAL_MS = 150
IMPORT_GOAL_S = 0.6
IMPORT_BIG_FACTOR = 1.5
ACTIVATION_GOAL_MS = 20
IMPORT_STATIONS = 5_000
EXPORT_STATIONS = 100_000
SMALL_TENANTS = 99
BIG_SHARE = 0.9
CHANGELIST = "/admin/stations/station/"


@dataclass
class Seeded:
    big: object
    empty: object
    small: object
    operator: object
    support: object
    station_count: int
    seconds: float | None  # None: the kept database was seeded by an earlier run
    sample_pk: int = 0
    inactive_station_ids: list = field(default_factory=list)


# ----------------------------------------------------------------------------------------------- seeding


def _users_and_tenants():
    from stations.models import Tenant
    from tests import factories

    if Tenant.objects.filter(slug="scale-big").exists():
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        return (
            Tenant.objects.get(slug="scale-big"),
            Tenant.objects.get(slug="scale-empty"),
            Tenant.objects.get(slug="scale-001"),
            users.get(username="scale-operator"),
            users.get(username="scale-support"),
        )
    big = factories.make_tenant("scale-big", "Scale Big Operator")
    small = [
        factories.make_tenant(f"scale-{n:03d}", f"Scale Operator {n:03d}")
        for n in range(1, SMALL_TENANTS + 1)
    ]
    empty = factories.make_tenant("scale-empty", "Scale Empty Operator")
    return (
        big,
        empty,
        small[0],
        factories.make_operator(big, "scale-operator"),
        factories.make_support("scale-support"),
    )


def _sql_text_array(values) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def seed(station_count: int) -> Seeded:
    """Tenants, users and ``station_count`` stations with two specifications each, unless already there."""
    from stations.models import Station

    big, empty, small, operator, support = _users_and_tenants()
    seconds = None
    if not Station.objects.exists():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg(id ORDER BY slug) FROM stations_tenant WHERE slug LIKE 'scale-0%%'"
            )
            (small_ids,) = cursor.fetchone()
            # Every tenth-but-one station (n % 10 == 5) goes to a small tenant, round robin: the big
            # tenant's stations and the others' interleave in Station ID order, as imports over time do.
            small_every = round(1 / (1 - BIG_SHARE))
            cursor.execute(
                f"""
                INSERT INTO stations_station (
                    tenant_id, station_id, security_code, manufacturer, article_number, serial_number,
                    wifi_supported, gsm_supported, status, created_at, updated_at,
                    activated_at, activated_by_id
                )
                SELECT
                    CASE WHEN n %% {small_every} = 5
                         THEN (%s::bigint[])[(n / {small_every}) %% {len(small_ids)} + 1] ELSE %s END,
                    'DE*SCL*E' || lpad(n::text, 7, '0'),
                    'C' || md5(n::text)::varchar(11),
                    ({_sql_text_array(MANUFACTURERS)})[n %% {len(MANUFACTURERS)} + 1],
                    CASE WHEN n %% 7 = 0 THEN '' ELSE 'NG9' || lpad((n %% 500)::text, 3, '0') || '-600' END,
                    CASE WHEN n %% 11 = 0 THEN ''
                         ELSE 'SN' || lpad((n::bigint * 7919 %% 1000000000)::text, 9, '0') END,
                    n %% 3 <> 0,
                    n %% 3 <> 1,
                    CASE WHEN n %% 10 = 0 THEN 'active' ELSE 'inactive' END,
                    now() - n * interval '20 seconds',
                    now() - n * interval '20 seconds',
                    CASE WHEN n %% 10 = 0 THEN now() - n * interval '10 seconds' END,
                    CASE WHEN n %% 10 = 0 THEN %s END
                FROM generate_series(1, %s) AS n
                """,
                [small_ids, big.pk, operator.pk, station_count],
            )
            kinds = SPEC_KINDS
            column = {name: [kind[name] for kind in kinds] for name in kinds[0]}
            cursor.execute(
                f"""
                INSERT INTO stations_connectorspec (station_id, position, standard, format, power_type,
                                                    voltage, amperage)
                SELECT s.id, p,
                       ({_sql_text_array(column["standard"])})[k + 1],
                       ({_sql_text_array(column["format"])})[k + 1],
                       ({_sql_text_array(column["power_type"])})[k + 1],
                       -- 1 % of the three-phase specifications give the line voltage (400 V), as people do.
                       CASE WHEN k = 0 AND s.id % 100 = 3 THEN 400
                            ELSE (ARRAY{column["voltage"]})[k + 1] END,
                       (ARRAY{column["amperage"]})[k + 1]
                FROM stations_station s
                CROSS JOIN generate_series(1, 2) AS p
                CROSS JOIN LATERAL (SELECT ((s.id + p) % {len(kinds)})::int AS k) AS kind
                """
            )
            # What autovacuum does soon after a bulk load (a fresh visibility map for index-only scans);
            # inside a test's transaction VACUUM is not allowed, and ANALYZE is enough there.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        seconds = time.perf_counter() - started
    count = Station.objects.count()
    seeded = Seeded(big, empty, small, operator, support, count, seconds)
    seeded.sample_pk = (
        Station.objects.filter(tenant=big).order_by("pk").values_list("pk", flat=True)[count // 3]
    )
    seeded.inactive_station_ids = list(
        Station.objects.filter(tenant=big, status="inactive")
        .order_by("pk")
        .values_list("station_id", "security_code")[count // 2 : count // 2 + 50]
    )
    return seeded


# ------------------------------------------------------------------------------------------------- pages


def pages(seeded: Seeded) -> dict[str, str]:
    """The overview URLs of the goal; a filter the admin does not offer answers with a redirect (skipped)."""
    some = seeded.inactive_station_ids[0][0]
    return {
        "list": CHANGELIST,
        "list, page 2": f"{CHANGELIST}?p=2",
        "filter status=inactive": f"{CHANGELIST}?status__exact=inactive",
        "filter status=active": f"{CHANGELIST}?status__exact=active",
        "filter connectivity=GSM only": f"{CHANGELIST}?connectivity=gsm",
        "filter power type=DC": f"{CHANGELIST}?power_type=DC",
        "filter manufacturer=Zaptec": f"{CHANGELIST}?manufacturer=Zaptec",
        "filter line voltage": f"{CHANGELIST}?line_voltage_warning=yes",
        "filter matching nothing": f"{CHANGELIST}?manufacturer=Nobody",
        "filter tenant (support)": f"{CHANGELIST}?tenant__id__exact={seeded.small.pk}",
        "search whole Station ID": f"{CHANGELIST}?q={some}",
        "search part of Station ID": f"{CHANGELIST}?q={some[-6:]}",
        "search whole serial": f"{CHANGELIST}?q=SN000791900",
        "search part of serial": f"{CHANGELIST}?q=0791900",
        "search whole article": f"{CHANGELIST}?q=NG9042-600",
        "search part of article": f"{CHANGELIST}?q=G9042",
        "change page": f"{CHANGELIST}{seeded.sample_pk}/change/",
    }


@dataclass
class PageTiming:
    median_ms: float | None  # None: the page is not offered (redirect)
    queries: int
    captured: list


def time_page(client: Client, url: str, repeat: int) -> PageTiming:
    first = client.get(url)  # warms templates, permissions and the database's caches
    if first.status_code != 200:
        return PageTiming(None, 0, [])
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return PageTiming(statistics.median(times), len(captured), captured.captured_queries)


def explain(sql: str) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of a captured, already interpolated SELECT."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------------- import, activation


def import_csv(count: int, prefix: str) -> bytes:
    """``count`` stations, one connector row each, in the upload format (varied like real files)."""
    from stations.csv_format import HEADERS, rows_to_csv

    rows = []
    for n in range(1, count + 1):
        kind = SPEC_KINDS[n % len(SPEC_KINDS)]
        rows.append(
            [
                f"{prefix}{n:06d}",
                f"K{n * 7919 % 10**7:07d}X",
                MANUFACTURERS[n % len(MANUFACTURERS)],
                "" if n % 4 == 0 else f"NG9{n % 100:02d}-600",
                "TRUE" if n % 3 else "FALSE",
                "TRUE" if n % 3 != 1 else "FALSE",
                kind["standard"],
                kind["format"],
                kind["power_type"],
                str(kind["voltage"]),
                str(kind["amperage"]),
                "" if n % 5 == 0 else f"SN{n:09d}",
            ]
        )
    return rows_to_csv(rows, HEADERS).encode()


def run_import(data: bytes, tenant):
    from stations import csv_import, services
    from stations.choices import ImportSource

    plan = csv_import.parse(data, tenant=tenant)
    result = services.stations_import(
        tenant=tenant, user=None, plan=plan, source=ImportSource.COMMAND, file_name="bench.csv"
    )
    assert result.ok, result.errors[:3]
    return result


def undo_import(record) -> None:
    from stations.models import ConnectorSpec, ImportRecord, Station

    ConnectorSpec.objects.filter(station__last_import=record).delete()
    Station.objects.filter(last_import=record)._raw_delete(connection.alias)
    ImportRecord.objects.filter(pk=record.pk).delete()


def time_import(data: bytes, tenant, repeat: int):
    """Median seconds (wall and this process's CPU), and the last run's queries (count, seconds waiting
    on them, the slowest five). The CPU time is the figure to compare on a loaded machine."""
    times, cpu_times, captured = [], [], None
    for _run in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = run_import(data, tenant)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        captured = queries.captured_queries
        undo_import(result.record)
    return statistics.median(times), statistics.median(cpu_times), captured


class QueryTimer:
    """An execute wrapper that times each query with ``perf_counter`` (the captured "time" is rounded
    to the millisecond, and activation's queries take a fraction of one)."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append({"sql": sql, "time": f"{time.perf_counter() - started:.6f}"})

    @property
    def milliseconds(self) -> float:
        return sum(float(query["time"]) for query in self.queries) * 1000


def activation_db_ms(seeded: Seeded, repeat: int):
    """Median database time (ms, the client-side time of each query, summed) of activating an inactive
    station, and the last activation's queries."""
    from stations import services
    from stations.models import Station

    totals, captured = [], []
    for station_id, code in seeded.inactive_station_ids[:repeat]:
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            services.station_activate(
                user=seeded.operator,
                station_id=station_id.lower(),
                security_code=code,
                client_address="192.0.2.7",
            )
        totals.append(timer.milliseconds)
        captured = timer.queries
        Station.objects.filter(station_id=station_id).update(
            status="inactive", activated_at=None, activated_by=None
        )
    return statistics.median(totals), captured


def export_figures(seeded: Seeded, stations: int = EXPORT_STATIONS):
    """Streaming ``stations`` of the big tenant's stations: how many, CSV rows, seconds, peak traced MiB."""
    from stations.csv_export import export_lines
    from stations.models import Station

    big = Station.objects.filter(tenant=seeded.big)
    last = big.order_by("pk").values_list("pk", flat=True)[min(stations, big.count()) - 1]
    queryset = big.filter(pk__lte=last)
    count = queryset.count()
    started = time.perf_counter()
    lines = sum(1 for _ in export_lines(queryset))
    seconds = time.perf_counter() - started
    tracemalloc.start()
    for _ in export_lines(queryset):
        pass
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return count, lines - 2, seconds, peak  # the BOM and the header are not rows


# --------------------------------------------------------------------------------------------- the report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_pages(seeded: Seeded, repeat: int, show_explain: bool, out=print) -> list[tuple]:
    rows = []
    out(f"\n{'page':<30} {'who':<9} {'median ms':>10} {'queries':>8}  goal < {PAGE_GOAL_MS} ms")
    for who, user in (("operator", seeded.operator), ("support", seeded.support)):
        client = client_for(user)
        for name, url in pages(seeded).items():
            if name.endswith("(support)") and who != "support":
                continue
            timing = time_page(client, url, repeat)
            rows.append((name, who, timing))
            if timing.median_ms is None:
                out(f"{name:<30} {who:<9} {'n/a':>10} {'':>8}  (not offered by the admin)")
                continue
            flag = verdict(timing.median_ms < PAGE_GOAL_MS)
            out(f"{name:<30} {who:<9} {timing.median_ms:>10.1f} {timing.queries:>8}  {flag}")
            if show_explain:
                for query in timing.captured:
                    if query["sql"].lstrip().upper().startswith("SELECT"):
                        out(f"    -- {query['time']} s: {query['sql'][:400]}")
                        for line in explain(query["sql"]):
                            out(f"       {line}")
    return rows


def vacuum_import_tables() -> None:
    """What autovacuum does between imports: the rows earlier runs undid go, and the trigram indexes'
    pending lists are merged, so that every run of a kept database starts from the same state."""
    if not connection.in_atomic_block:  # a test's transaction allows no VACUUM
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE stations_station, stations_connectorspec, stations_importrecord")


def report_import(seeded: Seeded, repeat: int, show_sql: bool, out=print) -> None:
    data = import_csv(IMPORT_STATIONS, "BENCH-IMP-")
    vacuum_import_tables()
    empty_s, empty_cpu, empty_q = time_import(data, seeded.empty, max(3, repeat // 2))
    big_s, big_cpu, big_q = time_import(data, seeded.big, max(3, repeat // 2))
    out(
        f"\nimport {IMPORT_STATIONS:,} stations, empty tenant: {empty_s:.3f} s (CPU {empty_cpu:.3f} s)  "
        f"goal < {IMPORT_GOAL_S} s  {verdict(empty_s < IMPORT_GOAL_S)}"
    )
    out(
        f"import {IMPORT_STATIONS:,} stations, big tenant:   {big_s:.3f} s (CPU {big_cpu:.3f} s)  "
        f"goal < {IMPORT_GOAL_S} s and <= {IMPORT_BIG_FACTOR}x empty ({big_s / empty_s:.2f}x)  "
        f"{verdict(big_s < IMPORT_GOAL_S and big_s <= IMPORT_BIG_FACTOR * empty_s)}"
    )
    for label, captured in (("empty", empty_q), ("big", big_q)):
        waited = sum(float(query["time"]) for query in captured)
        out(f"    {label} tenant: {len(captured)} queries, {waited:.3f} s waiting on them")
        if show_sql:
            for query in sorted(captured, key=lambda q: -float(q["time"]))[:6]:
                out(f"      {query['time']} s: {query['sql'][:240]}")


def report_rest(seeded: Seeded, repeat: int, show_sql: bool, out=print) -> None:
    act_ms, act_q = activation_db_ms(seeded, repeat)
    out(
        f"activation by Station ID, database time: {act_ms:.2f} ms ({len(act_q)} queries)  "
        f"goal < {ACTIVATION_GOAL_MS} ms  {verdict(act_ms < ACTIVATION_GOAL_MS)}"
    )
    if show_sql:
        for query in act_q:
            out(f"      {query['time']} s: {query['sql'][:240]}")
    stations, rows, seconds, peak = export_figures(seeded)
    _, _, _, tenth_peak = export_figures(seeded, stations // 10)
    out(
        f"export CSV {stations:,} stations ({rows:,} rows): {seconds:.2f} s, "
        f"{stations / seconds:,.0f} stations/s; "
        f"peak traced memory {peak:.1f} MiB ({tenth_peak:.1f} MiB for a tenth of them: "
        f"{'flat' if peak < 2 * tenth_peak else 'grows with the size'})"
    )


def bench_database(station_count: int) -> str:
    """Named after the configured database, so that people sharing a server each seed their own."""
    return f"{connection.settings_dict['NAME']}_scale_{station_count}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (and its seed) for the next run"
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) every page query")
    parser.add_argument("--show-sql", action="store_true", help="the import's and activation's queries")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument(
        "--import-only", action="store_true", help="only the import figures (no pages, activation, export)"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_scale measures PostgreSQL: set DATABASE_URL=postgres://...")

    setup_test_environment()
    settings_dict = connection.settings_dict
    settings_dict.setdefault("TEST", {})["NAME"] = bench_database(args.stations)
    old_name = settings_dict["NAME"]
    # serialize=False: the test runner would otherwise read every kept row into memory first.
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keep, serialize=False)
    try:
        seeded = seed(args.stations)
        how = "kept from an earlier run" if seeded.seconds is None else f"seeded in {seeded.seconds:.1f} s"
        print(
            f"PostgreSQL {connection.pg_version}, database {settings_dict['NAME']}: "
            f"{seeded.station_count:,} stations ({how}); median of {args.repeat}"
        )
        if not (args.skip_pages or args.import_only):
            report_pages(seeded, args.repeat, args.explain)
        report_import(seeded, args.repeat, args.show_sql)
        if not args.import_only:
            report_rest(seeded, args.repeat, args.show_sql)
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
