"""Smoke run of benchmarks/bench_scale.py at 10,000 stations, so the 1,000,000-station script cannot rot:
its seeding, page timings, import, activation and export, imported as functions (PostgreSQL only)."""

import pytest
from django.db import connection

from stations.models import ConnectorSpec, Station

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="bench_scale seeds with PostgreSQL's generate_series and measures PostgreSQL's indexes",
    ),
]

STATIONS = 10_000


@pytest.fixture
def seeded():
    from benchmarks import bench_scale

    return bench_scale.seed(STATIONS)


def test_seed_shapes_the_data_like_the_goal(seeded):
    assert seeded.station_count == STATIONS
    assert ConnectorSpec.objects.count() == 2 * STATIONS
    assert Station.objects.filter(tenant=seeded.big).count() == STATIONS * 9 // 10
    assert Station.objects.exclude(tenant=seeded.big).values("tenant").distinct().count() == 99
    assert Station.objects.filter(status="active").count() == STATIONS // 10
    assert ConnectorSpec.objects.filter(power_type="AC_3_PHASE", voltage=400).exists()
    assert not Station.objects.filter(tenant=seeded.empty).exists()
    # Seeded rows obey the model's rules, as imported ones do.
    for station in Station.objects.order_by("?")[:20]:
        station.full_clean(validate_constraints=False)


def test_pages_answer_in_a_few_queries(seeded):
    from benchmarks import bench_scale

    urls = bench_scale.pages(seeded)
    for user in (seeded.operator, seeded.support):
        client = bench_scale.client_for(user)
        for name in ("list", "search part of Station ID", "filter power type=DC"):
            timing = bench_scale.time_page(client, urls[name], repeat=1)
            assert timing.median_ms is not None, name
            # The count per page is fixed (tests/test_admin.py checks it at 10 and 200 stations): a row
            # that queried would show as thousands here.
            assert 0 < timing.queries <= 12, (name, timing.queries)
        assert bench_scale.time_page(client, urls["change page"], repeat=1).median_ms is not None


def test_search_finds_part_of_a_station_id(seeded):
    from benchmarks import bench_scale

    station_id = seeded.inactive_station_ids[0][0]
    client = bench_scale.client_for(seeded.operator)
    response = client.get(bench_scale.pages(seeded)["search part of Station ID"])
    assert station_id in response.content.decode()


def test_import_activation_and_export_run(seeded):
    from benchmarks import bench_scale

    data = bench_scale.import_csv(50, "SMOKE-")
    result = bench_scale.run_import(data, seeded.big)
    assert result.stations_created == 50
    bench_scale.undo_import(result.record)
    assert not Station.objects.filter(station_id__startswith="SMOKE-").exists()

    milliseconds, queries = bench_scale.activation_db_ms(seeded, repeat=1)
    assert milliseconds > 0
    # The row (locked), the throttle's counters, the UPDATE: activation re-checks nothing it did not set.
    # (Inside the test's transaction, activation's own is a savepoint.)
    statements = [query["sql"] for query in queries if "SAVEPOINT" not in query["sql"]]
    assert len(statements) == 3, statements
    assert Station.objects.filter(status="active").count() == STATIONS // 10  # the activation was undone

    stations, rows, seconds, peak = bench_scale.export_figures(seeded)
    assert stations == STATIONS * 9 // 10
    assert rows == 2 * stations  # one row per connector specification
    assert seconds > 0
    assert peak > 0


def test_migration_adds_the_trigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone()
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'station_station_id_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition
    assert "upper((station_id)::text) gin_trgm_ops" in definition


def test_every_page_of_the_bench_is_offered(seeded):
    # A filter link the admin does not know redirects (Django's ?e=1): its figure would be silently missing.
    from benchmarks import bench_scale

    client = bench_scale.client_for(seeded.support)
    pages = bench_scale.pages(seeded)
    missing = [
        name for name, url in pages.items() if bench_scale.time_page(client, url, repeat=1).median_ms is None
    ]
    assert missing == []
